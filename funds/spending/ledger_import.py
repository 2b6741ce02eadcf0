"""Bringing a township's existing ledger (台账) in: the page and
``manage.py import_expenditures`` both call :func:`ledger_import_preview` and then
:func:`ledger_import_confirm`.

Files are read by the machinery of the other imports (:mod:`townships.imports`: size
limit, XLSX bounds, decoding of UTF-8 / GB18030); this module finds the header among
the title rows, reads the ledger's columns by name and checks every row. Nothing is
written until the confirmation, which re-reads the file under the township's lock and
writes all rows or none (docs/domain.md, "What an imported row means").
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.budget.selectors import TownshipBudget, township_budget_get
from funds.models import (
    Expenditure,
    ExpenditureTransition,
    FundYear,
    LedgerImport,
    SpendingCategory,
)
from funds.spending.services import SpendingError, _lock_township
from townships import xlsx
from townships.audit import stored_text
from townships.imports import (
    MAX_BLANK_ROWS,
    MAX_COLUMNS,
    ImportFileError,
    Problem,
    quoted,
    raw_rows,
)
from townships.models import AuditEvent, Township
from townships.roles import require_permission
from wanyuan.money import format_wan, format_yuan

#: Ledger rows read at most (a township records a few hundred a year).
MAX_ROWS = 3000
#: Rows looked at for the header (title rows above it).
HEADER_SEARCH_ROWS = 10
#: Problems listed at most before the rest are counted.
MAX_PROBLEMS = 200
#: The category of rows whose 开支类别 is empty or unknown.
DEFAULT_CATEGORY = "其他"

# Header name → our column. The unit in brackets (金额（元）) is removed before the look-up.
COLUMN_ALIASES = {
    "date": {"日期", "支出日期", "发生日期"},
    "purpose": {"摘要", "用途", "事由"},
    "amount": {"金额", "支出金额", "支出"},
    "payee": {"收款单位", "收款人", "收款单位（人）", "收款单位(人)"},
    "voucher": {"凭证号", "会计凭证号", "凭证编号"},
    "reimbursed_on": {"报账日期"},
    "category": {"开支类别", "类别"},
    "note": {"备注"},
    "income": {"收入", "收入金额"},
    "balance": {"余额"},
}
COLUMN_KEYS = {name: key for key, names in COLUMN_ALIASES.items() for name in names}
REQUIRED = ("date", "purpose", "amount", "voucher")
#: The canonical layout: the template's header and the names used in messages.
CANONICAL = {"date": "日期", "voucher": "凭证号", "purpose": "摘要", "payee": "收款单位",
             "category": "开支类别", "income": "收入", "amount": "支出", "balance": "余额",
             "reimbursed_on": "报账日期", "note": "备注"}
TOTAL_WORDS = ("合计", "小计", "总计", "累计")
_UNIT = re.compile(r"[（(]\s*(?:万?元|人民币)\s*[)）]")
_DATE = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


def _header_key(title: str) -> str | None:
    name = _UNIT.sub("", title.lstrip("\ufeff")).replace(" ", "").replace("\u3000", "")
    return COLUMN_KEYS.get(name)


def parse_date(text: str) -> datetime.date | None:
    """2020-03-05, 2020.3.5, 2020/3/5, 2020年3月5日, or an Excel serial (a date cell)."""
    text = text.strip()
    match = _DATE.match(text)
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            return None
    try:
        serial = Decimal(text)
    except InvalidOperation:
        return None
    if serial.is_finite() and 1 <= serial < 2958466:  # 9999-12-31
        return _EXCEL_EPOCH + datetime.timedelta(days=int(serial))
    return None


def parse_amount(text: str) -> Decimal | None:
    """1,234.50, 1234.5元, ¥1234.50 or a number cell; None when it is not an amount."""
    text = (text.strip().replace(",", "").replace("，", "").replace(" ", "")
            .removesuffix("元").lstrip("¥￥"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value) >= Decimal("1e12"):
        return None
    cents = value.quantize(Decimal("0.01"))
    if abs(cents - value) > Decimal("0.000001"):  # more than two decimals, not float noise
        return None
    return cents


@dataclass
class PreviewRow:
    line: int
    date: datetime.date | None = None
    reimbursed_on: datetime.date | None = None
    purpose: str = ""
    payee: str = ""
    amount: Decimal | None = None
    voucher: str = ""
    category: SpendingCategory | None = None
    category_note: str = ""
    note: str = ""
    duplicate_of: Expenditure | None = None


@dataclass
class LedgerPreview:
    township: Township
    year: int
    filename: str
    sha256: str
    rows: list[PreviewRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what is read but not recorded
    duplicates: list[PreviewRow] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    budget_before: TownshipBudget | None = None
    already_imported: LedgerImport | None = None

    @property
    def remaining_before(self) -> Decimal | None:
        return None if self.budget_before is None else self.budget_before.remaining

    @property
    def remaining_after(self) -> Decimal | None:
        if self.budget_before is None:
            return None
        return self.budget_before.remaining - self.total

    @property
    def overdraft(self) -> Decimal | None:
        """How far below zero the import takes the remaining budget, or None."""
        if self.budget_before is None:
            return None
        return self.budget_before.exceeded_by(self.total) or None

    @property
    def can_confirm(self) -> bool:
        return not self.problems and self.already_imported is None and bool(self.rows)

    def overdraft_message(self) -> str:
        return _("This import takes %(township)s's remaining budget of %(year)s to "
                 "%(after)s (10k yuan): %(amount)s (10k yuan) below zero. Confirm it with "
                 "a reason.") % {
            "township": self.township.name, "year": self.year,
            "after": format_wan(self.remaining_after), "amount": format_wan(self.overdraft)}


def _read_rows(data: bytes, filename: str):
    """The non-blank rows of the file (at most MAX_ROWS), merged XLSX cells filled with
    the value of their top-left cell."""
    rows = []
    blank = 0
    for line, cells in raw_rows(data, filename):
        cells = [cell.strip() for cell in cells[:MAX_COLUMNS]]
        if not any(cells):
            blank += 1  # Excel keeps formatted empty rows; a few thousand are refused too
        else:
            rows.append((line, cells))
        if len(rows) > MAX_ROWS + HEADER_SEARCH_ROWS or blank > MAX_ROWS + MAX_BLANK_ROWS:
            raise ImportFileError([Problem(None, None, _(
                "Too many rows: a ledger file holds at most %(limit)s rows; split it by "
                "month.") % {"limit": MAX_ROWS})])
    if data.startswith(b"PK"):
        try:
            ranges = xlsx.merged_ranges(
                data, max_uncompressed=settings.IMPORT_MAX_UNCOMPRESSED_BYTES)
        except xlsx.XlsxError as exc:
            raise ImportFileError([Problem(None, None, _("The XLSX file cannot be read."))]
                                  ) from exc
        by_line = dict(rows)
        for first_row, first_col, last_row, last_col in ranges:
            top = by_line.get(first_row)
            if top is None or first_col > len(top):
                continue
            value = top[first_col - 1]
            for row in range(first_row, last_row + 1):
                cells = by_line.get(row)
                if cells is None:
                    continue
                for column in range(first_col, min(last_col, MAX_COLUMNS) + 1):
                    while len(cells) < column:
                        cells.append("")
                    if not cells[column - 1]:
                        cells[column - 1] = value
    return rows


def _find_header(rows):
    """(index of the header row, our column → position, our column → title): the first
    of the first rows that names a date and an amount column."""
    for index, (line, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        positions, titles, twice = {}, {}, []
        for position, title in enumerate(cells):
            key = _header_key(title)
            if key is None:
                continue
            if key in positions:
                twice.append(Problem(line, title, _("this column appears twice")))
                continue
            positions[key], titles[key] = position, title
        if "date" in positions and "amount" in positions:
            missing = [CANONICAL[k] for k in REQUIRED if k not in positions]
            problems = twice + ([Problem(line, None, _("missing column(s): %(columns)s") % {
                "columns": "、".join(missing)})] if missing else [])
            if problems:
                raise ImportFileError(problems)
            return index, positions, titles
    raise ImportFileError([Problem(None, None, _(
        "No header row was found in the first %(n)s rows: the ledger needs at least the "
        "columns 日期, 摘要, 支出 (or 金额) and 凭证号. Download the template to see the "
        "layout.") % {"n": HEADER_SEARCH_ROWS})])


def _is_total_row(values: dict[str, str]) -> bool:
    return any(values.get(key, "").replace(" ", "").replace("\u3000", "").startswith(word)
               for key in ("date", "purpose", "voucher") for word in TOTAL_WORDS)


def ledger_import_preview(*, township: Township, year: int, data: bytes, filename: str,
                          acting_user) -> LedgerPreview:
    """Read and check a ledger file; writes nothing. File-level problems (size, format,
    no header) are raised as ImportFileError; row problems are listed in the preview."""
    require_permission(acting_user, "funds.add_ledgerimport", township)
    preview = LedgerPreview(township=township, year=year, filename=filename,
                            sha256=hashlib.sha256(data).hexdigest())
    rows = _read_rows(data, filename)
    header_index, positions, titles = _find_header(rows)
    problems = preview.problems
    ignored = [title for _line, cells in rows[header_index:header_index + 1]
               for position, title in enumerate(cells)
               if title and position not in positions.values()]
    if ignored:
        preview.notes.append(_("Columns not read: %(columns)s") % {
            "columns": "、".join(quoted(t) for t in ignored)})
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        problems.append(Problem(None, None, _(
            "There is no fund year %(year)s: an administrator sets it up first.")
            % {"year": year}))
    if not township.in_service(year):
        problems.append(Problem(None, None, _("%(township)s is not in service in %(year)s.")
                                % {"township": township.name, "year": year}))
    preview.already_imported = (LedgerImport.objects.select_related("imported_by")
                                .filter(sha256=preview.sha256).first())
    categories = {c.name: c for c in SpendingCategory.objects.all()}
    default = categories.get(DEFAULT_CATEGORY)
    today = timezone.localdate()
    balance = None
    for line, cells in rows[header_index + 1:]:
        values = {key: (cells[i] if i < len(cells) else "") for key, i in positions.items()}
        if _is_total_row(values):
            continue
        amount_text, income_text = values["amount"], values.get("income", "")
        amount = parse_amount(amount_text) if amount_text else Decimal("0.00")
        income = parse_amount(income_text) if income_text else Decimal("0.00")
        if amount is None:
            problems.append(Problem(line, titles["amount"], _("“%(value)s” is not an amount")
                                    % {"value": quoted(amount_text)}))
        if income is None:
            problems.append(Problem(line, titles["income"], _("“%(value)s” is not an amount")
                                    % {"value": quoted(income_text)}))
        if values.get("balance"):
            stated = parse_amount(values["balance"])
            if stated is None:
                problems.append(Problem(line, titles["balance"], _(
                    "“%(value)s” is not an amount") % {"value": quoted(values["balance"])}))
            elif balance is not None and amount is not None and income is not None:
                expected = balance + income - amount
                if expected != stated:
                    problems.append(Problem(line, titles["balance"], _(
                        "the running balance should be %(expected)s but the file says "
                        "%(stated)s") % {"expected": format_yuan(expected),
                                         "stated": format_yuan(stated)}))
            balance = stated
        elif balance is not None and amount is not None and income is not None:
            balance = balance + income - amount
        if amount is not None and amount < 0:
            problems.append(Problem(line, titles["amount"], _(
                "a negative amount: record a refund as 收入")))
        if amount is not None and amount <= 0:
            continue  # an income row, an opening balance (上年结转): read, not recorded
        row = PreviewRow(line=line, amount=amount, purpose=values["purpose"],
                         payee=values.get("payee", ""), voucher=values["voucher"],
                         note=values.get("note", ""))
        row.date = parse_date(values["date"])
        if not values["date"]:
            problems.append(Problem(line, titles["date"], _("empty")))
        elif row.date is None:
            problems.append(Problem(line, titles["date"], _("“%(value)s” is not a date")
                                    % {"value": quoted(values["date"])}))
        elif row.date.year != year:
            problems.append(Problem(line, titles["date"], _(
                "%(date)s is not in %(year)s") % {"date": row.date, "year": year}))
        elif row.date > today:
            problems.append(Problem(line, titles["date"], _(
                "%(date)s is in the future: only spending that happened is imported")
                % {"date": row.date}))
        row.reimbursed_on = row.date
        if values.get("reimbursed_on"):
            reimbursed_on = parse_date(values["reimbursed_on"])
            if reimbursed_on is None:
                problems.append(Problem(line, titles["reimbursed_on"], _(
                    "“%(value)s” is not a date") % {"value": quoted(values["reimbursed_on"])}))
            elif row.date and reimbursed_on < row.date:
                problems.append(Problem(line, titles["reimbursed_on"], _(
                    "%(date)s is before the date of the expenditure") % {"date": reimbursed_on}))
            elif reimbursed_on > today:
                problems.append(Problem(line, titles["reimbursed_on"], _(
                    "%(date)s is in the future") % {"date": reimbursed_on}))
            else:
                row.reimbursed_on = reimbursed_on
        if not row.purpose:
            problems.append(Problem(line, titles["purpose"], _("empty")))
        elif len(row.purpose) > 2000:
            problems.append(Problem(line, titles["purpose"], _("longer than 2,000 characters")))
        if len(row.payee) > 100:
            problems.append(Problem(line, titles["payee"], _("longer than 100 characters")))
        if not row.voucher:
            problems.append(Problem(line, titles["voucher"], _(
                "empty: a reimbursed expenditure records its accounting voucher number")))
        elif len(row.voucher) > 40:
            problems.append(Problem(line, titles["voucher"], _("longer than 40 characters")))
        name = values.get("category", "")
        row.category = categories.get(name)
        if row.category is None:
            row.category = default
            if default is None:
                problems.append(Problem(line, titles.get("category"), _(
                    "no spending category “%(name)s” and no default “%(default)s”") % {
                    "name": quoted(name), "default": DEFAULT_CATEGORY}))
            elif name:
                row.category_note = _("unknown category “%(name)s”: recorded as %(default)s"
                                      ) % {"name": quoted(name), "default": DEFAULT_CATEGORY}
            else:
                row.category_note = _("no category: recorded as %(default)s") % {
                    "default": DEFAULT_CATEGORY}
        if amount is not None:
            preview.rows.append(row)
            preview.total += amount
    if not preview.rows and not problems:
        problems.append(Problem(None, None, _("The file has a header but no expenditure rows.")))
    _flag_duplicates(preview)
    if fund_year is not None:
        preview.budget_before = township_budget_get(township=township, fund_year=fund_year)
    if len(problems) > MAX_PROBLEMS:
        more = len(problems) - MAX_PROBLEMS
        del problems[MAX_PROBLEMS:]
        problems.append(Problem(None, None, _("and %(n)s more problems") % {"n": more}))
    return preview


def _flag_duplicates(preview: LedgerPreview) -> None:
    """Rows that repeat a recorded, non-voided expenditure of the township and year: the
    same date, amount and payee, or the same 会计凭证号. One query whatever the rows."""
    recorded = list(Expenditure.objects.filter(township=preview.township, year=preview.year)
                    .exclude(status=Expenditure.Status.VOIDED)
                    .only("pk", "date", "amount", "payee", "accounting_voucher", "purpose"))
    by_fact = {(e.date, e.amount, e.payee): e for e in recorded}
    by_voucher = {e.accounting_voucher: e for e in recorded if e.accounting_voucher}
    for row in preview.rows:
        row.duplicate_of = (by_voucher.get(row.voucher)
                            or by_fact.get((row.date, row.amount, row.payee)))
        if row.duplicate_of is not None:
            preview.duplicates.append(row)


def _refusal(preview: LedgerPreview, *, acknowledge_duplicates: bool,
             overdraft_reason: str) -> str | None:
    if preview.already_imported is not None:
        record = preview.already_imported
        return _("This file was already imported on %(date)s by %(user)s (%(file)s); it is "
                 "not imported twice.") % {
            "date": timezone.localtime(record.imported_at).date(),
            "user": record.imported_by.get_full_name() or record.imported_by.get_username(),
            "file": record.original_name}
    if preview.duplicates and not acknowledge_duplicates:
        return _("%(n)s rows repeat expenditures already recorded (same date, amount and "
                 "payee, or the same accounting voucher number); confirm that they are "
                 "different spending, or remove them from the file.") % {
            "n": len(preview.duplicates)}
    if preview.overdraft is not None and not overdraft_reason.strip():
        return preview.overdraft_message()
    return None


@transaction.atomic
def ledger_import_confirm(*, township: Township, year: int, data: bytes, filename: str,
                          acting_user, acknowledge_duplicates: bool = False,
                          overdraft_reason: str = "") -> LedgerImport:
    """Record every row of the file as a reimbursed expenditure, or none: read again
    under the township's lock, so the duplicates and the budget checked are those the
    write meets."""
    require_permission(acting_user, "funds.add_ledgerimport", township)
    _lock_township(township.pk)
    preview = ledger_import_preview(township=township, year=year, data=data,
                                    filename=filename, acting_user=acting_user)
    if preview.problems:
        raise ImportFileError(preview.problems)
    if message := _refusal(preview, acknowledge_duplicates=acknowledge_duplicates,
                           overdraft_reason=overdraft_reason):
        raise SpendingError(message)
    reason = overdraft_reason.strip() if preview.overdraft is not None else ""
    record = LedgerImport.objects.create(
        township=township, year=year, original_name=filename[:200], sha256=preview.sha256,
        rows=len(preview.rows), total=preview.total, imported_by=acting_user,
        overdraft_reason=reason)
    expenditures = Expenditure.objects.bulk_create(Expenditure(
        township=township, year=year, date=row.date, amount=row.amount,
        category=row.category, purpose=row.purpose, payee=row.payee,
        status=Expenditure.Status.REIMBURSED, created_by=acting_user,
        reimbursed_on=row.reimbursed_on, accounting_voucher=row.voucher,
        ledger_import=record) for row in preview.rows)
    note = stored_text(lambda: _("Imported from %(file)s (SHA-256 %(hash)s…)") % {
        "file": record.original_name, "hash": record.sha256[:12]})
    ExpenditureTransition.objects.bulk_create(ExpenditureTransition(
        expenditure=expenditure, from_status="", to_status=Expenditure.Status.REIMBURSED,
        amount=expenditure.amount, actor=acting_user, note=note,
    ) for expenditure in expenditures)
    details = {"township": township.code, "file": record.original_name,
               "sha256": record.sha256, "rows": record.rows, "total": str(record.total),
               "ledger_import": record.pk}
    if reason:
        details |= {"overdraft": str(preview.overdraft), "reason": reason}
    AuditEvent.objects.create(
        action=AuditEvent.Action.LEDGER_IMPORTED, year=year, actor=acting_user,
        summary=stored_text(lambda: _(
            "%(township)s: %(rows)s expenditures of %(total)s yuan imported from %(file)s")
            % {"township": township.name, "rows": record.rows,
               "total": format_yuan(record.total), "file": record.original_name}),
        details=details)
    return record
