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

from funds.models import DEFAULT_SPENDING_CATEGORIES, FundYear, SpendingCategory
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


#: The account that loads the demo data (no password: nobody logs in as it).
DEMO_OPERATOR = "demo-data"


def _read(name: str) -> tuple[bytes, str]:
    path = Path(DEMO_DIR) / name
    return path.read_bytes(), path.name


def demo_operator():
    """The account the demo data are loaded as: every audited write names its actor."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_OPERATOR, defaults={"is_superuser": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def demo_data_load() -> list[str]:
    """Load what is missing; report what was done."""
    done = []
    operator = demo_operator()
    if not Township.objects.exists():
        created, _updated = townships_load(path=settings.TOWNSHIPS_FILE, acting_user=operator)
        done.append(f"{created} townships loaded from {settings.TOWNSHIPS_FILE.name}")
    fund_year_2020()
    for order, name in enumerate(DEFAULT_SPENDING_CATEGORIES, start=1):
        SpendingCategory.objects.get_or_create(name=name, defaults={"sort_order": order * 10})
    if not TownshipCategory.objects.filter(year=DEMO_YEAR).exists():
        data, name = _read("categories-2020.csv")
        rows = imports.parse_categories(data, name, year=DEMO_YEAR)
        categories_import(year=DEMO_YEAR, rows=rows, acting_user=operator, source_name=name,
                          reason="示例数据：2020年类别为示意分配（20/16/16），非官方")
        TownshipCategory.objects.filter(year=DEMO_YEAR).update(source="initial")
        done.append(f"{len(rows)} illustrative categories of {DEMO_YEAR}")
    if not AssessmentResult.objects.filter(year=DEMO_YEAR).exists():
        data, name = _read("rankings-2020.csv")
        rows = imports.parse_rankings(data, name, year=DEMO_YEAR)
        assessment_results_replace(year=DEMO_YEAR, rows=rows, acting_user=operator,
                                   source_name=name)
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


# --- An illustrative year of spending ---------------------------------------------------

#: A valid one-page PDF, so that demo vouchers open in a browser.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _pdf(name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


@transaction.atomic
def demo_spending_load() -> list[str]:
    """Illustrative expenditures of 2020 through every state, with a large one and its
    collective decision, one returned for changes, one rejected, and an inspection.
    Needs the demo accounts; runs once (nothing happens when any expenditure exists)."""
    import datetime

    from funds.models import Expenditure
    from funds.spending import services as spending

    User = get_user_model()
    if Expenditure.objects.exists():
        return []
    clerk, staff, admin = (User.objects.get(username=n) for n in ("clerk", "staff", "admin"))
    category = {c.name: c for c in SpendingCategory.objects.all()}
    taiping = Township.objects.get(name=CLERK_TOWNSHIP)
    others = list(Township.objects.in_service(DEMO_YEAR).exclude(pk=taiping.pk)
                  .order_by("code")[:3])

    def record(township, day, amount, category_name, purpose, payee, by):
        return spending.expenditure_create(
            township=township, date=datetime.date(DEMO_YEAR, *day), amount=Decimal(amount),
            category=category[category_name], purpose=purpose, payee=payee, acting_user=by)

    def through(expenditure, by, *, reimburse=True):
        spending.voucher_add(expenditure=expenditure, kind="invoice",
                             upload=_pdf("发票.pdf"), acting_user=by)
        spending.expenditure_submit(expenditure=expenditure, acting_user=by)
        spending.expenditure_approve(expenditure=expenditure, acting_user=staff)
        if reimburse:
            spending.expenditure_reimburse(expenditure=expenditure, acting_user=staff)

    # 太平镇, the demo clerk's township: a full year in every state.
    through(record(taiping, (3, 20), "8600.00", "教育培训", "春季党员集中轮训（示例）",
                   "万源市委党校", clerk), clerk)
    through(record(taiping, (5, 8), "3250.50", "组织生活和主题活动",
                   "“七一”主题党日活动（示例）", "太平镇供销社", clerk), clerk)
    large = record(taiping, (6, 15), "38000.00", "阵地建设", "村级党群服务中心改造（示例）",
                   "万源市某建筑公司", clerk)
    spending.decision_record(
        expenditure=large, meeting_type="party_committee",
        meeting_date=datetime.date(DEMO_YEAR, 6, 10),
        attendance="应到9人，实到8人（示例）", minutes_reference="太平党委纪〔2020〕12号（示例）",
        acting_user=clerk)
    through(large, clerk, reimburse=False)
    returned = record(taiping, (7, 1), "2400.00", "关怀慰问党员", "慰问困难党员（示例）",
                      "困难党员（12人）", clerk)
    spending.expenditure_submit(expenditure=returned, acting_user=clerk)
    spending.expenditure_return(expenditure=returned, acting_user=staff,
                                note="请补充签到表和慰问名单（示例）")
    waiting = record(taiping, (9, 12), "1800.00", "表彰激励", "表彰优秀共产党员（示例）",
                     "获表彰党员", clerk)
    spending.expenditure_submit(expenditure=waiting, acting_user=clerk)
    record(taiping, (10, 9), "960.00", "其他", "党建资料印刷（草稿，示例）", "印刷厂", clerk)

    # Three other townships, entered by the administrator.
    rejected = record(others[0], (4, 2), "5200.00", "其他", "购置办公桌椅（示例：不属党建开支）",
                      "家具店", admin)
    spending.expenditure_submit(expenditure=rejected, acting_user=admin)
    spending.expenditure_reject(expenditure=rejected, acting_user=staff,
                                note="办公家具不属于党建专项经费开支范围（示例）")
    through(record(others[1], (4, 18), "9200.00", "教育培训", "村干部能力提升培训（示例）",
                   "培训机构", admin), admin)
    through(record(others[2], (8, 26), "4100.00", "组织生活和主题活动",
                   "红色教育现场教学（示例）", "红军纪念馆", admin), admin)

    inspection = spending.inspection_record(
        date=datetime.date(DEMO_YEAR, 10, 20), inspectors="市委组织部、市财政局联合检查组（示例）",
        townships=[taiping, others[0]], notes="2020年度党建经费使用专项检查（示例）",
        acting_user=staff)
    spending.finding_add(inspection=inspection, township=taiping,
                         description="部分活动签到表缺少参会人员签名（示例）",
                         deadline=datetime.date(DEMO_YEAR, 11, 30),
                         expenditures=[Expenditure.objects.get(purpose__startswith="春季")],
                         acting_user=staff)
    closed = spending.finding_add(inspection=inspection, township=others[0],
                                  description="开支范围把关不严（示例）",
                                  deadline=datetime.date(DEMO_YEAR, 11, 15), acting_user=staff)
    spending.finding_close(finding=closed, closure_note="已组织经办人员学习开支范围规定（示例）",
                           acting_user=staff)
    return [f"illustrative {DEMO_YEAR} spending: {Expenditure.objects.count()} expenditures, "
            "1 inspection"]
