"""Rows for the downstream apps' per-case tables (assignments, supervisions, sessions,
agreements, visits, reminders…), filled server-side with ``INSERT … SELECT`` from the cases
the generator wrote, so they are consistent with each case's state, department and dates.

The other apps' models are built in parallel with this benchmark, so the columns are read
from each model at run time: a model with a foreign key to ``Case`` gets one row per
qualifying case; which cases qualify is chosen from the model's name (a visit needs a closed
case, a session a mediated one…). A model that cannot be filled this way (an unknown
required foreign key, a constraint the generic values break) is skipped and reported,
never fatal: the benchmark still runs on the core tables.
"""

from __future__ import annotations

import json
import re
import time

from django.apps import apps
from django.db import connection, models, transaction

from intake.models import Case, CaseEvent, Party, State

APPS = ("dispatch", "mediation", "followup")

# Which cases get a row, by words in the model's name (first match wins).
HANDLED = [State.ACCEPTED, State.MEDIATING, State.SUSPENDED, State.REPLIED]
DONE = [State.CLOSED, State.ARCHIVED]
RULES: list[tuple[tuple[str, ...], list[str], str]] = [
    # (name words, states, extra SQL condition on c)
    (("visit", "satisfaction", "callback", "rework"), DONE, ""),
    (("archive",), [State.ARCHIVED], ""),
    (("agreement", "confirmation", "judicial"), [*DONE, State.REPLIED], "c.outcome = 'agreement'"),
    (("notice",), [*DONE, State.REPLIED], "c.outcome = 'notice'"),
    (
        ("session", "mediation", "participant", "attendance"),
        [State.MEDIATING, State.REPLIED, *DONE],
        "c.department_id IS NOT NULL",
    ),
    (
        ("urge", "supervis", "warning", "reminder", "overdue", "alert"),
        [State.DISPATCHED, State.ACCEPTED, State.MEDIATING],
        "c.due_at < now() + interval '3 days'",
    ),
    (
        ("extension",),
        [State.ACCEPTED, State.MEDIATING, *DONE],
        "c.extension_count > 0 OR c.id % 20 = 0",
    ),
    (("correction",), [State.REGISTERED, State.DISPATCHED, State.ACCEPTED], "c.id % 25 = 0"),
    (("referral", "court"), [State.MEDIATING, *DONE], "c.channel = 'court'"),
    (("legal", "aid", "service"), [*HANDLED, *DONE], "c.id % 10 = 0"),
    (
        ("assign", "dispatch", "return", "bounce", "cohandl", "co_depart", "handler"),
        [State.DISPATCHED, *HANDLED, *DONE],
        "c.department_id IS NOT NULL",
    ),
]
DEFAULT_RULE = ([State.DISPATCHED, *HANDLED, *DONE], "c.department_id IS NOT NULL AND c.id % 4 = 0")


def _rule(model) -> tuple[list[str], str]:
    name = model.__name__.lower()
    for words, states, cond in RULES:
        if any(w in name for w in words):
            return states, cond
    return DEFAULT_RULE


def _case_fk(model):
    for f in model._meta.concrete_fields:
        if isinstance(f, models.ForeignKey) and f.related_model is Case and f.name != "merged_into":
            return f
    return None


def _expr(field, model, done_tables: dict[type, str]) -> str | None:
    """SQL for one column over ``intake_case c``; None means: cannot fill this model."""
    name = field.name.lower()
    if isinstance(field, models.ForeignKey):
        rel = field.related_model
        if rel is Case:
            return "c.id"
        if rel._meta.label == "luodian_platform.Department":
            return "COALESCE(c.department_id, (SELECT min(id) FROM luodian_platform_department))"
        if rel._meta.label == "luodian_platform.Category":
            return "c.category_id"
        if rel._meta.label == "luodian_platform.Township":
            return "c.township_id" if field.null else "COALESCE(c.township_id, 1)"
        if rel._meta.label_lower == "luodian_platform.user":
            return (
                "COALESCE(c.assignee_id, (SELECT id FROM luodian_platform_user "
                "WHERE username = 'dispatcher'))"
            )
        if rel in done_tables and _case_fk(rel):
            col = _case_fk(rel).column
            return f'(SELECT min(x.id) FROM "{rel._meta.db_table}" x WHERE x."{col}" = c.id)'  # noqa: S608 - names from model metadata, no user input
        if field.null:
            return "NULL"
        return f'(SELECT min(id) FROM "{rel._meta.db_table}")'  # noqa: S608 - names from model metadata, no user input
    if field.choices and ("status" in name or "state" in name):
        return _literal(field, _settled_choice(field))
    if field.has_default():
        default = field.get_default()
        if isinstance(default, (bool, int, float, str, list, dict)):
            return _literal(field, default)
    if field.null:
        if isinstance(field, models.DateTimeField):
            return _time_expr(name)
        return "NULL"
    if isinstance(field, models.DateTimeField):
        return f"COALESCE({_time_expr(name)}, c.created_at)"
    if isinstance(field, models.DateField):
        return f"(COALESCE({_time_expr(name)}, c.created_at) AT TIME ZONE 'Asia/Shanghai')::date"
    if field.choices:
        return _literal(field, _settled_choice(field))
    if isinstance(field, models.BooleanField):
        return "false"
    if isinstance(field, (models.IntegerField, models.DecimalField, models.FloatField)):
        return "1" if "score" in name or "satisf" in name or "number" in name else "0"
    if isinstance(field, models.JSONField):
        return "'{}'::jsonb"
    if isinstance(field, models.UUIDField):
        return "gen_random_uuid()"
    if isinstance(field, (models.CharField, models.TextField)):
        if field.unique or "number" in name or "code" in name or "token" in name:
            return f"left('B' || c.id::text || '-{model.__name__[:4]}', {field.max_length or 100})"
        if "phone" in name:
            return "'13800000000'"
        return "'基准测试'"
    return "NULL"


