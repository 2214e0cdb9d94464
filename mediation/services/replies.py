"""The lifecycle moves of the mediation window (registered as case actions)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import run_transition
from intake.models import Case, Outcome
from luodian_platform.errors import ServiceError

# --- the lifecycle moves (registered as case actions) ------------------------------------


def case_start_mediation(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """组织调解: the handling department organises a mediation."""
    return run_transition(
        case_id=case_id,
        name="start_mediation",
        actor=actor,
        expected_version=expected_version,
        note=note,
    )


def case_reply(
    *,
    case_id: int,
    actor,
    outcome: str,
    text: str,
    document: str,
    expected_version: int | None = None,
) -> Case:
    """办结答复: the department replies with an outcome and its document (协议书/告知书/答复),
    and the case waits for the centre's review."""
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择办理结果。")
    if not (text or "").strip():
        errors["text"] = _("请填写答复意见。")
    if not (document or "").strip():
        errors["document"] = _("办结答复必须附答复文书(协议书、告知书或答复意见书)。")
    if errors:
        raise ServiceError(_("答复信息不完整。"), fields=errors)
    return run_transition(
        case_id=case_id,
        name="reply",
        actor=actor,
        expected_version=expected_version,
        kwargs={
            "outcome": outcome,
            "text": text.strip(),
            "document": document.strip(),
            "by": actor,
            "at": timezone.now(),
        },
        note=text.strip(),
        payload={"outcome": outcome, "document": document.strip()},
    )
