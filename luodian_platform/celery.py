"""The Celery app. The beat schedule is built here, in one place.

Tasks pass ids, serialise as JSON, and due work lives in database rows that a periodic
sweep claims; the broker never holds a long ETA.
"""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luodian_platform.settings")

app = Celery("luodian_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _build_beat_schedule(sender, **kwargs):
    from django.conf import settings

    schedule = dict(settings.CELERY_BEAT_SCHEDULE)
    for name, entry in BEAT_ENTRIES.items():
        schedule.setdefault(name, entry)
    sender.conf.beat_schedule = schedule


@beat_init.connect
def _rebuild_beat_schedule(sender, **kwargs):
    # Beat reads the schedule when its service starts; by then Django (and the apps'
    # ready(), which fill BEAT_ENTRIES) is set up, whatever order finalize ran in.
    _build_beat_schedule(sender.app)


# Entries are added by the apps that own the task (see followup/dispatch tasks modules);
# every entry sets ``expires`` so a backlog after an outage does not run stale sweeps.
BEAT_ENTRIES: dict = {}
