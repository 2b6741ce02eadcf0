import datetime
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from funds.exchange import upper
from funds.models import OrgUnit
from townships import roles


class Command(BaseCommand):
    help = ("A city's demo instance (`make city`): 达州市's org units, the accounts admin "
            "(a superuser) and staff with DEMO_PASSWORD, and a key for a county written to "
            "a file for `make push`. Safe to run again: what is there is kept.")

    def add_arguments(self, parser):
        parser.add_argument("--units", default="fixtures/orgunits/511700-dazhou.csv")
        parser.add_argument("--key-for", default="511781", help="the county given a key")
        parser.add_argument("--key-out", required=True, help="where the key is written")

    def handle(self, *args, units, key_for, key_out, **options):
        if not settings.DEMO_MODE or settings.INSTANCE_LEVEL == "county":
            raise CommandError("setup_city_demo runs on a city's demo instance only "
                               "(DEMO_MODE=1, INSTANCE_LEVEL=city: make city sets them)")
        password = os.environ.get("DEMO_PASSWORD")
        if not password:
            raise CommandError("DEMO_PASSWORD is not set (make run writes it to .env)")
        User = get_user_model()
        with transaction.atomic():
            upper.org_units_load(text=Path(units).read_text(encoding="utf-8-sig"))
            if not User.objects.filter(username="admin").exists():
                User.objects.create_superuser("admin", "", password, last_name="达州",
                                              first_name="管理员")
            if not User.objects.filter(username="staff").exists():
                staff = User.objects.create_user("staff", password=password, is_staff=True,
                                                 last_name="达州", first_name="工作人员")
                staff.groups.add(Group.objects.get(name=roles.STAFF))
        out = Path(key_out)
        if out.exists() and upper.api_key_authenticate(out.read_text().strip()):
            self.stdout.write(f"the key in {out} is valid")
            return
        _key, raw = upper.api_key_create(
            name=f"{key_for} 演示", org_unit=OrgUnit.objects.get(code=key_for),
            acting_user=User.objects.get(username="admin"),
            expires_at=timezone.now() + datetime.timedelta(days=365))
        upper.write_secret(out, raw + "\n")
        self.stdout.write(f"a key for {key_for} written to {out}")
