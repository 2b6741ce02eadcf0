"""Pages of the spending loop: ledgers, expenditures, approvals, execution, inspections.

The views are thin: the rules live in :mod:`funds.spending.services`. A clerk who asks for another
township's ledger, expenditure or voucher gets 404, as if it did not exist.
"""

import datetime
import os
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import BadRequest, PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django_tables2 import RequestConfig

from funds.budget.exports import (
    csv_download,
    execution_file,
    ledger_headers,
    ledger_rows,
    payment_headers,
    payment_rows,
    xlsx_download,
)
from funds.budget.pages import AllocationRowsPage, filtered_rows
from funds.budget.selectors import (
    execution_total_get,
    ledger_line_list,
    township_budget_get,
)
from funds.budget.tables import ExecutionTable
from funds.models import (
    CollectiveDecision,
    Expenditure,
    Finding,
    FundYear,
    Inspection,
    Voucher,
)
from funds.scope import chosen_fund_year, fund_year_or_404, township_in_scope
from funds.spending import services as spending
from funds.spending.filters import ApprovalQueueFilter, ExpenditureFilter
from funds.spending.forms import (
    ApproveForm,
    BatchApproveForm,
    DecisionCorrectForm,
    DecisionForm,
    ExpenditureForm,
    FindingCloseForm,
    FindingForm,
    InspectionForm,
    NewExpenditureForm,
    NoteForm,
    ReimburseForm,
    VoucherForm,
)
from funds.spending.invoices import InvoiceError, read_invoice
from funds.spending.selectors import (
    approval_queue_list,
    clerk_todo_get,
    expenditure_search_list,
    invoice_warnings,
    notifications_get,
    payment_month_list,
    township_budgets_get,
)
from funds.spending.tables import (
    ApprovalQueueTable,
    ExpenditureSearchTable,
    InspectionTable,
    PaymentTable,
)
from townships.accounts import display_name
from townships.models import YEAR_MAX, YEAR_MIN, Township
from townships.roles import (
    all_townships_required,
    may_act_for,
    own_township_id,
    sees_all_townships,
)
from wanyuan.lists import ListPage
from wanyuan.money import amount_in_capitals
from wanyuan.printing import print_context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _expenditure_in_scope(request, pk: int) -> Expenditure:
    expenditure = get_object_or_404(
        Expenditure.objects.select_related("township", "category", "decision", "created_by",
                                           "submitted_by", "approved_by", "reimbursed_by",
                                           "ledger_import__imported_by"), pk=pk)
    if not may_act_for(request.user, expenditure.township):
        raise Http404
    return expenditure


def _posted(request):
    """The POST data of a form, bound even when empty (an empty POST is an invalid form)."""
    return request.POST if request.method == "POST" else None


