from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Illustrative demo data and the `setup_demo` command: installed only on a developer's
    machine, in demo mode and in the tests (wanyuan/settings.py), never in production."""

    name = "demo"
    label = "demo"
    verbose_name = _("Demo data")
