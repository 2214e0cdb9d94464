"""Retention: remove personal data of cases archived longer ago than the retention period.

Names become "已清除", ID numbers, phones and addresses are emptied and raw channel orders
reduced to their channel and id. Cases, their categories, dates, outcomes, departments and
the event log stay, so every statistic and evaluation still adds up."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from intake.models import Case, ChannelOrder, Party, State

PURGED_NAME = "已清除"


class Command(BaseCommand):
    help = "Purge personal data of cases archived more than PERSONAL_DATA_RETENTION_DAYS ago."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override the retention period")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, days=None, dry_run=False, **options):
        days = settings.PERSONAL_DATA_RETENTION_DAYS if days is None else days
        cutoff = timezone.now() - dt.timedelta(days=days)
        cases = Case.objects.filter(state=State.ARCHIVED, archived_at__lt=cutoff)
        parties = Party.objects.filter(case__in=cases).exclude(name=PURGED_NAME)
        count = parties.count()
        if dry_run:
            self.stdout.write(
                f"would purge {count} parties of cases archived before {cutoff:%Y-%m-%d}"
            )
            return
        with transaction.atomic():
            # save() per row, not update(): the blind indexes are recomputed (emptied) by
            # BlindIndexField.pre_save and the audit trail records each change.
            for party in parties.select_for_update():
                party.name = PURGED_NAME
                party.id_number = None
                party.phone = None
                party.address = ""
                party.credit_code = ""
                party.save()
            for order in ChannelOrder.objects.filter(case__in=cases).select_for_update():
                order.payload = {
                    "channel": order.channel,
                    "external_id": order.external_id,
                    "purged": True,
                }
                order.save(update_fields=["payload"])
        self.stdout.write(f"purged {count} parties of cases archived before {cutoff:%Y-%m-%d}")
