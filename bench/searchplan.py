"""People and word search at bench scale: the SQL that ``/api/cases/?q=…`` and
``/cases/?q=…`` really run, timed inside PostgreSQL by EXPLAIN ANALYZE (best of 3), and a
check that a rare word (``朱砂``, no match) is answered from the bigram GIN index
(``case_search_bigrams_idx``, migration intake 0012) instead of a walk over every case.
Exits 1 when the rare word's plan does not use the index. Run against the benchmark
database like ``bench/sqltime.py``::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luodian_bench \\
        DJANGO_ENV=production SECRET_KEY=... BLIND_INDEX_KEY=... FIELD_ENCRYPTION_SALTS=... \\
        ALLOWED_HOSTS=testserver .venv/bin/python bench/searchplan.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luodian_platform.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from intake.models import Party  # noqa: E402
from luodian_platform.models import User  # noqa: E402

INDEX = "case_search_bigrams_idx"
RARE = os.environ.get("BENCH_RARE_WORD", "朱砂")


def explain(sql: str) -> tuple[float, str]:
    best, plan = float("inf"), ""
    for _ in range(3):
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            out = cur.fetchone()[0][0]
        if out["Execution Time"] < best:
            best, plan = out["Execution Time"], json.dumps(out["Plan"], ensure_ascii=False)
    return best, plan


def main() -> int:
    user = User.objects.get(username="dispatcher")
    # A session serves the API and the page alike; the SQL is the same as with a token.
    page = Client()
    page.force_login(user)
    api = page
    someone = Party.objects.order_by("-pk").values_list("name", flat=True).first() or "张三"
    queries = {
        f"rare word {RARE}": RARE,
        "common word 欠薪": "欠薪",
        "party name": someone,
        "phone (no match)": "13900000000",
        "ID number (no match)": "11010519491231002X",
    }
    failed = False
    for label, q in queries.items():
        for kind, client, path in (("api", api, "/api/cases/"), ("page", page, "/cases/")):
            with CaptureQueriesContext(connection) as ctx:
                client.get(f"{path}?{urlencode({'q': q})}", secure=True)
            # The list query: the one that looks into the party table (every search does).
            sqls = [s["sql"] for s in ctx.captured_queries if '"intake_party"' in s["sql"]]
            for sql in sqls:
                ms, plan = explain(sql)
                uses = INDEX in plan
                print(f"{kind:4} {label:28} {ms:8.1f} ms in SQL, bigram index used: {uses}")
                if q == RARE and not uses:
                    failed = True
                    print(plan)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
