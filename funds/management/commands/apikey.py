import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from funds.exchange.upper import (
    ExchangeError,
    api_key_create,
    api_key_revoke,
    write_secret,
)
from funds.models import ApiKey, OrgUnit


class Command(BaseCommand):
    help = ("API keys of machine clients (a county pushing its sets): create one for an "
            "org unit with an expiry (shown once, or written to --out), revoke one, list "
            "them. Creating and revoking take a superuser (--user) and are audited.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("--org-unit", required=True, help="the unit's code, e.g. 511781")
        create.add_argument("--name", required=True, help="who uses it")
        create.add_argument("--days", type=int, default=365, help="valid for (default 365)")
        create.add_argument("--user", required=True, help="the superuser creating it")
        create.add_argument("--out", help="write the key to this file (mode 600)")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix", help="the key's prefix (list shows it)")
        revoke.add_argument("--user", required=True)
        sub.add_parser("list")

    def _user(self, username):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or not user.is_superuser:
            raise CommandError(f"{username!r} is not an active superuser")
        return user

    def handle(self, *args, action, **options):
        if action == "list":
            for key in ApiKey.objects.select_related("org_unit"):
                state = ("revoked" if key.revoked_at else "expired" if not key.is_valid()
                         else "valid")
                self.stdout.write(f"{key.prefix}\t{key.org_unit.code}\t{key.name}\t"
                                  f"{timezone.localtime(key.expires_at):%Y-%m-%d}\t{state}")
            return
        user = self._user(options["user"])
        try:
            if action == "revoke":
                key = ApiKey.objects.filter(prefix=options["prefix"]).first()
                if key is None:
                    raise CommandError(f"no key {options['prefix']!r}")
                api_key_revoke(key=key, acting_user=user)
                self.stdout.write(f"revoked {key.prefix}")
                return
            unit = OrgUnit.objects.filter(code=options["org_unit"]).first()
            if unit is None:
                raise CommandError(f"no org unit {options['org_unit']!r} (orgunits_load)")
            if options["days"] < 1:
                raise CommandError("--days is at least 1")
            key, raw = api_key_create(
                name=options["name"], org_unit=unit, acting_user=user,
                expires_at=timezone.now() + datetime.timedelta(days=options["days"]))
        except ExchangeError as exc:
            raise CommandError(str(exc)) from exc
        if options["out"]:
            out = Path(options["out"])
            write_secret(out, raw + "\n")
            self.stdout.write(f"key {key.prefix} for {unit.code} written to {out}")
        else:
            self.stdout.write(raw)
