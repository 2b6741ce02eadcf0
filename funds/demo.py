"""Demo data: the 2020 fund year of the article, illustrative categories and ranking,
and one account per role. Loaded once; running it again changes nothing."""

from __future__ import annotations

import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from funds.models import FundYear
from townships import imports, roles
from townships.models import AssessmentResult, Township, TownshipCategory, TownshipClerk
from townships.reference import townships_load
from townships.services import assessment_results_replace, categories_import

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"
DEMO_YEAR = 2020
CLERK_TOWNSHIP = "太平镇"

DEMO_ACCOUNTS = [
    # username, group, is_staff (may open the admin; what they can do there is by group)
    ("admin", roles.ADMINISTRATORS, True),
    ("staff", roles.STAFF, True),
    ("finance", roles.FINANCE, True),
    ("clerk", roles.CLERKS, False),
]


def fund_year_2020() -> FundYear:
    """The article's figures: 3万 floor, 669万 fund, 17/15/12万 standards."""
    fund_year, _created = FundYear.objects.get_or_create(
        year=DEMO_YEAR,
        defaults={
            "floor_amount": Decimal("30000.00"),
            "special_fund": Decimal("6690000.00"),
            "standard_first": Decimal("170000.00"),
            "standard_second": Decimal("150000.00"),
            "standard_third": Decimal("120000.00"),
            "is_illustrative": True,
            "notes": "示例数据：金额来自2020年3月17日万源市“五大工程”报道；"
                     "各乡镇类别与排名为示意，非官方。",
        },
    )
    return fund_year


def _read(name: str) -> tuple[bytes, str]:
    path = Path(DEMO_DIR) / name
    return path.read_bytes(), path.name


@transaction.atomic
def demo_data_load() -> list[str]:
    """Load what is missing; report what was done."""
    done = []
    if not Township.objects.exists():
        created, _updated = townships_load(path=settings.TOWNSHIPS_FILE)
        done.append(f"{created} townships loaded from {settings.TOWNSHIPS_FILE.name}")
    fund_year_2020()
    if not TownshipCategory.objects.filter(year=DEMO_YEAR).exists():
        data, name = _read("categories-2020.csv")
        rows = imports.parse_categories(data, name, year=DEMO_YEAR)
        categories_import(year=DEMO_YEAR, rows=rows, acting_user=None, source_name=name,
                          reason="示例数据：2020年类别为示意分配（20/16/16），非官方")
        TownshipCategory.objects.filter(year=DEMO_YEAR).update(source="initial")
        done.append(f"{len(rows)} illustrative categories of {DEMO_YEAR}")
    if not AssessmentResult.objects.filter(year=DEMO_YEAR).exists():
        data, name = _read("rankings-2020.csv")
        rows = imports.parse_rankings(data, name, year=DEMO_YEAR)
        assessment_results_replace(year=DEMO_YEAR, rows=rows, acting_user=None, source_name=name)
        done.append(f"illustrative {DEMO_YEAR} ranking of {len(rows)} townships")
    return done


def demo_accounts_create(password: str | None = None) -> tuple[list[str], str | None]:
    """Create the demo accounts that do not exist yet.

    Returns the names created and the password, generated when none was given and an
    account was created (so it can be printed once), else None.
    """
    User = get_user_model()
    missing = [a for a in DEMO_ACCOUNTS if not User.objects.filter(username=a[0]).exists()]
    if not missing:
        return [], None
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    for username, group_name, is_staff in missing:
        user = User.objects.create_user(username=username, password=password, is_staff=is_staff)
        user.groups.add(Group.objects.get(name=group_name))
        if group_name == roles.CLERKS:
            TownshipClerk.objects.create(
                user=user, township=Township.objects.get(name=CLERK_TOWNSHIP))
    return [a[0] for a in missing], password if generated else None
