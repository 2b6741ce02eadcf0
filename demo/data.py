"""Demo data, for a developer's machine and a demonstration only (DEMO_MODE).

Three illustrative years across Wanyuan's 2020 merger (52 → 31 units), loaded through the
same services as the pages and the commands, so that every category, ranking,
reclassification and expenditure is audited and consistent:

- 2019: illustrative categories (19/18/15) and ranking; its reclassification gives 2020
  exactly the article's split, 一类 20 / 二类 16 / 三类 16;
- 2020: the article's fund year (3万 floor, 669万 fund, 17/15/12万), an illustrative ranking
  with ties at both cuts, the merger (25 units end in 2020, 4 new ones start in 2021), and
  its reclassification to the 27 units that go on;
- 2021: the 4 new units' first categories set by the administrator, and a ranking of the
  31 units whose reclassification is left for the visitor to preview and apply;
- expenditures in every year, through every state.

``demo_data_load`` alone gives the 2020 year as the article has it (the tests' fixture);
``demo_history_load`` gives the three years (``setup_demo``, ``make run``). Running either
again changes nothing.
"""

from __future__ import annotations

import datetime
import io
import secrets
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from funds.models import DEFAULT_SPENDING_CATEGORIES, Expenditure, FundYear, SpendingCategory
from funds.spending import services as spending
from funds.yearly import services as fund_services
from townships import imports, roles
from townships.models import (
    AssessmentResult,
    Category,
    CategorySource,
    Township,
    TownshipCategory,
    TownshipClerk,
)
from townships.reference import townships_load
from townships.services import (
    assessment_results_replace,
    categories_import,
    township_category_set,
)

DEMO_DIR = settings.BASE_DIR / "fixtures" / "demo"
DEMO_YEAR = 2020
HISTORY_YEARS = (2019, 2020, 2021)
CLERK_TOWNSHIP = "太平镇"

DEMO_ACCOUNTS = [
    # username, group, is_staff (may open the admin; what they can do there is by group)
    ("admin", roles.ADMINISTRATORS, True),
    ("staff", roles.STAFF, True),
    ("finance", roles.FINANCE, True),
    ("clerk", roles.CLERKS, False),
]
#: Their real names (姓, 名), made up, so that pages show people as they will in use.
DEMO_NAMES = {"admin": ("李", "明"), "staff": ("张", "华"), "finance": ("王", "芳"),
              "clerk": ("赵", "强")}

#: The first categories of the units the 2020 merger opened in 2021: an administrator
#: sets them, the rule never guesses them (illustrative, like every demo category).
NEW_UNITS_2021 = {
    "古东关街道": Category.FIRST,
    "永宁镇": Category.SECOND,
    "固军镇": Category.SECOND,
    "黑宝山镇": Category.THIRD,
}


def _fund_year(year: int, notes: str) -> FundYear:
    """The article's figures: 3万 floor, 669万 fund, 17/15/12万 standards."""
    fund_year, _created = FundYear.objects.get_or_create(
        year=year,
        defaults={
            "floor_amount": Decimal("30000.00"),
            "special_fund": Decimal("6690000.00"),
            "standard_first": Decimal("170000.00"),
            "standard_second": Decimal("150000.00"),
            "standard_third": Decimal("120000.00"),
            "is_illustrative": True,
            "notes": notes,
        },
    )
    return fund_year


def fund_year_2020() -> FundYear:
    return _fund_year(DEMO_YEAR, "示例数据：金额来自2020年3月17日万源市“五大工程”报道；"
                                 "各乡镇类别与排名为示意，非官方。")


#: The account that loads the reference data (no password: nobody logs in as it).
DEMO_OPERATOR = "demo-data"


def _read(name: str) -> tuple[bytes, str]:
    path = Path(DEMO_DIR) / name
    return path.read_bytes(), path.name


def _categories_load(year: int, reason: str, acting_user) -> list[str]:
    """A year's illustrative first categories, from the demo file, through the import."""
    if TownshipCategory.objects.filter(year=year).exists():
        return []
    data, name = _read(f"categories-{year}.csv")
    rows = imports.parse_categories(data, name, year=year)
    categories_import(year=year, rows=rows, acting_user=acting_user, source_name=name,
                      reason=reason)
    TownshipCategory.objects.filter(year=year).update(source=CategorySource.INITIAL)
    return [f"{len(rows)} illustrative categories of {year}"]


