"""Look-ups held for a block of bulk work: the calendar, the period table, routing and
deadline rules, who holds a role. Each service reads them afresh on every call (one to
three queries each), which is right for a page or an API call: another process (the admin,
a worker) may have changed them a moment ago. A long batch that runs in ONE transaction
(the demo year, ``manage.py load_demo_year``) sees its own snapshot anyway (SQLite's and
PostgreSQL's isolation), so inside ``lookups_held()`` each look-up is read once and kept
until the block ends or one of the models it was read from is written in this process.

Outside the block nothing is kept: ``held(key, load, models)`` just calls ``load()``.

Invalidation: a write of any model a look-up named (``post_save``, ``post_delete``,
``m2m_changed`` through its many-to-many tables) drops every value read from that model.
A write that a savepoint later rolls back has dropped the value too, so the next read
sees the database again. ``QuerySet.update()`` and ``bulk_create`` send no signal: a
batch that writes a look-up table that way must not hold it. Callers get their own copy where they could mutate one (the
calendar builds a new ``WorkCalendar`` from the held data each time).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")


class _Memo:
    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.keys_by_model: dict[type, set[Any]] = {}
        self.hits = 0
        self.misses = 0

    def drop(self, model: type) -> None:
        for key in self.keys_by_model.pop(model, ()):
            self.values.pop(key, None)


_memo: ContextVar[_Memo | None] = ContextVar("lookups_held", default=None)


@contextlib.contextmanager
def lookups_held() -> Iterator[_Memo]:
    """Read each registered look-up once inside this block (see the module docstring)."""
    memo = _Memo()
    token = _memo.set(memo)
    try:
        yield memo
    finally:
        _memo.reset(token)


def held(key: Any, load: Callable[[], T], models: Iterable[type]) -> T:
    """``load()``, kept under ``key`` while ``lookups_held()`` is active and none of
    ``models`` is written. ``key`` must say everything ``load`` depends on."""
    memo = _memo.get()
    if memo is None:
        return load()
    try:
        value = memo.values[key]
    except KeyError:
        pass
    else:
        memo.hits += 1
        return value
    memo.misses += 1
    value = load()
    memo.values[key] = value
    for model in models:
        memo.keys_by_model.setdefault(model, set()).add(key)
    return value


def _dropped(sender, **kwargs) -> None:
    memo = _memo.get()
    if memo is None or not memo.keys_by_model:
        return
    memo.drop(sender)
    if "action" in kwargs:
        # A many-to-many change names its through table; drop what was read from either
        # side too (a user's groups: who holds a role).
        memo.drop(type(kwargs["instance"]))
        if kwargs.get("model") is not None:
            memo.drop(kwargs["model"])


post_save.connect(_dropped, dispatch_uid="lookups_held_save")
post_delete.connect(_dropped, dispatch_uid="lookups_held_delete")
m2m_changed.connect(_dropped, dispatch_uid="lookups_held_m2m")
