"""Writes on townships: categories, assessment results, the reclassification.

Every function runs in one transaction, takes the acting user, and writes its audit
records in the same transaction, whether called from a page, the admin or a command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from townships import rules
from townships.audit import stored_text
from townships.models import (
    AssessmentResult,
    AuditEvent,
    Category,
    CategoryChange,
    CategorySource,
    Reclassification,
    Township,
    TownshipCategory,
)
from townships.roles import require_permission


class ReclassificationError(Exception):
    """The reclassification cannot be applied or reverted; the message says why."""


#: The first key of the PostgreSQL advisory locks taken by ``year_lock``; the second is
#: the year. Any fixed number that no other advisory lock of this database uses ("WYLK").
YEAR_LOCK_KEY = 0x57594C4B


def year_lock(*years: int) -> None:
    """Serialise the writes that a year's reclassification depends on, until commit.

    The lock of year Y guards year Y's ranking, year Y's reclassification (applied or
    not) and the categories of Y+1, which that reclassification writes. So:

    - a ranking import of Y and the revert of Y's reclassification take Y;
    - a category edit or import of year T takes T-1;
    - the apply of Y takes Y-1 (it reads Y's categories) and Y.

    Each of those calls this first in its transaction, before any row lock, and
    re-checks "already applied" only after it, so that two of them never interleave.
    Years are locked in ascending order. On PostgreSQL these are transaction-level
    advisory locks, released at commit or rollback; taking one again in the same
    transaction does not wait. SQLite lets one writing transaction in at a
    time (``transaction_mode`` IMMEDIATE, see settings.DATABASES), which serialises
    them already.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("year_lock() holds until the transaction ends: call it inside one")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for year in sorted(set(years)):
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [YEAR_LOCK_KEY, year])




#: Checks of a change of a year's categories registered by other apps (townships never
#: imports funds; funds registers the one rule that no change leaves a township's
#: remaining budget below zero unconfirmed). Each is called as
#: ``check(year=, categories={township id: new category}, reason=, confirmed=)`` inside
#: the change's transaction, after the year lock; it raises ValidationError to refuse
#: and returns what the change's record keeps (a dict, empty when there is nothing).
CATEGORY_CHANGE_CHECKS: list[Callable[..., dict]] = []


def category_change_check(*, year: int, categories: dict[int, int], reason: str = "",
                          confirmed: bool = False) -> dict:
    """Run the registered checks of a change of categories; what they ask to record."""
    note: dict = {}
    for check in CATEGORY_CHANGE_CHECKS:
        note.update(check(year=year, categories=categories, reason=(reason or "").strip(),
                          confirmed=confirmed))
    return note


def township_category_set(
    *,
    township: Township,
    year: int,
    category: int,
    reason: str,
    acting_user: User,
    source: str = CategorySource.MANUAL,
    confirmed: bool = False,
    checked: bool = False,
) -> TownshipCategory:
    """Set one township's category for a year and record the change. A change that
    leaves the township's remaining budget below zero needs ``confirmed`` (and the
    reason); ``checked``: the caller (an import) ran the checks for all its rows."""
    require_permission(acting_user, "townships.change_townshipcategory")
    reason = (reason or "").strip()
    if source == CategorySource.MANUAL and not reason:
        raise ValidationError({"reason": _("A reason is required to change a category.")})
    if category not in Category.values:
        raise ValidationError({"category": _("Unknown category.")})
    with transaction.atomic():
        # year-1's reclassification writes this year's categories; its apply or revert
        # and this edit do not interleave (an edit after the apply is allowed, audited).
        year_lock(year - 1)
        # A merger ends units under the locks of its own first years, not of this one:
        # the township's row, which the merger updates, is where the two meet. Read
        # under it, the unit's life span is the one the merger committed.
        township = Township.objects.select_for_update(no_key=True).get(pk=township.pk)
        if not township.in_service(year):
            raise ValidationError(
                _("%(township)s is not in service in %(year)s.")
                % {"township": township, "year": year})
        now = timezone.now()
        current = (
            TownshipCategory.objects.select_for_update()
            .filter(township=township, year=year).first()
        )
        old = current.category if current else None
        if current is None:
            current = TownshipCategory(township=township, year=year)
        elif old == category:
            return current
        if not checked:
            note = category_change_check(year=year, categories={township.pk: category},
                                         reason=reason, confirmed=confirmed)
            if note.get("text"):
                reason = f"{reason} {note['text']}"
        current.category = category
        current.source = source
        current.reason = reason
        current.changed_by = acting_user
        current.changed_at = now
        current.save()
        CategoryChange.objects.create(
            township=township, year=year, old_category=old, new_category=category,
            source=source, reason=reason, changed_by=acting_user, changed_at=now,
        )
        return current


@dataclass(frozen=True)
class CategoryRow:
    township: Township
    category: int


