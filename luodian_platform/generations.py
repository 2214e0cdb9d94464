"""Generation numbers in the cache: a kept result's key carries one, and bumping it after
commit makes every result kept under the old number stale at once (the next read computes
again). A rolled-back write bumps nothing. Used by the kept evaluations
(``followup.snapshots``) and the kept handling times (``followup.handling_time``)."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.db import transaction


class Generation:
    def __init__(self, key: str) -> None:
        self.key = key

    def current(self) -> int:
        value = cache.get(self.key)
        if value is None:
            # A fresh cache: start from a value no earlier key can carry.
            value = int(dt.datetime.now().timestamp() * 1000)
            if not cache.add(self.key, value, timeout=None):
                value = cache.get(self.key, value)
        return int(value)

    def bump(self, **_ignored) -> None:
        """Stale from the commit of the current transaction on (a signal receiver too)."""
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        try:
            cache.incr(self.key)
        except ValueError:  # not set yet: the next read starts a new generation
            self.current()
