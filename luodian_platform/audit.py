"""The audit trail: every row written to an audited table, with actor, time, before and after.

Mechanism (see docs/security.md, "Audit trail", for the reasoning): **database triggers**.
Signal-based auditing misses ``QuerySet.update()``, ``bulk_create``/``bulk_update``, raw SQL
and cascades; a trigger sees every row change, whichever path made it (pages, API, admin,
shell, migrations, Celery). So:

* PostgreSQL: one PL/pgSQL function ``audit_record()`` and an ``AFTER INSERT OR UPDATE OR
  DELETE … FOR EACH ROW`` trigger on every audited table, (re)installed after each
  ``migrate`` (``post_migrate``), so tables that other apps add later are covered without
  anyone remembering to register them. The audit table has a ``BEFORE UPDATE OR DELETE``
  trigger that raises: rows cannot be altered, even with SQL from the application's role.
* SQLite (the single-PC default): the same rows, written by ``TEMP`` triggers created on
  each new connection (SQLite has no stored functions or session variables; temp triggers
  may read a per-connection temp table that holds the actor).

The actor travels in a context variable (``acting_as`` / the middleware). Just before a
write statement on an audited table, a connection ``execute_wrapper`` copies it into the
database: ``set_config('app.actor_id', …)`` on PostgreSQL, the ``temp.audit_ctx`` row on
SQLite. Inside a transaction it is copied once (and again only if the actor changes or a
rollback undid the copy: ``_actor_is_current``); outside one, before each write.

Sensitive columns (ID numbers, phones, password hashes) are never copied into the audit
table: their values are recorded as ``"***"`` and only the fact that they changed is kept.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from django.apps import apps
from django.db import connections
from django.db.backends.signals import connection_created
from django.http import HttpRequest

AUDIT_TABLE = "audit_auditentry"

# Every concrete model (including auto-created many-to-many tables such as
# ``luodian_platform_user_groups``, i.e. role changes) of these apps is audited: opt-out,
# so the models other engineers add (assignments, documents, deadlines, rules) are covered.
AUDITED_APPS = (
    "auth",
    "luodian_platform",
    "intake",
    "dispatch",
    "mediation",
    "followup",
    "citizen",
)

# Not audited, with the reason:
NOT_AUDITED = {
    "intake.caseevent",  # itself an append-only log of every transition (with its actor)
    "intake.casecounter",  # a number allocator; the case row it numbers is audited
    "auth.permission",  # rebuilt by migrate; grants to roles are audited via group_permissions
    # The public side's own logs (throttles, single use): append-only records themselves,
    # written by anonymous callers; auditing them would double every public request's writes.
    "citizen.lookupattempt",
    "citizen.phonecode",
    "citizen.usedlink",
}

# Columns whose values never enter the audit table (personal data, secrets).
REDACTED_COLUMNS: dict[str, set[str]] = {
    "luodian_platform_user": {"password", "mobile"},
    "intake_party": {"id_number", "phone", "credit_code"},
}

REDACTED = "***"


def register_redacted(table: str, *columns: str) -> None:
    """Downstream apps: keep the values of ``columns`` of ``table`` out of the audit trail."""
    REDACTED_COLUMNS.setdefault(table, set()).update(columns)


# --- the actor ------------------------------------------------------------------------

# Holds a user, an HttpRequest (resolved lazily, so DRF token users are seen: DRF writes the
# authenticated user back onto the HttpRequest) or a plain label for system work.
_actor: ContextVar[Any] = ContextVar("audit_actor", default=None)


@contextlib.contextmanager
def acting_as(actor: Any) -> Iterator[None]:
    """Attribute the writes in this block to ``actor`` (a user, a request or a label such as
    ``"celery:deadline_sweep"``). Services and tasks use it; requests get it from the
    middleware."""
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    """(user id or None, label) of whoever is acting now."""
    value = _actor.get()
    if isinstance(value, HttpRequest):
        value = getattr(value, "user", None)
    if value is None:
        return None, "system"
    if isinstance(value, str):
        return None, value[:150]
    if getattr(value, "is_authenticated", False):
        return value.pk, value.get_username()[:150]
    return None, "anonymous"


class AuditActorMiddleware:
    """Makes the request's user the actor of every write the request causes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_as(request):
            return self.get_response(request)


