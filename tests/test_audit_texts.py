"""Issue 23 item 8: the audit page reads as a person reads, not as the database stores.

Permissions by their Chinese names, an adopted plan by its name, amounts in 元 with
thousands separators.
"""

from django.contrib.auth.models import Group, Permission

from funds.planning import services as planning
from townships.audit import acting
from townships.models import AuditEvent


def _permission(codename):
    return Permission.objects.get(content_type__app_label="funds", codename=codename)


def test_a_granted_permission_is_named_in_chinese(db, loader, staff_user):
    with acting(loader):
        staff_user.user_permissions.add(_permission("approve_expenditure"),
                                        _permission("add_expenditure"))
        Group.objects.get(name="财政").permissions.add(_permission("view_expenditure"))
    summaries = " ".join(AuditEvent.objects.filter(
        action=AuditEvent.Action.ROLE_GRANTED).values_list("summary", flat=True))
    assert "“可审批、退回或驳回支出”" in summaries
    assert "“可添加支出”" in summaries
    assert "可查看支出" in summaries
    assert "funds." not in summaries and "expenditure" not in summaries


def test_the_settings_changed_by_an_adopted_plan_read_as_a_person_reads(demo, admin_user):
    scenario = planning.scenario_create(fund_year=demo, name="按比例", method="scale",
                                        acting_user=admin_user)
    planning.scenario_adopt(scenario=scenario, acting_user=admin_user)
    event = AuditEvent.objects.filter(action=AuditEvent.Action.FUND_YEAR_CHANGED).latest("id")
    assert "170,000.00 → 147,318.00" in event.summary
    assert "— → “按比例”" in event.summary
    assert not event.summary.endswith(f"→ {scenario.pk}")
    assert event.details["changes"]["adopted_scenario"]["new"] == scenario.pk
