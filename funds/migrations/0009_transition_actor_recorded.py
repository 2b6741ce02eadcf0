"""Who acted, as named and placed when they acted, is kept on the record itself; rows
written before this migration get the names and units the accounts have now."""

from django.db import migrations, models

APP = "funds"
MODELS = [("ExpenditureTransition", "actor_id")]


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
        ('funds', '0008_documents'),
        ('townships', '0009_account_unit'),
    ]

    operations = [
        migrations.AddField(
            model_name='expendituretransition',
            name='actor_name',
            field=models.CharField(blank=True, editable=False, max_length=300, verbose_name='name when acting'),
        ),
        migrations.AddField(
            model_name='expendituretransition',
            name='actor_unit',
            field=models.CharField(blank=True, editable=False, max_length=60, verbose_name='unit when acting'),
        ),
        migrations.AddField(
            model_name='expendituretransition',
            name='actor_username',
            field=models.CharField(blank=True, editable=False, max_length=150, verbose_name='user name when acting'),
        ),
        migrations.RunPython(fill_recorded_actors, migrations.RunPython.noop),
    ]