# --- which tables ---------------------------------------------------------------------


def audited_tables() -> dict[str, tuple[str, set[str]]]:
    """{table: (pk column, redacted columns)} for every audited table."""
    tables: dict[str, tuple[str, set[str]]] = {}
    for label in AUDITED_APPS:
        try:
            config = apps.get_app_config(label)
        except LookupError:
            continue
        for model in config.get_models(include_auto_created=True):
            meta = model._meta
            if meta.proxy or not meta.managed or meta.label_lower in NOT_AUDITED:
                continue
            tables[meta.db_table] = (
                meta.pk.column,
                set(REDACTED_COLUMNS.get(meta.db_table, set())),
            )
    return tables


_WRITE_RE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE
)


def _qn(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- PostgreSQL ------------------------------------------------------------------------

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION audit_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb; n jsonb; k text; changed jsonb := '[]'::jsonb;
    actor text := nullif(current_setting('app.actor_id', true), '');
    label text := coalesce(nullif(current_setting('app.actor_label', true), ''), 'system');
BEGIN
    IF TG_OP <> 'INSERT' THEN o := to_jsonb(OLD); END IF;
    IF TG_OP <> 'DELETE' THEN n := to_jsonb(NEW); END IF;
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_agg(e.key ORDER BY e.key), '[]'::jsonb) INTO changed
          FROM jsonb_each(n) e WHERE e.value IS DISTINCT FROM o -> e.key;
        IF changed = '[]'::jsonb THEN RETURN NULL; END IF;
    END IF;
    -- TG_ARGV[0] is the primary key column, the rest are columns never copied here.
    FOR i IN 1 .. TG_NARGS - 1 LOOP
        k := TG_ARGV[i];
        IF coalesce(o ->> k, '') <> '' THEN o := jsonb_set(o, ARRAY[k], '"{REDACTED}"'); END IF;
        IF coalesce(n ->> k, '') <> '' THEN n := jsonb_set(n, ARRAY[k], '"{REDACTED}"'); END IF;
    END LOOP;
    INSERT INTO {AUDIT_TABLE}
        (at, table_name, object_pk, action, actor_id, actor_label, changed, before, after)
    VALUES (clock_timestamp(), TG_TABLE_NAME,
            coalesce(n ->> TG_ARGV[0], o ->> TG_ARGV[0], ''), TG_OP,
            actor::bigint, label, changed, o, n);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Retention (redact_history, called by purge_personal_data) may overwrite personal
    -- values inside before/after, in a transaction that says so; nothing else about a row
    -- may change and no row may go.
    IF TG_OP = 'UPDATE' AND current_setting('app.audit_redacting', true) = 'on'
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.table_name = OLD.table_name
       AND NEW.object_pk = OLD.object_pk AND NEW.action = OLD.action
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
       AND NEW.actor_label = OLD.actor_label AND NEW.changed = OLD.changed THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only';
END $$;

