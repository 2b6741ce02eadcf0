from importlib import import_module

from django.db import migrations

# The data version of migration 0003 cached the budget check's counts; the counts are now
# read every time (docs/performance.md), so its triggers, functions and table go.
TABLES = ("townships_township", "townships_townshipcategory")

DROP = {
    "postgresql": [
        *(f"DROP TRIGGER IF EXISTS {table}_data_version ON {table}" for table in TABLES),
        "DROP FUNCTION IF EXISTS townships_data_version_trigger()",
        "DROP FUNCTION IF EXISTS townships_data_version_touch()",
    ],
    "sqlite": [
        f"DROP TRIGGER IF EXISTS {table}_data_version_{event}"
        for table in TABLES for event in ("insert", "update", "delete")
    ],
}


def drop_triggers(apps, schema_editor):
    for statement in DROP.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def recreate_triggers(apps, schema_editor):
    """Back to 0005: the table is back (DeleteModel reversed), so are its token and
    triggers, as migration 0003 made them."""
    data_version = import_module("townships.migrations.0003_data_version")
    data_version.create_first_token(apps, schema_editor)
    data_version._run({"postgresql": data_version.POSTGRESQL,
                       "sqlite": data_version.SQLITE})(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('townships', '0005_township_code_digits'),
    ]

    operations = [
        migrations.RunPython(drop_triggers, recreate_triggers),
        migrations.DeleteModel(name='DataVersion'),
    ]
