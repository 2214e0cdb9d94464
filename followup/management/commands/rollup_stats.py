"""Backfill (or re-roll) the nightly roll-up for a range of days:

    manage.py rollup_stats                       # from the first case's day to yesterday
    manage.py rollup_stats --from 2025-01-01 --to 2025-12-31

Idempotent: each day's rows are replaced in one transaction. Today is never rolled up (it
is still changing; the evaluation reads it live)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from followup.stats import rollup
from intake.models import Case
from luodian_platform.workcal import local_date


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"invalid date: {value!r} (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Roll up DailyStat for a range of days (history backfill); idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", type=_date)
        parser.add_argument("--to", dest="end", type=_date)

    def handle(self, *args, start=None, end=None, **options):
        yesterday = local_date() - dt.timedelta(days=1)
        end = min(end or yesterday, yesterday)
        if start is None:
            first = Case.objects.order_by("created_at").values_list("created_at", flat=True)[:1]
            start = local_date(first[0]) if first else end
        if start > end:
            raise CommandError(f"nothing to roll up: {start} is after {end}")
        day, rows, days = start, 0, 0
        while day <= end:
            rows += rollup(day)
            days += 1
            if days % 30 == 0:
                self.stdout.write(f"{day}: {days} days, {rows} rows")
            day += dt.timedelta(days=1)
        self.stdout.write(self.style.SUCCESS(f"rolled up {days} days ({start}—{end}): {rows} rows"))