DROP TRIGGER IF EXISTS audit_immutable ON {AUDIT_TABLE};
CREATE TRIGGER audit_immutable BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
"""  # noqa: S608 (constants only; nothing here comes from a user)


def _pg_install(connection) -> None:
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(PG_FUNCTIONS)
        for table, (pk, redacted) in sorted(audited_tables().items()):
            if table not in existing:
                continue
            args = ", ".join("'" + c.replace("'", "''") + "'" for c in [pk, *sorted(redacted)])
            cursor.execute(
                f"DROP TRIGGER IF EXISTS audit_row ON {_qn(table)}; "
                f"CREATE TRIGGER audit_row AFTER INSERT OR UPDATE OR DELETE ON {_qn(table)} "
                f"FOR EACH ROW EXECUTE FUNCTION audit_record({args})"
            )


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_value(row: str, column: str, redacted: set[str]) -> str:
    ref = f"{row}.{_qn(column)}"
    if column in redacted:
        return f"CASE WHEN coalesce({ref}, '') = '' THEN {ref} ELSE '{REDACTED}' END"
    return ref


def _sqlite_json(row: str, columns: list[str], redacted: set[str]) -> str:
    # json_object() takes at most 127 arguments on older builds: merge chunks of 50 columns.
    parts = []
    for i in range(0, len(columns), 50):
        pairs = ", ".join(f"'{c}', {_sqlite_value(row, c, redacted)}" for c in columns[i : i + 50])
        parts.append(f"json_object({pairs})")
    expr = parts[0]
    for part in parts[1:]:
        expr = f"json_patch({expr}, {part})"
    return expr


def _sqlite_triggers(table: str, pk: str, redacted: set[str], columns: list[str]) -> list[str]:
    # Table and column names come from the schema, never from a user.
    insert = (
        f"INSERT INTO {AUDIT_TABLE} "  # noqa: S608
        "(at, table_name, object_pk, action, actor_id, actor_label, changed, before, after) "
        "VALUES (strftime('%Y-%m-%d %H:%M:%f', 'now'), '{table}', {pk}, '{op}', "
        "(SELECT actor_id FROM temp.audit_ctx), "
        "coalesce((SELECT label FROM temp.audit_ctx), 'system'), {changed}, {before}, {after});"
    )
    changed = (
        "(SELECT json_group_array(c) FROM ("  # noqa: S608
        + " UNION ALL ".join(
            f"SELECT '{c}' AS c WHERE OLD.{_qn(c)} IS NOT NEW.{_qn(c)}" for c in columns
        )
        + "))"
    )
    any_change = " OR ".join(f"OLD.{_qn(c)} IS NOT NEW.{_qn(c)}" for c in columns)
    old, new = _sqlite_json("OLD", columns, redacted), _sqlite_json("NEW", columns, redacted)
    name = f"audit_{table}"
    t = _qn(table)
    return [
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_qn(name + '_i')} AFTER INSERT ON main.{t} BEGIN "
        + insert.format(
            table=table, pk=f"NEW.{_qn(pk)}", op="INSERT", changed="'[]'", before="NULL", after=new
        )
        + " END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_qn(name + '_u')} AFTER UPDATE ON main.{t} "
        f"WHEN {any_change} BEGIN "
        + insert.format(
            table=table, pk=f"NEW.{_qn(pk)}", op="UPDATE", changed=changed, before=old, after=new
        )
        + " END",
        f"CREATE TEMP TRIGGER IF NOT EXISTS {_qn(name + '_d')} AFTER DELETE ON main.{t} BEGIN "
        + insert.format(
            table=table, pk=f"OLD.{_qn(pk)}", op="DELETE", changed="'[]'", before=old, after="NULL"
        )
        + " END",
    ]


# Updates of the trail are refused, except redact_history()'s (flagged in a temp table), which
# may change only before/after.
SQLITE_IMMUTABLE = (
    "CREATE TEMP TRIGGER IF NOT EXISTS audit_immutable BEFORE UPDATE ON main."  # noqa: S608
    + AUDIT_TABLE
    + " WHEN NOT EXISTS (SELECT 1 FROM temp.audit_redacting) "
    "OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at "
    "OR NEW.table_name IS NOT OLD.table_name OR NEW.object_pk IS NOT OLD.object_pk "
    "OR NEW.action IS NOT OLD.action OR NEW.actor_id IS NOT OLD.actor_id "
    "OR NEW.actor_label IS NOT OLD.actor_label OR NEW.changed IS NOT OLD.changed "
    "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
)


def _sqlite_install(connection) -> None:
    raw = connection.connection.cursor()
    try:
        existing = {
            r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if AUDIT_TABLE not in existing:
            return
        # Drop what an earlier generation installed (columns may have changed since).
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
        ).fetchall():
            raw.execute(f"DROP TRIGGER IF EXISTS temp.{_qn(name)}")
        raw.execute("CREATE TEMP TABLE IF NOT EXISTS audit_ctx (actor_id INTEGER, label TEXT)")
        raw.execute("DELETE FROM temp.audit_ctx")
        raw.execute("INSERT INTO temp.audit_ctx VALUES (NULL, 'system')")
        # SQLite's flush (tests) deletes rows, so only updates are refused here; the model
        # refuses deletes and PostgreSQL refuses both.
        # redact_history() (retention) marks its work in this table for the trigger below.
        raw.execute("CREATE TEMP TABLE IF NOT EXISTS audit_redacting (on_ INTEGER)")
        raw.execute("DELETE FROM temp.audit_redacting")
        raw.execute(SQLITE_IMMUTABLE)
        for table, (pk, redacted) in sorted(audited_tables().items()):
            if table not in existing:
                continue
            columns = [r[1] for r in raw.execute(f"PRAGMA table_info({_qn(table)})").fetchall()]
            for sql in _sqlite_triggers(table, pk, redacted, columns):
                raw.execute(sql)
    finally:
        raw.close()
    connection._audit_installed = True


def _sqlite_uninstall(connection) -> None:
    if connection.connection is None:
        return
    raw = connection.connection.cursor()
    try:
        for (name,) in raw.execute(
            "SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'audit_%'"
        ).fetchall():
            raw.execute(f"DROP TRIGGER IF EXISTS temp.{_qn(name)}")
    finally:
        raw.close()
    connection._audit_installed = False
    connection._audit_copied = None


def install(connection) -> None:
    """(Re)install the audit triggers on ``connection``'s database. Idempotent."""
    if connection.vendor == "postgresql":
        _pg_install(connection)
        connection._audit_installed = True
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        _sqlite_install(connection)


