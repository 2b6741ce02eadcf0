"""Issue 23 item 2: finance records the payment, as a second person.

The payer of each earlier reimbursement is read from its history (the actor of its move
to reimbursed). Before this migration a creator, submitter or editor could record the
payment; such a row keeps reimbursed_by empty (its history still names who paid) rather
than break the new constraint.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fill_payers(apps, schema_editor):
    Expenditure = apps.get_model("funds", "Expenditure")
    Transition = apps.get_model("funds", "ExpenditureTransition")
    payers = {}
    for expenditure_id, actor_id in (Transition.objects.filter(to_status="reimbursed")
                                     .order_by("at", "id")
                                     .values_list("expenditure_id", "actor_id")):
        payers[expenditure_id] = actor_id  # the latest one
    for expenditure in Expenditure.objects.filter(status="reimbursed", pk__in=payers).only(
            "created_by_id", "submitted_by_id", "last_edited_by_id"):
        payer = payers[expenditure.pk]
        if payer not in {expenditure.created_by_id, expenditure.submitted_by_id,
                         expenditure.last_edited_by_id}:
            Expenditure.objects.filter(pk=expenditure.pk).update(reimbursed_by_id=payer)


class Migration(migrations.Migration):

    dependencies = [
        ('funds', '0009_transition_actor_recorded'),
        ('townships', '0010_document_audit'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='expenditure',
            name='reimbursed_by',
            field=models.ForeignKey(blank=True, help_text='Empty for payments recorded before issue 23 and for imported rows.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='payment recorded by'),
        ),
        migrations.AddField(
            model_name='fundyear',
            name='approver_may_pay',
            field=models.BooleanField(default=False, help_text="Off: finance records the payment and is never the expenditure's approver. On: for a county where one office both approves and pays.", verbose_name='the approver may also record the payment'),
        ),
        migrations.RunPython(fill_payers, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='expenditure',
            constraint=models.CheckConstraint(condition=models.Q(('reimbursed_by__isnull', True), models.Q(models.Q(('reimbursed_by', models.F('created_by')), _negated=True), models.Q(('submitted_by__isnull', True), models.Q(('reimbursed_by', models.F('submitted_by')), _negated=True), _connector='OR'), models.Q(('last_edited_by__isnull', True), models.Q(('reimbursed_by', models.F('last_edited_by')), _negated=True), _connector='OR')), _connector='OR'), name='expenditure_payer_four_eyes', violation_error_message='Nobody records the payment of an expenditure they created, submitted or changed.'),
        ),
    ]
