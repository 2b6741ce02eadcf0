from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class TownshipsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "townships"
    verbose_name = _("Townships")

    def ready(self):
        from townships.roles import ensure_groups

        # Connected to every app's post_migrate so the groups also pick up the
        # permissions of apps migrated after this one.
        post_migrate.connect(ensure_groups, dispatch_uid="townships.ensure_groups")

        # Every grant or removal of a role is audited; only a superuser grants roles.
        from townships import accounts

        accounts.connect()
