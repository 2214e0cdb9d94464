"""Retention: remove personal data of cases archived longer ago than the retention period.

Every model in the personal-data registry (``luodian_platform.crypto.register_personal_data``)
that is tied to a case is purged the way its app declared: names become "已清除", ID numbers,
phones and addresses are emptied (blind indexes with them), raw channel orders are reduced to
their channel and id, and so on for the agreement's copy of the parties, legal services, and
whatever is registered later. The same columns are then redacted in the audit trail's rows
about those records, so the trail keeps who changed what and when, not the values. Rows
without a case (a walk-in consultation) go by the date their app names (``dated_by``).

Cases, their categories, dates, outcomes, departments and the event log stay, so every
statistic and evaluation still adds up."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from intake.models import Case, State
from luodian_platform.audit import acting_as, redact_history
from luodian_platform.crypto import PersonalData, personal_data_registry


def _rows(entry: PersonalData, cases, cutoff):
    query = Q(**{f"{entry.case_path}__in": cases})
    if entry.dated_by:
        query |= Q(**{f"{entry.case_path}__isnull": True, f"{entry.dated_by}__lt": cutoff})
    rows = entry.model.objects.filter(query)
    return rows if entry.scope is None else rows.filter(entry.scope)


def _purged_value(replacement, obj):
    return replacement(obj) if callable(replacement) else replacement


def purge(*, cutoff: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """Purge every registered model's rows tied to cases archived before ``cutoff``;
    {table: rows purged (or to purge)}."""
    cases = Case.objects.filter(state=State.ARCHIVED, archived_at__lt=cutoff)
    report: dict[str, int] = {}
    with transaction.atomic(), acting_as("command:purge_personal_data"):
        for entry in personal_data_registry():
            if entry.case_path is None:
                continue
            meta = entry.model._meta
            names = list(entry.purge)
            index_names = entry.blind_indexes
            done = []
            # save() per row, not update(): blind indexes are recomputed (emptied) by
            # BlindIndexField.pre_save, and each change is in the audit trail.
            for obj in _rows(entry, cases, cutoff).select_for_update().order_by("pk"):
                new = {n: _purged_value(r, obj) for n, r in entry.purge.items()}
                if all(getattr(obj, n) == v for n, v in new.items()):
                    continue  # purged before
                done.append(obj.pk)
                if dry_run:
                    continue
                for name, value in new.items():
                    setattr(obj, name, value)
                obj.save(update_fields=[*names, *index_names])
            if not dry_run and done and entry.after_purge is not None:
                entry.after_purge(done)
            if not dry_run and done:
                redact_history(
                    meta.db_table,
                    done,
                    entry.columns([*names, *index_names, *entry.audit_redacted]),
                )
            report[meta.db_table] = len(done)
        if dry_run:
            transaction.set_rollback(True)
    return report


class Command(BaseCommand):
    help = "Purge personal data of cases archived more than PERSONAL_DATA_RETENTION_DAYS ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override the retention period")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
        cutoff = timezone.now() - dt.timedelta(days=days)
        report = purge(cutoff=cutoff, dry_run=dry_run)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(
            f"{verb} (archived before {cutoff:%Y-%m-%d}): "
            + ", ".join(f"{table} {n}" for table, n in report.items())
        )