# --- retention: redacting the history of purged rows ------------------------------------


def _scrub(document: Any, columns: set[str]) -> tuple[Any, bool]:
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, dict):
        return document, False
    changed = False
    for column in columns:
        if document.get(column) not in (None, "", REDACTED):
            document[column] = REDACTED
            changed = True
    return document, changed


def redact_history(table: str, object_pks: Iterable[Any], columns: Iterable[str]) -> int:
    """Overwrite the values of ``columns`` with ``"***"`` in every audit row about these rows
    of ``table`` (retention: the purge must not leave names and addresses in the trail).
    Who changed what and when stays. Returns the number of audit rows changed.

    The trail is otherwise immutable: the guard triggers let exactly this through, in a
    transaction that flags it, and only changes to ``before``/``after``."""
    from django.db import connection, transaction

    pks, cols = [str(pk) for pk in object_pks], set(columns)
    if not pks or not cols:
        return 0
    postgres = connection.vendor == "postgresql"
    cast = "::jsonb" if postgres else ""
    changed = 0
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres:
            cursor.execute("SELECT set_config('app.audit_redacting', 'on', true)")
        else:
            cursor.execute("INSERT INTO temp.audit_redacting VALUES (1)")
        try:
            for start in range(0, len(pks), 500):
                chunk = pks[start : start + 500]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT id, before, after FROM {AUDIT_TABLE} "  # noqa: S608 (constants)
                    f"WHERE table_name = %s AND object_pk IN ({marks})",
                    [table, *chunk],
                )
                for row_id, before, after in cursor.fetchall():
                    before, b_changed = _scrub(before, cols)
                    after, a_changed = _scrub(after, cols)
                    if not (b_changed or a_changed):
                        continue
                    cursor.execute(
                        f"UPDATE {AUDIT_TABLE} SET before = %s{cast}, after = %s{cast} "  # noqa: S608
                        "WHERE id = %s",
                        [
                            None if before is None else json.dumps(before, ensure_ascii=False),
                            None if after is None else json.dumps(after, ensure_ascii=False),
                            row_id,
                        ],
                    )
                    changed += 1
        finally:
            if postgres:
                cursor.execute("SELECT set_config('app.audit_redacting', 'off', true)")
            else:
                cursor.execute("DELETE FROM temp.audit_redacting")
    return changed


