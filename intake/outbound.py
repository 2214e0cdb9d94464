"""Outbound results to the channels (回传): the outbox, its delivery and its sweep.

The 12345 hotline closes a work order only when the undertaking unit's reply comes back.
So every event a channel subscribes to becomes an ``OutboundDelivery`` row **in the same
transaction as the change** (``outbox_for_event``, called from the event log's
``post_save``, which every transition and logged change sends inside its transaction): a
rolled-back change leaves no row, a committed one always has its row.

Delivery follows the reminders' pattern (``followup/reminders.py``): plain functions taking
``now``, thin Celery tasks in ``intake/tasks.py`` that hand ids to workers after commit,
and a periodic sweep that re-hands every due row, so a broker outage or a killed worker
delays a result but never loses it. Each row is claimed with ``SELECT … FOR UPDATE SKIP
LOCKED`` for the duration of its HTTP call; a worker killed mid-call rolls its claim back
and the row is sent again later with the same idempotency key (at-least-once; the
receiver drops repeats by key).

Order per case: row n+1 of a case is not sent while an earlier row of the same case and
channel is pending or parked. A parked row (``OUTBOUND_MAX_ATTEMPTS`` failures) blocks its
case until the administrator resends it or marks it done (admin, "回传投递").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.lookups import held
from luodian_platform.roles import Role, user_has_role

from .models import (
    Case,
    CaseEvent,
    ChannelOutbound,
    OutboundAttempt,
    OutboundDelivery,
    OutboundEvent,
)

logger = logging.getLogger(__name__)

# Event-log names → the event type a channel subscribes to.
EVENT_TYPES: dict[str, str] = {
    "take_in": OutboundEvent.TAKEN_IN,
    "reject": OutboundEvent.REJECTED,
    "dispatch": OutboundEvent.DISPATCHED,
    "extension_approved": OutboundEvent.EXTENDED,
    "reply": OutboundEvent.REPLIED,
    "approve": OutboundEvent.CLOSED,
    "handle_on_spot": OutboundEvent.CLOSED,
    "send_back": OutboundEvent.SENT_BACK,
    "reopen": OutboundEvent.REOPENED,
}
SWEEP_BATCH = 2000
RESPONSE_KEEP = 2000
Pending = OutboundDelivery.Status.PENDING
Parked = OutboundDelivery.Status.PARKED


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def build_message(case: Case, event: CaseEvent, event_type: str) -> dict:
    """The message for one event, a snapshot taken in the change's transaction (later
    changes to the case do not alter what this event said). No party data: the channel
    has its caller's details already, and a result needs none."""
    msg: dict = {
        "event": event_type,
        "event_id": event.pk,
        "occurred_at": _iso(event.at),
        "external_id": case.external_id,
        "number": case.number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
    }
    if event_type == OutboundEvent.REJECTED:
        msg.update(reason=case.reject_reason, route_to=case.reject_channel)
    if event_type in (OutboundEvent.DISPATCHED, OutboundEvent.REOPENED, OutboundEvent.EXTENDED):
        dept = case.department
        msg.update(
            department={"code": dept.code, "name": dept.name} if dept else None,
            due_at=_iso(case.due_at),
        )
    if event_type == OutboundEvent.DISPATCHED:
        msg["sign_due_at"] = _iso(case.sign_due_at)
    if event_type == OutboundEvent.EXTENDED:
        msg["due_at_before"] = event.payload.get("due_at_before")
    if event_type in (OutboundEvent.REPLIED, OutboundEvent.CLOSED):
        msg.update(
            outcome=case.outcome,
            outcome_label=str(case.get_outcome_display()) if case.outcome else "",
            reply_text=case.reply_text,
            reply_document=case.reply_document,
            replied_at=_iso(case.replied_at),
        )
    if event_type == OutboundEvent.CLOSED:
        msg["closed_at"] = _iso(case.closed_at)
    if event.note and event_type in (OutboundEvent.SENT_BACK, OutboundEvent.REOPENED):
        msg["note"] = event.note
    return msg


def apply_mapping(message: dict, mapping: dict) -> dict:
    """Rename top-level fields as the channel asks; a field mapped to "" is left out."""
    if not mapping:
        return message
    out = {}
    for key, value in message.items():
        name = mapping.get(key, key)
        if name:
            out[str(name)] = value
    return out


def idempotency_key(event: CaseEvent, outbound: ChannelOutbound) -> str:
    return f"{settings.COUNTY_CODE}-{outbound.channel}-{event.pk}"


