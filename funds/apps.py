from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "funds"
    verbose_name = _("Funds")

    def ready(self):
        # A year's settings and the spending categories change only with an audit event.
        from funds import signals

        signals.connect()
