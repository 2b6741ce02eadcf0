"""The yearly up-or-down reclassification rule, as a pure function.

No database here: the service loads plain data, calls :func:`reclassify`, and saves.
The rule is specified in DOMAIN.md ("The yearly reclassification rule").
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from django.utils import translation
from django.utils.translation import gettext as _

from townships.models import Category


class Move(StrEnum):
    PROMOTED = "promoted"
    DEMOTED = "demoted"
    KEPT = "kept"  # ranked, outside both zones
    KEPT_AT_TOP = "kept_at_top"  # in the promotion zone but already category 1
    KEPT_AT_BOTTOM = "kept_at_bottom"  # in the demotion zone but already category 3
    UNRANKED = "unranked"  # no assessment result: keeps its category ("未参评")
    CONFLICT = "conflict"  # in both zones: an error, nothing moves


# Entries and decisions are named tuples: at 40,000 townships building frozen
# dataclasses took a third of the rule's time.
class Entry(NamedTuple):
    key: Hashable
    category: int | None
    rank: int | None
    label: str = ""


class Decision(NamedTuple):
    key: Hashable
    label: str
    rank: int | None
    old_category: int | None
    new_category: int | None
    move: Move
    ranked_count: int

    @property
    def changed(self) -> bool:
        return self.old_category != self.new_category

    @property
    def reason(self) -> str:
        return _reason(self, _texts(translation.get_language()))


def reasons(decisions: Iterable[Decision]) -> dict[Hashable, str]:
    """Each decision's reason by key, in the active language, translated once for all."""
    texts = _texts(translation.get_language())
    return {d.key: _reason(d, texts) for d in decisions}


def _reason(decision: Decision, texts: dict) -> str:
    old = texts["labels"][decision.old_category]
    if decision.move is Move.UNRANKED:
        return texts["unranked"] % {"old": old}
    position = texts["position"] % {"rank": decision.rank, "total": decision.ranked_count}
    if decision.move is Move.PROMOTED or decision.move is Move.DEMOTED:
        return f"{position}，{old}→{texts['labels'][decision.new_category]}"
    return texts[decision.move] % {"position": position, "old": old}


@functools.lru_cache(maxsize=8)
def _texts(language: str | None) -> dict:
    """The reason patterns translated once per language, not once per township."""
    return {
        "labels": {None: _("no category"),
                   **{c: str(Category(c).label) for c in Category.values}},
        "unranked": _("Not assessed (未参评), stays %(old)s"),
        "position": _("Rank %(rank)s of %(total)s"),
        Move.KEPT_AT_TOP: _("%(position)s, promotion zone, already %(old)s"),
        Move.KEPT_AT_BOTTOM: _("%(position)s, demotion zone, already %(old)s"),
        Move.CONFLICT: _("%(position)s, in both the promotion and the demotion zone"),
        Move.KEPT: _("%(position)s, stays %(old)s"),
    }


@dataclass(frozen=True)
class Result:
    decisions: tuple[Decision, ...]
    counts_before: dict[int, int]
    counts_after: dict[int, int]
    ranked_count: int
    promote_count: int
    demote_count: int
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changes(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.changed)

    @property
    def promoted(self) -> int:
        return sum(1 for d in self.decisions if d.move is Move.PROMOTED)

    @property
    def demoted(self) -> int:
        return sum(1 for d in self.decisions if d.move is Move.DEMOTED)


def _counts(categories: Iterable[int | None]) -> dict[int, int]:
    counter = Counter(c for c in categories if c is not None)
    return {c: counter.get(c, 0) for c in Category.values}


def reclassify(entries: Iterable[Entry], *, promote_count: int, demote_count: int) -> Result:
    """Apply the rule to one year's categories and ranks.

    Competition ranking is assumed (ties share a rank, the next rank skips), but the
    zones are computed from counts of townships, so any ranks give a defined result.
    """
    entries = sorted(entries, key=lambda e: (e.rank is None, e.rank or 0, str(e.key)))
    errors: list[str] = []
    if promote_count < 0 or demote_count < 0:
        errors.append(_("The promote and demote counts cannot be negative."))

    keys = Counter(e.key for e in entries)
    duplicated = sorted(str(k) for k, n in keys.items() if n > 1)
    if duplicated:
        errors.append(_("Townships listed twice: %(keys)s") % {"keys": ", ".join(duplicated)})

    ranked = [e for e in entries if e.rank is not None]
    for entry in ranked:
        if entry.category is None:
            errors.append(
                _("%(label)s is ranked but has no category; set one first.")
                % {"label": entry.label or entry.key}
            )
    ranked_count = len(ranked)
    if promote_count + demote_count > ranked_count:
        errors.append(
            _("Promote count %(p)s plus demote count %(d)s exceeds the %(n)s ranked townships.")
            % {"p": promote_count, "d": demote_count, "n": ranked_count}
        )

    rank_counts = Counter(e.rank for e in ranked)
    # How many townships rank strictly better than each rank: one pass, not one per entry.
    better_than, seen = {}, 0
    for rank in sorted(rank_counts):
        better_than[rank] = seen
        seen += rank_counts[rank]
    first, third = int(Category.FIRST), int(Category.THIRD)
    decisions = []
    append = decisions.append
    for key, old, rank, label in entries:
        if rank is None:
            append(Decision(key, label, None, old, old, Move.UNRANKED, ranked_count))
            continue
        better = better_than[rank]
        ties = rank_counts[rank]
        worse = ranked_count - better - ties
        in_promotion = better < promote_count
        in_demotion = worse + ties <= demote_count
        # Both zones at once is only possible when promote + demote exceeds the ranked
        # count, which is reported above; such a township does not move.
        new = old
        if old is None:
            move = Move.KEPT
        elif in_promotion and in_demotion:
            move = Move.CONFLICT
        elif in_promotion:
            move = Move.KEPT_AT_TOP if old == first else Move.PROMOTED
            new = max(first, old - 1)
        elif in_demotion:
            move = Move.KEPT_AT_BOTTOM if old == third else Move.DEMOTED
            new = min(third, old + 1)
        else:
            move = Move.KEPT
        append(Decision(key, label, rank, old, new, move, ranked_count))

    return Result(
        decisions=tuple(decisions),
        counts_before=_counts(e.category for e in entries),
        counts_after=_counts(d.new_category for d in decisions),
        ranked_count=ranked_count,
        promote_count=promote_count,
        demote_count=demote_count,
        errors=tuple(errors),
    )
