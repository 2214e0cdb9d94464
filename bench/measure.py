"""Run the measurements against a running server and the benchmark database.

Called by ``bench/run.sh`` after the data is generated and gunicorn is up::

    python bench/measure.py --base http://127.0.0.1:8765 --out bench-output/results.json

What it does, in order:

1. Credentials: DRF tokens for the demo dispatcher and supervisor, session cookies
   (``force_login`` in this process, same database and session backend as the server),
   a channel token issued through ``intake.channel.channel_token_issue``.
2. Timed HTTP runs (``bench/load.py``): every target at a fixed request rate (median,
   p95, p99 from the scheduled send time), then closed-loop throughput for the bare
   ``/api/ping/`` baseline, the case list API and the case list page.
3. In-process (Django test client, same database): the number of SQL queries per request
   for every target, and whether any list ran ``COUNT(*)``.
4. In-process: the deadline sweep over all open cases and reminder creation, and the admin
   changelist; over HTTP: channel registration, single and bulk.

Features other engineers are still building are found by URL name or function name; a
missing one is recorded as ``"n/a: not built yet"``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import importlib
import inspect
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "luodian_platform.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import NoReverseMatch, get_resolver, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.load import Target, closed_loop, fixed_rate  # noqa: E402
from intake.models import HANDLING_STATES, OPEN_STATES, Case, State  # noqa: E402
from luodian_platform.models import User  # noqa: E402
from luodian_platform.tokens import staff_token_issue  # noqa: E402

NA = "n/a: not built yet"
DURATION = float(os.environ.get("BENCH_DURATION", "5"))
RATE = float(os.environ.get("BENCH_RATE", "10"))
HEAVY_RATE = float(os.environ.get("BENCH_HEAVY_RATE", "5"))
THROUGHPUT_SECONDS = float(os.environ.get("BENCH_THROUGHPUT_SECONDS", "8"))
THROUGHPUT_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))


# --- discovery ------------------------------------------------------------------------


def url_names() -> list[str]:
    names: list[str] = []

    def walk(resolver, prefix):
        for p in resolver.url_patterns:
            if hasattr(p, "url_patterns"):
                ns = getattr(p, "namespace", None)
                walk(p, f"{prefix}{ns}:" if ns else prefix)
            elif getattr(p, "name", None):
                names.append(prefix + p.name)

    walk(get_resolver(), "")
    return names


def find_url(candidates: list[str], *, contains: tuple[str, ...] = (), kwargs_list=({},)):
    """First reversible name among candidates, then any name containing all words."""
    names = url_names()
    ordered = [c for c in candidates if c in names]
    if contains:
        ordered += [n for n in names if all(w in n for w in contains) and n not in ordered]
    for name in ordered:
        for kwargs in kwargs_list:
            try:
                return name, reverse(name, kwargs=kwargs or None)
            except NoReverseMatch:
                continue
    return None, None


def find_function(modules: list[str], word: str):
    for modname in modules:
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            continue
        for name, obj in inspect.getmembers(mod, inspect.isfunction):
            if word in name and obj.__module__ == mod.__name__ and not name.startswith("_"):
                return f"{modname}.{name}", obj
    return None, None


# --- credentials ----------------------------------------------------------------------


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def api_headers(user) -> dict[str, str]:
    _token, raw = staff_token_issue(actor=user, name="make bench")
    return {"Authorization": f"Token {raw}", "Accept": "application/json"}


def drf_cursor(position: str) -> str:
    """The DRF CursorPagination cursor that starts after ``position`` (its first ordering key)."""
    return base64.b64encode(urlencode({"p": position}).encode("ascii")).decode("ascii")


# --- targets --------------------------------------------------------------------------


def list_filters(search_word: str) -> dict[str, dict[str, str]]:
    return {
        "default": {},
        "state=accepted": {"state": State.ACCEPTED},
        "department=rsj": {"department": "rsj"},
        "overdue": {"overdue": "true"},
        "category=labour": {"category": "labour"},
        "township=longping": {"township": "longping"},
        f"q={search_word}": {"q": search_word},
    }


def deep_position(user, filters: dict) -> str | None:
    """created_at of the row in the middle of the filtered list: the 'deep page'."""
    from intake.selectors import case_list

    f = dict(filters)
    if f.get("overdue") == "true":
        f["overdue"] = "1"
    qs = case_list(user=user, filters=f).order_by("-created_at", "-id")
    n = min(qs.count(), 500_000)
    if n < 50:
        return None
    row = qs.values_list("created_at", flat=True)[n // 2]
    return str(row)


class Bench:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self.results: dict = {"latency": {}, "throughput": {}, "queries": {}, "other": {}}
        self.dispatcher = User.objects.get(username="dispatcher")
        self.supervisor = User.objects.get(username="supervisor")
        self.admin = User.objects.get(username="admin")
        self.api = api_headers(self.dispatcher)
        self.page = {"Cookie": session_cookie(self.dispatcher)}
        self.sup_page = {"Cookie": session_cookie(self.supervisor)}
        self.sup_api = api_headers(self.supervisor)
        self.admin_page = {"Cookie": session_cookie(self.admin)}

    def target(self, path: str, headers: dict) -> Target:
        return Target(self.base + path, headers=headers)

    def check(self, t: Target) -> int:
        from bench.load import _Conn

        c = _Conn(t)
        status = c.request()
        c.close()
        return status

    def timed(self, key: str, path: str, headers: dict, *, rate: float = RATE, client=None):
        t = self.target(path, headers)
        status = self.check(t)
        if status != 200:
            self.results["latency"][key] = {"path": path, "error": f"HTTP {status}"}
            print(f"  {key}: HTTP {status} at {path}", file=sys.stderr)
        else:
            r = fixed_rate(t, rate=rate, duration=DURATION)
            r["path"] = path
            self.results["latency"][key] = r
            print(
                f"  {key}: median {r['median_ms']} ms, p95 {r['p95_ms']} ms "
                f"at {rate:g}/s ({r['errors']} errors)",
                file=sys.stderr,
            )
        self.count_queries(key, path, client or self.client_for(headers))

    def client_for(self, headers: dict) -> Client:
        c = Client(HTTP_ACCEPT="application/json" if "Authorization" in headers else "text/html")
        if "Authorization" in headers:
            c.defaults["HTTP_AUTHORIZATION"] = headers["Authorization"]
        else:
            name, value = headers["Cookie"].split("=", 1)
            c.cookies[name] = value
        return c

    def count_queries(self, key: str, path: str, client: Client) -> None:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path, secure=True)
        sqls = [q["sql"] for q in ctx.captured_queries]
        # A COUNT over the case table (a notification badge's count is not the list's).
        counts = [s for s in sqls if re.search(r"COUNT\(", s, re.I) and '"intake_case"' in s]
        self.results["queries"][key] = {
            "status": response.status_code,
            "queries": len(sqls),
            "count_star": len(counts),
            "slowest_ms": max((float(q["time"]) * 1000 for q in ctx.captured_queries), default=0),
        }


def run(base: str, out: Path) -> dict:
    b = Bench(base)
    res = b.results
    word = os.environ.get("BENCH_SEARCH", "欠薪")

    print("latency at a fixed rate:", file=sys.stderr)
    api_list = reverse("api:case-list")
    page_list = reverse("intake:case_list")
    for label, filters in list_filters(word).items():
        query = urlencode(filters)
        b.timed(f"api list {label} first", f"{api_list}?{query}", b.api)
        b.timed(f"page list {label} first", f"{page_list}?{query}", b.page)
        pos = deep_position(b.dispatcher, filters)
        if pos is None:
            res["latency"][f"api list {label} deep"] = {"error": "fewer than 50 rows"}
            continue
        sep = "&" if query else ""
        b.timed(
            f"api list {label} deep",
            f"{api_list}?{query}{sep}cursor={drf_cursor(pos)}",
            b.api,
        )
        b.timed(
            f"page list {label} deep", deep_page_path(b, page_list, query, filters, pos), b.page
        )

    sample = Case.objects.filter(state=State.ARCHIVED).order_by("id").values_list("id", flat=True)
    n = sample.count()
    case_id = (
        sample[n // 2] if n else Case.objects.order_by("id").values_list("id", flat=True).first()
    )
    b.timed("api case detail", reverse("api:case-detail", kwargs={"pk": case_id}), b.api)
    b.timed("page case detail", reverse("intake:case_detail", kwargs={"pk": case_id}), b.page)

    name, path = find_url(
        ["dispatch:overdue", "dispatch:overdue_list"], contains=("dispatch", "overdue")
    )
    if path is None:
        name, path = find_url(["dispatch:workbench"])
    res["other"]["overdue_page_url_name"] = name
    b.timed("dispatcher overdue page", path, b.page, rate=HEAVY_RATE)

    name, path = find_url(["followup:dashboard"], contains=("dashboard",))
    if path:
        b.timed("supervisor dashboard", path, b.sup_page, rate=HEAVY_RATE)
    else:
        res["latency"]["supervisor dashboard"] = NA
    year = timezone.localdate().year - 1
    name, path = find_url(
        ["followup:evaluation", "followup:evaluation_year"],
        contains=("evaluation",),
        kwargs_list=({"year": year}, {}),
    )
    if path and "export" not in (name or "") and "xlsx" not in (name or ""):
        if str(year) not in path:
            path += f"?year={year}"
        # A closed year is computed once and kept (followup/snapshots.py): the first request
        # after a change computes it, the rest are served kept. Report both honestly.
        from django.core.cache import cache

        from followup.snapshots import GENERATION_KEY, generation

        generation()
        cache.incr(GENERATION_KEY)
        res["other"][f"evaluation {year} first request (computed)"] = sequential(
            b, path, b.sup_page, repeat=1
        )
        b.timed(f"evaluation {year}", path, b.sup_page, rate=HEAVY_RATE)
        # The year that includes today: its closed days from the roll-up, today live, never
        # kept (a year-end evaluation is prepared in December, before the year is closed).
        current = path.replace(f"year={year}", f"year={year + 1}")
        res["other"][f"evaluation {year + 1} (includes today, sequential)"] = sequential(
            b, current, b.sup_page, repeat=5
        )
    else:
        res["latency"][f"evaluation {year}"] = NA
    excel = None
    if path and "year=" in path:
        # The Excel is the evaluation page with format=xlsx (followup.views.evaluation_page).
        excel = (name, f"{path}&format=xlsx")
    if excel:
        res["other"]["excel"] = sequential(b, excel[1], b.sup_page, repeat=5) | {
            "url_name": excel[0]
        }
        b.count_queries("excel export", excel[1], b.client_for(b.sup_page))
    else:
        res["other"]["excel"] = NA

    print("throughput (closed loop):", file=sys.stderr)
    for key, path, headers in (
        ("ping baseline", reverse("api:ping"), {}),
        ("api list default", api_list, b.api),
        ("page list default", page_list, b.page),
        ("api list overdue", f"{api_list}?overdue=true", b.api),
    ):
        r = closed_loop(
            b.target(path, headers), duration=THROUGHPUT_SECONDS, connections=THROUGHPUT_CONNECTIONS
        )
        res["throughput"][key] = r
        print(f"  {key}: {r['rps']} req/s ({r['errors']} errors)", file=sys.stderr)
    base_rps = res["throughput"]["ping baseline"]["rps"] or 1
    for r in res["throughput"].values():
        r["ratio_to_ping"] = round(r["rps"] / base_rps, 3)

    res["other"]["admin changelist"] = sequential(b, "/admin/intake/case/", b.admin_page, repeat=5)
    res["other"]["admin changelist search"] = sequential(
        b, "/admin/intake/case/?" + urlencode({"q": word}), b.admin_page, repeat=3
    )
    b.count_queries("admin changelist", "/admin/intake/case/", b.client_for(b.admin_page))

    res["other"]["sweep"] = measure_sweep()
    res["other"]["channel"] = measure_channel(b)
    return res


def deep_page_path(b: Bench, page_list: str, query: str, filters: dict, pos: str) -> str:
    """The list page's deep page: its own keyset cursor if it has one, else ?page=middle."""
    sep = "&" if query else ""
    client = b.client_for(b.page)
    html = client.get(f"{page_list}?{query}", secure=True).content.decode()
    if "cursor=" in html:
        return f"{page_list}?{query}{sep}cursor={drf_cursor(pos)}"
    m = re.search(r"/\s*(\d+)\s*页", html)
    pages = int(m.group(1)) if m else 2
    return f"{page_list}?{query}{sep}page={max(1, pages // 2)}"


