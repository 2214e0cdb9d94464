"""CI check: the committed catalogs are current.

1. Every ``.mo`` holds exactly the translations of its ``.po`` (a fresh machine needs no
   gettext tools, so the compiled files are committed and must not lag behind).
2. Where xgettext is installed, ``makemessages`` finds no message missing from a ``.po``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def catalogs() -> list[Path]:
    base = Path(settings.BASE_DIR)
    return sorted(
        p for p in base.glob("**/locale/*/LC_MESSAGES/django.po") if ".venv" not in p.parts
    )


def translations(entries) -> dict[tuple[str, str], str]:
    return {
        (e.msgctxt or "", e.msgid): e.msgstr
        for e in entries
        if e.msgstr and not e.obsolete and "fuzzy" not in e.flags
    }


class Command(BaseCommand):
    help = "Fail if compiled translations (.mo) or catalogs (.po) are out of date."

    def handle(self, *args, **options):
        problems = []
        for po_path in catalogs():
            mo_path = po_path.with_suffix(".mo")
            if not mo_path.exists():
                problems.append(f"{mo_path} is missing: run `make messages`")
                continue
            if translations(polib.pofile(str(po_path))) != translations(polib.mofile(str(mo_path))):
                problems.append(f"{mo_path} is older than its .po: run `make messages`")
        if shutil.which("xgettext"):
            problems += self._missing_messages()
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write("translations are current")

    def _missing_messages(self) -> list[str]:
        problems = []
        with tempfile.TemporaryDirectory() as tmp:
            saved = {}
            for po in catalogs():
                copy = Path(tmp) / str(len(saved))
                shutil.copy2(po, copy)
                saved[po] = copy
            try:
                call_command(
                    "makemessages",
                    locale=["en"],
                    verbosity=0,
                    ignore_patterns=[".venv/*", "var/*", "staticfiles/*", "tests/*", "bench/*"],
                )
                for po, copy in saved.items():
                    before = {e.msgid for e in polib.pofile(str(copy))}
                    after = {e.msgid for e in polib.pofile(str(po)) if not e.obsolete}
                    missing = after - before
                    if missing:
                        sample = "; ".join(sorted(missing)[:5])
                        problems.append(
                            f"{po}: {len(missing)} new messages not in the catalog ({sample})"
                        )
            finally:
                for po, copy in saved.items():
                    shutil.copy2(copy, po)
        return problems
