"""Load the demo year (after ``load_demo_county``): a believable county for the
dashboards, rankings, workbenches and the Excel on first login. Idempotent."""

from django.core.management.base import BaseCommand

from followup.demo_year import load_demo_year


class Command(BaseCommand):
    help = "Load about 2,000 demo cases over the last twelve months, through the services."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=2000, help="number of cases (2000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (2026)")

    def handle(self, *args, count: int, seed: int, **options):
        def progress(done: int, total: int) -> None:
            self.stdout.write(f"demo year: {done}/{total} cases")
            self.stdout.flush()

        result = load_demo_year(count=count, seed=seed, progress=progress)
        if not result.loaded:
            self.stdout.write("demo year: already loaded, nothing added")
            return
        states = ", ".join(f"{k}={v}" for k, v in sorted(result.states.items()))
        self.stdout.write(
            f"demo year: {result.cases} cases, {result.steps} service steps "
            f"in {result.seconds:.1f} s ({states}); 久未进展: {result.stalls}"
        )
        for what, n in sorted(result.failures.items()):
            self.stderr.write(f"  refused ×{n}: {what}")
