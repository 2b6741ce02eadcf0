"""Generating the yearly documents, and replacing their templates; each audited."""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from funds.budget.selectors import budget_check_get
from funds.documents import figures, rendering, workbooks
from funds.models import DocumentKind, DocumentSettings, DocumentTemplate, FundYear
from townships.audit import acting, stored_text
from townships.models import AuditEvent, Township
from townships.roles import require_permission
from wanyuan.money import format_wan

logger = logging.getLogger(__name__)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: (kind, format) → the document's Chinese name. A township's posting and ledger may be
#: generated for one township (by its clerk too); the rest are the county's.
DOCUMENTS = {
    ("plan", "docx"): "资金分配方案",
    ("notice", "docx"): "下达通知",
    ("posting", "docx"): "公示",
    ("execution", "docx"): "执行情况报告",
    ("execution", "xlsx"): "执行情况表",
    ("rectification", "xlsx"): "整改台账",
    ("rectification", "docx"): "整改情况报告",
}
TOWNSHIP_DOCUMENTS = {("posting", "docx"), ("rectification", "xlsx")}


class DocumentError(Exception):
    """A document that cannot be generated as asked; the message says why."""


@dataclass(frozen=True)
class GeneratedDocument:
    filename: str
    content_type: str
    content: bytes
    figures_sha256: str
    template_version: int  # 0: the default template


def default_number(year: int, document_settings: DocumentSettings | None = None) -> str:
    """The number the notice form offers: the settings' next number, or the first after
    it that no notice of the year was issued under."""
    s = document_settings or DocumentSettings.get()
    used = set(AuditEvent.objects.filter(
        action=AuditEvent.Action.DOCUMENT_GENERATED, year=year, details__kind="notice")
        .values_list("details__number", flat=True))
    number = s.next_number
    while f"{s.number_prefix}〔{year}〕{number}号" in used:
        number += 1
    return f"{s.number_prefix}〔{year}〕{number}号"


NUMBER_PATTERN = re.compile(r"\A[^\s〔〕]{1,20}〔(\d{4})〕([1-9]\d{0,3})号\Z")


def number_problem(number: str, year: int) -> str | None:
    """Why a document number is not of the form 万组发〔2021〕3号 for the year, or None."""
    match = NUMBER_PATTERN.match(number)
    if match is None:
        return _("A document number reads like %(example)s: prefix, the year in 〔〕, "
                 "the number without leading zero, 号.") % {
                     "example": f"{DocumentSettings.get().number_prefix}〔{year}〕1号"}
    if int(match.group(1)) != year:
        return _("The year in the document number is not %(year)s.") % {"year": year}
    return None


def _template(kind: str) -> tuple[object, int]:
    uploaded = DocumentTemplate.objects.filter(kind=kind, active=True).first()
    if uploaded is None:
        return rendering.default_template(kind), 0
    with uploaded.file.open("rb") as handle:
        return handle.read(), uploaded.version


#: The documents that issue money: they state it by source, and stop at an excess.
MONEY_DOCUMENTS = {"plan", "notice"}
#: How far from its fund year a document may be dated (成文日期), in years either way.
DATED_WITHIN_YEARS = 1


def dated_problem(dated: datetime.date | None, year: int) -> str | None:
    """Why a 成文日期 cannot stand on a document of the year, or None. Without one, only
    a document of the current year is dated today: a 2021 notice generated in 2026 must
    not read 2026."""
    if dated is None:
        if year != timezone.localdate().year:
            return _("Choose the document's date (成文日期): a document of %(year)s is not "
                     "dated today.") % {"year": year}
        return None
    if not year - DATED_WITHIN_YEARS <= dated.year <= year + DATED_WITHIN_YEARS:
        return _("A document of %(year)s is dated between %(first)s and %(last)s.") % {
            "year": year, "first": year - DATED_WITHIN_YEARS, "last": year + DATED_WITHIN_YEARS}
    return None


def excess_problem(fund_year: FundYear, excess_source: str) -> str | None:
    """Why a document issuing money cannot be generated as it stands, or None: the money
    to issue exceeds the special fund (less the reserve) and no one has said where the
    excess comes from. The ways out are named."""
    check = budget_check_get(fund_year=fund_year)
    if not check.shortfall or excess_source.strip():
        return None
    return _("The amounts to issue exceed the special fund available by %(excess)s (10k "
             "yuan): a document must not issue money the county has not got. Adopt an "
             "allocation plan that fits the fund, or confirm issuing at the standards and "
             "state where the excess of %(excess)s (10k yuan) comes from.") % {
        "excess": format_wan(check.shortfall)}