def _errors_as_messages(request, form):
    """A form posted from the expenditure page: its errors go back there as messages."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def _report(request, warnings):
    for warning in warnings:
        messages.warning(request, warning)


# --- A clerk's home --------------------------------------------------------------------


@permission_required("funds.view_expenditure", raise_exception=True)
def clerk_home(request):
    """A township clerk's start page: the year's budget, what to do, and the button to
    record an expenditure. Everyone else has the overview."""
    township_id = own_township_id(request.user)
    if township_id is None:
        return redirect("overview")
    township = Township.objects.get(pk=township_id)
    fund_year, years = chosen_fund_year(request)
    context = {"township": township, "fund_year": fund_year}
    if fund_year is not None:
        context.update(
            budget=township_budget_get(township=township, fund_year=fund_year),
            todo=clerk_todo_get(township=township, year=fund_year.year),
            notifications=notifications_get(user=request.user, township_id=township_id),
            can_add=request.user.has_perm("funds.add_expenditure")
            and township.in_service(fund_year.year),
        )
    return render(request, "funds/clerk_home.html", context)


# --- A township's ledger ----------------------------------------------------------------


def _ledger(township, fund_year):
    expenditures = (
        Expenditure.objects.filter(township=township, year=fund_year.year)
        .select_related("category").order_by("date", "id")
    )
    budget = township_budget_get(township=township, fund_year=fund_year)
    return ledger_line_list(expenditures=expenditures, allocation=budget.allocation), budget


@permission_required("funds.view_expenditure", raise_exception=True)
def ledger(request, code: str, year: int, printing: bool = False):
    township = township_in_scope(request, code)
    fund_year = fund_year_or_404(year)
    lines, budget = _ledger(township, fund_year)
    return render(request, "funds/ledger.html", print_context(request, printing=printing) | {
        "township": township,
        "fund_year": fund_year,
        "lines": lines,
        "budget": budget,
        "can_add": request.user.has_perm("funds.add_expenditure")
        and township.in_service(year),
        "open_findings": Finding.objects.filter(township=township, closed_at__isnull=True)
        .select_related("inspection"),
    })


def _ledger_export(request, code, year):
    township = township_in_scope(request, code)
    fund_year = fund_year_or_404(year)
    lines, budget = _ledger(township, fund_year)
    return township, ledger_rows(lines, budget)


def _ledger_names(township, year: int) -> tuple[str, str]:
    names = {"township": township.name, "year": year}
    return (_("%(township)s: ledger %(year)s (yuan)") % names,
            _("ledger-%(township)s-%(year)s") % names)


@permission_required("funds.view_expenditure", raise_exception=True)
def ledger_export_csv(request, code: str, year: int):
    township, rows = _ledger_export(request, code, year)
    return csv_download(ledger_headers(), rows,
                        filename=_ledger_names(township, year)[1] + ".csv")


@permission_required("funds.view_expenditure", raise_exception=True)
def ledger_export_xlsx(request, code: str, year: int):
    township, rows = _ledger_export(request, code, year)
    title, filename = _ledger_names(township, year)
    return xlsx_download(ledger_headers(), rows, title=title, filename=filename + ".xlsx",
                         sheet_title=str(year), yuan_columns={5, 6})


# --- Expenditures ----------------------------------------------------------------------


@permission_required("funds.add_expenditure", raise_exception=True)
def expenditure_create(request, code: str, year: int):
    township = township_in_scope(request, code)
    fund_year = fund_year_or_404(year)
    form = NewExpenditureForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        uploads, kind = data.pop("vouchers"), data.pop("voucher_kind")
        try:
            expenditure = spending.expenditure_create(
                township=township, acting_user=request.user, uploads=uploads,
                voucher_kind=kind, **data)
        except spending.SpendingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The expenditure was saved as a draft. Submit it "
                                        "for approval; the invoice must be attached before "
                                        "reimbursement."))
            _report(request, spending.expenditure_warnings(expenditure))
            return redirect("expenditure-detail", expenditure.pk)
    return render(request, "funds/expenditure_form.html", {
        "township": township, "fund_year": fund_year, "form": form,
    }, status=400 if form.errors else 200)


@permission_required("funds.view_expenditure", raise_exception=True)
def expenditure_print(request, pk: int):
    """The 报账审批单 of one expenditure (A4): what it is, the amount in figures and in
    capitals, the decision it rests on, who did what when, and the boxes to sign."""
    expenditure = _expenditure_in_scope(request, pk)
    transitions = list(expenditure.transitions.all())
    approval = next((t for t in reversed(transitions)
                     if t.to_status == Expenditure.Status.APPROVED), None)
    kinds = Counter(expenditure.vouchers.values_list("kind", flat=True))
    fund_year = FundYear.objects.filter(year=expenditure.year).first()
    return render(request, "funds/expenditure_print.html",
                  print_context(request, printing=True) | {
                      "expenditure": expenditure, "township": expenditure.township,
                      "transitions": transitions, "approval": approval,
                      "capitals": amount_in_capitals(expenditure.amount),
                      "fund_year": fund_year,
                      "large": bool(fund_year and fund_year.is_large(expenditure.amount)),
                      "vouchers": [(label, kinds[value]) for value, label in
                                   Voucher.Kind.choices if kinds[value]],
                      "back_url": reverse("expenditure-detail", args=[pk]),
                  })


@permission_required("funds.view_expenditure", raise_exception=True)
def expenditure_detail(request, pk: int, *, posted=None, status=200):
    """One expenditure with every form its user may use now; ``posted`` is a form
    (slot name, bound form) refused by a POST, shown again with what was typed."""
    expenditure = _expenditure_in_scope(request, pk)
    user = request.user
    fund_year = FundYear.objects.filter(year=expenditure.year).first()
    large = bool(fund_year and fund_year.is_large(expenditure.amount))
    excluded = spending.excluded_approvers(expenditure)
    # The buttons read the services' table: an action is offered exactly when it passes.
    actions = {name: spending.allowed(name, expenditure, user, excluded=excluded)
               for name in spending.TRANSITIONS}
    # An action the state calls for but that is refused now is said, not offered.
    blocked = spending.blocked(expenditure, user, excluded=excluded)
    for action in blocked:
        actions[action] = False
    actions["decision"] = actions["decision"] and bool(
        fund_year and expenditure.needs_decision(fund_year))
    budget = (township_budget_get(township=expenditure.township, fund_year=fund_year)
              if fund_year else None)
    vouchers = list(expenditure.vouchers.select_related("uploaded_by"))
    transitions = list(expenditure.transitions.all())  # who acted: as recorded then
    # Why it came back, at the top of the page: on a phone the history's note column is
    # off screen (the same rows, no extra query).
    returned = next((t for t in reversed(transitions) if t.is_return), None)
    context = {
        "expenditure": expenditure,
        "township": expenditure.township,
        "fund_year": fund_year,
        "large": large,
        "budget": budget,
        # an expenditure not yet counted in the budget, which it would overdraw
        "over_budget": (None if budget is None or expenditure.counts_against_budget
                        else spending.over_budget_message(budget, expenditure.amount)),
        "actions": actions,
        "blocked": blocked,
        "has_invoice": any(v.kind == Voucher.Kind.INVOICE for v in vouchers),
        "transitions": transitions,
        "returned": returned if expenditure.status == Expenditure.Status.RETURNED else None,
        "vouchers": vouchers,
        "findings": expenditure.findings.select_related("inspection"),
        # One form per action on one page: distinct ids keep every label attached.
        "note_forms": {name: NoteForm(auto_id=f"{name}_%s")
                       for name in ("return", "reject", "void")},
        "approve_form": ApproveForm(auto_id="approve_%s"),
        "reimburse_form": ReimburseForm(auto_id="reimburse_%s",
                                        initial={"reimbursed_on": timezone.localdate()}),
        "action_labels": [("return", _("Return for changes")), ("reject", _("Reject")),
                          ("void", _("Void"))],
        "enabled_note_actions": [name for name in ("return", "reject", "void")
                                 if actions[name]],
        "voucher_form": VoucherForm(may_allow_duplicate=user.has_perm(
            "funds.allow_duplicate_invoice")),
        "invoice_warnings": invoice_warnings(expenditure),
        "decision_form": DecisionForm(),
    }
    decision = expenditure.decision
    if (decision is not None and user.has_perm("funds.add_collectivedecision")
            and may_act_for(user, expenditure.township_id)
            and expenditure.status in spending.OPEN):
        context["decision_correct_form"] = DecisionCorrectForm(
            auto_id="correct_%s", has_minutes=bool(decision.minutes_file), initial={
                "meeting_type": decision.meeting_type, "meeting_date": decision.meeting_date,
                "attendance": decision.attendance,
                "minutes_reference": decision.minutes_reference})
    if posted is not None:
        slot, form = posted
        if slot in context["note_forms"]:
            context["note_forms"][slot] = form
        else:
            context[f"{slot}_form"] = form
        context["posted_slot"] = slot
    return render(request, "funds/expenditure_detail.html", context, status=status)


@permission_required("funds.change_expenditure", raise_exception=True)
def expenditure_edit(request, pk: int):
    expenditure = _expenditure_in_scope(request, pk)
    try:
        spending.check("edit", expenditure, request.user)
    except spending.SpendingError as exc:
        messages.error(request, str(exc))
        return redirect("expenditure-detail", pk)
    form = ExpenditureForm(_posted(request), instance=expenditure)
    if request.method == "POST" and form.is_valid():
        # The service writes; the form only validated. Read the values, not the instance,
        # which the form has already changed in memory.
        try:
            saved = spending.expenditure_update(expenditure=Expenditure.objects.get(pk=pk),
                                                acting_user=request.user, **form.cleaned_data)
        except spending.SpendingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The expenditure was changed."))
            _report(request, spending.expenditure_warnings(saved))
            return redirect("expenditure-detail", pk)
    return render(request, "funds/expenditure_form.html", {
        "township": expenditure.township, "expenditure": expenditure, "form": form,
        "fund_year": FundYear.objects.filter(year=expenditure.year).first(),
    }, status=400 if form.errors else 200)


ACTIONS = {
    # name: (service, form class or None, success message)
    "submit": (spending.expenditure_submit, None, _("Submitted for approval.")),
    "withdraw": (spending.expenditure_withdraw, None,
                 _("Withdrawn: it is a draft again; change it and submit it when ready.")),
    "approve": (spending.expenditure_approve, ApproveForm, _("Approved.")),
    "return": (spending.expenditure_return, NoteForm, _("Returned to the township for "
                                                        "changes.")),
    "reject": (spending.expenditure_reject, NoteForm, _("Rejected.")),
    "reimburse": (spending.expenditure_reimburse, ReimburseForm, _("Recorded as reimbursed.")),
    "void": (spending.expenditure_void, NoteForm, _("Voided.")),
}


def _resubmitted_message(returned) -> str:
    """What a resubmission does, said to the clerk: back to the approval queue, the
    approval given before the return (if any) withdrawn, the one who returned it told."""
    if returned is None:
        return _("Submitted for approval.")
    names = {"person": display_name(returned.actor)}
    if returned.from_status == Expenditure.Status.APPROVED:
        return _("Resubmitted for approval: the approval given before the return is "
                 "withdrawn, and the approver looks at it again; %(person)s, who returned "
                 "it, is notified.") % names
    return _("Resubmitted for approval: %(person)s, who returned it, is notified and "
             "looks at it again.") % names


def _post_on_expenditure(request, pk: int, form, call, success, *, slot: str):
    """The shape of every form posted on the expenditure page: validate the form, call
    the service, say what happened, go back to the expenditure. A refused form is shown
    again on the page, in its place (``slot``), with what was typed."""
    if form is not None and not form.is_valid():
        _errors_as_messages(request, form)
        return expenditure_detail(request, pk, posted=(slot, form), status=400)
    try:
        result = call(**(form.cleaned_data if form is not None else {}))
    except spending.SpendingError as exc:
        messages.error(request, str(exc))
        if form is not None:
            return expenditure_detail(request, pk, posted=(slot, form), status=400)
    else:
        messages.success(request, success(result) if callable(success) else success)
        if isinstance(result, list):
            _report(request, result)
    return redirect("expenditure-detail", pk)


@require_POST
def expenditure_action(request, pk: int, action: str):
    if action not in ACTIONS:
        raise Http404
    service, form_class, success = ACTIONS[action]
    expenditure = _expenditure_in_scope(request, pk)
    if not any(request.user.has_perm(rule.permission)
               for rule in spending.TRANSITIONS[action]):
        raise PermissionDenied  # before the form: a user who may not act learns nothing
    if action == "submit" and expenditure.status == Expenditure.Status.RETURNED:
        success = _resubmitted_message(spending.last_return(expenditure))
    return _post_on_expenditure(
        request, pk, form_class(request.POST, auto_id=f"{action}_%s") if form_class else None,
        lambda **data: service(expenditure=expenditure, acting_user=request.user, **data),
        success, slot=action)


@require_POST
@permission_required("funds.add_voucher", raise_exception=True)
def voucher_upload(request, pk: int):
    expenditure = _expenditure_in_scope(request, pk)
    form = VoucherForm(request.POST, request.FILES, may_allow_duplicate=request.user.has_perm(
        "funds.allow_duplicate_invoice"))

    def attach(kind, file, invoice=None, duplicate_reason="", **_typed):
        vouchers = spending.vouchers_add(
            expenditure=expenditure, kind=kind, uploads=file, acting_user=request.user,
            invoice=invoice, duplicate_reason=duplicate_reason)
        _report(request, invoice_warnings(expenditure))
        return vouchers

    return _post_on_expenditure(
        request, pk, form, attach,
        lambda vouchers: _("Attached: %(names)s.") % {
            "names": "、".join(f"“{v.original_name}”" for v in vouchers)}, slot="voucher")


@require_POST
@permission_required("funds.add_voucher", raise_exception=True)
def invoice_read(request):
    """The facts of an invoice file's QR code (or OFD data), for the page to fill in the
    voucher form for the clerk to confirm. Nothing is stored."""
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": _("Choose the invoice file.")}, status=400)
    try:
        spending.check_upload(upload)
        facts = read_invoice(upload.read())
    except (spending.SpendingError, InvoiceError) as exc:
        # a file that holds no readable invoice is an answer, not a failure: the clerk
        # types the facts (the page says so)
        return JsonResponse({"error": str(exc)})
    other = spending.invoice_used_on(facts.key)
    return JsonResponse({
        "number": facts.number, "code": facts.code, "type": facts.type_label,
        "date": facts.date.isoformat() if facts.date else "",
        "amount": str(facts.amount) if facts.amount is not None else "",
        "seller": facts.seller,
        "used_on": other.expenditure_id if other is not None and may_act_for(
            request.user, other.expenditure.township_id) else None,
        "duplicate": other is not None,
    })


def _send_file(field, filename, *, inline=False):
    """A stored voucher or minutes file, offered under a name ending in the extension it
    was verified as, with the Content-Type of that type (never one a name suggests).
    ``inline`` shows it in the browser (the preview): only the verified PDF and image
    types, which the upload checked by their first bytes."""
    extension = os.path.splitext(field.name)[1].lower()
    if not filename.lower().endswith(extension):
        filename = os.path.splitext(filename)[0] + extension
    content_type = spending.content_type_of(field.name)
    inline = inline and content_type in spending.PREVIEWABLE_TYPES
    return FileResponse(field.open("rb"), as_attachment=not inline, filename=filename,
                        content_type=content_type)


@permission_required("funds.view_voucher", raise_exception=True)
def voucher_download(request, pk: int):
    voucher = get_object_or_404(Voucher.objects.select_related("expenditure"), pk=pk)
    if not may_act_for(request.user, voucher.expenditure.township_id):
        raise Http404
    return _send_file(voucher.file, voucher.original_name,
                      inline=request.GET.get("inline") == "1")


@permission_required("funds.view_collectivedecision", raise_exception=True)
def decision_minutes(request, pk: int):
    decision = get_object_or_404(CollectiveDecision, pk=pk)
    if not decision.minutes_file or not may_act_for(request.user, decision.township_id):
        raise Http404
    return _send_file(decision.minutes_file, f"minutes-{decision.meeting_date:%Y%m%d}")


@require_POST
@permission_required("funds.add_collectivedecision", raise_exception=True)
def decision_create(request, pk: int):
    expenditure = _expenditure_in_scope(request, pk)
    return _post_on_expenditure(
        request, pk, DecisionForm(request.POST, request.FILES),
        lambda **data: spending.decision_record(expenditure=expenditure,
                                                acting_user=request.user, **data),
        _("The collective decision was recorded."), slot="decision")


@require_POST
@permission_required("funds.add_collectivedecision", raise_exception=True)
def decision_update(request, pk: int):
    expenditure = _expenditure_in_scope(request, pk)
    decision = expenditure.decision
    if decision is None:
        raise Http404
    return _post_on_expenditure(
        request, pk, DecisionCorrectForm(request.POST, request.FILES,
                                         has_minutes=bool(decision.minutes_file),
                                         auto_id="correct_%s"),
        lambda **data: spending.decision_update(decision=decision, acting_user=request.user,
                                                **data),
        _("The collective decision was corrected."), slot="decision_correct")


# --- Staff: the approval queue and the year's execution -----------------------------------


class ApprovalQueueView(PermissionRequiredMixin, ListPage):
    """The queue, of every year or of one (?year=), oldest first; several items are
    approved at once from here (:func:`approval_batch`)."""

    permission_required = "funds.approve_expenditure"
    raise_exception = True
    table_class = ApprovalQueueTable
    filterset_class = ApprovalQueueFilter
    template_name = "funds/approval_queue.html"

    def get_queryset(self):
        return approval_queue_list()

    def get_table_kwargs(self):
        return {"fund_years": {fy.year: fy for fy in FundYear.objects.all()}}

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        # Flags need each budget on the page shown only: three queries, any length
        table.budgets = township_budgets_get(
            pairs=[(row.record.township_id, row.record.year) for row in table.page.object_list])
        return table

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            batch_form=BatchApproveForm(auto_id="batch_%s"),
            notifications=notifications_get(user=self.request.user, sees_all=True), **kwargs)


@require_POST
@permission_required("funds.approve_expenditure", raise_exception=True)
def approval_batch(request):
    """Approve the selected items with one opinion; the result item by item."""
    form = BatchApproveForm(request.POST, auto_id="batch_%s")
    if not form.is_valid():
        _errors_as_messages(request, form)
        # the queue again, as it stands, with the reasons as messages
        view = ApprovalQueueView()
        view.setup(request)
        response = view.get(request)
        response.status_code = 400
        return response
    results = spending.expenditure_approve_batch(
        expenditures=form.cleaned_data["selected"], acting_user=request.user,
        opinion=form.cleaned_data["opinion"])
    approved = sum(result.approved for result in results)
    messages.info(request, _("%(approved)s of %(count)s approved.")
                  % {"approved": approved, "count": len(results)})
    return render(request, "funds/approval_batch.html", {"results": results})


class ExecutionListView(AllocationRowsPage):
    """A year's execution per township (its print view with ``printing``): the
    allocation's filter over the same rows, its own table."""

    table_class = ExecutionTable
    template_name = "funds/execution.html"

    def get_table_pagination(self, table):
        return False if self.kwargs.get("printing") else super().get_table_pagination(table)

    def get_table_kwargs(self):
        narrowed = self.filterset.narrows()
        return {"fund_year": self.fund_year, "totals": execution_total_get(
            fund_year=self.fund_year, rows=self.object_list if narrowed else None)}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            fund_year=self.fund_year, export_query=self.request.GET.urlencode(),
            **print_context(self.request, printing=bool(self.kwargs.get("printing"))),
            **kwargs)