def _ranking_load(year: int, acting_user) -> list[str]:
    if AssessmentResult.objects.filter(year=year).exists():
        return []
    data, name = _read(f"rankings-{year}.csv")
    rows = imports.parse_rankings(data, name, year=year)
    assessment_results_replace(year=year, rows=rows, acting_user=acting_user, source_name=name)
    return [f"illustrative {year} ranking of {len(rows)} townships"]


def demo_operator():
    """The account that loads the reference data of the demo (every audited write names
    its actor): a superuser without a password, so nobody logs in as it."""
    user, created = get_user_model().objects.get_or_create(
        username=DEMO_OPERATOR, defaults={"is_superuser": True})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def reference_load() -> list[str]:
    """The real township list (when there is none yet) and the spending categories."""
    done = []
    if not Township.objects.exists():
        created, _updated = townships_load(path=settings.TOWNSHIPS_FILE,
                                           acting_user=demo_operator())
        done.append(f"{created} townships loaded from {settings.TOWNSHIPS_FILE.name}")
    for order, name in enumerate(DEFAULT_SPENDING_CATEGORIES, start=1):
        SpendingCategory.objects.get_or_create(name=name, defaults={"sort_order": order * 10})
    return done


@transaction.atomic
def demo_data_load() -> list[str]:
    """The 2020 year alone, as the article has it: load what is missing, report it."""
    done = reference_load()
    fund_year_2020()
    done += _categories_load(DEMO_YEAR, "示例数据：2020年类别为示意分配（20/16/16），非官方",
                             demo_operator())
    done += _ranking_load(DEMO_YEAR, demo_operator())
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
        last_name, first_name = DEMO_NAMES[username]
        user = User.objects.create_user(username=username, password=password, is_staff=is_staff,
                                        last_name=last_name, first_name=first_name)
        user.groups.add(Group.objects.get(name=group_name))
        if group_name == roles.CLERKS:
            TownshipClerk.objects.create(
                user=user, township=Township.objects.get(name=CLERK_TOWNSHIP))
    return [a[0] for a in missing], password if generated else None


def demo_accounts_password_set(password: str) -> list[str]:
    """Give every demo account that exists this password; returns their names."""
    User = get_user_model()
    names = []
    for user in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]):
        user.set_password(password)
        user.save(update_fields=["password"])
        names.append(user.username)
    return sorted(names)


def demo_accounts_password_is(password: str) -> bool:
    """Whether the demo administrator's password is this one (no account: True)."""
    admin = get_user_model().objects.filter(username=DEMO_ACCOUNTS[0][0]).first()
    return admin is None or admin.check_password(password)


# --- Three years across the merger ------------------------------------------------------


@transaction.atomic
def demo_history_load() -> list[str]:
    """2019, 2020 and 2021 as the module's docstring tells, once, all or nothing.

    Needs the demo accounts: the administrator imports, applies and sets categories,
    the clerk and the administrator record expenditures, the staff member approves,
    finance records the payments.
    A database that holds other data already (an earlier demo, a real county) is left
    alone, with a line saying so.
    """
    if FundYear.objects.filter(year=HISTORY_YEARS[0]).exists():
        return []
    if FundYear.objects.exists():
        return [f"fund years exist but no {HISTORY_YEARS[0]}: the three-year demo is not "
                "loaded over them (delete db.sqlite3 and run `make run` again for it)"]
    done = reference_load()
    admin = get_user_model().objects.get(username="admin")
    _fund_year(2019, "示例数据：2019年金额沿用2020年报道的标准；各乡镇类别与排名为示意，非官方。")
    fund_year_2020()  # before 2019's reclassification, which would copy 2019's figures
    done += _categories_load(2019, "示例数据：2019年类别为示意分配（19/18/15），非官方", admin)
    done += _ranking_load(2019, admin)
    record = fund_services.reclassification_apply(year=2019, acting_user=admin)
    done.append(f"2019 ranking applied to 2020: {record.promoted} promoted, "
                f"{record.demoted} demoted")
    done += _ranking_load(2020, admin)
    out = io.StringIO()  # Wanyuan's 2020 reform, from 2021 on
    call_command("apply_merger", "--user", admin.username, stdout=out)
    done.append(out.getvalue().strip())
    record = fund_services.reclassification_apply(year=2020, acting_user=admin)
    done.append(f"2020 ranking applied to 2021: {record.promoted} promoted, "
                f"{record.demoted} demoted")
    for name, category in NEW_UNITS_2021.items():
        township_category_set(
            township=Township.objects.get(name=name), year=2021, category=category,
            reason="乡镇合并后新设，首年类别由市委组织部研究确定（示例）", acting_user=admin)
    done.append(f"first 2021 categories of the {len(NEW_UNITS_2021)} new units")
    done += _ranking_load(2021, admin)
    done += demo_spending_load()
    done += demo_performance_load()
    return done


