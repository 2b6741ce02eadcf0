"""The audit pack (审计资料包): one ZIP an auditor reads without the system, for a year
and the whole county or one township (INSPECTION.md, "The audit pack").

Streamed: each file goes into the ZIP in chunks and leaves it at once, so memory stays
bounded whatever the vouchers weigh (a ZIP written to a stream that cannot seek records
each file's sizes after its data). The index (目录) and the manifest (each file's
SHA-256, in ``sha256sum`` format, so ``sha256sum -c manifest-sha256.txt`` checks the
unpacked files) are written last, from what was written.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from funds.budget.exports import (
    BORDER,
    YUAN_FORMAT,
    allocation_file,
    display_width,
    print_setup,
    xlsx_cell,
)
from funds.documents.layout import short_document
from funds.inspection.selectors import flag_export_header, flag_export_rows, red_flags_get
from funds.models import (
    CollectiveDecision,
    Expenditure,
    ExpenditureTransition,
    Finding,
    FundYear,
    Voucher,
)
from townships.accounts import display_name
from townships.audit import stored_text
from townships.models import AuditEvent, Category, CategoryChange, Township

CHUNK = 256 * 1024


def _status(value: str) -> str:
    return str(Expenditure.Status(value).label) if value else ""


@dataclass(frozen=True)
class Entry:
    """A file of the pack: its path, what it holds, and its bytes or a stored file."""

    path: str
    description: str
    data: bytes | None = None
    stored: object = None  # a FieldFile, read in chunks


@dataclass
class Written:
    path: str
    description: str
    size: int
    sha256: str


class _Sink(io.RawIOBase):
    """Where the ZIP writes: kept until the next drain, never seekable."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def _safe(text: str, limit: int = 60) -> str:
    """A piece of a file name: no separators or characters Windows refuses."""
    cleaned = "".join("_" if c in '\\/:*?"<>|\n\r\t' else c for c in str(text)).strip()
    return cleaned[:limit] or "_"


# --- The workbooks ---------------------------------------------------------------------


