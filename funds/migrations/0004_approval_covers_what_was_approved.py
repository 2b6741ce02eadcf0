"""Money integrity (issue 14): an approval records everything it covered, the history
records each changed field, the four-eyes rule covers the creator and the last editor,
and a collective decision records the amount and purpose it decided."""

from decimal import Decimal

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q


def forward(apps, schema_editor):
    Expenditure = apps.get_model("funds", "Expenditure")
    ExpenditureTransition = apps.get_model("funds", "ExpenditureTransition")
    CollectiveDecision = apps.get_model("funds", "CollectiveDecision")
    # What approved and reimbursed expenditures are now is what was approved (they could
    # not be changed). A returned one may have been changed in anything but the amount
    # since: its old approval does not carry over, it is approved again.
    for expenditure in Expenditure.objects.filter(approved_by__isnull=False,
                                                  status__in=["approved", "reimbursed"]):
        expenditure.approved_values = {
            "township": str(expenditure.township_id), "date": str(expenditure.date),
            "amount": str(expenditure.amount), "category": str(expenditure.category_id),
            "purpose": expenditure.purpose, "payee": expenditure.payee,
        }
        expenditure.save(update_fields=["approved_values"])
    # A decision decided the amount its expenditure had when it was recorded (the
    # history's amount then), not one raised later.
    for decision in CollectiveDecision.objects.all():
        linked = Expenditure.objects.filter(decision=decision).order_by("pk").first()
        then = linked and ExpenditureTransition.objects.filter(
            expenditure=linked, at__lte=decision.recorded_at).order_by("-at", "-id").first()
        decision.amount = then.amount if then else Decimal("0.01")  # covers nothing
        decision.purpose = linked.purpose if linked else ""
        decision.save(update_fields=["amount", "purpose"])


class Migration(migrations.Migration):

    dependencies = [
        ("funds", "0003_default_spending_categories"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="expenditure",
            name="approved_values",
            field=models.JSONField(blank=True, editable=False, help_text="What the approval covered: a returned expenditure that differs from it in anything goes through approval again.", null=True, verbose_name="as approved"),
        ),
        migrations.AddField(
            model_name="expenditure",
            name="last_edited_by",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="last changed by"),
        ),
        migrations.AddField(
            model_name="expendituretransition",
            name="changes",
            field=models.JSONField(blank=True, default=dict, help_text="Each changed field with its old and new value.", verbose_name="changes"),
        ),
        migrations.AddField(
            model_name="collectivedecision",
            name="amount",
            field=models.DecimalField(decimal_places=2, max_digits=14, null=True, verbose_name="amount decided (yuan)"),
        ),
        migrations.AddField(
            model_name="collectivedecision",
            name="purpose",
            field=models.TextField(blank=True, verbose_name="purpose decided"),
        ),
        migrations.RunPython(forward, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="collectivedecision",
            name="amount",
            field=models.DecimalField(decimal_places=2, help_text="The amount the meeting decided: the decision covers spending up to it.", max_digits=14, verbose_name="amount decided (yuan)"),
        ),
        migrations.RemoveField(
            model_name="expenditure",
            name="approved_amount",
        ),
        migrations.RemoveConstraint(
            model_name="expenditure",
            name="expenditure_not_self_approved",
        ),
        migrations.AddConstraint(
            model_name="expenditure",
            constraint=models.CheckConstraint(condition=Q(approved_by__isnull=True) | (~Q(approved_by=F("created_by")) & (Q(submitted_by__isnull=True) | ~Q(approved_by=F("submitted_by"))) & (Q(last_edited_by__isnull=True) | ~Q(approved_by=F("last_edited_by")))), name="expenditure_four_eyes", violation_error_message="Nobody approves an expenditure they created, submitted or changed."),
        ),
        migrations.AddConstraint(
            model_name="collectivedecision",
            constraint=models.CheckConstraint(condition=Q(amount__gt=0), name="decision_amount_positive", violation_error_message="The amount must be positive."),
        ),
    ]
