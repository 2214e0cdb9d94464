"""Channel intake (统一信息收集): credentials of the external channels and the one service
that turns a channel's order into a case, idempotently on (channel, external id).

The 12345 hotline, the 综治 platform, the Ping'an Guizhou app, departments' screening and
court referrals each post with their own token (``ChannelToken``). Orders land as
``received`` in the dispatch room's inbox, with the raw payload kept (``ChannelOrder``).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luodian_platform.errors import NotAllowed, ServiceError
from luodian_platform.roles import Role, user_has_role

from .models import Case, CaseEvent, ChannelOrder, ChannelToken, OtherProceeding, State
from .services import CaseInput, case_create, case_input_clean, cases_create_many

TOKEN_PREFIX_LEN = 8


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def channel_token_issue(*, channel: str, name: str, actor) -> tuple[ChannelToken, str]:
    """Issue a token; returns the row and the raw token, which is never stored or shown again."""
    if not user_has_role(actor, Role.ADMIN):
        raise NotAllowed(_("只有系统管理员可以签发渠道令牌。"))
    if channel not in dict(ChannelToken._meta.get_field("channel").choices):
        raise ServiceError(_("渠道不正确。"), fields={"channel": _("渠道不正确。")})
    if not (name or "").strip():
        raise ServiceError(_("请填写令牌名称。"), fields={"name": _("请填写令牌名称。")})
    raw = secrets.token_urlsafe(32)
    token = ChannelToken.objects.create(
        channel=channel,
        name=name.strip(),
        token_hash=token_hash(raw),
        prefix=raw[:TOKEN_PREFIX_LEN],
        created_by=actor,
    )
    return token, raw


def channel_token_revoke(*, token_id: int, actor) -> ChannelToken:
    if not user_has_role(actor, Role.ADMIN):
        raise NotAllowed(_("只有系统管理员可以吊销渠道令牌。"))
    # Compare-and-set: revoking twice keeps the first revocation time.
    ChannelToken.objects.filter(pk=token_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    return ChannelToken.objects.get(pk=token_id)


def channel_token_authenticate(raw: str) -> ChannelToken | None:
    if not raw:
        return None
    return ChannelToken.objects.filter(token_hash=token_hash(raw), revoked_at__isnull=True).first()


# --- other proceedings (Guizhou 12345 rules) ----------------------------------------------

GUIDANCE = {
    OtherProceeding.LITIGATION: gettext_lazy(
        "该事项已进入诉讼程序,按贵州省12345热线工作规则不作为工单受理,"
        "请告知当事人向受理法院了解进展。"
    ),
    OtherProceeding.ARBITRATION: gettext_lazy(
        "该事项已进入仲裁程序,按贵州省12345热线工作规则不作为工单受理,"
        "请告知当事人向仲裁机构了解进展。"
    ),
    OtherProceeding.RECONSIDERATION: gettext_lazy(
        "该事项已申请行政复议,按贵州省12345热线工作规则不作为工单受理,"
        "请告知当事人向复议机关了解进展。"
    ),
    OtherProceeding.PETITION: gettext_lazy(
        "该事项已进入信访渠道,按贵州省12345热线工作规则不作为工单受理,"
        "请告知当事人由信访部门依《信访工作条例》办理。"
    ),
}
ROUTE_TO = {
    OtherProceeding.LITIGATION: gettext_lazy("诉讼(人民法院)"),
    OtherProceeding.ARBITRATION: gettext_lazy("仲裁"),
    OtherProceeding.RECONSIDERATION: gettext_lazy("行政复议"),
    OtherProceeding.PETITION: gettext_lazy("信访"),
}

# Words in the facts that suggest the matter is already elsewhere. A suggestion only: the
# dispatcher decides (a caller may mention a lawsuit they merely threaten).
_PROCEEDING_PATTERNS = [
    (OtherProceeding.LITIGATION, re.compile(r"已(向法院)?起诉|法院已立案|已在法院|诉讼中|已判决")),
    (OtherProceeding.ARBITRATION, re.compile(r"已(申请|提起)?仲裁|仲裁委已受理|仲裁中")),
    (OtherProceeding.RECONSIDERATION, re.compile(r"已(申请)?行政复议|复议中")),
    (OtherProceeding.PETITION, re.compile(r"已(到|向)?[^,。]{0,6}信访|信访(局|部门)已受理|信访中")),
]


def detect_other_proceeding(declared: str, facts: str) -> str:
    if declared:
        return declared
    for kind, pattern in _PROCEEDING_PATTERNS:
        if pattern.search(facts or ""):
            return kind
    return ""


def guidance_for(kind: str) -> str:
    return str(GUIDANCE.get(kind, "")) if kind else ""


def route_to_for(kind: str) -> str:
    return str(ROUTE_TO.get(kind, "")) if kind else ""


# --- the order --------------------------------------------------------------------------


@dataclass
class OrderResult:
    case: Case
    created: bool
    other_proceeding: str = ""
    changed: bool = False  # a resend whose content differs from the first order


# --- resends with changed content --------------------------------------------------------
#
# A channel that posts the same external id again with different content is answered
# with the existing case and ``changed: true``; the difference becomes a
# ``channel_resend`` event on the case's timeline for the dispatcher. No field of the case
# changes by itself: once received, the case is the county's record (the dispatcher may
# have corrected it, its routing and deadline follow from it, and each change must name
# the person who made it). The dispatcher applies what is right through the usual edits.
# The new raw payload is kept encrypted (``ChannelOrder.latest_payload``); the event holds
# the changed field names and the new values of the non-personal fields only.

RESEND_VALUE_FIELDS = (
    "category",
    "title",
    "facts",
    "request",
    "township",
    "place",
    "amount",
    "people_count",
    "is_violence_risk",
    "is_vulnerable",
    "other_proceeding",
)


def payload_hash(payload) -> str:
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _norm(value):
    return "" if value is None else str(value).strip() if not isinstance(value, list) else value


def payload_changes(first: dict, again: dict) -> list[str]:
    """Top-level fields whose value differs between two posts of one order."""
    keys = sorted(set(first) | set(again))
    return [k for k in keys if _norm(first.get(k)) != _norm(again.get(k))]


def channel_order_note_resend(*, case: Case, payload: dict) -> bool:
    """Record a resend of ``case``'s order with ``payload``; True if its content differs
    from the first post. The same changed content posted again is recorded once."""
    order = getattr(case, "channel_order", None)
    if order is None or not isinstance(payload, dict):
        return False
    first = order.payload if isinstance(order.payload, dict) else {}
    changed = payload_changes(first, payload)
    if not changed:
        return False
    digest = payload_hash(payload)
    with transaction.atomic():
        # The case row's lock: two identical resends at once record one event.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        if CaseEvent.objects.filter(
            case=case, transition="channel_resend", payload__hash=digest
        ).exists():
            return True
        CaseEvent.objects.create(
            case=case,
            transition="channel_resend",
            from_state=case.state,
            to_state=case.state,
            note=_("渠道重复推送的工单内容有变化:%(f)s。案件未自动修改,请调度员核对。")
            % {"f": "、".join(changed)},
            payload={
                "hash": digest,
                "changed": changed,
                "values": {k: payload.get(k) for k in changed if k in RESEND_VALUE_FIELDS},
            },
        )
        ChannelOrder.objects.filter(pk=order.pk).update(latest_payload=payload)
    return True


def _existing(channel: str, external_id: str) -> Case | None:
    return Case.objects.filter(channel=channel, external_id=external_id).first()


def channel_order_submit(
    *,
    channel: str,
    data: CaseInput,
    payload: dict,
    other_proceeding: str = "",
    token: ChannelToken | None = None,
    source: str = "api",
) -> OrderResult:
    """Store one validated order as a ``received`` case, or answer with the case that the same
    (channel, external id) already became. Raises ``ServiceError`` (nothing written) when the
    order is incomplete."""
    data.channel = channel
    if not data.external_id:
        raise ServiceError(_("缺少渠道工单号。"), fields={"external_id": _("请提供渠道工单号。")})
    existing = _existing(channel, data.external_id)
    if existing is not None:
        changed = channel_order_note_resend(case=existing, payload=payload)
        return OrderResult(case=existing, created=False, changed=changed)
    other_proceeding = detect_other_proceeding(other_proceeding, data.facts)
    try:
        # A savepoint: if a concurrent post of the same order commits first, the unique
        # constraint case_unique_channel_external_id fails here and only this part rolls back.
        with transaction.atomic():
            case = case_create(
                data=data,
                actor=None,
                initial_state=State.RECEIVED,
                transition="receive",
                event_payload={
                    "external_id": data.external_id,
                    "token": token.name if token else "",
                    "source": source,
                    "other_proceeding": other_proceeding,
                },
            )
            ChannelOrder.objects.create(
                case=case,
                channel=channel,
                external_id=data.external_id,
                token=token,
                source=source,
                payload=payload,
                other_proceeding=other_proceeding,
            )
    except IntegrityError:
        existing = _existing(channel, data.external_id)
        if existing is None:
            raise
        return OrderResult(case=existing, created=False)
    return OrderResult(case=case, created=True, other_proceeding=other_proceeding)


def _existing_many(channel: str, external_ids: set[str]) -> dict[str, Case]:
    # The explicit ``<> ''`` lets PostgreSQL use the partial unique index for a batch of
    # any size: it proves an IN list against the index predicate only up to 100 values,
    # and a batch of 200 orders scanned every case.
    return {
        c.external_id: c
        for c in Case.objects.filter(channel=channel, external_id__in=external_ids)
        .exclude(external_id="")
        .select_related("channel_order")
        .order_by()
    }


@dataclass
class BulkOrder:
    """One order of a batch: the validated input (or the error that refused it)."""

    data: CaseInput | None
    payload: dict
    other_proceeding: str = ""
    error: ServiceError | None = None


def _event_payload(data: CaseInput, token, source: str, other_proceeding: str) -> dict:
    return {
        "external_id": data.external_id,
        "token": token.name if token else "",
        "source": source,
        "other_proceeding": other_proceeding,
    }


def channel_orders_submit_many(
    *,
    channel: str,
    orders: list[BulkOrder],
    token: ChannelToken | None = None,
    source: str = "bulk",
) -> list[OrderResult | ServiceError]:
    """``channel_order_submit`` for a batch, one result per order, in order.

    Every order is validated first (a bad one is answered with its error and blocks no
    other); orders already received answer with their case (also a repeat inside the
    batch); the new ones are stored together — one block of numbers, one INSERT each for
    cases, parties, events and channel orders — in one savepoint, so nothing is half-stored.
    If a concurrent post wins the race for one (channel, external id), the savepoint rolls
    back and the batch is stored one order at a time, each answering like a single post."""
    results: list[OrderResult | ServiceError | None] = [None] * len(orders)
    todo: list[int] = []
    for i, order in enumerate(orders):
        if order.error is not None:
            results[i] = order.error
            continue
        data = order.data
        data.channel = channel
        if not data.external_id:
            results[i] = ServiceError(
                _("缺少渠道工单号。"), fields={"external_id": _("请提供渠道工单号。")}
            )
            continue
        try:
            case_input_clean(data)
        except ServiceError as exc:
            results[i] = exc
            continue
        order.other_proceeding = detect_other_proceeding(order.other_proceeding, data.facts)
        todo.append(i)
    existing = _existing_many(channel, {orders[i].data.external_id for i in todo})
    first_of: dict[str, int] = {}
    new: list[int] = []
    for i in todo:
        ext = orders[i].data.external_id
        if ext in existing:
            changed = channel_order_note_resend(case=existing[ext], payload=orders[i].payload)
            results[i] = OrderResult(case=existing[ext], created=False, changed=changed)
        elif ext in first_of:
            continue  # the same order twice in one batch: answered below with the first
        else:
            first_of[ext] = i
            new.append(i)
    try:
        with transaction.atomic():
            cases = cases_create_many(
                items=[
                    (
                        orders[i].data,
                        _event_payload(orders[i].data, token, source, orders[i].other_proceeding),
                    )
                    for i in new
                ],
                actor=None,
                initial_state=State.RECEIVED,
                transition="receive",
            )
            ChannelOrder.objects.bulk_create(
                [
                    ChannelOrder(
                        case=case,
                        channel=channel,
                        external_id=orders[i].data.external_id,
                        token=token,
                        source=source,
                        payload=orders[i].payload,
                        other_proceeding=orders[i].other_proceeding,
                    )
                    for i, case in zip(new, cases, strict=True)
                ]
            )
        for i, case in zip(new, cases, strict=True):
            results[i] = OrderResult(
                case=case, created=True, other_proceeding=orders[i].other_proceeding
            )
    except IntegrityError:
        # A race on (channel, external id): one order at a time, each in its own savepoint.
        for i in new:
            o = orders[i]
            try:
                results[i] = channel_order_submit(
                    channel=channel,
                    data=o.data,
                    payload=o.payload,
                    other_proceeding=o.other_proceeding,
                    token=token,
                    source=source,
                )
            except ServiceError as exc:
                results[i] = exc
    for i in todo:
        if results[i] is None:  # a repeat inside the batch
            first = results[first_of[orders[i].data.external_id]]
            results[i] = (
                OrderResult(case=first.case, created=False)
                if isinstance(first, OrderResult)
                else first
            )
    return results
