"""The terminal table and the goal check, from the results dictionary."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.1f}"
    return str(v)


def table(r: dict) -> str:
    m = r.get("machine", {})
    lines = [
        "",
        f"Luodian benchmark — scale {r.get('scale')} cases ({r['rows']['open_cases']} open), "
        f"{m.get('cores')} cores, {m.get('memory_gb')} GB, gunicorn -w {r.get('workers')}, "
        f"PostgreSQL {m.get('postgresql')}, Django {m.get('django')}",
        "",
        f"{'target':46} {'median ms':>10} {'p95 ms':>8} {'rate/s':>7} {'queries':>8} {'COUNT(*)':>8}",
        "-" * 92,
    ]
    q = r.get("queries", {})
    for key, v in r.get("latency", {}).items():
        qq = q.get(key, {})
        if isinstance(v, str):
            lines.append(f"{key:46} {v}")
            continue
        if "error" in v:
            lines.append(f"{key:46} {v['error']}")
            continue
        lines.append(
            f"{key:46} {_fmt(v['median_ms']):>10} {_fmt(v['p95_ms']):>8} {_fmt(v['rate']):>7} "
            f"{_fmt(qq.get('queries')):>8} {_fmt(qq.get('count_star')):>8}"
        )
    lines += ["", f"{'throughput (closed loop)':46} {'req/s':>10} {'× ping':>8}", "-" * 66]
    for key, v in r.get("throughput", {}).items():
        lines.append(f"{key:46} {_fmt(v['rps']):>10} {_fmt(v.get('ratio_to_ping')):>8}")
    o = r.get("other", {})
    lines += ["", "other", "-" * 66]
    for key in ("admin changelist", "admin changelist search", "excel"):
        v = o.get(key)
        if isinstance(v, dict):
            lines.append(f"{key:46} median {v['median_ms']} ms, max {v['max_ms']} ms")
        elif v is not None:
            lines.append(f"{key:46} {v}")
    sweep = o.get("sweep", {})
    if sweep.get("runs"):
        secs = ", ".join(str(x["seconds"]) for x in sweep["runs"])
        lines.append(
            f"{'deadline sweep (s per sweep, 3 runs)':46} {secs} over {sweep['open_cases']} open "
            f"cases ({sweep['function']})"
        )
        lines.append(
            f"{'reminders created / s (first sweep)':46} {sweep['reminders_per_second']} "
            f"{json.dumps(sweep['rows_created'], ensure_ascii=False)}"
        )
    else:
        lines.append(f"{'deadline sweep':46} {sweep.get('result')}")
    ch = o.get("channel", {})
    for k in ("single", "bulk"):
        v = ch.get(k)
        if isinstance(v, dict):
            lines.append(
                f"{'channel registration ' + k:46} {v['orders_per_second']} orders/s "
                f"{json.dumps(v['statuses'])}"
            )
        elif v is not None or "result" in ch:
            lines.append(f"{'channel registration ' + k:46} {v or ch.get('result')}")
    lines += ["", "goals", "-" * 66]
    for g in r.get("goals", []):
        lines.append(
            f"[{'MET ' if g['met'] else 'MISS' if g['met'] is False else 'n/a '}] {g['goal']}: {g['value']}"
        )
    return "\n".join(lines)


def goals(r: dict) -> list[dict]:
    out = []
    lat = r.get("latency", {})
    q = r.get("queries", {})

    def add(goal, met, value):
        out.append({"goal": goal, "met": met, "value": value})

    lists = {
        k: v for k, v in lat.items() if k.startswith(("api list", "page list")) and "p95_ms" in v
    }
    counts = [k for k in q if k.startswith(("api list", "page list")) and q[k].get("count_star")]
    add("no COUNT(*) on list endpoints", not counts, ", ".join(counts) or "none")
    worst = max(lists.items(), key=lambda kv: kv[1]["p95_ms"], default=(None, {"p95_ms": None}))
    add(
        "list p95 < 150 ms",
        worst[1]["p95_ms"] is not None and worst[1]["p95_ms"] < 150,
        f"worst {worst[0]}: {worst[1]['p95_ms']} ms",
    )
    ratios = []
    for k, v in lists.items():
        if k.endswith(" deep"):
            first = lists.get(k[: -len(" deep")] + " first")
            if first and first["median_ms"]:
                ratios.append((v["median_ms"] / first["median_ms"], k))
    if ratios:
        ratio, key = max(ratios)
        add("deep page within 2× first page (median)", ratio <= 2.0, f"worst {key}: {ratio:.2f}×")
    tp = r.get("throughput", {})
    if "api list default" in tp:
        ratio = tp["api list default"]["ratio_to_ping"]
        add("list API throughput ≥ 50% of ping", ratio >= 0.5, f"{ratio:.0%}")
    if "page list default" in tp:
        ratio = tp["page list default"]["ratio_to_ping"]
        add("list page throughput ≥ 50% of ping", ratio >= 0.5, f"{ratio:.0%}")
    for key, v in lat.items():
        if key.startswith(("supervisor dashboard", "evaluation")):
            if isinstance(v, dict) and "p95_ms" in v:
                add(f"{key} p95 < 300 ms", v["p95_ms"] < 300, f"{v['p95_ms']} ms")
            else:
                add(f"{key} p95 < 300 ms", None, v if isinstance(v, str) else v.get("error"))
    sweep = r.get("other", {}).get("sweep", {})
    if sweep.get("runs"):
        worst = max(x["seconds"] for x in sweep["runs"])
        add(f"sweep < 1 s ({sweep['open_cases']} open cases)", worst < 1.0, f"worst {worst} s")
    else:
        add("sweep < 1 s", None, sweep.get("result"))
    bulk = r.get("other", {}).get("channel", {}).get("bulk")
    if isinstance(bulk, dict):
        add(
            "≥ 200 channel orders/s bulk",
            bulk["orders_per_second"] >= 200,
            f"{bulk['orders_per_second']}/s",
        )
    else:
        add(
            "≥ 200 channel orders/s bulk",
            None,
            bulk or r.get("other", {}).get("channel", {}).get("result"),
        )
    adm = r.get("other", {}).get("admin changelist")
    if isinstance(adm, dict):
        add("admin changelist < 1 s", adm["max_ms"] < 1000, f"max {adm['max_ms']} ms")
    return out


def markdown(r: dict) -> str:
    """The same figures as a Markdown table, for docs/performance.md."""
    q = r.get("queries", {})
    rows = [
        "| target | median ms | p95 ms | rate/s | queries | COUNT over cases |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, v in r.get("latency", {}).items():
        qq = q.get(key, {})
        if isinstance(v, str) or "error" in v:
            rows.append(f"| {key} | {v if isinstance(v, str) else v['error']} | | | | |")
            continue
        rows.append(
            f"| {key} | {v['median_ms']} | {v['p95_ms']} | {v['rate']:g} | "
            f"{qq.get('queries', '—')} | {qq.get('count_star', '—')} |"
        )
    rows += ["", "| throughput (closed loop) | req/s | ratio to ping |", "|---|---:|---:|"]
    for key, v in r.get("throughput", {}).items():
        rows.append(f"| {key} | {v['rps']} | {v.get('ratio_to_ping')} |")
    rows += ["", "| goal | met | figure |", "|---|---|---|"]
    for g in r.get("goals", []):
        met = "yes" if g["met"] else "**no**" if g["met"] is False else "n/a"
        rows.append(f"| {g['goal']} | {met} | {g['value']} |")
    return "\n".join(rows)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    data = json.loads(Path(args[0] if args else "bench-output/results.json").read_text())
    print(markdown(data) if "--markdown" in sys.argv else table(data))