def _execution_file(request, year: int):
    if not sees_all_townships(request.user):
        raise PermissionDenied
    fund_year = fund_year_or_404(year)
    names = {"county": settings.COUNTY_NAME, "year": year}
    return (*execution_file(fund_year=fund_year, rows=filtered_rows(request, fund_year)),
            _("%(county)s: fund execution %(year)s (yuan)") % names,
            _("execution-%(year)s") % names)


@permission_required("funds.export_allocation", raise_exception=True)
def execution_export_csv(request, year: int):
    header, rows, _formats, _title, filename = _execution_file(request, year)
    return csv_download(header, rows, filename=filename + ".csv")


@permission_required("funds.export_allocation", raise_exception=True)
def execution_export_xlsx(request, year: int):
    header, rows, (yuan, percent), title, filename = _execution_file(request, year)
    return xlsx_download(header, rows, title=title, filename=filename + ".xlsx",
                         sheet_title=str(year), yuan_columns=yuan, percent_columns=percent)


# --- Finance: the month's payments, to reconcile with the accounting system -------------


def _payments(request, year: int, month: int):
    if not sees_all_townships(request.user):
        raise PermissionDenied
    if not (1 <= month <= 12 and YEAR_MIN <= year <= YEAR_MAX):
        raise Http404
    return payment_month_list(year=year, month=month)


