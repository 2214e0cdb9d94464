"""A read replica for the reads that tolerate a little lag.

Province-wide, the supervisors' dashboards, the evaluation (考评) and its Excel exports are
the heavy reads: aggregates over years of cases. With ``REPLICA_DATABASE_URL`` set (a
PostgreSQL streaming replica of the primary), the pages marked ``@reads_from_replica``
(``followup``: the dashboard, the evaluation page with its Excel export, its drill-down
lists) and the evaluation API (``with replica_reads():``) read from it, so they do not compete with the counters, locks and writes of the case flow on the
primary. Everything else reads from the primary, and every write goes there.

Rules (``ReplicaRouter``):

* a read goes to the replica only inside ``replica_reads()`` (the marked views, GET/HEAD),
  only when the replica is configured, and never inside a transaction (a transaction reads
  its own writes; ``select_for_update`` and ``get_or_create`` read as writes anyway);
* writes always go to the primary (``default``), and only the primary is migrated;
* without a replica the router changes nothing: every read and write uses ``default``.

What tolerating lag means here: a figure may miss the last second or so of changes (the
replica's apply delay). The request's own user, session and roles are read from the
primary before the view starts (``luodian_platform.auth`` reads the primary explicitly), so
a role taken away still counts at once. A closed period's kept evaluation
(``followup.snapshots``) computed right after a change could hold the replica's view of it
until the cache entry expires (``EVALUATION_CACHE_SECONDS``); the nightly warm-up runs in
Celery, outside any replica context, on the primary.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_replica_ok: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads():
    """Reads inside this block may come from the replica (when one is configured)."""
    token = _replica_ok.set(True)
    try:
        yield
    finally:
        _replica_ok.reset(token)


def reads_from_replica(view):
    """Page decorator: a GET (or HEAD) of this view reads from the replica. Put it under
    the access decorators (``login_required``, ``role_required``), which read the user."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


def _in_transaction() -> bool:
    """In a transaction the code opened (a test case's own wrapping transaction does not
    count, as in ``django.db.transaction``)."""
    blocks = connections[DEFAULT_DB_ALIAS].atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _replica_ok.get() and replica_configured() and not _in_transaction():
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # a streaming replica takes its schema from the primary
