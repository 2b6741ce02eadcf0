"""Generating the yearly documents, and replacing their templates; each audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from funds.documents import figures, rendering, workbooks
from funds.models import DocumentKind, DocumentSettings, DocumentTemplate, FundYear
from townships.audit import acting, stored_text
from townships.models import AuditEvent, Township
from townships.roles import require_permission

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
    s = document_settings or DocumentSettings.get()
    return f"{s.number_prefix}〔{year}〕{s.next_number}号"


NUMBER_PATTERN = re.compile(r"\A[^\s〔〕]{1,20}〔(\d{4})〕([1-9]\d{0,3})号\Z")


def number_problem(number: str, year: int) -> str | None:
    """Why a document number is not of the form 万组发〔2021〕3号 for the year, or None."""
    match = NUMBER_PATTERN.match(number)
    if match is None:
        return _("A document number reads like %(example)s: prefix, the year in 〔〕, "
                 "the number without leading zero, 号.") % {"example": default_number(year)}
    if int(match.group(1)) != year:
        return _("The year in the document number is not %(year)s.") % {"year": year}
    return None


def _template(kind: str) -> tuple[object, int]:
    uploaded = DocumentTemplate.objects.filter(kind=kind, active=True).first()
    if uploaded is None:
        return rendering.default_template(kind), 0
    with uploaded.file.open("rb") as handle:
        return handle.read(), uploaded.version


@transaction.atomic
def document_generate(*, kind: str, fmt: str, year: int, township: Township | None = None,
                      number: str | None = None, acting_user) -> GeneratedDocument:
    """One document of a year, filled from the selectors, and its audit event (kind,
    year, who, template version, the sha256 of its figures)."""
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
    document_settings = DocumentSettings.get()
    if kind == "notice":
        number = number or default_number(year, document_settings)
        problem = number_problem(number, year)
        if problem:
            raise DocumentError(problem)
    # The documents are the county's, in Chinese, whatever language the user browses in.
    with translation.override(django_settings.LANGUAGE_CODE):
        context, content, version = _fill(kind, fmt, fund_year, document_settings,
                                          township=township, number=number)
        name = DOCUMENTS[(kind, fmt)]
    sha256 = figures.digest(context)
    prefix = f"{township.name}" if township is not None else document_settings.county_name
    filename = f"{prefix}{year}年度{name}.{fmt}"
    AuditEvent.objects.create(
        action=AuditEvent.Action.DOCUMENT_GENERATED, year=year, actor=acting_user,
        summary=stored_text(lambda: _("%(name)s of %(year)s generated (%(file)s)") % {
            "name": name, "year": year, "file": filename}),
        details={"kind": kind, "format": fmt, "township": township.code if township else None,
                 "template_version": version, "figures_sha256": sha256, "number": number})
    return GeneratedDocument(filename=filename, content_type=DOCX if fmt == "docx" else XLSX,
                             content=content, figures_sha256=sha256, template_version=version)


def figures_for(kind: str, fund_year: FundYear, document_settings: DocumentSettings, *,
                township=None, number=None):
    """The context of a kind's template, and what its workbook needs besides."""
    if kind == "plan":
        return figures.plan_figures(fund_year, document_settings)[0], None
    if kind == "notice":
        return figures.notice_figures(fund_year, document_settings, number=number), None
    if kind == "posting":
        return figures.posting_figures(fund_year, document_settings, township=township), None
    if kind == "execution":
        return figures.execution_figures(fund_year, document_settings)
    return figures.rectification_figures(fund_year, document_settings, township=township)


def _fill(kind, fmt, fund_year, document_settings, *, township, number):
    context, extra = figures_for(kind, fund_year, document_settings, township=township,
                                 number=number)
    if fmt == "xlsx":
        book = (workbooks.execution_workbook if kind == "execution"
                else workbooks.rectification_workbook)
        return context, book(context, extra), 0
    template, version = _template(kind)
    return context, rendering.render_docx(template, context), version


# --- Replacement templates ---------------------------------------------------------------


@transaction.atomic
def document_template_upload(*, kind: str, upload, acting_user) -> DocumentTemplate:
    """Check an uploaded .docx against the kind's fields and the sandbox's rules; if it
    passes, it becomes the kind's template (the next version). Nothing is saved when it
    does not pass (DocumentError with every problem)."""
    require_permission(acting_user, "funds.add_documenttemplate")
    if kind not in DocumentKind.values:
        raise DocumentError(_("There is no such document."))
    data = upload.read()
    problems = rendering.template_problems(kind, data)
    if problems:
        raise DocumentError(" ".join(problems))
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
