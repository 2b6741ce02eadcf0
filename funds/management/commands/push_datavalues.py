import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from funds.exchange.datavalues import data_value_set_get, nothing_to_report_set
from funds.models import FundYear
from townships.audit import stored_text
from townships.models import AuditEvent

TIMEOUT = 60


def _state_label(state: str) -> str:
    from funds.models import Submission

    return str(dict(Submission.State.choices).get(state, _("Not submitted")))


def _record(action, year, to, details, summary) -> None:
    AuditEvent.objects.create(action=action, year=year, summary=stored_text(summary),
                              details={"to": to, **details})


class Command(BaseCommand):
    help = ("Send this county's data value set of a year to the upper level's API with the "
            "key it issued. Re-sending replaces; once the upper level has accepted the "
            "year it refuses until it returns it. --status asks where the report stands.")

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--to", required=True, help="the upper level, e.g. "
                                                        "https://dazhou.example/")
        parser.add_argument("--key-file", required=True, help="a file holding the key")
        parser.add_argument("--dry-run", action="store_true",
                            help="the upper level answers what it would do, writing nothing")
        parser.add_argument("--nothing-to-report", action="store_true",
                            help="register the year as complete with nothing to report")
        parser.add_argument("--status", action="store_true",
                            help="only ask where the year's report stands")

    def handle(self, *args, year, to, key_file, dry_run, nothing_to_report, status, **options):
        path = Path(key_file)
        if not path.is_file():
            raise CommandError(f"{key_file} is not a file")
        key = path.read_text(encoding="utf-8").strip()
        base = to.rstrip("/") + "/api/v1/"
        if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
            raise CommandError("--to is an http or https address")
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        if status:
            answer = self._call(urllib.request.Request(  # noqa: S310 - http(s), checked
                f"{base}completeness?period={year}", headers=headers))
            self.stdout.write(f"{answer['orgUnit']} {answer['period']}: {answer['state']}"
                              + (f" ({answer['reason']})" if answer.get("reason") else ""))
            _record(AuditEvent.Action.REPORT_STATE, year, to, answer, lambda: _(
                "The upper level (%(to)s) says of the %(year)s report: %(state)s%(reason)s") % {
                "to": to, "year": year, "state": _state_label(answer["state"]),
                "reason": f"：{answer['reason']}" if answer.get("reason") else ""})
            return
        if nothing_to_report:
            data = nothing_to_report_set(period=year)
        else:
            fund_year = FundYear.objects.filter(year=year).first()
            if fund_year is None:
                raise CommandError(f"there is no fund year {year} (or use "
                                   "--nothing-to-report)")
            data = data_value_set_get(fund_year=fund_year)
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        query = "?dryRun=true" if dry_run else ""
        answer = self._call(urllib.request.Request(  # noqa: S310 - http(s), checked
            f"{base}dataValueSets{query}", data=body, method="POST",
            headers={**headers, "Content-Type": "application/json"}))
        counts = answer["importCount"]
        self.stdout.write(
            f"{'dry run: ' if dry_run else ''}{counts['imported']} imported, "
            f"{counts['updated']} updated, {counts['ignored']} unchanged, "
            f"{counts['deleted']} deleted; {answer['state']}")
        if not dry_run:  # the county's own record of what it sent and what it was told
            _record(AuditEvent.Action.REPORT_SENT, year, to,
                    {**counts, "state": answer["state"], "sha256": data["meta"]["sha256"]},
                    lambda: _("The %(year)s figures sent to %(to)s: %(n)s values, %(state)s") % {
                        "year": year, "to": to, "n": len(data["dataValues"]),
                        "state": _state_label(answer["state"])})

    def _call(self, request) -> dict:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - http(s) only, checked
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            try:
                answer = json.loads(exc.read().decode("utf-8"))
            except ValueError:
                answer = {}
            for conflict in answer.get("conflicts") or []:
                self.stdout.write(f"conflict\t{conflict['object']}\t{conflict['value']}")
            detail = answer.get("detail") or (f"{len(answer.get('conflicts') or [])} "
                                              "conflicts: nothing written")
            raise CommandError(f"{exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"the upper level cannot be reached: {exc}") from None
