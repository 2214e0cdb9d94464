"""HTTP load clients for the benchmark, standard library only, loopback only.

``fixed_rate`` is open-loop, wrk2-style: request *i* is scheduled at ``start + i / rate``
and its latency is measured from that scheduled time, not from when a connection was free
to send it. A server that stalls therefore shows the stall in every request that queued
behind it (no coordinated omission). ``closed_loop`` runs C connections back to back for a
fixed duration and reports completed requests per second (throughput).

Both use persistent HTTP/1.1 connections (``http.client``), one per thread.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Target:
    url: str  # absolute http://127.0.0.1:port/path?query
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: bytes | None = None

    def __post_init__(self):
        parts = urlsplit(self.url)
        if parts.hostname not in ALLOWED_HOSTS:
            raise ValueError(f"benchmark targets must be loopback, not {parts.hostname}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path + (f"?{parts.query}" if parts.query else "")


class _Conn:
    def __init__(self, target: Target):
        self.target = target
        self.conn = None

    def request(self) -> int:
        t = self.target
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(t.host, t.port, timeout=30)
            try:
                self.conn.request(t.method, t.path, body=t.body, headers=t.headers)
                resp = self.conn.getresponse()
                resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return resp.status
            except (http.client.HTTPException, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt:
                    return 599
        return 599

    def close(self):
        if self.conn is not None:
            self.conn.close()


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def fixed_rate(
    target: Target, *, rate: float, duration: float, connections: int = 8, warmup: int = 16
) -> dict:
    """Open-loop at ``rate`` req/s for ``duration`` s; latencies from the scheduled time."""
    total = max(1, int(rate * duration))
    for _ in range(warmup):
        c = _Conn(target)
        c.request()
        c.close()
    lock = threading.Lock()
    next_index = [0]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter() + 0.05

    def worker():
        conn = _Conn(target)
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= total:
                    return
                scheduled = start + i / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                status = conn.request()
                done = time.perf_counter()
                with lock:
                    latencies.append((done - scheduled) * 1000.0)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "rate": rate,
        "requests": len(latencies),
        "achieved_rate": round(len(latencies) / elapsed, 1),
        "median_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "errors": sum(n for s, n in statuses.items() if s >= 400),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def closed_loop(target: Target, *, duration: float, connections: int = 4) -> dict:
    """C connections back to back for ``duration`` s: completed requests per second."""
    stop = time.perf_counter() + duration
    counts = [0] * connections
    errors = [0] * connections

    def worker(n: int):
        conn = _Conn(target)
        try:
            while time.perf_counter() < stop:
                status = conn.request()
                counts[n] += 1
                if status >= 400:
                    errors[n] += 1
        finally:
            conn.close()

    _Conn(target).request()  # warm
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {
        # Answered requests only: a refusal (429 from a throttle, an error) is not throughput.
        "rps": round((sum(counts) - sum(errors)) / elapsed, 1),
        "requests": sum(counts),
        "errors": sum(errors),
        "connections": connections,
        "seconds": round(elapsed, 1),
    }
