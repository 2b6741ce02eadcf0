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

@st.composite
def years(draw):
    """A year's townships: categories, competition ranks (with ties), some unranked."""
    n = draw(st.integers(min_value=1, max_value=40))
    categories = draw(st.lists(st.sampled_from([1, 2, 3]), min_size=n, max_size=n))
    # group sizes → competition ranks 1, 2, 2, 4 …
    ranks, position = [], 1
    while len(ranks) < n:
        size = draw(st.integers(min_value=1, max_value=min(4, n - len(ranks))))
        ranks.extend([position] * size)
        position += size
    unranked = draw(st.sets(st.integers(min_value=0, max_value=n - 1), max_size=n // 3))
    entries = [
        Entry(key=i, category=categories[i], rank=None if i in unranked else ranks[i])
        for i in range(n)
    ]
    ranked_count = n - len(unranked)
    promote = draw(st.integers(min_value=0, max_value=max(0, ranked_count)))
    demote = draw(st.integers(min_value=0, max_value=max(0, ranked_count - promote)))
    return entries, promote, demote


@settings(max_examples=300, deadline=None)
@given(years())
def test_invariants_one_step_and_bounds(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    assert result.ok
    for d in result.decisions:
        assert abs(d.new_category - d.old_category) <= 1
        assert 1 <= d.new_category <= 3
    assert sum(result.counts_after.values()) == sum(result.counts_before.values())


@settings(max_examples=300, deadline=None)
@given(years())
def test_invariant_promotion_zone_is_top_n_extended_by_a_starting_tie(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    ranks = [e.rank for e in entries if e.rank is not None]
    for d in result.decisions:
        if d.rank is None:
            continue
        better = sum(1 for r in ranks if r < d.rank)
        in_zone = d.move in (Move.PROMOTED, Move.KEPT_AT_TOP)
        assert in_zone == (better < promote)


@settings(max_examples=300, deadline=None)
@given(years())
def test_invariant_tie_groups_move_together_and_demotion_never_exceeds_its_count(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    in_demotion = [d for d in result.decisions if d.move in (Move.DEMOTED, Move.KEPT_AT_BOTTOM)]
    assert len(in_demotion) <= demote
    zone_of_rank = {}
    for d in result.decisions:
        if d.rank is None:
            continue
        zone = ("up" if d.move in (Move.PROMOTED, Move.KEPT_AT_TOP)
                else "down" if d.move in (Move.DEMOTED, Move.KEPT_AT_BOTTOM) else "none")
        assert zone_of_rank.setdefault(d.rank, zone) == zone


@settings(max_examples=200, deadline=None)
@given(years())
def test_invariant_unranked_keep_their_category(year):
    entries, promote, demote = year
    result = reclassify(entries, promote_count=promote, demote_count=demote)
    for d in result.decisions:
        if d.rank is None:
            assert d.new_category == d.old_category and d.move is Move.UNRANKED


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
