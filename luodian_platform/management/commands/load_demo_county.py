"""Load the demo county. Each app may ship a ``demo`` module with ``load()``; they run in
INSTALLED_APPS order (upstream first), so the organisation exists before the rules that
point at it. Running the command twice changes nothing."""

from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Command(BaseCommand):
    help = "Load (or refresh) the demo county: organisation, rules, demo users. Idempotent."

    def handle(self, *args, **options):
        if getattr(settings, "PRODUCTION", False):
            # The demo users' password is published in the README: never in production.
            raise CommandError(
                "load_demo_county refuses to run with DJANGO_ENV=production: it creates demo "
                "accounts with the password published in the README. Create real accounts "
                "with `manage.py createsuperuser` and the admin."
            )
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                counts = module.load() or {}
                summary = ", ".join(f"{k}={v}" for k, v in counts.items())
                self.stdout.write(f"{config.label}: {summary}")
