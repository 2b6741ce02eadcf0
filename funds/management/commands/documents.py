import argparse
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funds.documents import services
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.models import Township


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = ("Generate a year's documents of one kind into a folder, as the documents page "
            "does (each generation audited under --user).")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--kind", required=True,
                            choices=sorted({kind for kind, _fmt in services.DOCUMENTS}))
        parser.add_argument("--out", required=True, help="folder to write the files to")
        parser.add_argument("--township", help="official code: that township's posting or "
                                               "rectification ledger only")
        parser.add_argument("--number", help="the notice's document number, e.g. 万组发〔2021〕3号")
        parser.add_argument("--date", type=_date, dest="dated",
                            help="成文日期, YYYY-MM-DD (needed for any year but the current)")
        parser.add_argument("--period", choices=["q1", "q2", "q3", "q4", "h1", "year"],
                            help="the posting's period (default: the quarter of its date)")
        parser.add_argument("--excess-source", default="",
                            help="where money beyond the special fund comes from, when the "
                                 "amounts exceed it (stated in the plan and the notice)")
        add_user_argument(parser)

    def handle(self, *args, year, kind, out, township, number, dated, excess_source, period,
               user, **options):
        folder = Path(out)
        try:  # before generating: a generation is audited, an unwritten file must not be
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / ".write-test"
            probe.touch()
            probe.unlink()
        except OSError as exc:
            raise CommandError(f"cannot write to the folder {out}: {exc.strerror}") from exc
        unit = None
        if township:
            unit = Township.objects.filter(code=township).first()
            if unit is None:
                raise CommandError(f"no township with the code {township}")
        formats = [fmt for k, fmt in services.DOCUMENTS if k == kind
                   and (unit is None or (k, fmt) in services.TOWNSHIP_DOCUMENTS)]
        if not formats:
            raise CommandError(f"{kind} is not generated for one township")
        actor = acting_user(user)
        for fmt in formats:
            with command_errors(user):
                try:
                    document = services.document_generate(
                        kind=kind, fmt=fmt, year=year, township=unit, number=number,
                        dated=dated, excess_source=excess_source,
                        period=period if kind == "posting" else None, acting_user=actor)
                except services.DocumentError as exc:
                    raise CommandError(str(exc)) from exc
            path = folder / document.filename
            path.write_bytes(document.content)
            self.stdout.write(f"{path}\tsha256 of the figures {document.figures_sha256}")