def _number_used(kind: str, year: int, number: str, sha256: str) -> bool:
    """Whether another document of the kind and year was issued under this number: the
    same figures under the same number are the same document, generated again."""
    return (AuditEvent.objects.filter(action=AuditEvent.Action.DOCUMENT_GENERATED, year=year,
                                      details__kind=kind, details__number=number)
            .exclude(details__figures_sha256=sha256).exists())


@transaction.atomic
def document_generate(*, kind: str, fmt: str, year: int, township: Township | None = None,
                      number: str | None = None, dated: datetime.date | None = None,
                      excess_source: str = "", period: str | None = None,
                      acting_user) -> GeneratedDocument:
    """One document of a year, filled from the selectors, and its audit event (kind,
    year, who, template version, the sha256 of its figures, its date and number, and
    the source stated for money beyond the fund). ``period`` is the 公示's (a key of
    ``figures.PERIODS``; by default the quarter it is dated in)."""
    if period is not None and period not in figures.PERIODS:
        raise DocumentError(_("There is no such period."))
    if (kind, fmt) not in DOCUMENTS or (township is not None
                                        and (kind, fmt) not in TOWNSHIP_DOCUMENTS):
        raise DocumentError(_("There is no such document."))
    if township is None:
        require_permission(acting_user, "funds.generate_documents")
    else:
        require_permission(acting_user, "funds.generate_township_documents", township)
    fund_year = FundYear.objects.filter(year=year).first()
    if fund_year is None:
        raise DocumentError(_("There is no fund year %(year)s.") % {"year": year})
    if problem := dated_problem(dated, year):
        raise DocumentError(problem)
    dated = dated or timezone.localdate()
    excess_source = excess_source.strip()
    if kind in MONEY_DOCUMENTS and (problem := excess_problem(fund_year, excess_source)):
        raise DocumentError(problem)
    document_settings = DocumentSettings.get()
    if kind == "notice":
        number = number or default_number(year, document_settings)
        problem = number_problem(number, year)
        if problem:
            raise DocumentError(problem)
    # The documents are the county's, in Chinese, whatever language the user browses in.
    with translation.override(django_settings.LANGUAGE_CODE):
        context, content, version = _fill(kind, fmt, fund_year, document_settings,
                                          township=township, number=number, dated=dated,
                                          excess_source=excess_source, period=period)
        name = DOCUMENTS[(kind, fmt)]
    sha256 = figures.digest(context)
    if number and _number_used(kind, year, number, sha256):
        raise DocumentError(_("The number %(number)s was used already for another %(name)s "
                              "of %(year)s: choose another.") % {
            "number": number, "name": name, "year": year})
    prefix = f"{township.name}" if township is not None else document_settings.county_name
    filename = f"{prefix}{year}年度{name}.{fmt}"
    AuditEvent.objects.create(
        action=AuditEvent.Action.DOCUMENT_GENERATED, year=year, actor=acting_user,
        summary=stored_text(lambda: _("%(name)s of %(year)s generated (%(file)s)") % {
            "name": name, "year": year, "file": filename}),
        details={"kind": kind, "format": fmt, "township": township.code if township else None,
                 "template_version": version, "figures_sha256": sha256, "number": number,
                 "dated": dated.isoformat(), "excess_source": excess_source,
                 **({"period": period} if kind == "posting" else {})})
    return GeneratedDocument(filename=filename, content_type=DOCX if fmt == "docx" else XLSX,
                             content=content, figures_sha256=sha256, template_version=version)


def figures_for(kind: str, fund_year: FundYear, document_settings: DocumentSettings, *,
                township=None, number=None, dated=None, excess_source="", period=None):
    """The context of a kind's template, and what its workbook needs besides."""
    if kind == "plan":
        return figures.plan_figures(fund_year, document_settings, today=dated,
                                    excess_source=excess_source)[0], None
    if kind == "notice":
        return figures.notice_figures(fund_year, document_settings, number=number,
                                      today=dated, excess_source=excess_source), None
    if kind == "posting":
        return figures.posting_figures(fund_year, document_settings, township=township,
                                       today=dated, period=period), None
    if kind == "execution":
        return figures.execution_figures(fund_year, document_settings, today=dated)
    return figures.rectification_figures(fund_year, document_settings, township=township,
                                         today=dated)


