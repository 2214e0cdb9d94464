"""Writes and reads of progress notes (办理进展), and the case timeline that merges them
with the event log and whatever downstream apps register (follow-up visits).

Who may write a note is who may handle the case: the case must be visible to the user
(else 404) and the user must hold a handling role — officers and mediators (their
visibility already is "the cases they handle": the lead department, co-handling
departments, sessions they sit in), the centre's dispatchers and clerks, administrators.
Supervisors and follow-up officers read notes but do not write them (403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.audit import acting_as
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.roles import Role, user_roles

from .evidence import store
from .evidence.services import attachment_upload
from .lifecycle import lock_visible_case
from .models import Attachment, Case, CaseEvent, ProgressNote, State

NOTE_ROLES = frozenset({Role.OFFICER, Role.MEDIATOR, Role.DISPATCHER, Role.CLERK, Role.ADMIN})
# A case that has left the platform's hands takes no more notes (a reopened one does).
NOTE_CLOSED_STATES = (State.ARCHIVED, State.REJECTED, State.MERGED)
# A note may say what happened a little while ago, not tomorrow (clock skew allowed).
FUTURE_SLACK = dt.timedelta(minutes=5)
TEXT_MAX = 5000


def may_write_notes(user) -> bool:
    return bool(user_roles(user) & NOTE_ROLES)


def _clean(*, kind: str, text: str, happened_at: dt.datetime | None, case: Case) -> dict:
    errors: dict[str, str] = {}
    text = (text or "").strip()
    if kind not in ProgressNote.Kind.values:
        errors["kind"] = _("请选择进展类型(电话、走访、约谈/会议、文书、其他)。")
    if not text:
        errors["text"] = _("请填写进展情况。")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("进展情况不能超过%(n)s字。") % {"n": TEXT_MAX}
    now = timezone.now()
    happened_at = happened_at or now
    if happened_at > now + FUTURE_SLACK:
        errors["happened_at"] = _("进展时间不能晚于现在。")
    elif happened_at < case.created_at - FUTURE_SLACK:
        errors["happened_at"] = _("进展时间不能早于案件登记时间。")
    if errors:
        raise ServiceError(_("办理进展有误,请按提示修改。"), fields=errors)
    return {"kind": kind, "text": text, "happened_at": happened_at}


def note_add(
    *,
    case_id: int,
    actor,
    kind: str,
    text: str,
    happened_at: dt.datetime | None = None,
    corrects_id: int | None = None,
) -> ProgressNote:
    """Add a progress note; with ``corrects_id`` it is the correction of an earlier note of
    the same case (the earlier note stays as it was)."""
    with transaction.atomic(), acting_as(actor):
        # The case row is locked so a note and a transition (e.g. archive) do not cross.
        case = lock_visible_case(case_id, actor)
        if not may_write_notes(actor):
            raise NotAllowed(_("只有承办、调解或中心人员可以记录办理进展。"))
        if case.state in NOTE_CLOSED_STATES:
            raise Conflict(
                _("案件已「%(state)s」,不能再记录办理进展。") % {"state": case.get_state_display()},
                code="closed",
            )
        values = _clean(kind=kind, text=text, happened_at=happened_at, case=case)
        corrects = None
        if corrects_id is not None:
            corrects = ProgressNote.objects.filter(pk=corrects_id, case=case).first()
            if corrects is None:
                raise ServiceError(
                    _("要更正的办理进展不存在。"),
                    fields={"corrects": _("要更正的办理进展不存在或不属于本案。")},
                )
        return ProgressNote.objects.create(case=case, author=actor, corrects=corrects, **values)


def note_add_with_files(
    *,
    case_id: int,
    actor,
    kind: str,
    text: str,
    happened_at: dt.datetime | None = None,
    corrects_id: int | None = None,
    files=(),
    file_kind: str = Attachment.Kind.EVIDENCE,
) -> ProgressNote:
    """A note and its files (the photo of the site visit, the letter sent) in one
    transaction: a file refused (type, size, count) refuses the note with it, and objects
    already stored for the earlier files are removed again; nothing is half-saved."""
    stored: list[str] = []
    try:
        with transaction.atomic():
            note = note_add(
                case_id=case_id,
                actor=actor,
                kind=kind,
                text=text,
                happened_at=happened_at,
                corrects_id=corrects_id,
            )
            for upload in files:
                attachment, new = attachment_upload(
                    case_id=case_id,
                    actor=actor,
                    upload=upload,
                    kind=file_kind,
                    target_kind="note",
                    target_id=note.pk,
                )
                if new:
                    stored.append(attachment.stored_name)
    except BaseException:
        for name in stored:
            store.delete(name)
        raise
    return note


def note_edit(
    *,
    note_id: int,
    actor,
    kind: str,
    text: str,
    happened_at: dt.datetime | None = None,
) -> ProgressNote:
    """Change a note within the edit window, by its author only; after that, 409 with the
    advice to add a correction."""
    with transaction.atomic(), acting_as(actor):
        note = ProgressNote.objects.filter(pk=note_id).only("case_id").first()
        if note is None:
            raise NotFound(_("办理进展不存在或您无权查看。"))
        case = lock_visible_case(note.case_id, actor)
        note = ProgressNote.objects.select_for_update().get(pk=note_id)
        if note.author_id != actor.pk:
            raise NotAllowed(_("只有记录人本人可以修改办理进展。"))
        if not note.is_editable_by(actor):
            raise Conflict(
                _("办理进展记录超过%(n)s分钟后不能修改,如有错误请添加一条更正记录。")
                % {"n": int((note.editable_until() - note.created_at).total_seconds() // 60)},
                code="edit_window_closed",
            )
        values = _clean(
            kind=kind, text=text, happened_at=happened_at or note.happened_at, case=case
        )
        for name, value in values.items():
            setattr(note, name, value)
        note.edited_at = timezone.now()
        note.save(update_fields=[*values, "edited_at"])
        return note


# --- reads -------------------------------------------------------------------------------


def notes_visible(user):
    return ProgressNote.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))


def case_notes(*, case: Case):
    return case.notes.select_related("author").order_by("happened_at", "id")


# --- the timeline ------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: dt.datetime
    kind: str  # "event", "note", or what a registered source says ("visit")
    label: str
    actor: str = ""
    text: str = ""
    url: str = ""
    badge: str = ""
    obj: object = None
    order: int = 0
    editable: bool = False  # a note the user may still change (author, within the window)
    files: list = field(default_factory=list)  # a note's attachments (photo, letter sent)


# Downstream apps add entries to the case timeline (followup: visits and their results).
# Each source is ``fn(case=..., user=...) -> list[TimelineEntry]`` and makes one query.
TIMELINE_SOURCES: dict[str, Callable[..., list[TimelineEntry]]] = {}


def register_timeline_source(name: str, fn: Callable[..., list[TimelineEntry]]) -> None:
    TIMELINE_SOURCES[name] = fn


def case_timeline_entries(*, case: Case, user) -> list[TimelineEntry]:
    """The event log, the progress notes and the registered sources, in time order (one
    query each)."""
    entries: list[TimelineEntry] = []
    for e in CaseEvent.objects.filter(case=case).select_related("actor").order_by("at", "id"):
        entries.append(
            TimelineEntry(
                at=e.at,
                kind="event",
                label=e.transition_label,
                actor=e.actor.display_name if e.actor_id else str(_("系统")),
                text=e.note,
                obj=e,
            )
        )
    for n in case_notes(case=case):
        entries.append(
            TimelineEntry(
                at=n.happened_at,
                kind="note",
                label=str(_("办理进展·%(kind)s") % {"kind": n.get_kind_display()}),
                actor=n.author.display_name,
                text=n.text,
                badge=str(_("更正")) if n.corrects_id else "",
                obj=n,
                order=1,
                editable=n.is_editable_by(user),
            )
        )
    notes = {e.obj.pk: e for e in entries if e.kind == "note"}
    if notes:
        for attachment in Attachment.objects.filter(
            case=case, target_kind="note", target_id__in=list(notes)
        ).order_by("pk"):
            notes[attachment.target_id].files.append(attachment)
    for fn in TIMELINE_SOURCES.values():
        entries.extend(fn(case=case, user=user))
    entries.sort(key=lambda x: (x.at, x.order))
    return entries
