"""The receiving end used by the broker tests: an SMS gateway that appends one JSON line
per message (key = the reminder's idempotency key) and takes a little time, so that a
worker can be killed in the middle of a batch. The test counts distinct keys."""

from __future__ import annotations

import time

from luodian_platform.notifications import FileSmsBackend


class SlowFileSink(FileSmsBackend):
    def send(self, *, mobile: str, text: str, key: str) -> None:
        time.sleep(0.002)
        super().send(mobile=mobile, text=text, key=key)


class FlakyFileSink(FileSmsBackend):
    """A gateway that is down while ``<SMS_FILE_PATH>.down`` exists (it raises, as a real
    gateway client does on a timeout or an error answer) and delivers once it is gone. The
    citizen SMS tests take it down and bring it back."""

    def send(self, *, mobile: str, text: str, key: str) -> None:
        if self.path.with_name(self.path.name + ".down").exists():
            raise ConnectionError("SMS gateway unavailable (503)")
        super().send(mobile=mobile, text=text, key=key)
