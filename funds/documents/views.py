"""The documents page (文件) of a year, the downloads, the printable posting, templates.

Who may generate what: administrators, staff and finance (which co-issues them) every
document (``funds.generate_documents``): the documents are made from the records when
opened, so opening one is generating it, audited either way; a township's clerk the
posting and the rectification ledger of the own township
(``funds.generate_township_documents``), and another township's is a 404, as everywhere.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from funds.documents import figures, services
from funds.documents.forms import IssueForm, TemplateUploadForm
from funds.models import DocumentKind, DocumentSettings, DocumentTemplate
from funds.scope import fund_year_or_404, township_in_scope
from townships.models import Township
from townships.roles import own_township_id


def _sent(document: services.GeneratedDocument) -> HttpResponse:
    response = HttpResponse(document.content, content_type=document.content_type)
    response["Content-Disposition"] = content_disposition_header(True, document.filename)
    return response


@require_safe
def documents(request, year: int):
    user = request.user
    county = user.has_perm("funds.generate_documents")
    own = own_township_id(user)
    if not county and not (own and user.has_perm("funds.generate_township_documents")):
        raise PermissionDenied
    fund_year = fund_year_or_404(year)
    township = Township.objects.filter(pk=own).first() if own else None
    rows = []
    for (kind, fmt), name in services.DOCUMENTS.items():
        township_too = (kind, fmt) in services.TOWNSHIP_DOCUMENTS
        rows.append({
            "kind": kind, "fmt": fmt, "name": name,
            "who": _("Administrators, staff and finance; a clerk for the own township")
            if township_too else _("Administrators, staff and finance"),
            "county": county, "township": township if township_too else None,
        })
    upload_form = (TemplateUploadForm() if user.has_perm("funds.add_documenttemplate")
                   else None)
    return render(request, "funds/documents.html", {
        "fund_year": fund_year,
        "rows": rows,
        "county": county,
        "township": township,
        "issue_form": IssueForm(request.GET or None, year=year, initial={
            "number": services.default_number(year),
            "dated": timezone.localdate() if year == timezone.localdate().year else None}),
        "excess": services.excess_problem(fund_year, ""),
        "upload_form": upload_form,
        "templates": DocumentTemplate.objects.filter(active=True).select_related(
            "uploaded_by") if upload_form else [],
        "kinds": DocumentKind.choices,
    })


def _generate(request, *, year, kind, fmt, township=None):
    """The document as a download; anything that stops it (no date chosen, a number in
    use, money beyond the fund without its source) goes back to the documents page as a
    message, the choices kept."""
    if (kind, fmt) not in services.DOCUMENTS:
        raise Http404
    fund_year_or_404(year)
    back = f"{reverse('documents', args=[year])}?{request.GET.urlencode()}"
    form = IssueForm(request.GET, year=year)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        document = services.document_generate(
            kind=kind, fmt=fmt, year=year, township=township,
            number=form.cleaned_data["number"] if kind == "notice" else None,
            dated=form.cleaned_data["dated"],
            excess_source=form.cleaned_data["excess_source"],
            period=form.cleaned_data["period"] if kind == "posting" else None,
            acting_user=request.user)
    except services.DocumentError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return _sent(document)


@require_safe
def document_download(request, year: int, kind: str, fmt: str):
    if not request.user.has_perm("funds.generate_documents"):
        raise PermissionDenied
    return _generate(request, year=year, kind=kind, fmt=fmt)


@require_safe
def township_document_download(request, year: int, code: str, kind: str, fmt: str):
    township = township_in_scope(request, code)
    if not request.user.has_perm("funds.generate_township_documents"):
        raise PermissionDenied
    if (kind, fmt) not in services.TOWNSHIP_DOCUMENTS:
        raise Http404
    return _generate(request, year=year, kind=kind, fmt=fmt, township=township)


def _posting_page(request, year, township=None):
    fund_year = fund_year_or_404(year)
    context = figures.posting_figures(fund_year, DocumentSettings.get(), township=township)
    return render(request, "funds/posting_print.html", {
        "fund_year": fund_year, "posting": context,
        "back_url": reverse("documents", args=[year])})


@require_safe
def posting(request, year: int):
    """公示, printable: the whole county."""
    if not request.user.has_perm("funds.generate_documents"):
        raise PermissionDenied
    return _posting_page(request, year)


@require_safe
def township_posting(request, year: int, code: str):
    """公示, printable: one township (its clerk's)."""
    township = township_in_scope(request, code)
    if not request.user.has_perm("funds.generate_township_documents"):
        raise PermissionDenied
    return _posting_page(request, year, township)


@require_POST
@permission_required("funds.add_documenttemplate", raise_exception=True)
def template_upload(request, year: int):
    form = TemplateUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            template = services.document_template_upload(
                kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"],
                acting_user=request.user, year=year)
        except services.DocumentError as exc:
            messages.error(request, _("The template was not saved: %(problems)s")
                           % {"problems": exc})
        else:
            messages.success(request, _("%(kind)s now uses the uploaded template, version "
                                        "%(version)s.") % {"kind": template.get_kind_display(),
                                                           "version": template.version})
    return redirect("documents", year)


@require_POST
@permission_required("funds.change_documenttemplate", raise_exception=True)
def template_reset(request, year: int, kind: str):
    if kind not in DocumentKind.values:
        raise Http404
    version = services.document_template_reset(kind=kind, acting_user=request.user)
    if version is not None:
        messages.success(request, _("%(kind)s is back on the default template.")
                         % {"kind": DocumentKind(kind).label})
    return redirect("documents", year)
