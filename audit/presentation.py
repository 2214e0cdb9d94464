"""The audit trail as a supervisor reads it: models and fields by their Chinese names, times
in Asia/Shanghai, choices by their labels, and "***" for every personal or secret column.

The rows themselves keep table and column names (they are written by database triggers);
this module translates them when shown. A column is hidden when the trail's redaction list
names it (``luodian_platform.audit.REDACTED_COLUMNS``, filled by the personal-data registry
with every encrypted and blind-index column): ciphertext and HMACs mean nothing to a reader
and hint at the value's length.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from luodian_platform.audit import REDACTED, REDACTED_COLUMNS

from .models import AuditEntry


@dataclass(frozen=True)
class Column:
    label: str
    field: models.Field | None
    hidden: bool


@dataclass(frozen=True)
class Table:
    label: str
    columns: dict[str, Column]


def _hidden(table: str, column: str) -> bool:
    # The trail's redaction list is the personal-data registry's (every registered model's
    # encrypted and blind-index columns; luodian_platform.E001 fails for an unregistered one).
    return column in REDACTED_COLUMNS.get(table, set())


@cache
def tables() -> dict[str, Table]:
    """Every table the trail can name, by its database name (labels are lazy: translated
    when rendered)."""
    out: dict[str, Table] = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        columns = {}
        for field in meta.concrete_fields:
            label = field.verbose_name
            if meta.auto_created and field.remote_field is not None:
                label = field.remote_field.model._meta.verbose_name
            columns[field.column] = Column(
                label=label, field=field, hidden=_hidden(meta.db_table, field.column)
            )
        label = meta.verbose_name
        if meta.auto_created:
            owner = meta.auto_created._meta.verbose_name
            target = [f for f in meta.concrete_fields if f.remote_field is not None][-1]
            label = f"{owner}—{target.remote_field.model._meta.verbose_name}"
        out[meta.db_table] = Table(label=label, columns=columns)
    return out


def table_label(name: str) -> str:
    table = tables().get(name)
    return str(table.label) if table else name


def table_choices() -> list[tuple[str, str]]:
    """(table name, Chinese label) of the audited tables, for the page's filter."""
    from luodian_platform.audit import audited_tables

    names = audited_tables()
    return sorted(((n, table_label(n)) for n in names), key=lambda item: item[1])


def _value(column: Column | None, value):
    if value is None:
        return None
    if column is None:
        return value
    if column.hidden:
        return REDACTED
    field = column.field
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        parsed = parse_datetime(value.replace(" ", "T", 1))
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, dt.UTC)
            return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(field, models.BooleanField) and isinstance(value, bool):
        return _("是") if value else _("否")
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return value


def changes(entry: AuditEntry) -> list[tuple[str, object, object]]:
    """(field label, before, after) of one entry, ready to show."""
    table = tables().get(entry.table_name)
    rows = []
    for name, old, new in entry.changes:
        column = table.columns.get(name) if table else None
        label = str(column.label) if column else name
        rows.append((label, _value(column, old), _value(column, new)))
    return rows