def categories_import(
    *, year: int, rows: Sequence[CategoryRow], acting_user: User, source_name: str,
    reason: str = "", confirmed: bool = False,
) -> int:
    """Set many categories of one year at once; all or nothing. Returns how many changed.
    An import that leaves townships below zero needs ``confirmed`` and a ``reason``."""
    require_permission(acting_user, "townships.change_townshipcategory")
    note = reason.strip() or stored_text(
        lambda: _("Imported from %(file)s") % {"file": source_name}
    )
    changed = 0
    with transaction.atomic():
        year_lock(year - 1)  # as township_category_set, before reading what is there
        existing = dict(
            TownshipCategory.objects.filter(year=year, township__in=[r.township for r in rows])
            .values_list("township_id", "category")
        )
        changes = {r.township.pk: r.category for r in rows
                   if existing.get(r.township.pk) != r.category}
        checked = category_change_check(year=year, categories=changes, reason=reason,
                                        confirmed=confirmed)
        for row in rows:
            if row.township.pk not in changes:
                continue
            township_category_set(
                township=row.township, year=year, category=row.category,
                reason=f"{note} {checked['text']}" if checked.get("text") else note,
                acting_user=acting_user, source=CategorySource.IMPORT, checked=True,
            )
            changed += 1
        AuditEvent.objects.create(
            action=AuditEvent.Action.CATEGORIES_IMPORTED, year=year, actor=acting_user,
            summary=stored_text(
                lambda: _("%(rows)s rows from %(file)s, %(changed)s categories changed")
                % {"rows": len(rows), "file": source_name, "changed": changed}
            ),
            details={"file": source_name, "rows": len(rows), "changed": changed,
                     **{k: v for k, v in checked.items() if k != "text"}},
        )
    return changed


@dataclass(frozen=True)
class RankingRow:
    township: Township
    rank: int
    score: Decimal | None


def assessment_results_replace(
    *, year: int, rows: Sequence[RankingRow], acting_user: User, source_name: str
) -> int:
    """Replace a year's ranking with the given rows; refused once it was applied."""
    require_permission(acting_user, "townships.import_rankings")
    with transaction.atomic():
        year_lock(year)  # an apply in progress ends first; then it is seen below
        if Reclassification.objects.filter(year=year, reverted_at__isnull=True).exists():
            raise ReclassificationError(
                _("The %(year)s reclassification has been applied; revert it before "
                  "importing the ranking again.") % {"year": year}
            )
        previous = list(
            AssessmentResult.objects.filter(year=year)
            .values_list("township__code", "rank", "score")
        )
        AssessmentResult.objects.filter(year=year).delete()
        AssessmentResult.objects.bulk_create(
            AssessmentResult(township=r.township, year=year, rank=r.rank, score=r.score)
            for r in rows
        )
        action = (
            AuditEvent.Action.RANKINGS_REPLACED if previous else AuditEvent.Action.RANKINGS_IMPORTED
        )
        AuditEvent.objects.create(
            action=action, year=year, actor=acting_user,
            summary=stored_text(
                lambda: _("%(rows)s townships ranked from %(file)s") % {
                    "rows": len(rows), "file": source_name,
                }
            ),
            details={
                "file": source_name,
                "rows": len(rows),
                # The replaced ranking is kept in the audit record, so nothing is lost.
                "previous": [[code, rank, str(score) if score is not None else None]
                             for code, rank, score in previous],
            },
        )
    return len(rows)


def reclassification_entries(year: int) -> list[rules.Entry]:
    """The rule's input for a year: every township in service with category and rank.

    One query: the year's category and result are LEFT JOINs, in no order (the rule
    sorts by rank), so that the database may hash-join them.
    """
    rows = Township.objects.in_service_with_year(year).order_by().values_list(
        "pk", "year_category__category", "year_result__rank", "name")
    return [rules.Entry(*row) for row in rows]


def reclassification_preview(*, year: int, promote_count: int, demote_count: int) -> rules.Result:
    return rules.reclassify(
        reclassification_entries(year), promote_count=promote_count, demote_count=demote_count
    )


