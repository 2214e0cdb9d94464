"""Re-encrypt every registered personal-data column with the newest key, safely.

Procedure (docs/security.md, "Key rotation"): prepend a new salt to FIELD_ENCRYPTION_SALTS
(the old one stays, so existing rows still decrypt), deploy, run this command, and drop the
old salt only once it reports ``done: every value is under the first key``.

What makes it safe:

* **Preflight**: before writing anything every stored value of every column in the registry
  (``luodian_platform.crypto.register_personal_data``) must decrypt under the configured key
  list. A mistyped salt, or an old salt dropped too early, stops the command (exit 1) with
  the tables and counts that do not decrypt, and nothing is written.
* **Resumable**: a value already under the first key is left alone, so an interrupted run is
  simply started again and continues where it stopped. Rows are rewritten in batches of
  ``--batch-size``, each batch in its own transaction, with a compare-and-set on the old
  ciphertext (a row a user changed meanwhile is already under the new key).
* **Verification**: afterwards every value must decrypt under the first key alone; the
  report gives per-table counts. ``--dry-run`` runs the preflight and counts only.
* ``--reindex``: recompute the blind indexes (after a BLIND_INDEX_KEY change).
"""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from luodian_platform.audit import acting_as
from luodian_platform.crypto import (
    DecryptionError,
    PersonalData,
    blind_index,
    current_fernet,
    decrypt,
    encrypt,
    fernets,
    personal_data_registry,
)


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _batches(entry: PersonalData, columns: list[str], batch_size: int):
    """(pk, {column: raw value}) of every row with a value in ``columns``, by pk, in batches."""
    meta = entry.model._meta
    pk = meta.pk.column
    select = ", ".join(_qn(c) for c in [pk, *columns])
    some = " OR ".join(f"{_qn(c)} IS NOT NULL AND {_qn(c)} <> ''" for c in columns)
    last = None
    while True:
        where = f"({some})" + ("" if last is None else f" AND {_qn(pk)} > %s")
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {select} FROM {_qn(meta.db_table)} WHERE {where} "  # noqa: S608
                f"ORDER BY {_qn(pk)} LIMIT {int(batch_size)}",
                [] if last is None else [last],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield [(row[0], dict(zip(columns, row[1:], strict=True))) for row in rows]
        last = rows[-1][0]


def survey(batch_size: int = 500) -> dict[str, Counter]:
    """Per table: values under the first key ("current"), under an older key ("old") and not
    decrypting at all ("broken"), plus blind indexes out of step ("stale_index")."""
    first, all_keys = [current_fernet()], fernets()
    report: dict[str, Counter] = {}
    for entry in personal_data_registry():
        columns = entry.columns(entry.encrypted)
        if not columns:
            continue
        counts = report.setdefault(entry.model._meta.db_table, Counter())
        for batch in _batches(entry, columns, batch_size):
            for _pk, values in batch:
                for value in values.values():
                    if not value:
                        continue
                    try:
                        decrypt(value, first)
                        counts["current"] += 1
                    except DecryptionError:
                        try:
                            decrypt(value, all_keys)
                            counts["old"] += 1
                        except DecryptionError:
                            counts["broken"] += 1
    return report


def _rotate(entry: PersonalData, batch_size: int) -> Counter:
    columns = entry.columns(entry.encrypted)
    meta = entry.model._meta
    first = [current_fernet()]
    counts: Counter = Counter()
    for batch in _batches(entry, columns, batch_size):
        with transaction.atomic():
            for pk, values in batch:
                for column, value in values.items():
                    if not value:
                        continue
                    try:
                        decrypt(value, first)
                        counts["already current"] += 1
                        continue
                    except DecryptionError:
                        pass
                    new = encrypt(decrypt(value))
                    with connection.cursor() as cursor:
                        # Compare-and-set: a value changed since it was read is left alone.
                        cursor.execute(
                            f"UPDATE {_qn(meta.db_table)} SET {_qn(column)} = %s "  # noqa: S608
                            f"WHERE {_qn(meta.pk.column)} = %s AND {_qn(column)} = %s",
                            [new, pk, value],
                        )
                        counts["re-encrypted" if cursor.rowcount == 1 else "changed meanwhile"] += 1
    return counts


def _reindex(entry: PersonalData, batch_size: int) -> int:
    """Recompute each blind index from its (decrypted) source; returns the rows changed."""
    fields = [entry.model._meta.get_field(n) for n in entry.blind_indexes]
    if not fields:
        return 0
    changed = 0
    pks = list(entry.model.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), batch_size):
        with transaction.atomic():
            for obj in entry.model.objects.select_for_update().filter(
                pk__in=pks[start : start + batch_size]
            ):
                updates = {
                    f.attname: blind_index(getattr(obj, f.source))
                    for f in fields
                    if getattr(obj, f.attname) != blind_index(getattr(obj, f.source))
                }
                if updates:
                    entry.model.objects.filter(pk=obj.pk).update(**updates)
                    changed += 1
    return changed


def _table_line(table: str, counts: Counter) -> str:
    return f"{table}: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "empty")


class Command(BaseCommand):
    help = "Re-encrypt every registered personal-data column with the first key (safe, resumable)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--reindex", action="store_true", help="recompute blind indexes (new BLIND_INDEX_KEY)"
        )

    def handle(self, *args, dry_run=False, batch_size=500, reindex=False, **options):
        before = survey(batch_size)
        for table, counts in before.items():
            self.stdout.write("before  " + _table_line(table, counts))
        broken = {t: c["broken"] for t, c in before.items() if c["broken"]}
        if broken:
            raise CommandError(
                "refused: values do not decrypt under FIELD_ENCRYPTION_SALTS / SECRET_KEY "
                "(mistyped salt, or an old salt dropped before rotation finished): "
                + ", ".join(f"{t} {n}" for t, n in broken.items())
                + ". Nothing was written. Put the old salt back (after the new one) and re-run."
            )
        if dry_run:
            todo = sum(c["old"] for c in before.values())
            self.stdout.write(f"dry run: {todo} values would be re-encrypted; nothing written")
            return
        with acting_as("command:rotate_encryption_keys"):
            for entry in personal_data_registry():
                if entry.encrypted:
                    counts = _rotate(entry, batch_size)
                    self.stdout.write("rotated " + _table_line(entry.model._meta.db_table, counts))
                if reindex:
                    n = _reindex(entry, batch_size)
                    self.stdout.write(f"reindex {entry.model._meta.db_table}: {n} rows")
        after = survey(batch_size)
        left = {t: c["old"] + c["broken"] for t, c in after.items() if c["old"] + c["broken"]}
        if left:
            raise CommandError(
                "not finished: values not yet under the first key: "
                + ", ".join(f"{t} {n}" for t, n in left.items())
                + ". Do not drop the old salt; run the command again."
            )
        total = sum(c["current"] for c in after.values())
        self.stdout.write(
            f"done: every value is under the first key ({total} values); the old salts may be "
            "dropped from FIELD_ENCRYPTION_SALTS"
        )