def _payment_names(year: int, month: int) -> tuple[str, str]:
    names = {"county": settings.COUNTY_NAME, "year": year, "month": month}
    return (_("%(county)s: payments of %(year)s-%(month)02d (yuan)") % names,
            _("payments-%(year)s-%(month)02d") % names)


@require_safe
def payments(request, year: int, month: int):
    """报账对账: the payments recorded in a month, with their 会计凭证号 and who recorded
    them; the page, CSV and Excel list the same rows."""
    table = PaymentTable(_payments(request, year, month))
    RequestConfig(request, paginate=False).configure(table)
    first = datetime.date(year, month, 1)
    previous = first - datetime.timedelta(days=1)
    following = first + datetime.timedelta(days=31)
    return render(request, "funds/payments.html", {
        "table": table, "year": year, "month": month, "title": _payment_names(year, month)[0],
        "previous": previous, "next": following.replace(day=1)})


@require_safe
def payments_export_csv(request, year: int, month: int):
    return csv_download(payment_headers(), payment_rows(_payments(request, year, month)),
                        filename=_payment_names(year, month)[1] + ".csv")


@require_safe
def payments_export_xlsx(request, year: int, month: int):
    title, filename = _payment_names(year, month)
    return xlsx_download(payment_headers(), payment_rows(_payments(request, year, month)),
                         title=title, filename=filename + ".xlsx",
                         sheet_title=f"{year}-{month:02d}", yuan_columns={3})