def outbox_for_event(event: CaseEvent) -> int | None:
    """Write the outbox row for ``event`` if its case's channel wants it; its id or None.
    Must run inside the event's transaction (the event log's ``post_save`` does)."""
    event_type = EVENT_TYPES.get(event.transition)
    if event_type is None:
        return None  # most events (and every bulk-received order) stop here, no query
    case = event.case
    if not case.external_id or not case.channel:
        return None
    outbound = held(
        ("channel_outbound", case.channel),
        ChannelOutbound.objects.filter(channel=case.channel, is_active=True).first,
        (ChannelOutbound,),
    )
    if outbound is None or not outbound.wants(event_type):
        return None
    message = apply_mapping(build_message(case, event, event_type), outbound.field_mapping)
    row, _created = OutboundDelivery.objects.get_or_create(
        outbound=outbound,
        event=event,
        defaults={
            "case": case,
            "event_type": event_type,
            "idempotency_key": idempotency_key(event, outbound),
            "payload": message,
            "next_attempt_at": timezone.now(),
        },
    )
    return row.pk


# --- signing and sending --------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp + "." + body``, hex; sent as ``sha256=<hex>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(row: OutboundDelivery) -> bytes:
    message = {**row.payload, "idempotency_key": row.idempotency_key}
    return json.dumps(message, ensure_ascii=False, sort_keys=True).encode("utf-8")


@dataclass
class Answer:
    status: int | None
    text: str
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(row: OutboundDelivery, *, now: dt.datetime) -> Answer:
    body = body_of(row)
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(  # noqa: S310 (URLField: http/https only)
        row.outbound.endpoint_url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": timestamp,
            "X-Signature": sign(row.outbound.secret, timestamp, body),
            "Idempotency-Key": row.idempotency_key,
            "X-Event-Type": row.event_type,
            "User-Agent": f"luodian-platform/{settings.COUNTY_CODE}",
        },
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(  # noqa: S310
            request, timeout=settings.OUTBOUND_TIMEOUT_SECONDS
        ) as response:
            status, text, error = response.status, response.read(RESPONSE_KEEP), ""
    except urllib.error.HTTPError as exc:
        status, text, error = exc.code, exc.read(RESPONSE_KEEP), f"HTTP {exc.code}"
    except Exception as exc:  # refused, timeout, DNS, TLS…: a failed attempt, never a crash
        status, text, error = None, b"", f"{type(exc).__name__}: {exc}"[:500]
    took = int((time.monotonic() - started) * 1000)
    return Answer(status, text.decode("utf-8", "replace"), error, took)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 60 s, 120 s… doubling after each failed attempt, capped (settings)."""
    seconds = settings.OUTBOUND_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=min(seconds, settings.OUTBOUND_BACKOFF_MAX_SECONDS))


def _earlier_undelivered():
    return OutboundDelivery.objects.filter(
        outbound_id=OuterRef("outbound_id"),
        case_id=OuterRef("case_id"),
        pk__lt=OuterRef("pk"),
        status__in=[Pending, Parked],
    )


@dataclass
class Result:
    delivered: bool = False
    next_id: int | None = None  # the case's next row, to hand over at once
    retry_in: dt.timedelta | None = None
    skipped: str = ""


def deliver(delivery_id: int, *, now: dt.datetime | None = None) -> Result:
    """Send row ``delivery_id`` if it is pending, due and first in its case's line."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            OutboundDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("outbound")
            .filter(pk=delivery_id, status=Pending)
            .first()
        )
        if row is None:
            return Result(skipped="taken")  # delivered already, or another worker holds it
        if row.next_attempt_at > now:
            return Result(skipped="not_due")
        earlier = OutboundDelivery.objects.filter(
            outbound_id=row.outbound_id, case_id=row.case_id, pk__lt=row.pk
        )
        if earlier.filter(status__in=[Pending, Parked]).exists():
            # An earlier event of this case is not through: it goes first. The sweep (or
            # the earlier row's success) hands this one over again.
            OutboundDelivery.objects.filter(pk=row.pk).update(enqueued_at=None)
            return Result(skipped="blocked")
        if not row.outbound.is_active:
            return Result(skipped="inactive")
        answer = post(row, now=now)
        OutboundAttempt.objects.create(
            delivery=row,
            at=now,
            status_code=answer.status,
            response=answer.text,
            error=answer.error,
            duration_ms=answer.duration_ms,
        )
        row.attempts += 1
        row.last_status, row.last_response, row.last_error = (
            answer.status,
            answer.text,
            answer.error,
        )
        row.enqueued_at = None
        result = Result()
        if answer.ok:
            row.status, row.delivered_at = OutboundDelivery.Status.DELIVERED, timezone.now()
            result.delivered = True
            result.next_id = next_pending_id(row, after=row.pk)
        elif row.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
            row.status = Parked
            logger.warning(
                "outbound %s parked after %d attempts", row.idempotency_key, row.attempts
            )
        else:
            result.retry_in = backoff(row.attempts)
            row.next_attempt_at = now + result.retry_in
        row.save()
    return result