def demo_performance_load() -> list[str]:
    """The 2020 绩效 cycle as a county would leave it: the target sheet from the library
    with its budget date, the actual values computed from the demo's records, the
    qualitative answers and the survey entered, the reasons given where a row scored below
    its weight, the corrective measures of the monitoring, and the self-evaluation filed."""
    from funds.models import Indicator, TargetSheet
    from funds.performance import services as performance
    from funds.performance.selectors import sheet_view

    fund_year = FundYear.objects.filter(year=DEMO_YEAR).first()
    if fund_year is None or TargetSheet.objects.filter(fund_year=fund_year).exists():
        return []
    admin = get_user_model().objects.get(username="admin")
    sheet = performance.sheet_start(fund_year=fund_year, acting_user=admin)
    performance.actuals_compute(sheet=sheet, acting_user=admin)
    entered = {"经费审批流程规范性": {"answer": "achieved", "percent": Decimal("95")},
               "对基层党组织正常运转的保障作用": {"answer": "partial", "percent": Decimal("75")},
               "服务对象满意度": {"actual": Decimal("92.40")},
               "资金下达及时性": {"actual": Decimal("21"), "source": ""}}
    rows = []
    for row in sheet.indicators.order_by("position"):
        data = {f: getattr(row, f) for f in performance.INDICATOR_FIELDS}
        rows.append({**data, "id": row.pk, **entered.get(row.name, {})})
    performance.sheet_update(sheet=sheet, indicators=rows, acting_user=admin, values={
        "achieved": "（示例）全年向52个乡镇下达基层党建专项经费，保障乡镇党组织正常运转；"
                    "开展专项检查1次，发现问题已部分整改。",
        "budget_date": datetime.date(2020, 3, 1),
        "monitoring_measures": "（示例）对执行进度慢的乡镇逐一督办，9月底前完成主要支出。"})
    for line in sheet_view(sheet=sheet).lines:
        if line.scored and line.scored.needs_reason:
            Indicator.objects.filter(pk=line.indicator.pk).update(
                deviation_reason="（示例）部分乡镇报账进度慢、整改未全部完成；"
                                 "下一年度按季度督办，整改逾期的纳入考核。")
    performance.sheet_file(sheet=sheet, acting_user=admin)
    view = sheet_view(sheet=sheet)
    return [f"2020 performance self-evaluation filed: {view.score.total} ({view.score.grade})"]


# --- Illustrative spending ----------------------------------------------------------------

#: A valid one-page PDF, so that demo vouchers open in a browser.
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _pdf(name):
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


class _Spender:
    """Records, submits, approves and reimburses through the spending services: the
    staff member approves, finance records the payment."""

    def __init__(self, year: int):
        User = get_user_model()
        self.year = year
        self.clerk, self.staff, self.admin, self.finance = (
            User.objects.get(username=n) for n in ("clerk", "staff", "admin", "finance"))
        self.category = {c.name: c for c in SpendingCategory.objects.all()}

    def record(self, township, day, amount, category_name, purpose, payee, by):
        return spending.expenditure_create(
            township=township, date=datetime.date(self.year, *day), amount=Decimal(amount),
            category=self.category[category_name], purpose=purpose, payee=payee,
            acting_user=by)

    def through(self, expenditure, by, *, approve=True, reimburse=True):
        spending.voucher_add(expenditure=expenditure, kind="invoice",
                             upload=_pdf("发票.pdf"), acting_user=by)
        spending.expenditure_submit(expenditure=expenditure, acting_user=by)
        if approve:
            spending.expenditure_approve(expenditure=expenditure, acting_user=self.staff)
        if approve and reimburse:
            paid = timezone.localdate()  # not before the approval, which is made now
            spending.expenditure_reimburse(
                expenditure=expenditure, acting_user=self.finance, reimbursed_on=paid,
                accounting_voucher=f"记-{paid:%Y%m}-{expenditure.pk:03d}")
        return expenditure