def sequential(b: Bench, path: str, headers: dict, *, repeat: int) -> dict:
    from bench.load import _Conn

    conn = _Conn(b.target(path, headers))
    times, statuses = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        statuses.append(conn.request())
        times.append((time.perf_counter() - t0) * 1000)
    conn.close()
    return {
        "path": path,
        "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1),
        "statuses": sorted(set(statuses)),
    }


def reminder_models():
    out = []
    for model in apps.get_models():
        name = model.__name__.lower()
        if model._meta.app_label in ("dispatch", "followup", "mediation", "intake") and any(
            w in name for w in ("remind", "alert", "warning", "notification", "urge", "supervision")
        ):
            out.append(model)
    return out


def measure_sweep() -> dict:
    modules = [
        f"{app}.{mod}"
        for app in ("followup", "dispatch")
        for mod in ("reminders", "sweep", "deadlines", "services")
    ]
    name, fn = find_function(modules, "sweep")
    open_cases = Case.objects.filter(state__in=OPEN_STATES).count()
    handling = Case.objects.filter(state__in=HANDLING_STATES).count()
    if fn is None:
        return {"result": NA, "open_cases": open_cases, "handling_cases": handling}
    models_ = reminder_models()
    before = {m._meta.label: m.objects.count() for m in models_}
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            try:
                out = fn()
            except TypeError:
                out = fn(now=timezone.now())
        runs.append(
            {
                "seconds": round(time.perf_counter() - t0, 3),
                "queries": len(ctx.captured_queries),
                "returned": out if isinstance(out, (int, dict, str, list)) else repr(out)[:200],
            }
        )
    after = {m._meta.label: m.objects.count() for m in models_}
    created = {k: after[k] - before[k] for k in after if after[k] != before[k]}
    first = runs[0]["seconds"] or 1e-9
    return {
        "function": name,
        "open_cases": open_cases,
        "handling_cases": handling,
        "runs": runs,
        "rows_created": created,
        "reminders_per_second": round(sum(created.values()) / first, 1) if created else 0,
    }