# --- the sweep --------------------------------------------------------------------------


def due_ids(now: dt.datetime | None = None) -> list[int]:
    """Pending rows that are due, first in their case's line, and not handed to a worker
    recently — what the sweep hands over (oldest first)."""
    now = now or timezone.now()
    requeue = now - dt.timedelta(seconds=settings.OUTBOUND_REQUEUE_SECONDS)
    qs = (
        OutboundDelivery.objects.filter(status=Pending, next_attempt_at__lte=now)
        .exclude(enqueued_at__gte=requeue)
        .exclude(Exists(_earlier_undelivered()))
        .order_by("pk")
    )
    return list(qs.values_list("pk", flat=True)[:SWEEP_BATCH])


def mark_enqueued(ids: list[int], now: dt.datetime | None = None) -> None:
    if ids:
        OutboundDelivery.objects.filter(pk__in=ids, status=Pending).update(
            enqueued_at=now or timezone.now()
        )


# --- the administrator's actions ------------------------------------------------------


def _check_admin(actor) -> None:
    if not user_has_role(actor, Role.ADMIN):
        raise NotAllowed(_("只有系统管理员可以处理回传投递。"))


def delivery_resend(*, delivery_id: int, actor) -> OutboundDelivery:
    """Put a parked (or delivered) row back in line: attempts start again from zero, with
    the same idempotency key. Returns the row; the caller hands it to a worker on commit."""
    _check_admin(actor)
    with transaction.atomic():
        row = OutboundDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None:
            raise NotFound(_("回传投递不存在。"))
        row.status = Pending
        row.attempts = 0
        row.next_attempt_at = timezone.now()
        row.enqueued_at = None
        row.resolved_by = None
        row.save()
    return row


def delivery_mark_done(*, delivery_id: int, actor) -> OutboundDelivery:
    """The administrator settled it another way (e.g. entered in the channel's own system):
    the row stops blocking its case's later events. Returns the case's next pending row
    id as ``next_id`` attribute for the caller to hand over."""
    _check_admin(actor)
    with transaction.atomic():
        row = OutboundDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None:
            raise NotFound(_("回传投递不存在。"))
        if row.status == OutboundDelivery.Status.DELIVERED:
            raise Conflict(_("该投递已送达,无需人工处理。"), code="already_delivered")
        row.status = OutboundDelivery.Status.DONE
        row.resolved_by = actor
        row.enqueued_at = None
        row.save()
    return row


def next_pending_id(row: OutboundDelivery, after: int = 0) -> int | None:
    """The first pending row of ``row``'s case line (after id ``after``)."""
    return (
        OutboundDelivery.objects.filter(
            outbound_id=row.outbound_id, case_id=row.case_id, status=Pending, pk__gt=after
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def outbound_configure(
    *,
    channel: str,
    endpoint_url: str,
    secret: str,
    actor,
    events: list[str] | None = None,
    field_mapping: dict | None = None,
    is_active: bool = True,
) -> ChannelOutbound:
    """Create or change a channel's outbound configuration (admin only)."""
    _check_admin(actor)
    valid = set(OutboundEvent.values)
    unknown = [e for e in events or [] if e not in valid]
    if unknown:
        raise ServiceError(
            _("未知的回传事件:%(e)s。") % {"e": "、".join(unknown)},
            fields={"events": _("可选事件:%(v)s。") % {"v": "、".join(sorted(valid))}},
        )
    if field_mapping and not all(
        isinstance(k, str) and isinstance(v, str) for k, v in field_mapping.items()
    ):
        raise ServiceError(
            _("字段映射应为「原字段: 新字段」的文本对。"),
            fields={"field_mapping": _("字段映射应为「原字段: 新字段」的文本对。")},
        )
    if not (secret or "").strip() or len(secret) < 16:
        raise ServiceError(
            _("签名密钥至少16个字符。"), fields={"secret": _("签名密钥至少16个字符。")}
        )
    with transaction.atomic():
        outbound = ChannelOutbound.objects.select_for_update().filter(channel=channel).first()
        outbound = outbound or ChannelOutbound(channel=channel)
        outbound.endpoint_url = endpoint_url
        outbound.secret = secret
        outbound.events = list(events or [])
        outbound.field_mapping = dict(field_mapping or {})
        outbound.is_active = is_active
        try:
            outbound.full_clean()
        except ValidationError as exc:
            fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            raise ServiceError(_("回传配置有误,请按字段提示修改。"), fields=fields) from exc
        outbound.save()
    return outbound