def _others(year: int, taiping, count: int = 3) -> list[Township]:
    return list(Township.objects.in_service(year).exclude(pk=taiping.pk).order_by("code")
                [:count])


@transaction.atomic
def demo_spending_load() -> list[str]:
    """Illustrative expenditures of each demo year that has none yet; needs the accounts.

    2020, the year of the article, goes through every state: a large expenditure with its
    collective decision, one returned for changes, one rejected, one waiting, a draft, and
    an inspection with one finding open and one closed. 2019 is closed: all reimbursed.
    2021 is under way: reimbursed, approved, waiting and a draft.
    """
    done = []
    years = [y for y in FundYear.objects.filter(year__in=HISTORY_YEARS)
             .values_list("year", flat=True)
             if not Expenditure.objects.filter(year=y).exists()]
    loaders = {2019: _spending_2019, DEMO_YEAR: _spending_2020, 2021: _spending_2021}
    for year in sorted(years):
        loaders[year](_Spender(year))
        done.append(f"illustrative {year} spending: "
                    f"{Expenditure.objects.filter(year=year).count()} expenditures")
    return done


def _spending_2019(s: _Spender):
    taiping = Township.objects.get(name=CLERK_TOWNSHIP)
    others = _others(2019, taiping, 4)
    s.through(s.record(taiping, (4, 11), "7200.00", "教育培训", "党员冬训集中学习（示例）",
                       "万源市委党校", s.clerk), s.clerk)
    s.through(s.record(taiping, (6, 28), "2980.00", "组织生活和主题活动",
                       "“七一”重温入党誓词活动（示例）", "太平镇供销社", s.clerk), s.clerk)
    s.through(s.record(taiping, (12, 5), "3600.00", "关怀慰问党员", "年末走访慰问老党员（示例）",
                       "老党员（18人）", s.clerk), s.clerk)
    for township, day, amount, name, purpose, payee in [
        (others[0], (3, 14), "6400.00", "教育培训", "村党支部书记培训（示例）", "培训机构"),
        (others[1], (5, 20), "8800.00", "阵地建设", "党员活动室设施更新（示例）", "家具店"),
        (others[2], (7, 9), "2100.00", "表彰激励", "表彰优秀党员（示例）", "获表彰党员"),
        (others[3], (9, 17), "4500.00", "组织生活和主题活动", "主题党日现场教学（示例）",
         "红军纪念馆"),
    ]:
        s.through(s.record(township, day, amount, name, purpose, payee, s.admin), s.admin)


