import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from funds.models import DocumentSettings, FundYear, TargetSheet
from funds.performance import workbooks
from funds.performance.selectors import monitoring_get, sheet_view
from townships.models import Township


class Command(BaseCommand):
    help = ("Write the 绩效 files of a year from its target sheet: the targets or the "
            "self-evaluation (自评表 XLSX and 自评报告 DOCX), or the monitoring (table and "
            "report, as of --as-of, 30 June by default).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--kind", choices=["targets", "monitoring", "self"], required=True)
        parser.add_argument("--out", required=True, help="the folder to write into")
        parser.add_argument("--user", required=True, help="who the files are made for")
        parser.add_argument("--township", help="a township's sheet (evaluated per township)")
        parser.add_argument("--as-of", dest="as_of", help="the monitoring's day, YYYY-MM-DD")

    def handle(self, *args, year, kind, out, user, township, as_of, **options):
        if not get_user_model().objects.filter(username=user, is_active=True).exists():
            raise CommandError(f"there is no active user {user}")
        chosen = None
        if township:
            chosen = Township.objects.filter(code=township).first()
            if chosen is None:
                raise CommandError(f"there is no township {township}")
        sheet = TargetSheet.objects.filter(fund_year__year=year, township=chosen).first()
        if sheet is None:
            raise CommandError(f"there is no target sheet of {year}"
                               + (f" for {township}" if township else ""))
        folder = Path(out)
        if not folder.is_dir():
            raise CommandError(f"{out} is not a folder")
        try:
            day = datetime.date.fromisoformat(as_of) if as_of else datetime.date(year, 6, 30)
        except ValueError:
            raise CommandError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
        if not FundYear.objects.filter(year=year).exists():
            raise CommandError(f"there is no fund year {year}")
        with translation.override("zh-hans"):
            view = sheet_view(sheet=sheet)
            prefix = f"{chosen.name if chosen else DocumentSettings.get().county_name}{year}年度"
            if kind == "monitoring":
                monitoring = monitoring_get(sheet=sheet, as_of=day)
                files = {
                    f"{prefix}绩效运行监控表.xlsx": workbooks.monitoring_xlsx(view, monitoring),
                    f"{prefix}绩效运行监控报告.docx": workbooks.monitoring_docx(view, monitoring)}
            elif kind == "targets":
                files = {f"{prefix}项目支出绩效目标表.xlsx": workbooks.targets_xlsx(view)}
            else:
                files = {f"{prefix}项目支出绩效自评表.xlsx": workbooks.self_evaluation_xlsx(view),
                         f"{prefix}绩效自评报告.docx": workbooks.self_evaluation_docx(view)}
        for name, content in files.items():
            (folder / name).write_bytes(content)
            self.stdout.write(str(folder / name))
