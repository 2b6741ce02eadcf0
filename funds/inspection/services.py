"""Writes of the inspection desk: an inspector closes a red flag with an explanation."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from funds.inspection.flags import RULES
from funds.inspection.selectors import red_flags_get
from funds.models import FundYear, RedFlagReview
from townships.audit import stored_text
from townships.models import AuditEvent, Township
from townships.roles import require_permission


class InspectionError(Exception):
    """A refused write of the inspection desk; the message is for the user."""


@transaction.atomic
def red_flag_close(*, fund_year: FundYear, township: Township, rule: str, subject: str,
                   fingerprint: str, explanation: str, acting_user) -> RedFlagReview:
    """Close a flag as the inspector saw it: ``fingerprint`` is the one the page showed,
    and if the flag's items or figures changed since, nothing is closed. The fingerprint
    is kept, and the flag opens again as soon as they change. Audited."""
    require_permission(acting_user, "funds.close_redflag")
    explanation = (explanation or "").strip()
    if not explanation:
        raise InspectionError(_("Say why the flag is closed."))
    if rule not in RULES:
        raise InspectionError(_("There is no such rule."))
    flag = next((f for f in red_flags_get(fund_year=fund_year, township_ids={township.pk})
                 if f.rule == rule and f.subject == subject), None)
    if flag is None:
        raise InspectionError(_("This flag no longer stands: the records changed. Look at "
                                "the list again."))
    if flag.is_closed:
        raise InspectionError(_("This flag is already closed."))
    if flag.fingerprint != fingerprint:
        raise InspectionError(_("The records behind this flag changed after the page was "
                                "opened; nothing was closed. Look at the flag again."))
    review = RedFlagReview.objects.create(
        year=fund_year.year, township=township, rule=rule, subject=subject,
        fingerprint=flag.fingerprint, figure=flag.figure[:300], explanation=explanation,
        closed_by=acting_user)
    AuditEvent.objects.create(
        action=AuditEvent.Action.FLAG_CLOSED, year=fund_year.year, actor=acting_user,
        summary=stored_text(lambda: _("Red flag “%(rule)s” of %(township)s closed (%(figure)s): "
                                      "%(explanation)s") % {
            "rule": RULES[rule][0], "township": township.name, "figure": flag.figure,
            "explanation": explanation}),
        details={"township": township.code, "rule": rule, "subject": subject,
                 "fingerprint": flag.fingerprint, "items": [i.id for i in flag.items],
                 "findings": [f.id for f in flag.findings], "explanation": explanation})
    return review
