"""The fixed cost of a list request, in-process: time per request against the time its SQL
took, for the case list API (token), the list page (session) and the bare ``/api/ping/``,
through Django's test client against the benchmark database (no HTTP, no gunicorn)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/luodian_bench \\
        .venv/bin/python bench/listcost.py [--repeat 200] [--profile api|page]

The SQL time is measured around each statement at the driver (a connection execute
wrapper), so "SQL" includes the round trip to PostgreSQL and the driver's fetch, not
Django's compilation or model building. ``--profile`` prints cProfile's top functions of
the chosen target (cumulative time), which is how the list's fixed cost was found.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luodian_platform.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from luodian_platform.models import StaffToken, User  # noqa: E402
from luodian_platform.tokens import staff_token_issue, staff_token_revoke  # noqa: E402

TOKEN_NAME = "bench listcost"  # noqa: S105 (a token's label, not a secret)


class SqlClock:
    """Sums the time spent in the driver for every statement run on ``connection``."""

    def __init__(self):
        self.seconds = 0.0
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t0
            self.count += 1


def clients(username: str) -> dict[str, tuple[Client, str]]:
    user = User.objects.get(username=username)
    # A user holds at most five tokens: give back the ones earlier runs left.
    for pk in StaffToken.objects.filter(
        user=user, name=TOKEN_NAME, revoked_at__isnull=True
    ).values_list("pk", flat=True):
        staff_token_revoke(token_id=pk, actor=user)
    _token, raw = staff_token_issue(actor=user, name=TOKEN_NAME)
    api = Client(HTTP_AUTHORIZATION=f"Token {raw}", HTTP_ACCEPT="application/json")
    page = Client()
    page.force_login(user)
    session_api = Client(HTTP_ACCEPT="application/json")
    session_api.force_login(user)
    return {
        "ping": (Client(), "/api/ping/"),
        "api list (token)": (api, "/api/cases/"),
        "api list (session)": (session_api, "/api/cases/"),
        "api list overdue (token)": (api, "/api/cases/?overdue=true"),
        "page list": (page, "/cases/"),
    }


def measure(client: Client, path: str, repeat: int) -> dict:
    for _ in range(5):  # warm: imports, the template and URL caches, the connection
        assert client.get(path, secure=True).status_code == 200, path
    totals, sqls, cpus, counts = [], [], [], []
    for _ in range(repeat):
        clock = SqlClock()
        t0, c0 = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(clock):
            client.get(path, secure=True)
        totals.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        sqls.append(clock.seconds)
        counts.append(clock.count)
    total = statistics.median(totals) * 1000
    sql = statistics.median(sqls) * 1000
    return {
        "path": path,
        "median_ms": round(total, 2),
        # This process's CPU time: what the request costs in Python, least bent by the load
        # of a shared machine (the wall-clock figures are).
        "cpu_ms": round(statistics.median(cpus) * 1000, 2),
        "sql_ms": round(sql, 2),
        "ratio_to_sql": round(total / sql, 2) if sql else None,
        "queries": max(counts),
        "per_second": round(1000 / total, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--user", default="dispatcher")
    parser.add_argument("--profile", choices=["api", "page", "session"], default=None)
    parser.add_argument("--sort", default="cumulative", help="pstats sort key (--profile)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    targets = clients(args.user)
    if args.profile:
        key = {"api": "api list (token)", "page": "page list", "session": "api list (session)"}
        client, path = targets[key[args.profile]]
        measure(client, path, 5)
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.repeat):
            client.get(path, secure=True)
        prof.disable()
        pstats.Stats(prof).sort_stats(args.sort).print_stats(60)
        return 0
    out = {name: measure(client, path, args.repeat) for name, (client, path) in targets.items()}
    ping = out["ping"]["median_ms"]
    print(
        f"{'target':26} {'ms':>7} {'CPU ms':>7} {'SQL ms':>7} {'×SQL':>6} {'queries':>7} "
        f"{'÷ping':>6}"
    )
    for name, r in out.items():
        r["ratio_to_ping"] = round(ping / r["median_ms"], 3)
        ratio = f"{r['ratio_to_sql']:.2f}" if r["ratio_to_sql"] else "-"
        print(
            f"{name:26} {r['median_ms']:7.2f} {r['cpu_ms']:7.2f} {r['sql_ms']:7.2f} {ratio:>6} "
            f"{r['queries']:7d} {r['ratio_to_ping']:6.3f}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