def _workbook(sheets) -> bytes:
    """A workbook of several sheets, each (title, heading, header, rows, yuan columns):
    a title row, the header frozen and repeated on every printed page, borders, amounts
    in a yuan format, long texts wrapped, A4."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, heading, header, rows, yuan in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        rows = iter(rows)
        sample = list(itertools.islice(rows, 2000))  # the widths, from the first rows
        widths, wraps = [], []
        for index, name in enumerate(header):
            texts = [f"{row[index]:,.2f}" if isinstance(row[index], Decimal)
                     else str(row[index]) if row[index] is not None else ""
                     for row in sample]
            longest = max([display_width(name)] + [display_width(t) for t in texts])
            # prose wraps in a column of 42; a code or a hash keeps its line
            wraps.append(any(display_width(t) > 40 and (" " in t or display_width(t) > len(t))
                             for t in texts))
            widths.append(max(min(longest, 42) if wraps[-1] else longest, 8,
                              16 if index in yuan else 0) + 2)
            sheet.column_dimensions[get_column_letter(index + 1)].width = widths[-1]
        rows = itertools.chain(sample, rows)
        sheet.freeze_panes = "A3"
        print_setup(sheet, widths)
        sheet.append([xlsx_cell(sheet, heading, font=Font(bold=True, size=14))])
        sheet.append([xlsx_cell(sheet, name, font=bold, border=BORDER) for name in header])
        for row in rows:
            sheet.append([xlsx_cell(sheet, value, border=BORDER,
                                    number_format=YUAN_FORMAT if i in yuan else None,
                                    wrap=wraps[i] and isinstance(value, str))
                          for i, value in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _moment(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def ledger_rows(expenditures):
    """The ledger sheet: one row per expenditure, as the database holds it (streamed)."""
    invoices: dict[int, list[str]] = {}
    for expenditure_id, number, code in Voucher.objects.filter(
            expenditure__in=expenditures, kind=Voucher.Kind.INVOICE).exclude(
            invoice_number="").values_list("expenditure_id", "invoice_number", "invoice_code"):
        invoices.setdefault(expenditure_id, []).append(f"{code}-{number}" if code else number)
    for e in expenditures.iterator(chunk_size=2000):
        yield [e.pk, e.township.code, e.township.name, _day(e.date), e.amount,
               e.category.name, e.purpose, e.payee, _status(e.status),
               _day(e.decision.meeting_date) if e.decision_id else "",
               "、".join(invoices.get(e.pk, [])), _day(e.reimbursed_on), e.accounting_voucher]


def ledger_header() -> list[str]:
    return [_("No."), _("Township code"), _("Township"), _("Date"), _("Amount (yuan)"),
            _("Spending category"), _("Purpose"), _("Payee"), _("Status"),
            _("Collective decision"), _("Invoices"), _("Reimbursed on"),
            _("Accounting voucher no.")]


def history_rows(expenditures):
    for t in ExpenditureTransition.objects.filter(expenditure__in=expenditures).select_related(
            "actor").order_by("expenditure_id", "at", "pk").iterator(chunk_size=2000):
        yield [t.expenditure_id, _moment(t.at), _status(t.from_status), _status(t.to_status),
               t.amount, t.recorded_actor_and_unit or display_name(t.actor), t.note]


# --- What goes in ----------------------------------------------------------------------


def pack_entries(*, fund_year: FundYear, township: Township | None = None) -> Iterator[Entry]:
    year = fund_year.year
    scope = township.name if township is not None else _("all townships")
    expenditures = Expenditure.objects.filter(year=year).select_related(
        "township", "category", "decision").order_by("township__code", "date", "pk")
    if township is not None:
        expenditures = expenditures.filter(township=township)

    header, rows, (yuan, _percents) = allocation_file(fund_year=fund_year)
    yield Entry(f"01_资金分配/{year}年经费分配表.xlsx", _("The year's allocation per township"),
                _workbook([(str(year), _("Allocation %(year)s") % {"year": year}, header,
                            rows, yuan)]))
    changes = CategoryChange.objects.filter(year=year).select_related(
        "township", "changed_by").order_by("township__code", "changed_at")
    if township is not None:
        changes = changes.filter(township=township)
    labels = dict(Category.choices)
    yield Entry(f"01_资金分配/{year}年类别调整记录.xlsx",
                _("Category changes with their reasons"),
                _workbook([(str(year), _("Category changes %(year)s") % {"year": year},
                            [_("Township code"), _("Township"), _("From"), _("To"),
                             _("Source"), _("Reason"), _("By"), _("When")],
                            [[c.township.code, c.township.name,
                              str(labels.get(c.old_category, "—")),
                              str(labels.get(c.new_category, "—")), str(c.get_source_display()),
                              c.reason, display_name(c.changed_by), _moment(c.changed_at)]
                             for c in changes], set())]))

    ledger = ledger_rows(expenditures)  # streamed into the sheet
    yield Entry(f"02_支出台账/{year}年支出台账（{_safe(scope)}）.xlsx",
                _("The ledger, and every line's approval history"),
                _workbook([(_("Ledger"), _("Ledger %(year)s, %(scope)s") % {
                    "year": year, "scope": scope}, ledger_header(), ledger, {4}),
                    (_("History"), _("Approval history"),
                     [_("No."), _("Time"), _("From"), _("To"), _("Amount (yuan)"),
                      _("By"), _("Note")], history_rows(expenditures), {4})]))

    for voucher in Voucher.objects.filter(expenditure__in=expenditures).select_related(
            "expenditure__township").order_by("expenditure__township__code",
                                              "expenditure_id", "pk"):
        e = voucher.expenditure
        kind = _safe(voucher.get_kind_display(), 10)
        yield Entry(
            f"03_凭证/{_safe(e.township.name)}/{e.pk}_{_day(e.date)}_{kind}"
            f"_{voucher.pk}_{_safe(voucher.original_name, 80)}",
            _("Voucher of expenditure No. %(id)s") % {"id": e.pk}, stored=voucher.file)

    decisions = CollectiveDecision.objects.filter(
        expenditures__in=expenditures).distinct().select_related("township").order_by(
        "township__code", "meeting_date", "pk")
    decision_rows = []
    for d in decisions:
        minutes = ""
        if d.minutes_file:
            minutes = (f"04_集体决策/纪要/{_safe(d.township.name)}/{d.pk}_{_day(d.meeting_date)}"
                       f"{os.path.splitext(d.minutes_file.name)[1]}")
        decision_rows.append([d.pk, d.township.name, str(d.get_meeting_type_display()),
                              _day(d.meeting_date), d.amount, d.purpose, d.attendance,
                              d.minutes_reference, minutes])
    yield Entry("04_集体决策/集体决策.xlsx", _("Collective decisions and their minutes"),
                _workbook([(str(year), _("Collective decisions %(year)s") % {"year": year},
                            [_("No."), _("Township"), _("Meeting type"), _("Meeting date"),
                             _("Amount decided (yuan)"), _("Purpose decided"),
                             _("Attendance"), _("Minutes reference"), _("Minutes file")],
                            decision_rows, {4})]))
    for d, row in zip(decisions, decision_rows, strict=True):
        if row[-1]:
            yield Entry(row[-1], _("Minutes of decision No. %(id)s") % {"id": d.pk},
                        stored=d.minutes_file)

    findings = Finding.objects.filter(inspection__date__year=year).select_related(
        "inspection", "township", "closed_by").order_by("inspection__date", "pk")
    if township is not None:
        findings = findings.filter(township=township)
    yield Entry("05_检查整改/检查与整改台账.xlsx", _("Inspections, findings and rectification"),
                _workbook([(str(year), _("Inspections and rectification %(year)s") % {
                    "year": year},
                    [_("Inspection date"), _("Inspectors"), _("Township"), _("Finding"),
                     _("Rectification deadline"), _("Amount involved (yuan)"),
                     _("Amount restored (yuan)"), _("Rectification"), _("Closed"),
                     _("Closed by")],
                    [[_day(f.inspection.date), f.inspection.inspectors, f.township.name,
                      f.description, _day(f.deadline), f.amount_involved, f.amount_restored,
                      f.closure_note, _moment(f.closed_at),
                      display_name(f.closed_by) if f.closed_by_id else ""]
                     for f in findings], {5, 6})]))

    flags = red_flags_get(fund_year=fund_year,
                          township_ids={township.pk} if township is not None else None)
    names = {t.pk: t for t in Township.objects.filter(pk__in={f.township_id for f in flags})}
    for flag in flags:
        flag.township = names[flag.township_id]
    yield Entry("06_疑点/疑点及说明.xlsx", _("Red flags and their explanations"),
                _workbook([(str(year), _("Red flags %(year)s") % {"year": year},
                            flag_export_header(), flag_export_rows(flags), {6})]))

    issued = AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED,
                                       year=year).select_related("actor").order_by("created_at")
    yield Entry("07_公文/发文记录.xlsx", _("The documents issued, from the audit trail"),
                _workbook([(str(year), _("Documents issued %(year)s") % {"year": year},
                            [_("Time"), _("Document"), _("Number"), _("Dated"), _("By"),
                             _("SHA-256 of the figures")],
                            [[_moment(e.created_at), e.summary, e.details.get("number", ""),
                              e.details.get("dated", ""),
                              display_name(e.actor) if e.actor_id else "",
                              e.details.get("figures_sha256", "")] for e in issued], set())]))
    yield Entry("08_承诺书.docx", _("A pledge for the township to sign"),
                pledge_docx(year=year, township=township))


def pledge_docx(*, year: int, township: Township | None) -> bytes:
    """承诺书: the unit commits to the materials' truth and completeness."""
    unit = township.name if township is not None else "＿＿＿＿＿＿＿＿"
    return short_document([
        ("title", "承  诺  书"), ("line", ""),
        ("text", f"本单位（{unit}）郑重承诺：向审计、检查部门提供的{year}年度基层党建专项经费"
                 "资料，包括资金分配依据、支出台账及审批记录、原始凭证和发票、集体决策会议纪要、"
                 "检查整改材料、疑点说明和公文，均真实、完整、准确，与本单位账簿和原始档案一致，"
                 "不存在隐瞒、遗漏、虚报或伪造的情况。"),
        ("text", "如有不实，本单位及相关责任人愿承担相应责任。"), ("line", ""),
        ("line", "单位（盖章）："), ("line", "主要负责人（签字）："), ("line", "经办人（签字）："),
        ("right", "日期：        年    月    日")])