# --- passing the actor to the database ------------------------------------------------


def _actor_wrapper(execute, sql, params, many, context):
    connection = context["connection"]
    if getattr(connection, "_audit_installed", False) and isinstance(sql, str):
        match = _WRITE_RE.match(sql)
        if match and match.group(1) != AUDIT_TABLE and match.group(1) in _audited_names():
            _copy_actor(connection, current_actor())
    return execute(sql, params, many, context)


def _actor_is_current(connection, actor: tuple[int | None, str]) -> bool:
    """Whether ``actor`` was copied earlier in this transaction and is still in force.

    The copy is a write in the transaction, so a rollback (of the transaction or of the
    savepoint it was made in) undoes it. Django forgets the ``on_commit`` callbacks of a
    rolled-back transaction or savepoint in exactly the same cases, so a no-op callback
    registered with the copy is the marker: while it is still queued, the copy stands.
    """
    copied = getattr(connection, "_audit_copied", None)
    if copied is None or copied[0] != actor:
        return False
    marker = copied[1]
    # From the newest callback back: the marker is almost always the last one queued, and a
    # long transaction (the demo year, a bulk channel post) queues one per actor change, so
    # a scan from the oldest made every write O(callbacks).
    return any(entry[1] is marker for entry in reversed(connection.run_on_commit))


def _copy_actor(connection, actor: tuple[int | None, str]) -> None:
    """Copy the actor into the database once per transaction (and again when it changes);
    outside a transaction, before each write (each statement is its own transaction)."""
    if connection.in_atomic_block and _actor_is_current(connection, actor):
        return
    actor_id, label = actor
    raw = connection.connection.cursor()
    try:
        if connection.vendor == "postgresql":
            raw.execute(
                "SELECT set_config('app.actor_id', %s, false), "
                "set_config('app.actor_label', %s, false)",
                ["" if actor_id is None else str(actor_id), label],
            )
        else:
            raw.execute("UPDATE temp.audit_ctx SET actor_id = ?, label = ?", [actor_id, label])
    finally:
        raw.close()
    connection._audit_copies = getattr(connection, "_audit_copies", 0) + 1
    if connection.in_atomic_block:

        def marker() -> None:
            """Queued with the copy; see ``_actor_is_current``."""

        connection.on_commit(marker)
        connection._audit_copied = (actor, marker)
    else:
        connection._audit_copied = None


_names_cache: frozenset[str] | None = None


def _audited_names() -> frozenset[str]:
    global _names_cache
    if _names_cache is None:
        _names_cache = frozenset(audited_tables())
    return _names_cache


def _on_connection_created(sender, connection, **kwargs) -> None:
    if _actor_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_actor_wrapper)
    connection._audit_installed = False
    if connection.vendor == "postgresql":
        # Permanent triggers, installed by post_migrate; the wrapper may pass the actor as
        # soon as the audit table exists (set_config is harmless before that).
        connection._audit_installed = True
    elif connection.vendor == "sqlite":
        _sqlite_install(connection)


def on_pre_migrate(sender, using="default", **kwargs) -> None:
    connection = connections[using]
    if connection.vendor == "sqlite":
        # Temp triggers name columns; a migration may rebuild the tables under them.
        _sqlite_uninstall(connection)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    global _names_cache
    _names_cache = None
    install(connections[using])


def connect_signals() -> None:
    connection_created.connect(_on_connection_created, dispatch_uid="audit_connection_created")
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _on_connection_created(None, connection)
