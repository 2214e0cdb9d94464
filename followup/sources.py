"""Due work owned by other apps, plugged into the sweep when their models exist.

dispatch: extension requests awaiting a decision (``ExtensionRequest``) and the automatic
urges (``dispatch.urges.supervisions_urge_automatic``, all of a sweep at once). mediation: agreements' performance dates
and the 30-day judicial-confirmation window (《人民调解法》 art. 33). Each is looked up at
start-up so follow-up keeps working while those apps evolve.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.apps import apps
from django.db import IntegrityError
from django.db.models import CharField, Exists, OuterRef, Value
from django.db.models.functions import Cast, Concat
from django.utils.translation import gettext as _

from . import reminders
from .models import Audience, Reminder, ReminderKind

logger = logging.getLogger(__name__)


def _model(app_label: str, name: str):
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _date_field(model, *words: str) -> str | None:
    for f in model._meta.get_fields():
        kind = f.get_internal_type() if hasattr(f, "get_internal_type") else ""
        if kind in ("DateField", "DateTimeField") and all(w in f.name for w in words):
            return f.name
    return None


def source_extensions(ctx: reminders.SweepContext) -> Iterable[Reminder]:
    """延期申请待审批: the dispatch room decides before the deadline passes."""
    ExtensionRequest = _model("dispatch", "ExtensionRequest")
    # Only requests whose reminder is not written yet (a steady-state sweep builds nothing).
    rows = (
        ExtensionRequest.objects.filter(status="pending")
        .filter(
            ~Exists(
                Reminder.objects.filter(
                    case_id=OuterRef("case_id"),
                    kind=ReminderKind.EXTENSION_PENDING,
                    threshold=Concat(
                        Value("ext-"), Cast(OuterRef("pk"), CharField()), output_field=CharField()
                    ),
                )
            )
        )
        .values_list("pk", "case_id")
    )
    for pk, case_id in rows:
        yield from reminders._rows(
            case_id, ReminderKind.EXTENSION_PENDING, f"ext-{pk}", ctx.directory.dispatchers, ctx.now
        )


def make_agreement_source(model, field: str, kind: str, lead_days: int):
    def source(ctx: reminders.SweepContext) -> Iterable[Reminder]:
        horizon = ctx.now + dt.timedelta(days=lead_days)
        is_dt = model._meta.get_field(field).get_internal_type() == "DateTimeField"
        limit = horizon if is_dt else horizon.date()
        floor = ctx.now - dt.timedelta(days=1) if is_dt else ctx.today
        rows = model.objects.filter(**{f"{field}__lte": limit, f"{field}__gte": floor}).values_list(
            "case_id", "case__department_id", field
        )
        for case_id, dept, when in rows:
            who = ctx.directory.audience(Audience.OFFICER, department_id=dept, assignee_id=None)
            yield from reminders._rows(case_id, kind, f"{field}-{when}", who, ctx.now)

    return source


def _urge_message(due_text: str) -> str:
    return _("系统自动催办:已超过办理时限%(due)s,请尽快办理并说明原因。") % {"due": due_text}


def record_auto_urge(case_id: int, due_text: str) -> None:
    """催办 on the first working day after the deadline, for one case, through dispatch's
    service (the fallback of ``record_auto_urges``)."""
    try:
        from dispatch.models import Supervision
        from dispatch.services import supervision_create
    except ImportError:
        return
    try:
        supervision_create(
            case_id=case_id,
            level=Supervision.Level.URGE,
            actor=None,
            message=_urge_message(due_text),
            automatic=True,
        )
    except IntegrityError:
        pass  # another sweep made it first (unique constraint)
    except Exception:
        logger.exception("automatic urge for case %s failed", case_id)


def record_auto_urges(urges: list[tuple[int, str]], cal=None) -> None:
    """催办 for every case of a sweep whose deadline passed on the previous working day, in
    one set-based step (``dispatch.urges.supervisions_urge_automatic``). If the batch fails
    as a whole, one case at a time, so that one bad case holds up no other."""
    try:
        from dispatch.urges import supervisions_urge_automatic
    except ImportError:
        return
    try:
        supervisions_urge_automatic(items=[(c, _urge_message(d)) for c, d in urges], cal=cal)
    except Exception:
        logger.exception("automatic urges for %d case(s) failed as a batch", len(urges))
        for case_id, due_text in urges:
            record_auto_urge(case_id, due_text)


def register_available() -> None:
    if _model("dispatch", "ExtensionRequest") is not None:
        reminders.register_source("extensions", source_extensions)
    if _model("dispatch", "Correction") is not None:
        from .worksteps import source_corrections_due

        reminders.register_source("corrections", source_corrections_due)
    try:
        from dispatch.urges import supervisions_urge_automatic  # noqa: F401
    except ImportError:
        pass
    else:
        reminders.AUTO_URGE_HOOKS.append(record_auto_urges)
    # The petition and labour-dispute chains: the step the handling side must meet now.
    for name in ("PetitionRecord", "LabourRecord"):
        model = _model("mediation", name)
        if model is not None:
            reminders.register_source(
                name.lower(),
                make_agreement_source(model, "next_due_at", ReminderKind.STEP_DUE, 3),
            )
    agreement = _model("mediation", "Agreement")
    if agreement is not None:
        perform = _date_field(agreement, "perform")
        confirm = _date_field(agreement, "confirm")
        if perform:
            reminders.register_source(
                "performance",
                make_agreement_source(agreement, perform, ReminderKind.PERFORMANCE_DUE, 3),
            )
        if confirm:
            reminders.register_source(
                "confirmation",
                make_agreement_source(agreement, confirm, ReminderKind.CONFIRMATION_WINDOW, 5),
            )
