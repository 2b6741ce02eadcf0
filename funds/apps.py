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
        # A merger does not end a unit with spending after its end (townships never
        # imports funds: funds registers the check).
        from funds.spending.selectors import spending_from_year
        from townships.reference import MERGER_KEEPS

        if spending_from_year not in MERGER_KEEPS:
            MERGER_KEEPS.append(spending_from_year)
        # No change of categories leaves a township below zero unconfirmed (the one rule
        # of every door into a year's numbers, funds.budget.overdraw).
        from funds.budget.overdraw import category_change_check
        from townships.services import CATEGORY_CHANGE_CHECKS

        if category_change_check not in CATEGORY_CHANGE_CHECKS:
            CATEGORY_CHANGE_CHECKS.append(category_change_check)
