from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from funds.spending.ledger_import import ledger_import_confirm, ledger_import_preview
from funds.spending.services import SpendingError
from townships.management.commands._acting_user import (
    acting_user,
    add_user_argument,
    command_errors,
)
from townships.models import Township
from wanyuan.money import format_yuan


class Command(BaseCommand):
    help = ("Bring a township's existing ledger (台账, CSV or XLSX) in: every row is checked "
            "first and the rows are recorded as reimbursed expenditures, all or none; "
            "the import is audited. Columns are found by name (日期, 摘要, 支出/金额, 凭证号, "
            "收款单位, 报账日期, 开支类别, 收入, 余额).")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--township", required=True, help="the township's official code")
        add_user_argument(parser)
        parser.add_argument("--accept-duplicates", action="store_true",
                            help="import rows that repeat a recorded expenditure")
        parser.add_argument("--confirm-overdraft", action="store_true",
                            help="import although the remaining budget goes below zero")
        parser.add_argument("--reason", default="",
                            help="why the remaining budget may go below zero")

    def handle(self, *args, file, year, township, user, accept_duplicates,
               confirm_overdraft, reason, **options):
        path = Path(file)
        unit = Township.objects.filter(code=township).first()
        if unit is None:
            raise CommandError(f"no township with the code {township!r}")
        with command_errors(user):
            data = path.read_bytes()
            actor = acting_user(user)
            preview = ledger_import_preview(township=unit, year=year, data=data,
                                            filename=path.name, acting_user=actor)
            for note in preview.notes:
                self.stdout.write(note)
            for row in preview.rows:
                flags = [row.category_note] if row.category_note else []
                if row.duplicate_of is not None:
                    flags.append(f"repeats expenditure {row.duplicate_of.pk}")
                self.stdout.write(
                    f"{row.line}\t{row.date}\t{row.voucher}\t{row.purpose}\t{row.payee}\t"
                    f"{format_yuan(row.amount)}\t{row.category.name if row.category else ''}"
                    + ("\t" + "; ".join(flags) if flags else ""))
            if preview.overdraft is not None and not confirm_overdraft:
                raise CommandError(preview.overdraft_message()
                                   + " Use --confirm-overdraft --reason ….")
            try:
                record = ledger_import_confirm(
                    township=unit, year=year, data=data, filename=path.name,
                    acting_user=actor, acknowledge_duplicates=accept_duplicates,
                    overdraft_reason=reason if confirm_overdraft else "")
            except SpendingError as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(f"{record.rows} expenditures of {format_yuan(record.total)} yuan "
                          f"imported for {unit.name} {year} (SHA-256 {record.sha256[:12]}…)")