def reclassification_apply(
    *, year: int, promote_count: int, demote_count: int, acting_user: User
) -> Reclassification:
    """Apply year's ranking: create year+1's categories. One transaction, once per year.

    The year lock keeps the ranking, this year's categories and next year's from
    changing while it reads and writes them; the partial unique constraint on
    Reclassification is the last line of defence if two applications race.
    """
    require_permission(acting_user, "townships.apply_reclassification")
    target = year + 1
    with transaction.atomic():
        year_lock(year - 1, year)
        if Reclassification.objects.filter(year=year, reverted_at__isnull=True).exists():
            raise ReclassificationError(
                _("The %(year)s reclassification has already been applied.") % {"year": year}
            )
        if not AssessmentResult.objects.filter(year=year).exists():
            raise ReclassificationError(_("%(year)s has no ranking yet.") % {"year": year})
        with translation.override(settings.LANGUAGE_CODE):
            result = reclassification_preview(
                year=year, promote_count=promote_count, demote_count=demote_count
            )
            reasons = rules.reasons(result.decisions)
        if not result.ok:
            raise ReclassificationError(" ".join(result.errors))
        now = timezone.now()
        try:
            with transaction.atomic():
                record = Reclassification.objects.create(
                    year=year, promote_count=promote_count, demote_count=demote_count,
                    ranked_count=result.ranked_count, promoted=result.promoted,
                    demoted=result.demoted,
                    counts_before={str(k): v for k, v in result.counts_before.items()},
                    counts_after={str(k): v for k, v in result.counts_after.items()},
                    applied_by=acting_user, applied_at=now,
                )
        except IntegrityError as exc:
            raise ReclassificationError(
                _("The %(year)s reclassification has already been applied.") % {"year": year}
            ) from exc
        in_service_next = set(Township.objects.in_service(target).values_list("pk", flat=True))
        # In township order, so that the (township, year) indexes fill page by page.
        decisions = sorted(
            (d for d in result.decisions
             if d.new_category is not None and d.key in in_service_next),
            key=lambda d: d.key)
        # Categories an administrator already set for year+1 (a unit new after a merger,
        # say) are kept; overwriting one the rule would decide is refused.
        # (The year's few existing rows, compared here: an IN list of every township
        # costs more than the rest of the application at 3,100 townships.)
        already_set = set(TownshipCategory.objects.filter(year=target).values_list(
            "township_id", flat=True)).intersection(d.key for d in decisions)
        if already_set:
            raise ReclassificationError(
                _("%(n)s townships already have a %(target)s category; the reclassification "
                  "would overwrite them.") % {"n": len(already_set), "target": target}
            )
        source = CategorySource.RECLASSIFICATION
        TownshipCategory.objects.bulk_create(
            TownshipCategory(township_id=d.key, year=target, category=d.new_category,
                             source=source, reason=reasons[d.key], changed_by=acting_user,
                             changed_at=now)
            for d in decisions)
        # One translated pattern for every audit row, not one translation per township.
        pattern = stored_text(
            lambda: _("%(reason)s (yearly rule: promote %(p)s, demote %(q)s)"))
        CategoryChange.objects.bulk_create(
            CategoryChange(township_id=d.key, year=target, old_category=d.old_category,
                           new_category=d.new_category, source=source,
                           reason=pattern % {"reason": reasons[d.key], "p": promote_count,
                                             "q": demote_count},
                           changed_by=acting_user, changed_at=now, reclassification=record)
            for d in decisions)
        AuditEvent.objects.create(
            action=AuditEvent.Action.RECLASSIFICATION_APPLIED, year=year, actor=acting_user,
            summary=stored_text(
                lambda: _("%(year)s ranking applied to %(target)s: %(up)s promoted, "
                          "%(down)s demoted") % {
                    "year": year, "target": target, "up": result.promoted,
                    "down": result.demoted,
                }
            ),
            details={"reclassification": record.pk, "counts_after": record.counts_after},
        )
        return record


def reclassification_revert(*, record: Reclassification, reason: str, acting_user: User) -> None:
    """Undo an application while nothing later depends on it."""
    require_permission(acting_user, "townships.apply_reclassification")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to revert.")})
    target = record.year + 1
    with transaction.atomic():
        year_lock(record.year)  # no category edit of year+1 in progress while it checks
        record = Reclassification.objects.select_for_update().get(pk=record.pk)
        if record.reverted_at is not None:
            raise ReclassificationError(_("This reclassification was already reverted."))
        if Reclassification.objects.filter(year=target, reverted_at__isnull=True).exists():
            raise ReclassificationError(
                _("The %(target)s reclassification builds on this one; revert it first.")
                % {"target": target}
            )
        written = TownshipCategory.objects.filter(
            year=target,
            township__in=CategoryChange.objects.filter(reclassification=record)
            .values("township"),
        )
        edited = written.exclude(source=CategorySource.RECLASSIFICATION)
        if edited.exists():
            raise ReclassificationError(
                _("%(n)s categories of %(target)s were changed after the reclassification; "
                  "revert refused.") % {"n": edited.count(), "target": target}
            )
        now = timezone.now()
        rows = list(written.select_related("township"))
        CategoryChange.objects.bulk_create(
            CategoryChange(
                township=row.township, year=target, old_category=row.category,
                new_category=None, source=CategorySource.RECLASSIFICATION,
                reason=stored_text(lambda: _("Reclassification reverted: %(reason)s")
                                    % {"reason": reason}),
                changed_by=acting_user, changed_at=now, reclassification=record,
            )
            for row in rows
        )
        TownshipCategory.objects.filter(pk__in=[row.pk for row in rows]).delete()
        record.reverted_at = now
        record.reverted_by = acting_user
        record.revert_reason = reason
        record.save(update_fields=["reverted_at", "reverted_by", "revert_reason"])
        AuditEvent.objects.create(
            action=AuditEvent.Action.RECLASSIFICATION_REVERTED, year=record.year,
            actor=acting_user, summary=reason, details={"reclassification": record.pk},
        )

