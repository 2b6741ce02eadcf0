"""The reclassification rule (DOMAIN.md) as a pure function: edge cases and invariants."""

from hypothesis import given, settings
from hypothesis import strategies as st

from townships.rules import Entry, Move, reclassify


def ranked(*pairs):
    """pairs of (category, rank) → entries keyed by position."""
    return [Entry(key=i, category=c, rank=r, label=f"T{i}") for i, (c, r) in enumerate(pairs)]


def moves(result):
    return {d.key: (d.old_category, d.new_category, d.move) for d in result.decisions}


def test_top_and_bottom_move_one_step():
    entries = ranked((2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (2, 6))
    result = reclassify(entries, promote_count=2, demote_count=2)
    assert result.ok
    new = {d.key: d.new_category for d in result.decisions}
    assert new == {0: 1, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3}
    assert result.counts_before == {1: 0, 2: 6, 3: 0}
    assert result.counts_after == {1: 2, 2: 2, 3: 2}


def test_reason_names_the_rank_and_the_move():
    result = reclassify(ranked((2, 1), (2, 2), (2, 3)), promote_count=1, demote_count=1)
    assert result.decisions[0].reason == "第1名/共3名，二类→一类"


def test_tie_at_the_promotion_cut_is_promoted_whole():
    # ranks 1 2 3 3 5: the tie group at 3 starts inside a zone of 3, so 4 move up
    entries = ranked((2, 1), (2, 2), (2, 3), (2, 3), (2, 5), (2, 6), (2, 7))
    result = reclassify(entries, promote_count=3, demote_count=1)
    promoted = [d.key for d in result.decisions if d.move is Move.PROMOTED]
    assert sorted(promoted) == [0, 1, 2, 3]


def test_tie_straddling_the_demotion_cut_stays_whole():
    # ranks 1..5, then 6 6, then 8: demote 2 → the tie at 6 straddles the cut: only 8 moves
    entries = ranked((2, 1), (2, 2), (2, 3), (2, 4), (2, 5), (2, 6), (2, 6), (2, 8))
    result = reclassify(entries, promote_count=1, demote_count=2)
    demoted = [d.key for d in result.decisions if d.move is Move.DEMOTED]
    assert demoted == [7]
    assert {d.key: d.move for d in result.decisions}[5] is Move.KEPT


def test_a_top_zone_already_all_first_category_does_not_pass_its_slots_on():
    entries = ranked((1, 1), (1, 2), (2, 3), (3, 4), (3, 5))
    result = reclassify(entries, promote_count=2, demote_count=1)
    by_key = moves(result)
    assert by_key[0] == (1, 1, Move.KEPT_AT_TOP)
    assert by_key[1] == (1, 1, Move.KEPT_AT_TOP)
    assert by_key[2] == (2, 2, Move.KEPT)  # the slot is not passed to rank 3
    assert by_key[4] == (3, 3, Move.KEPT_AT_BOTTOM)
    assert result.promoted == 0 and result.demoted == 0
    assert "已是一类" in result.decisions[0].reason


def test_promote_plus_demote_larger_than_ranked_count_is_an_error():
    entries = ranked((2, 1), (2, 2), (2, 3), (2, 4))
    result = reclassify(entries, promote_count=3, demote_count=2)
    assert not result.ok
    assert "超过参评乡镇数 4" in result.errors[0]


def test_an_unranked_township_keeps_its_category_and_is_flagged():
    entries = [*ranked((2, 1), (2, 2), (2, 3)), Entry(key="x", category=3, rank=None, label="X")]
    result = reclassify(entries, promote_count=1, demote_count=1)
    unranked = next(d for d in result.decisions if d.key == "x")
    assert (unranked.old_category, unranked.new_category, unranked.move) == (3, 3, Move.UNRANKED)
    assert "未参评" in unranked.reason
    assert result.ranked_count == 3


def test_a_ranked_township_without_category_is_an_error():
    result = reclassify([Entry(key=1, category=None, rank=1, label="新镇"),
                         *ranked((2, 2), (2, 3))], promote_count=1, demote_count=1)
    assert not result.ok
    assert any("新镇" in e for e in result.errors)


def test_zero_counts_move_nobody():
    result = reclassify(ranked((2, 1), (2, 2)), promote_count=0, demote_count=0)
    assert result.ok and not result.changes


# Property-based tests ---------------------------------------------------------------


def oracle(entries, promote, demote):
    """DOMAIN.md's rule written out township by township, for comparison: the errors the
    input must be refused with, and otherwise each township's (new category, move)."""
    errors = []
    if promote < 0 or demote < 0:
        errors.append("升类和降类名额不能为负数。")
    keys = [e.key for e in entries]
    twice = sorted({str(k) for k in keys if keys.count(k) > 1})
    if twice:
        errors.append("乡镇重复：" + ", ".join(twice))
    ranked = [e for e in entries if e.rank is not None]
    errors += [f"{e.label or e.key} 有排名但没有类别，请先设置类别。"
               for e in ranked if e.category is None]
    if promote + demote > len(ranked):
        errors.append(f"升类名额 {promote} 加降类名额 {demote} 超过参评乡镇数 {len(ranked)}。")
    outcome = {}
    for e in entries:
        if e.rank is None:
            outcome[e.key] = (e.category, Move.UNRANKED)
            continue
        better = sum(1 for o in ranked if o.rank < e.rank)
        not_better = sum(1 for o in ranked if o.rank >= e.rank)  # its tie group and worse
        up, down = better < promote, not_better <= demote
        if e.category is None:
            outcome[e.key] = (None, Move.KEPT)
        elif up and down:
            outcome[e.key] = (e.category, Move.CONFLICT)
        elif up:
            outcome[e.key] = ((1, Move.KEPT_AT_TOP) if e.category == 1
                              else (e.category - 1, Move.PROMOTED))
        elif down:
            outcome[e.key] = ((3, Move.KEPT_AT_BOTTOM) if e.category == 3
                              else (e.category + 1, Move.DEMOTED))
        else:
            outcome[e.key] = (e.category, Move.KEPT)
    return errors, outcome


@st.composite
def years(draw, valid=True):
    """A year's townships: categories, competition ranks (with ties), some unranked.

    With ``valid=False`` the input may also hold what the rule must refuse: negative
    counts, counts beyond the ranked townships, a ranked township without a category,
    a township listed twice."""
    n = draw(st.integers(min_value=1, max_value=40))
    choices = [1, 2, 3] if valid else [1, 2, 3, None]
    categories = draw(st.lists(st.sampled_from(choices), min_size=n, max_size=n))
    # group sizes → competition ranks 1, 2, 2, 4 …
    ranks, position = [], 1
    while len(ranks) < n:
        size = draw(st.integers(min_value=1, max_value=min(4, n - len(ranks))))
        ranks.extend([position] * size)
        position += size
    unranked = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=n // 3))
    keys = list(range(n))
    if not valid and n > 1 and draw(st.booleans()):
        keys[draw(st.integers(min_value=1, max_value=n - 1))] = 0
    entries = [
        Entry(key=keys[i], category=categories[i], rank=None if i in unranked else ranks[i],
              label=f"T{i}")
        for i in range(n)
    ]
    ranked_count = n - len(unranked)
    if valid:
        promote = draw(st.integers(min_value=0, max_value=max(0, ranked_count)))
        demote = draw(st.integers(min_value=0, max_value=max(0, ranked_count - promote)))
    else:
        promote = draw(st.integers(min_value=-2, max_value=ranked_count + 2))
        demote = draw(st.integers(min_value=-2, max_value=ranked_count + 2))
    return entries, promote, demote


@settings(max_examples=300, deadline=None)
@given(years())
def test_an_accepted_year_moves_each_township_exactly_as_the_rule_says(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    errors, outcome = oracle(entries, promote, demote)
    assert errors == []
    assert result.errors == ()
    assert {d.key: (d.new_category, d.move) for d in result.decisions} == outcome
    assert {d.key: d.old_category for d in result.decisions} == {e.key: e.category
                                                                 for e in entries}
    assert result.ranked_count == sum(1 for e in entries if e.rank is not None)
    before = [e.category for e in entries]
    after = [new for new, _move in outcome.values()]
    assert result.counts_before == {c: before.count(c) for c in (1, 2, 3)}
    assert result.counts_after == {c: after.count(c) for c in (1, 2, 3)}
    assert result.promoted == sum(1 for _c, m in outcome.values() if m is Move.PROMOTED)
    assert result.demoted == sum(1 for _c, m in outcome.values() if m is Move.DEMOTED)


@settings(max_examples=500, deadline=None)
@given(years(valid=False))
def test_a_year_is_refused_with_exactly_the_errors_of_its_input(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    errors, outcome = oracle(entries, promote, demote)
    assert sorted(result.errors) == sorted(errors)
    assert result.ok == (errors == [])
    if len({e.key for e in entries}) == len(entries):
        assert {d.key: (d.new_category, d.move) for d in result.decisions} == outcome


def test_the_refusals_are_all_reported_together():
    entries = [Entry(key=1, category=None, rank=1, label="新镇"),
               Entry(key=1, category=2, rank=2, label="旧镇")]
    result = reclassify(entries, promote_count=-1, demote_count=4)
    assert sorted(result.errors) == sorted([
        "升类和降类名额不能为负数。",
        "乡镇重复：1",
        "新镇 有排名但没有类别，请先设置类别。",
        "升类名额 -1 加降类名额 4 超过参评乡镇数 2。",
    ])


@settings(max_examples=200, deadline=None)
@given(years(), st.randoms(use_true_random=False))
def test_invariant_result_does_not_depend_on_input_order(year, random):
    entries, promote, demote = year
    shuffled = list(entries)
    random.shuffle(shuffled)
    a = reclassify(entries, promote_count=promote, demote_count=demote)
    b = reclassify(shuffled, promote_count=promote, demote_count=demote)
    assert {d.key: d.new_category for d in a.decisions} == {
        d.key: d.new_category for d in b.decisions}
    assert a.counts_after == b.counts_after
