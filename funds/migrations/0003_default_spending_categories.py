"""The spending categories (开支类别) of DOMAIN.md; administrators edit the list later."""

from django.db import migrations

DEFAULTS = ["教育培训", "组织生活和主题活动", "阵地建设", "关怀慰问党员", "表彰激励", "其他"]


def add_defaults(apps, schema_editor):
    SpendingCategory = apps.get_model("funds", "SpendingCategory")
    for order, name in enumerate(DEFAULTS, start=1):
        SpendingCategory.objects.get_or_create(name=name, defaults={"sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("funds", "0002_spending_loop")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
