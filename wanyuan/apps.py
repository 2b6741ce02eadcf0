from django.apps import AppConfig


class WanyuanConfig(AppConfig):
    """The project package as an app, only to connect the login log (no models)."""

    name = "wanyuan"

    def ready(self):
        from wanyuan import signals  # noqa: F401 - connects the receivers
