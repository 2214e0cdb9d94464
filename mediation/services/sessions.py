"""Mediation sessions and rooms."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, NotFound, ServiceError
from luodian_platform.models import Window
from luodian_platform.workcal import WorkCalendar

from ..models import (
    MediationSession,
    Mediator,
    MediatorAssignment,
)
from .common import (
    _lock_for_mediation,
    _log,
    _require_working_state,
)

# --- sessions ---------------------------------------------------------------------------


def session_book(
    *,
    case_id: int,
    actor,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mediator_ids: list[int],
    room_id: int | None = None,
    on_site_place: str = "",
    confirm_off_hours: bool = False,
) -> MediationSession:
    """预约调解: a room of the hall (or a place on site) and the mediators.

    Double bookings are refused: the room row is locked (``SELECT … FOR UPDATE``) before
    the overlap check, so two clerks booking the same room serialise on that row and the
    second one sees the first one's session.
    """
    errors = {}
    on_site_place = (on_site_place or "").strip()
    if not starts_at or not ends_at or ends_at <= starts_at:
        errors["ends_at"] = _("结束时间必须晚于开始时间。")
    else:
        errors.update(_session_time_problems(starts_at, ends_at, confirm_off_hours))
    if not room_id and not on_site_place:
        errors["room"] = _("请选择调解室或填写现场调解地点。")
    if not mediator_ids:
        errors["mediators"] = _("请至少选择一名调解员。")
    if errors:
        raise ServiceError(_("预约信息不完整。"), fields=errors)
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        _require_working_state(case)
        assigned = set(
            MediatorAssignment.objects.filter(case=case, mediator_id__in=mediator_ids).values_list(
                "mediator_id", flat=True
            )
        )
        missing = [m for m in mediator_ids if m not in assigned]
        if missing:
            raise ServiceError(
                _("调解员须先经回避审查指派到本案。"),
                fields={"mediators": _("请先指派这些调解员。")},
            )
        room = None
        if room_id:
            room = Window.objects.select_for_update().filter(pk=room_id, is_room=True).first()
            if room is None:
                raise ServiceError(_("调解室不存在。"), fields={"room": _("请选择调解室。")})
            clash = MediationSession.objects.filter(
                room=room, starts_at__lt=ends_at, ends_at__gt=starts_at
            ).select_related("case")
            first = clash.first()
            if first is not None:
                raise Conflict(
                    _("%(room)s在该时段已被预约(%(from)s–%(to)s),请另选时间或房间。")
                    % {
                        "room": room.name,
                        "from": timezone.localtime(first.starts_at).strftime("%m-%d %H:%M"),
                        "to": timezone.localtime(first.ends_at).strftime("%H:%M"),
                    },
                    code="double_booking",
                )
        busy = (
            Mediator.objects.filter(
                pk__in=mediator_ids,
                sessions__starts_at__lt=ends_at,
                sessions__ends_at__gt=starts_at,
            )
            .values_list("name", flat=True)
            .distinct()
        )
        if busy:
            raise Conflict(
                _("调解员%(names)s在该时段已有其他调解安排。") % {"names": "、".join(busy)},
                code="mediator_busy",
            )
        session = MediationSession.objects.create(
            case=case,
            starts_at=starts_at,
            ends_at=ends_at,
            room=room,
            on_site_place="" if room else on_site_place,
            created_by=actor,
        )
        session.mediators.set(mediator_ids)
        _log(
            case,
            "session_book",
            actor,
            note=f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M} {room.name if room else on_site_place}",
            payload={"session": session.pk},
        )
    return session


def _session_time_problems(
    starts_at: dt.datetime, ends_at: dt.datetime, confirmed: bool
) -> dict[str, str]:
    """Dates a person mistyped (2020, 2030, three days long) are refused; a session at an
    unusual hour or on a rest day is possible (evening mediation in a village) but must be
    confirmed, so that 03:00 on a Sunday is never booked by a slip of the picker."""
    now = timezone.now()
    errors = {}
    if starts_at < now - dt.timedelta(days=settings.SESSION_PAST_GRACE_DAYS):
        errors["starts_at"] = _(
            "开始时间早于 %(n)d 天前,请核对日期(已举行的调解须在一周内补录)。"
        ) % {"n": settings.SESSION_PAST_GRACE_DAYS}
    elif starts_at > now + dt.timedelta(days=settings.SESSION_MAX_AHEAD_DAYS):
        errors["starts_at"] = _("开始时间晚于 %(n)d 天后,请核对日期。") % {
            "n": settings.SESSION_MAX_AHEAD_DAYS
        }
    if ends_at - starts_at > dt.timedelta(hours=settings.SESSION_MAX_HOURS):
        errors["ends_at"] = _("一次调解最长 %(n)d 小时,请核对结束时间;多日调解请分次预约。") % {
            "n": settings.SESSION_MAX_HOURS
        }
    if errors or confirmed:
        return errors
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    first, last = settings.SESSION_USUAL_HOURS
    off_hours = start.hour < first or end.hour > last or (end.hour == last and end.minute > 0)
    rest_day = not WorkCalendar.load().is_workday(start.date())
    if off_hours or rest_day:
        errors["confirm_off_hours"] = _(
            "该时间在休息日或 %(a)02d:00–%(b)02d:00 以外,如确需此时调解请勾选确认。"
        ) % {"a": first, "b": last}
    return errors


def session_record(
    *, session_id: int, actor, record: str, result: str, attended_party_ids: list[int]
) -> MediationSession:
    """调解笔录 and the session's result."""
    if result not in MediationSession.Result.values:
        raise ServiceError(_("请选择调解结果。"), fields={"result": _("请选择调解结果。")})
    if result != MediationSession.Result.PLANNED and not (record or "").strip():
        raise ServiceError(_("请填写调解笔录。"), fields={"record": _("请填写调解笔录。")})
    session = MediationSession.objects.filter(pk=session_id).only("case_id").first()
    if session is None:
        raise NotFound(_("调解会不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(session.case_id, actor)
        session = MediationSession.objects.select_for_update().get(pk=session_id)
        if result != MediationSession.Result.PLANNED and session.starts_at > timezone.now():
            raise ServiceError(
                _("调解会定于 %(t)s 开始,尚未举行,不能登记调解结果。")
                % {"t": timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M")},
                fields={"result": _("调解会尚未举行。")},
            )
        parties = set(case.parties.values_list("pk", flat=True))
        if not set(attended_party_ids) <= parties:
            raise ServiceError(
                _("到场当事人必须是本案当事人。"), fields={"parties_attended": _("请重新选择。")}
            )
        session.record = (record or "").strip()
        session.result = result
        session.save(update_fields=["record", "result"])
        session.parties_attended.set(attended_party_ids)
        _log(case, "session_record", actor, note=session.get_result_display())
    return session