# --- The stream ------------------------------------------------------------------------


def pack_name(*, fund_year: FundYear, township: Township | None) -> str:
    scope = township.name if township is not None else _("all townships")
    return f"{fund_year.year}年度党建专项经费审计资料包（{_safe(scope)}）.zip"


def _chunks(entry: Entry) -> Iterator[bytes]:
    if entry.data is not None:
        yield entry.data
        return
    with entry.stored.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def _index(written: list[Written], *, fund_year, township, acting_user) -> bytes:
    scope = township.name if township is not None else _("all townships")
    made = _("Made on %(time)s by %(user)s from the records of the system") % {
        "time": _moment(timezone.now()), "user": display_name(acting_user)}
    rows = [[i, w.path, w.description, w.size, w.sha256]
            for i, w in enumerate(written, start=1)]
    rows.append(["", made, "", "", ""])
    return _workbook([(_("Index"), _("Audit pack %(year)s, %(scope)s: index (目录)") % {
        "year": fund_year.year, "scope": scope},
        [_("No."), _("File"), _("What it holds"), _("Bytes"), _("SHA-256")], rows, set())])


def pack_stream(*, fund_year: FundYear, township: Township | None = None, acting_user,
                on_done=None) -> Iterator[bytes]:
    """The ZIP's bytes as they are made; ``on_done(written)`` is called after the last."""
    sink = _Sink()
    written: list[Written] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for entry in pack_entries(fund_year=fund_year, township=township):
            digest, size = hashlib.sha256(), 0
            info = zipfile.ZipInfo(entry.path, date_time=timezone.localtime().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as target:
                for chunk in _chunks(entry):
                    target.write(chunk)
                    digest.update(chunk)
                    size += len(chunk)
                    yield sink.drain()
            written.append(Written(entry.path, entry.description, size, digest.hexdigest()))
        index = _index(written, fund_year=fund_year, township=township,
                       acting_user=acting_user)
        zf.writestr("00_目录.xlsx", index)
        listed = [*written, Written("00_目录.xlsx", _("Index"), len(index),
                                    hashlib.sha256(index).hexdigest())]
        manifest = "".join(f"{w.sha256}  {w.path}\n" for w in listed).encode()
        zf.writestr("manifest-sha256.txt", manifest)
    yield sink.drain()
    if on_done is not None:
        on_done(listed)


def pack_audit(*, fund_year: FundYear, township: Township | None, acting_user, where: str):
    """The audit event of a pack: who made it, of what, and where it went (a download or
    a file), recorded before the first byte leaves."""
    scope = township.name if township is not None else None
    return AuditEvent.objects.create(
        action=AuditEvent.Action.AUDIT_PACK_GENERATED, year=fund_year.year, actor=acting_user,
        summary=stored_text(lambda: _("Audit pack of %(year)s made (%(scope)s): %(where)s")
                            % {"year": fund_year.year, "where": where,
                               "scope": scope or _("all townships")}),
        details={"township": township.code if township is not None else None,
                 "where": where})