def _fill(kind, fmt, fund_year, document_settings, *, township, number, dated=None,
          excess_source="", period=None):
    context, extra = figures_for(kind, fund_year, document_settings, township=township,
                                 number=number, dated=dated, excess_source=excess_source,
                                 period=period)
    if fmt == "xlsx":
        book = (workbooks.execution_workbook if kind == "execution"
                else workbooks.rectification_workbook)
        return context, book(context, extra), 0
    template, version = _template(kind)
    try:
        return context, rendering.render_docx(template, context), version
    except rendering.RenderError as exc:
        if not version:
            raise
        logger.warning("template %s v%s failed: %s", kind, version, exc)
        raise DocumentError(_(
            "The uploaded template of %(kind)s (version %(version)s) could not be filled: "
            "%(reason)s An administrator can put the default template back on this "
            "page (Reset to the default).") % {
            "kind": DocumentKind(kind).label, "version": version, "reason": exc}) from exc


# --- Replacement templates ---------------------------------------------------------------


@transaction.atomic
def document_template_upload(*, kind: str, upload, acting_user,
                             year: int | None = None) -> DocumentTemplate:
    """Check an uploaded .docx against the kind's fields and the sandbox's rules, and
    fill it with the kind's real figures of ``year`` (the page's) within the rendering's
    limits; if it passes, it becomes the kind's template (the next version). Nothing is
    saved when it does not pass (DocumentError with every problem)."""
    require_permission(acting_user, "funds.add_documenttemplate")
    if kind not in DocumentKind.values:
        raise DocumentError(_("There is no such document."))
    data = upload.read()
    problems = rendering.template_problems(kind, data)
    if problems:
        raise DocumentError(" ".join(problems))
    fund_year = (FundYear.objects.filter(year=year).first() if year is not None
                 else FundYear.objects.order_by("-year").first())
    if fund_year is not None:
        with translation.override(django_settings.LANGUAGE_CODE):
            context, _extra = figures_for(kind, fund_year, DocumentSettings.get(),
                                          number=default_number(fund_year.year),
                                          dated=timezone.localdate(), excess_source="—")
            try:
                rendering.render_docx(data, context)
            except rendering.RenderError as exc:
                raise DocumentError(_("Filled with the figures of %(year)s, the template "
                                      "fails: %(reason)s") % {
                    "year": fund_year.year, "reason": exc}) from exc
    # one writer at a time per kind: the versions' row locks
    current = list(DocumentTemplate.objects.select_for_update().filter(kind=kind))
    version = max((t.version for t in current), default=0) + 1
    DocumentTemplate.objects.filter(kind=kind, active=True).update(active=False)
    template = DocumentTemplate(kind=kind, version=version, uploaded_by=acting_user,
                                active=True)
    with acting(acting_user):
        template.file.save(f"{kind}-v{version}.docx", ContentFile(data), save=True)
    AuditEvent.objects.create(
        action=AuditEvent.Action.DOCUMENT_TEMPLATE_UPLOADED, actor=acting_user,
        summary=stored_text(lambda: _("Template of %(kind)s uploaded: version %(version)s")
                            % {"kind": DocumentKind(kind).label, "version": version}),
        details={"kind": kind, "version": version, "id": template.pk})
    return template


@transaction.atomic
def document_template_reset(*, kind: str, acting_user) -> int | None:
    """Back to the default template: the uploaded one is deactivated, never deleted.
    Returns the version that was in use, or None when the default already was."""
    require_permission(acting_user, "funds.change_documenttemplate")
    current = DocumentTemplate.objects.select_for_update().filter(kind=kind, active=True).first()
    if current is None:
        return None
    current.active = False
    current.save(update_fields=["active"])
    AuditEvent.objects.create(
        action=AuditEvent.Action.DOCUMENT_TEMPLATE_RESET, actor=acting_user,
        summary=stored_text(lambda: _("Template of %(kind)s reset to the default "
                                      "(version %(version)s no longer in use)")
                            % {"kind": DocumentKind(kind).label, "version": current.version}),
        details={"kind": kind, "version": current.version})
    return current.version


def template_versions() -> dict[str, int]:
    """The version in use per kind (kinds on their default are absent)."""
    return dict(DocumentTemplate.objects.filter(active=True).values_list("kind", "version"))
