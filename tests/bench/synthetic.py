"""Synthetic townships, categories, rankings and fund years for the benchmarks.

``python tests/bench/bench.py --generate N [YEARS]`` fills the database of DATABASE_URL.

Everything it writes is marked: township codes start with ``99``, which no province's
code does (real codes begin with the province, 11–82), and are digits like real ones;
fund years are illustrative and say so in their notes. It refuses a database that holds
anything else, so a typo in DATABASE_URL cannot mix test data into real records.
"""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from funds.models import Expenditure, FundYear, PlanScenario
from townships.models import (
    AssessmentResult,
    CategorySource,
    Township,
    TownshipCategory,
)

CODE_PREFIX = "99"  # 12 digits in all: 99 and the number
NOTE = "synthetic data (tests/bench/synthetic.py), not real"


class SyntheticRefused(Exception):
    pass


def _real_data_present() -> list[str]:
    found = []
    if Township.objects.exclude(code__startswith=CODE_PREFIX).exists():
        found.append("townships with official codes")
    if FundYear.objects.exclude(notes=NOTE).exists():
        found.append("fund years")
    if Expenditure.objects.exists():
        found.append("expenditures")
    if get_user_model().objects.exclude(username__startswith="bench").exists():
        found.append("user accounts")
    return found


def synthetic_generate(*, townships: int, years: int, start_year: int = 2020,
                       seed: int = 1) -> dict:
    """Replace the synthetic data with ``townships`` units over ``years`` years."""
    found = _real_data_present()
    if found:
        raise SyntheticRefused("this database holds real data (" + ", ".join(found) +
                               "); synthetic data only fill a separate database")
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        AssessmentResult.objects.all().delete()
        TownshipCategory.objects.all().delete()
        from townships.models import AuditEvent, CategoryChange, Reclassification

        CategoryChange.objects.all().delete()
        Reclassification.objects.all().delete()
        AuditEvent.objects.all().delete()
        FundYear.objects.update(adopted_scenario=None)
        PlanScenario.objects.all().delete()  # and their lines
        Township.objects.all().delete()
        FundYear.objects.all().delete()
        units = Township.objects.bulk_create(
            (Township(code=f"{CODE_PREFIX}{i:010d}", name=f"合成乡镇{i}",
                      kind="town" if i % 3 else "township") for i in range(1, townships + 1)),
            batch_size=2000,
        )
        # The article's proportions: 17/15/12万 standards, about 40/30/30 % of units.
        fund = Decimal(townships) * Decimal("140000.00")
        FundYear.objects.bulk_create(
            FundYear(year=start_year + y, special_fund=fund, is_illustrative=True, notes=NOTE,
                     promote_count=max(1, townships // 10), demote_count=max(1, townships // 10))
            for y in range(years))
        first = {t.pk: 1 if i < 0.4 * townships else 2 if i < 0.7 * townships else 3
                 for i, t in enumerate(units)}
        categories = []
        for y in range(years):
            for pk, category in first.items():
                step = rng.choice((-1, 0, 0, 0, 1)) if y else 0
                categories.append(TownshipCategory(
                    township_id=pk, year=start_year + y, category=min(3, max(1, category + step)),
                    source=CategorySource.INITIAL, reason=NOTE, changed_at=now))
        TownshipCategory.objects.bulk_create(categories, batch_size=5000)
        results = []
        for y in range(years):
            order = list(first)
            rng.shuffle(order)
            results += [AssessmentResult(township_id=pk, year=start_year + y, rank=r,
                                         score=Decimal(100 - 60 * r / townships).quantize(
                                             Decimal("0.01")))
                        for r, pk in enumerate(order, start=1)]
        AssessmentResult.objects.bulk_create(results, batch_size=5000)
    # Fresh statistics after a bulk load, as autovacuum would give them later: without
    # them PostgreSQL plans the first queries as if the tables were empty.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"townships": townships, "years": years, "categories": len(categories),
            "results": len(results)}