def _spending_2020(s: _Spender):
    taiping = Township.objects.get(name=CLERK_TOWNSHIP)
    others = _others(DEMO_YEAR, taiping)
    clerk, staff, admin = s.clerk, s.staff, s.admin
    # 太平镇, the demo clerk's township: a full year in every state.
    s.through(s.record(taiping, (3, 20), "8600.00", "教育培训", "春季党员集中轮训（示例）",
                       "万源市委党校", clerk), clerk)
    s.through(s.record(taiping, (5, 8), "3250.50", "组织生活和主题活动",
                       "“七一”主题党日活动（示例）", "太平镇供销社", clerk), clerk)
    large = s.record(taiping, (6, 15), "38000.00", "阵地建设", "村级党群服务中心改造（示例）",
                     "万源市某建筑公司", clerk)
    spending.decision_record(
        expenditure=large, meeting_type="party_committee",
        meeting_date=datetime.date(DEMO_YEAR, 6, 10),
        attendance="应到9人，实到8人（示例）", minutes_reference="太平党委纪〔2020〕12号（示例）",
        acting_user=clerk)
    s.through(large, clerk, reimburse=False)
    returned = s.record(taiping, (7, 1), "2400.00", "关怀慰问党员", "慰问困难党员（示例）",
                        "困难党员（12人）", clerk)
    spending.expenditure_submit(expenditure=returned, acting_user=clerk)
    spending.expenditure_return(expenditure=returned, acting_user=staff,
                                note="请补充签到表和慰问名单（示例）")
    waiting = s.record(taiping, (9, 12), "1800.00", "表彰激励", "表彰优秀共产党员（示例）",
                       "获表彰党员", clerk)
    spending.expenditure_submit(expenditure=waiting, acting_user=clerk)
    s.record(taiping, (10, 9), "960.00", "其他", "党建资料印刷（草稿，示例）", "印刷厂", clerk)

    # Three other townships, entered by the administrator.
    rejected = s.record(others[0], (4, 2), "5200.00", "其他",
                        "购置办公桌椅（示例：不属党建开支）", "家具店", admin)
    spending.expenditure_submit(expenditure=rejected, acting_user=admin)
    spending.expenditure_reject(expenditure=rejected, acting_user=staff,
                                note="办公家具不属于党建专项经费开支范围（示例）")
    s.through(s.record(others[1], (4, 18), "9200.00", "教育培训", "村干部能力提升培训（示例）",
                       "培训机构", admin), admin)
    s.through(s.record(others[2], (8, 26), "4100.00", "组织生活和主题活动",
                       "红色教育现场教学（示例）", "红军纪念馆", admin), admin)

    inspection = spending.inspection_record(
        date=datetime.date(DEMO_YEAR, 10, 20), inspectors="市委组织部、市财政局联合检查组（示例）",
        townships=[taiping, others[0]], notes="2020年度党建经费使用专项检查（示例）",
        acting_user=staff)
    spending.finding_add(inspection=inspection, township=taiping,
                         description="部分活动签到表缺少参会人员签名（示例）",
                         deadline=datetime.date(DEMO_YEAR, 11, 30),
                         expenditures=[Expenditure.objects.get(year=DEMO_YEAR,
                                                               purpose__startswith="春季")],
                         acting_user=staff)
    closed = spending.finding_add(inspection=inspection, township=others[0],
                                  description="开支范围把关不严（示例）",
                                  deadline=datetime.date(DEMO_YEAR, 11, 15), acting_user=staff)
    spending.finding_close(finding=closed, closure_note="已组织经办人员学习开支范围规定（示例）",
                           acting_user=staff)


def _spending_2021(s: _Spender):
    taiping = Township.objects.get(name=CLERK_TOWNSHIP)
    s.through(s.record(taiping, (3, 16), "9400.00", "教育培训", "党史学习教育专题培训（示例）",
                       "万源市委党校", s.clerk), s.clerk)
    s.through(s.record(taiping, (6, 30), "4300.00", "组织生活和主题活动",
                       "建党百年主题党日活动（示例）", "太平镇供销社", s.clerk), s.clerk)
    s.through(s.record(taiping, (8, 12), "2600.00", "关怀慰问党员", "慰问生活困难党员（示例）",
                       "困难党员（10人）", s.clerk), s.clerk, reimburse=False)
    s.through(s.record(taiping, (9, 23), "1500.00", "表彰激励", "表彰“两优一先”（示例）",
                       "获表彰党员", s.clerk), s.clerk, approve=False)
    s.record(taiping, (10, 18), "880.00", "其他", "党建宣传栏制作（草稿，示例）", "广告公司",
             s.clerk)
    for name, day, amount, category, purpose, payee in [
        ("古东关街道", (4, 8), "7600.00", "阵地建设", "新设街道党群服务中心标识（示例）",
         "广告公司"),
        ("永宁镇", (5, 26), "5300.00", "教育培训", "合并后村干部业务培训（示例）", "培训机构"),
        ("官渡镇", (7, 1), "3900.00", "组织生活和主题活动", "建党百年红色观影（示例）", "电影院"),
    ]:
        s.through(s.record(Township.objects.get(name=name), day, amount, category, purpose,
                           payee, s.admin), s.admin)
