"""The page that brings a township's existing ledger in: upload, preview, confirm.

Thin: the reading, the checks and the write are :mod:`funds.spending.ledger_import`.
The uploaded file waits for the confirmation under MEDIA_ROOT/imports/pending/ named
by its SHA-256, so that the confirmation records exactly the file previewed.
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import BadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from funds.budget.exports import xlsx_download
from funds.scope import fund_year_or_404, township_in_scope
from funds.spending import ledger_import
from funds.spending.services import SpendingError
from townships.imports import ImportFileError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class LedgerUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Ledger file (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}))


class LedgerConfirmForm(forms.Form):
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    filename = forms.CharField(widget=forms.HiddenInput, max_length=200)
    acknowledge_duplicates = forms.BooleanField(
        label=gettext_lazy("The rows marked as repeating a recorded expenditure are "
                           "different spending: import them too."), required=False)
    overdraft_reason = forms.CharField(
        label=gettext_lazy("Reason for going below zero"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}))


def _pending(sha256: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "pending" / sha256


def _render(request, township, fund_year, *, form, preview=None, problems=(), status=200,
            confirm=None):
    return render(request, "funds/ledger_import.html", {
        "township": township, "fund_year": fund_year, "form": form, "preview": preview,
        "problems": list(problems), "confirm": confirm,
    }, status=status)


@permission_required("funds.add_ledgerimport", raise_exception=True)
def ledger_import_page(request, code: str, year: int):
    township = township_in_scope(request, code)
    fund_year = fund_year_or_404(year)
    if request.method == "POST" and "sha256" in request.POST:
        return _confirm(request, township, fund_year)
    posted = request.method == "POST"  # an empty POST is an invalid form, shown again
    form = LedgerUploadForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method != "POST" or not form.is_valid():
        return _render(request, township, fund_year, form=form,
                       status=400 if form.errors else 200)
    upload = form.cleaned_data["file"]
    data = upload.read(settings.IMPORT_MAX_BYTES + 1)
    try:
        preview = ledger_import.ledger_import_preview(
            township=township, year=year, data=data, filename=upload.name,
            acting_user=request.user)
    except ImportFileError as exc:
        return _render(request, township, fund_year, form=form,
                       problems=[str(p) for p in exc.problems], status=400)
    confirm = None
    if preview.can_confirm:
        path = _pending(preview.sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        confirm = LedgerConfirmForm(initial={"sha256": preview.sha256,
                                             "filename": upload.name[:200]})
    return _render(request, township, fund_year, form=LedgerUploadForm(), preview=preview,
                   problems=[str(p) for p in preview.problems], confirm=confirm,
                   status=400 if preview.problems else 200)


def _confirm(request, township, fund_year):
    form = LedgerConfirmForm(request.POST)
    if not form.is_valid() or not _SHA256.match(form.cleaned_data["sha256"]):
        raise BadRequest
    path = _pending(form.cleaned_data["sha256"])
    if not path.exists():
        messages.error(request, _("The previewed file is no longer here; upload it again."))
        return redirect("ledger-import", township.code, fund_year.year)
    data = path.read_bytes()
    try:
        record = ledger_import.ledger_import_confirm(
            township=township, year=fund_year.year, data=data,
            filename=form.cleaned_data["filename"], acting_user=request.user,
            acknowledge_duplicates=form.cleaned_data["acknowledge_duplicates"],
            overdraft_reason=form.cleaned_data["overdraft_reason"])
    except ImportFileError as exc:
        return _render(request, township, fund_year, form=LedgerUploadForm(),
                       problems=[str(p) for p in exc.problems], status=400)
    except SpendingError as exc:
        preview = ledger_import.ledger_import_preview(
            township=township, year=fund_year.year, data=data,
            filename=form.cleaned_data["filename"], acting_user=request.user)
        form.add_error(None, str(exc))
        return _render(request, township, fund_year, form=LedgerUploadForm(),
                       preview=preview, confirm=form, status=400)
    path.unlink(missing_ok=True)
    messages.success(request, _("%(rows)s expenditures of %(total)s yuan imported from "
                                "%(file)s.") % {"rows": record.rows,
                                                "total": f"{record.total:,.2f}",
                                                "file": record.original_name})
    return redirect("ledger", township.code, fund_year.year)


@permission_required("funds.add_ledgerimport", raise_exception=True)
def ledger_import_template(request):
    """The canonical layout as an XLSX file: a title row, the header, an example row and
    the 合计 row people keep (the import skips it)."""
    header = list(ledger_import.CANONICAL.values())
    example = [datetime.date(2020, 3, 5).isoformat(), "记-3", _("Party members' training "
               "books"), _("County Xinhua bookshop"), "教育培训", None, Decimal("1234.50"),
               None, "2020-03-10", ""]
    total = ["合计", "", "", "", "", None, Decimal("1234.50"), None, "", ""]
    return xlsx_download(header, [example, total], title=_("Ledger of party-building funds"),
                         filename=_("ledger-template") + ".xlsx", sheet_title=_("ledger"),
                         yuan_columns={5, 6, 7})
