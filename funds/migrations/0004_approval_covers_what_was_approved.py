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
    CollectiveDecision = apps.get_model("funds", "CollectiveDecision")
    # An approval whose amount was unchanged stood before; it stands now for the values
    # the expenditure has (nothing but the amount was compared before).
    for expenditure in Expenditure.objects.filter(approved_by__isnull=False,
                                                  approved_amount=F("amount")):
        expenditure.approved_values = {
            "township": str(expenditure.township_id), "date": str(expenditure.date),
            "amount": str(expenditure.amount), "category": str(expenditure.category_id),
            "purpose": expenditure.purpose, "payee": expenditure.payee,
        }
        expenditure.save(update_fields=["approved_values"])
    for decision in CollectiveDecision.objects.all():
        linked = Expenditure.objects.filter(decision=decision).order_by("-amount").first()
        decision.amount = linked.amount if linked else Decimal("0.01")  # covers nothing
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
