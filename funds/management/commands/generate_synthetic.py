from django.core.management.base import BaseCommand, CommandError

from funds.synthetic import SyntheticRefused, synthetic_generate


class Command(BaseCommand):
    help = ("Fill a separate database with N synthetic townships over Y years (categories, "
            "rankings, fund years) for scale tests. Refuses a database with real data.")

    def add_arguments(self, parser):
        parser.add_argument("--townships", type=int, required=True)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--start-year", type=int, default=2020)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, townships, years, start_year, seed, **options):
        if townships < 1 or years < 1:
            raise CommandError("--townships and --years must be at least 1")
        try:
            done = synthetic_generate(townships=townships, years=years,
                                      start_year=start_year, seed=seed)
        except SyntheticRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{done['townships']} synthetic townships, {done['years']} years, "
                          f"{done['categories']} categories, {done['results']} results")