SETTLED = re.compile(
    r"^(done|completed?|closed|finished|held|signed|sent|confirmed|approved|resolved|answered|reached|success)"
)


def _settled_choice(field) -> str:
    """A status column gets its settled value (a closed case's visit is done, its session
    held), not its first choice (often 'scheduled'/'pending', which would make every
    historical row due work for the sweep)."""
    values = [str(v) for v, _ in field.flatchoices]
    for v in values:
        if SETTLED.match(v.lower()):
            return v
    return values[0]


def _time_expr(name: str) -> str:
    if re.search(r"(^|_)(ends?|finish(ed)?)(_|$)", name) and "due" not in name:
        return "(COALESCE(c.accepted_at, c.dispatched_at) + interval '2 hours')"
    if "due" in name or "deadline" in name:
        return "c.due_at"
    if "closed" in name or "visit" in name or "done" in name or "finished" in name:
        return "COALESCE(c.closed_at, c.replied_at, c.dispatched_at)"
    if "sign" in name or "agree" in name:
        return "COALESCE(c.agreement_signed_at, c.replied_at, c.accepted_at)"
    if "schedul" in name or "start" in name or "held" in name or "session" in name:
        return "COALESCE(c.accepted_at, c.dispatched_at)"
    return "COALESCE(c.dispatched_at, c.created_at)"


def _literal(field, value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return "'" + json.dumps(value).replace("'", "''") + "'::jsonb"
    return "'" + str(value).replace("'", "''") + "'"


def _order(models_list):
    """Models whose FK targets are other generated models come after them."""
    out, pending = [], list(models_list)
    while pending:
        progressed = False
        for m in list(pending):
            deps = {
                f.related_model
                for f in m._meta.concrete_fields
                if isinstance(f, models.ForeignKey)
                and f.related_model in pending
                and f.related_model is not m
            }
            if not deps:
                out.append(m)
                pending.remove(m)
                progressed = True
        if not progressed:
            out.extend(pending)
            break
    return out


def candidates():
    found = []
    for label in APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            # Reminders are left to the deadline sweep, whose creation rate is measured.
            if _case_fk(model) is not None and "remind" not in model.__name__.lower():
                found.append(model)
    return _order(found)


def generate(*, seed: int, batch: int = 0) -> dict:
    report: dict[str, object] = {}
    done: dict[type, str] = {Case: "", CaseEvent: "", Party: ""}
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(%s)", [((seed % 1000) / 1000.0)])
        for model in candidates():
            states, cond = _rule(model)
            cols, exprs = [], []
            ok = True
            for field in model._meta.concrete_fields:
                if field.primary_key:
                    continue
                expr = _expr(field, model, done)
                if expr is None:
                    ok = False
                    break
                cols.append(f'"{field.column}"')
                exprs.append(expr)
            label = model._meta.label
            if not ok:
                report[label] = "skipped: unknown required column"
                continue
            where = "c.state IN (" + ", ".join(f"'{s}'" for s in states) + ")"
            if cond:
                where += f" AND ({cond})"
            sql = (
                f'INSERT INTO "{model._meta.db_table}" ({", ".join(cols)}) '  # noqa: S608 - names from model metadata, no user input
                f"SELECT {', '.join(exprs)} FROM intake_case c WHERE {where}"
            )
            t0 = time.monotonic()
            try:
                with transaction.atomic():
                    cursor.execute(sql)
                    n = cursor.rowcount
                report[label] = {"rows": n, "seconds": round(time.monotonic() - t0, 2)}
                done[model] = label
            except Exception as exc:
                report[label] = f"skipped: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        from django.core.management.color import no_style

        for sql in connection.ops.sequence_reset_sql(no_style(), list(done)):
            cursor.execute(sql)
    return report
