"""Time inside PostgreSQL of the case-list queries (first and middle page, every common
filter) and of the dispatch workbench, by EXPLAIN ANALYZE (best of 3) of the SQL a request
really runs. Use it against the benchmark database to check an index before proposing it::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luodian_bench \\
        DJANGO_ENV=production SECRET_KEY=... BLIND_INDEX_KEY=... FIELD_ENCRYPTION_SALTS=... \\
        ALLOWED_HOSTS=testserver .venv/bin/python bench/sqltime.py
"""

from __future__ import annotations

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

from bench.measure import deep_position, drf_cursor, list_filters  # noqa: E402
from luodian_platform.models import User  # noqa: E402
from luodian_platform.tokens import staff_token_issue  # noqa: E402


def best_of_3(sql: str) -> float:
    best = float("inf")
    for _ in range(3):
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            best = min(best, cur.fetchone()[0][0]["Execution Time"])
    return best


def main() -> None:
    user = User.objects.get(username="dispatcher")
    _token, raw = staff_token_issue(actor=user, name="bench sqltime")
    api = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    page = Client()
    page.force_login(user)
    targets = []
    for label, filters in list_filters(os.environ.get("BENCH_SEARCH", "欠薪")).items():
        query = urlencode(filters)
        targets.append((f"api list {label} first", api, f"/api/cases/?{query}"))
        pos = deep_position(user, filters)
        if pos:
            sep = "&" if query else ""
            targets.append(
                (f"api list {label} deep", api, f"/api/cases/?{query}{sep}cursor={drf_cursor(pos)}")
            )
    targets.append(("dispatch workbench", page, "/dispatch/"))
    for label, client, path in targets:
        with CaptureQueriesContext(connection) as ctx:
            client.get(path, secure=True)
        sqls = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith("SELECT")
            and ("intake_case" in q["sql"] or "dispatch_" in q["sql"])
        ]
        times = [best_of_3(s) for s in sqls]
        print(
            f"{label:40} {sum(times):8.1f} ms in SQL, worst query {max(times, default=0):7.1f} ms, "
            f"{len(sqls)} queries",
            flush=True,
        )


if __name__ == "__main__":
    main()
