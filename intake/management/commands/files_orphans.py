"""Stored objects of evidence files that no row points at, found and (with --delete) removed.

An upload stores the object first and writes its row in a transaction; a failure in that
transaction deletes the object at once (intake/evidence/services.py). What remains possible
is a process killed between the two, or a caller's outer transaction rolled back after the
upload returned. Objects younger than ``--older-than-hours`` (default 1) are left alone: they
may belong to an upload still in flight. Safe to run at any time, on the file system and on
S3 alike (it goes through the storage API)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from intake.evidence import store
from intake.models import Attachment


def orphans(*, older_than: dt.timedelta) -> list[str]:
    storage = store.storage()
    cutoff = timezone.now() - older_than
    found = []
    try:
        case_dirs, _files = storage.listdir("cases")
    except FileNotFoundError:  # nothing stored yet (S3 has no directories to miss)
        return []
    for case_dir in sorted(case_dirs):
        prefix = f"cases/{case_dir}"
        _dirs, names = storage.listdir(prefix)
        known = set(
            Attachment.objects.filter(stored_name__startswith=prefix + "/").values_list(
                "stored_name", flat=True
            )
        )
        for name in sorted(names):
            path = f"{prefix}/{name}"
            if path in known:
                continue
            modified = storage.get_modified_time(path)
            if timezone.is_naive(modified):
                modified = timezone.make_aware(modified)
            if modified < cutoff:
                found.append(path)
    return found


class Command(BaseCommand):
    help = "List (and with --delete remove) stored evidence files that no row points at."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true")
        parser.add_argument("--older-than-hours", type=float, default=1.0)

    def handle(self, *args, delete=False, older_than_hours=1.0, **options):
        found = orphans(older_than=dt.timedelta(hours=older_than_hours))
        for path in found:
            self.stdout.write(path)
            if delete:
                store.delete(path)
        verb = "deleted" if delete else "found (run with --delete to remove)"
        self.stdout.write(f"orphan files {verb}: {len(found)}")