def channel_order(i: int, run_id: str) -> dict:
    return {
        "external_id": f"BENCH-{run_id}-{i}",
        "category": "neighbour",
        "title": f"基准测试工单{i}:邻里排水纠纷",
        "facts": "邻居修建排水沟导致雨水流入申请人院内,协商未果,请求调解。",
        "township": "longping",
        "parties": [
            {"role": "applicant", "name": "王某某", "phone": "13800000000"},
            {"role": "respondent", "name": "李某某"},
        ],
    }


def measure_channel(b: Bench) -> dict:
    name, single_path = find_url(["api:channel-orders"], contains=("channel", "orders"))
    if single_path is None:
        return {"result": NA}
    try:
        from intake.channel import channel_token_issue

        _token, raw = channel_token_issue(channel="hotline_12345", name="benchmark", actor=b.admin)
    except Exception as exc:
        return {"result": f"error issuing a channel token: {exc}"}
    headers = {"Authorization": f"Channel {raw}", "Content-Type": "application/json"}
    run_id = dt.datetime.now().strftime("%H%M%S")
    from bench.load import _Conn

    n_single = int(os.environ.get("BENCH_CHANNEL_SINGLE", "200"))
    out: dict = {"url_name": name}
    # single: 4 connections posting one order each, back to back
    import threading

    counter = iter(range(n_single))
    lock = threading.Lock()
    statuses: dict[int, int] = {}

    def worker():
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t = Target(
                b.base + single_path,
                headers=headers,
                method="POST",
                body=json.dumps(channel_order(i, run_id)).encode(),
            )
            c = _Conn(t)
            s = c.request()
            c.close()
            with lock:
                statuses[s] = statuses.get(s, 0) + 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    out["single"] = {
        "orders": n_single,
        "seconds": round(secs, 2),
        "orders_per_second": round(n_single / secs, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
    }
    _bname, bulk_path = find_url(["api:channel-orders-bulk"], contains=("channel", "bulk"))
    if bulk_path:
        size = int(getattr(settings, "CHANNEL_BULK_LIMIT", 200))
        batches = int(os.environ.get("BENCH_CHANNEL_BATCHES", "5"))
        times, statuses = [], {}
        for k in range(batches):
            body = json.dumps(
                {"orders": [channel_order(100000 + k * size + i, run_id) for i in range(size)]}
            ).encode()
            c = _Conn(Target(b.base + bulk_path, headers=headers, method="POST", body=body))
            t0 = time.perf_counter()
            s = c.request()
            times.append(time.perf_counter() - t0)
            c.close()
            statuses[s] = statuses.get(s, 0) + 1
        out["bulk"] = {
            "batch_size": size,
            "batches": batches,
            "seconds": round(sum(times), 2),
            "orders_per_second": round(size * batches / sum(times), 1),
            "statuses": {str(k): v for k, v in statuses.items()},
        }
    else:
        out["bulk"] = NA
    return out


def machine() -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as c:
        c.execute("SHOW server_version")
        pg = c.fetchone()[0]
    import gunicorn
    import rest_framework

    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "django": django.get_version(),
        "djangorestframework": rest_framework.VERSION,
        "gunicorn": gunicorn.__version__,
        "postgresql": pg,
        "os": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", default="bench-output/results.json")
    parser.add_argument(
        "--meta", default="{}", help="JSON merged into the result (scale, workers…)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {
            "duration_s": DURATION,
            "rate": RATE,
            "heavy_rate": HEAVY_RATE,
            "throughput_s": THROUGHPUT_SECONDS,
            "throughput_connections": THROUGHPUT_CONNECTIONS,
        },
        **json.loads(args.meta),
        "rows": {
            "cases": Case.objects.count(),
            "open_cases": Case.objects.filter(state__in=OPEN_STATES).count(),
        },
    }
    results["load_average_before"] = os.getloadavg()
    results |= run(args.base, out)
    results["load_average_after"] = os.getloadavg()
    results["measure_seconds"] = round(time.time() - started, 1)
    from bench.report import goals, table

    results["goals"] = goals(results)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str))
    print(table(results))
    print(f"\nwritten: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
