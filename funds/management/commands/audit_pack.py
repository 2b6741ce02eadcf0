from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from funds.inspection.pack import pack_audit, pack_name, pack_stream
from funds.models import FundYear
from townships.models import Township


class Command(BaseCommand):
    help = ("Write the audit pack (审计资料包) of a year, of the whole county or one "
            "township, as a ZIP into a folder; audited under the given user.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--township", help="a township's code: its pack only")
        parser.add_argument("--out", required=True, help="the folder to write the ZIP into")
        parser.add_argument("--user", required=True,
                            help="the user name the pack is made as (audited)")

    def handle(self, *args, year, township, out, user, **options):
        fund_year = FundYear.objects.filter(year=year).first()
        if fund_year is None:
            raise CommandError(f"there is no fund year {year}")
        chosen = None
        if township:
            chosen = Township.objects.filter(code=township).first()
            if chosen is None:
                raise CommandError(f"there is no township {township}")
        acting = get_user_model().objects.filter(username=user, is_active=True).first()
        if acting is None:
            raise CommandError(f"there is no active user {user}")
        if not (acting.has_perm("funds.generate_audit_pack")
                and acting.has_perm("townships.view_all_townships")):
            raise CommandError(f"{user} may not make the audit pack")
        folder = Path(out)
        if not folder.is_dir():
            raise CommandError(f"{out} is not a folder")
        with translation.override("zh-hans"):
            name = pack_name(fund_year=fund_year, township=chosen)
            target = folder / name
            partial = target.with_suffix(".zip.part")
            pack_audit(fund_year=fund_year, township=chosen, acting_user=acting,
                       where=str(target))
            try:
                with open(partial, "wb") as handle:
                    for data in pack_stream(fund_year=fund_year, township=chosen,
                                            acting_user=acting):
                        handle.write(data)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            partial.replace(target)
        self.stdout.write(str(target))
