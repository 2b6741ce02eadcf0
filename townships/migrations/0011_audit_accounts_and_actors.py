"""Who acted, as named and placed when they acted, is kept on the record itself; rows
written before this migration get the names and units the accounts have now."""

from django.db import migrations, models

APP = "townships"
MODELS = [("AuditEvent", "actor_id"), ("CategoryChange", "changed_by_id")]


def _recorded(apps):
    """Every account as it is named and placed now: the best there is for past rows."""
    User = apps.get_model("auth", "User")
    units = dict(apps.get_model("townships", "AccountUnit").objects.values_list("user_id", "unit"))
    townships = dict(apps.get_model("townships", "TownshipClerk").objects
                     .values_list("user_id", "township__name"))
    return {
        pk: {"actor_name": f"{last}{first}".strip() or username, "actor_username": username,
             "actor_unit": units.get(pk) or townships.get(pk) or ""}
        for pk, username, last, first in User.objects.values_list(
            "pk", "username", "last_name", "first_name")}


def fill_recorded_actors(apps, schema_editor):
    accounts = _recorded(apps)
    for model_name, field in MODELS:
        model = apps.get_model(APP, model_name)
        ids = model.objects.filter(**{f"{field}__isnull": False}).order_by().values_list(
            field, flat=True).distinct()
        for pk in list(ids):
            model.objects.filter(**{field: pk}).update(**accounts[pk])



class Migration(migrations.Migration):

    dependencies = [
        ('townships', '0010_document_audit'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditevent',
            name='actor_name',
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name='name when acting'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='actor_unit',
            field=models.CharField(blank=True, editable=False, max_length=60, verbose_name='unit when acting'),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='actor_username',
            field=models.CharField(blank=True, editable=False, max_length=150, verbose_name='user name when acting'),
        ),
        migrations.AddField(
            model_name='categorychange',
            name='actor_name',
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name='name when acting'),
        ),
        migrations.AddField(
            model_name='categorychange',
            name='actor_unit',
            field=models.CharField(blank=True, editable=False, max_length=60, verbose_name='unit when acting'),
        ),
        migrations.AddField(
            model_name='categorychange',
            name='actor_username',
            field=models.CharField(blank=True, editable=False, max_length=150, verbose_name='user name when acting'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('rankings_imported', 'Ranking imported'), ('rankings_replaced', 'Ranking replaced'), ('categories_imported', 'Categories imported'), ('reclassification_applied', 'Reclassification applied'), ('reclassification_reverted', 'Reclassification reverted'), ('merger_applied', 'Merger applied'), ('townships_loaded', 'Township list loaded'), ('role_granted', 'Role granted'), ('role_removed', 'Role removed'), ('fund_year_created', 'Fund year created'), ('fund_year_changed', 'Fund year settings changed'), ('spending_category_created', 'Spending category created'), ('spending_category_changed', 'Spending category changed'), ('plan_created', 'Allocation plan created'), ('plan_adopted', 'Allocation plan adopted'), ('plan_reverted', 'Allocation plan reverted'), ('document_generated', 'Document generated'), ('document_settings_changed', 'Document settings changed'), ('document_template_uploaded', 'Document template uploaded'), ('document_template_reset', 'Document template reset'), ('account_activated', 'Account activated'), ('account_deactivated', 'Account deactivated'), ('account_changed', 'Account changed')], max_length=40, verbose_name='action'),
        ),
        migrations.RunPython(fill_recorded_actors, migrations.RunPython.noop),
    ]