# --- Inspections ------------------------------------------------------------------------


@all_townships_required
def inspection_list(request, printing: bool = False):
    queryset = Inspection.objects.prefetch_related("townships").annotate(
        findings_count=Count("findings", distinct=True),
        open_findings=Count("findings", filter=Q(findings__closed_at__isnull=True),
                            distinct=True),
    )
    table = InspectionTable(queryset)
    RequestConfig(request, paginate=False if printing else {"per_page": 50}).configure(table)
    return render(request, "funds/inspection_list.html", print_context(request,
                                                                       printing=printing) | {
        "table": table,
        "open_findings": Finding.objects.filter(closed_at__isnull=True)
        .select_related("township", "inspection").order_by("deadline")[:50],
    })


@permission_required("funds.add_inspection", raise_exception=True)
def inspection_create(request):
    form = InspectionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            inspection = spending.inspection_record(acting_user=request.user,
                                                    **form.cleaned_data)
        except spending.SpendingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The inspection was recorded; add its findings."))
            return redirect("inspection-detail", inspection.pk)
    return render(request, "funds/inspection_form.html", {"form": form},
                  status=400 if form.errors else 200)


@all_townships_required
def inspection_detail(request, pk: int):
    inspection = get_object_or_404(Inspection, pk=pk)
    form = None
    if request.user.has_perm("funds.add_finding"):
        form = FindingForm(_posted(request), inspection=inspection)
        if request.method == "POST" and form.is_valid():
            try:
                spending.finding_add(inspection=inspection, acting_user=request.user,
                                     **form.cleaned_data)
            except spending.SpendingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The finding was recorded."))
                return redirect("inspection-detail", pk)
    elif request.method == "POST":
        raise PermissionDenied
    return render(request, "funds/inspection_detail.html", {
        "inspection": inspection,
        "townships": inspection.townships.order_by("code"),
        "findings": inspection.findings.select_related("township", "closed_by")
        .prefetch_related("expenditures"),
        "form": form,
        "close_form": FindingCloseForm(),
    }, status=400 if form is not None and form.errors else 200)


