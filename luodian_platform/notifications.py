"""Outbound notifications behind one interface: the in-app centre, SMS and e-mail.

A ``Message`` goes to one user through every channel named in
``settings.NOTIFICATION_CHANNELS``. Each message carries an idempotency key (the
reminder's id, ``reminder-42``) so that a repeat caused by a crash between sending and
recording can be dropped by the receiver: the in-app centre has a unique constraint on
it, the SMS backends pass it to the gateway, e-mails carry it in a header.

Channels raise on a transient failure; the Celery task that called them retries with
backoff. A channel that does not apply (no mobile number, no e-mail) is skipped.

SMS gateways differ per deployment; implement ``SmsBackend.send`` and name the class in
``SMS_BACKEND``. The shipped ``FileSmsBackend`` writes JSON lines (development, tests).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    recipient_id: int
    key: str  # idempotency key, unique per recipient
    title: str
    body: str
    url: str = ""
    case_number: str = ""
    urgent: bool = False


# --- SMS ------------------------------------------------------------------------------


class SmsBackend:
    """A gateway. ``send`` must raise on failure; ``key`` is the idempotency key that
    gateways which support one (most Chinese SMS APIs take an ``outId``) should pass on."""

    def send(self, *, mobile: str, text: str, key: str) -> None:  # pragma: no cover
        raise NotImplementedError


class FileSmsBackend(SmsBackend):
    """Appends one JSON line per message to ``SMS_FILE_PATH``. O_APPEND writes of one
    short line are atomic, so concurrent workers never interleave lines."""

    def __init__(self, path: str | None = None):
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, *, mobile: str, text: str, key: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"key": key, "mobile": mobile, "text": text, "at": timezone.now().isoformat()},
            ensure_ascii=False,
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


class LoggingSmsBackend(SmsBackend):
    def send(self, *, mobile: str, text: str, key: str) -> None:
        logger.info("SMS key=%s to=%s: %s", key, mobile, text)


SMS_BACKENDS = {"file": FileSmsBackend, "log": LoggingSmsBackend}


def get_sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    cls = SMS_BACKENDS.get(name) or import_string(name)
    return cls()


# --- channels -------------------------------------------------------------------------


class Channel:
    name = ""

    def send(self, message: Message, user) -> None:  # pragma: no cover
        raise NotImplementedError


class InAppChannel(Channel):
    name = "inapp"

    def send(self, message: Message, user) -> None:
        from .models import Notification

        try:
            # A savepoint, so a duplicate does not break a surrounding transaction.
            with transaction.atomic():
                Notification.objects.create(
                    recipient_id=user.pk,
                    key=message.key,
                    title=message.title,
                    body=message.body,
                    url=message.url,
                    case_number=message.case_number,
                    urgent=message.urgent,
                )
        except IntegrityError:
            logger.info("in-app notification %s already delivered to %s", message.key, user.pk)


class SmsChannel(Channel):
    name = "sms"

    def send(self, message: Message, user) -> None:
        if not user.mobile:
            return
        get_sms_backend().send(mobile=user.mobile, text=message.body, key=message.key)


class EmailChannel(Channel):
    name = "email"

    def send(self, message: Message, user) -> None:
        if not user.email:
            return
        EmailMessage(
            subject=message.title,
            body=message.body + (f"\n\n{message.url}" if message.url else ""),
            to=[user.email],
            headers={"X-Idempotency-Key": message.key},
        ).send(fail_silently=False)


CHANNELS: dict[str, type[Channel]] = {c.name: c for c in (InAppChannel, SmsChannel, EmailChannel)}


def register_channel(channel: type[Channel]) -> None:
    CHANNELS[channel.name] = channel


def send(message: Message, channels: list[str] | None = None) -> None:
    """Deliver ``message`` through ``channels`` (an administrator's rule for its kind,
    which always includes the in-app centre) or, without one, through every channel in
    ``settings.NOTIFICATION_CHANNELS``. Raises on the first failure (the caller retries
    the whole message; channels are idempotent by ``key``)."""
    from .models import User

    user = User.objects.filter(pk=message.recipient_id, is_active=True).first()
    if user is None:
        return
    names = settings.NOTIFICATION_CHANNELS if channels is None else ["inapp", *channels]
    for name in dict.fromkeys(names):
        CHANNELS[name]().send(message, user)


# --- the notification centre (reads and the one write) ---------------------------------


def unread_count(user) -> int:
    from .models import Notification

    return Notification.objects.filter(recipient=user).unread().count()


def mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark ``ids`` (or all) of ``user``'s notifications read. Other users' ids are ignored."""
    from .models import Notification

    qs = Notification.objects.filter(recipient=user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())


def context(request) -> dict:
    """Template context: ``unread_notifications``, counted only if a template uses it."""
    from django.utils.functional import SimpleLazyObject

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user))}
