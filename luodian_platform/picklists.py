"""The county's categories, departments and townships as ``(code, name)`` pairs, for the
filter dropdowns of list pages.

A list page otherwise runs three queries and builds some fifty model instances on every
request for rows an administrator changes a few times a year. The pairs are kept in the
cache: any save or delete of one of these rows drops them (signals connected in
``PlatformConfig.ready``), again when its transaction commits, and they expire after
``PICKLIST_SECONDS`` for the paths that send no signal (``QuerySet.update()``, SQL). A list
read inside a transaction is not kept (it may hold rows that are rolled back).
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection, transaction

from .models import Category, Department, Township

PICKLIST_SECONDS = 300
MODELS = {"categories": Category, "departments": Department, "townships": Township}
KEY = "picklists:v1"


def picklists() -> dict[str, list[tuple[str, str]]]:
    """``{"categories": [(code, name), …], "departments": …, "townships": …}`` in each
    model's own order."""
    found = cache.get(KEY)
    if found is None:
        found = {
            name: [tuple(pair) for pair in model.objects.values_list("code", "name")]
            for name, model in MODELS.items()
        }
        if not connection.in_atomic_block:
            cache.set(KEY, found, PICKLIST_SECONDS)
    return found


def forget(**kwargs) -> None:
    cache.delete(KEY)
    transaction.on_commit(lambda: cache.delete(KEY))


def connect() -> None:
    from django.db.models.signals import post_delete, post_save

    for model in MODELS.values():
        post_save.connect(forget, sender=model, dispatch_uid=f"picklists-save-{model.__name__}")
        post_delete.connect(forget, sender=model, dispatch_uid=f"picklists-del-{model.__name__}")