@require_POST
@permission_required("funds.change_finding", raise_exception=True)
def finding_close(request, pk: int):
    finding = get_object_or_404(Finding, pk=pk)
    form = FindingCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the finding was rectified to close it."))
    else:
        try:
            spending.finding_close(finding=finding, acting_user=request.user,
                                   **form.cleaned_data)
        except spending.SpendingError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The finding was closed."))
    return redirect("inspection-detail", finding.inspection_id)


@require_safe
@permission_required("funds.view_expenditure", raise_exception=True)
def expenditure_search(request):
    """Find expenditures by purpose or payee, amount, status, township, year; a clerk
    searches the own township only."""
    if sees_all_townships(request.user):
        township_id, townships = None, Township.objects.order_by("code")
    elif (township_id := own_township_id(request.user)) is not None:
        townships = Township.objects.filter(pk=township_id)
    else:
        raise PermissionDenied
    queryset = expenditure_search_list(township_id=township_id)
    filterset = ExpenditureFilter(request.GET or None, queryset=queryset, townships=townships)
    if filterset.is_bound:
        queryset = filterset.qs if filterset.is_valid() else queryset.none()
    table = ExpenditureSearchTable(queryset)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "funds/expenditure_search.html", {
        "filter": filterset, "table": table, "count": table.paginator.count})


@require_POST
def notifications_read(request):
    """Mark the notifications shown on a page read, up to the time that page was made."""
    until = parse_datetime(request.POST.get("until", ""))
    if until is None or timezone.is_naive(until):
        raise BadRequest(_("The time of the notifications is not valid."))
    spending.notifications_mark_read(user=request.user, until=until)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = reverse("overview")
    return redirect(target)
