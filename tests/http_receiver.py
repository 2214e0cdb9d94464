"""A real HTTP receiver for the outbound tests: a threaded ``http.server`` on 127.0.0.1.

It plays a channel's endpoint (the 12345 hotline's result interface): verifies the
signature, keeps every request it got, remembers which idempotency keys it has processed
(a repeat is answered 200 and not processed again, as the integrators' guide asks), and
can be stopped and started again on the same port to play "down for a while".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, secret: str, *, port: int = 0, delay: float = 0.0):
        self.secret = secret
        self.delay = delay
        self.requests: list[dict] = []  # every request, in arrival order
        self.processed: list[dict] = []  # first arrival of each key, in order
        self.bad_signatures = 0
        self.answer = 200
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = port
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/results"

    def verify(self, headers, body: bytes) -> bool:
        timestamp = headers.get("X-Timestamp", "")
        expected = hmac.new(
            self.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(headers.get("X-Signature", ""), "sha256=" + expected)

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if receiver.delay:
                    time.sleep(receiver.delay)
                ok = receiver.verify(self.headers, body)
                message = json.loads(body) if ok else None
                with receiver._lock:
                    receiver.requests.append(
                        {"headers": dict(self.headers), "body": body, "message": message}
                    )
                    if not ok:
                        receiver.bad_signatures += 1
                    elif receiver.answer == 200 and message["idempotency_key"] not in {
                        m["idempotency_key"] for m in receiver.processed
                    }:
                        receiver.processed.append(message)
                status = receiver.answer if ok else 401
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(json.dumps({"ok": status == 200}).encode())

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def keys(self) -> list[str]:
        return [m["idempotency_key"] for m in self.processed]
