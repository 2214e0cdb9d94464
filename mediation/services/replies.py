"""The lifecycle moves of the mediation window (registered as case actions), and the rule
that a reply's outcome rests on the case's records, not on what the replier declares."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import run_transition
from intake.models import Case, CaseEvent, Outcome
from luodian_platform.errors import Conflict, ServiceError

from ..models import Agreement, Notice

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


@dataclass(frozen=True)
class ReplyBasis:
    """The documents of the current round of handling a reply can rest on: agreements that
    took effect (《人民调解法》 art. 29) and notices issued (art. 26), newest first, plus the
    drafts not yet signed (to say what is missing)."""

    agreements: list[Agreement]
    drafts: list[Agreement]
    notices: list[Notice]
    round_since: dt.datetime | None  # the last 重办, if any

    def suggested(self) -> tuple[str, str]:
        """(outcome, document) the records prove, or ("", "") when they prove neither."""
        if self.agreements:
            return Outcome.AGREEMENT, self.agreements[0].number
        if self.notices:
            return Outcome.NOTICE, self.notices[0].number
        return "", ""


def reply_basis(case: Case) -> ReplyBasis:
    """Records of this round only: after a 重办 the earlier agreement or notice stays in the
    case's history but cannot prove the new reply (the rework was ordered because the
    earlier result did not hold)."""
    since = (
        CaseEvent.objects.filter(case=case, transition="reopen")
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    agreements = Agreement.objects.filter(case=case).order_by("-effective_at", "-created_at")
    notices = Notice.objects.filter(case=case).order_by("-issued_at", "-pk")
    if since is not None:
        agreements = agreements.filter(created_at__gt=since)
        notices = notices.filter(issued_at__gt=since)
    agreements = list(agreements)
    return ReplyBasis(
        agreements=[a for a in agreements if a.is_effective],
        drafts=[a for a in agreements if not a.is_effective],
        notices=list(notices),
        round_since=since,
    )


def outcome_unproved(case: Case, basis: ReplyBasis | None = None) -> str | None:
    """What the records lack for the outcome the case's reply recorded, or None when they
    prove it (a reply recorded before the rule, or data edited by hand, can lack it)."""
    if not case.outcome:
        return None
    basis = basis or reply_basis(case)
    if case.outcome == Outcome.AGREEMENT:
        if case.reply_document not in {a.number for a in basis.agreements}:
            return _(
                "答复结果为「调解成功(协议书)」,但%(d)s不是本案本轮已签署生效的调解协议书"
                "(《人民调解法》第二十九条)。"
            ) % {"d": case.reply_document or _("答复未附文书")}
    elif case.outcome == Outcome.NOTICE:
        if case.reply_document not in {n.number for n in basis.notices}:
            return _(
                "答复结果为「调解不成(告知书)」,但%(d)s不是本案本轮已出具的告知书"
                "(《人民调解法》第二十六条)。"
            ) % {"d": case.reply_document or _("答复未附文书")}
    elif not case.reply_document:
        return _("答复未附答复文书。")
    return None


def refuse_unproved_approval(case: Case) -> None:
    """Registered before ``approve``: the centre cannot close a case on a reply whose outcome
    the records do not prove; the way out is 退回重办."""
    missing = outcome_unproved(case)
    if missing:
        raise Conflict(
            _("不能审核通过:%(m)s请退回重办,由承办部门补齐后重新答复。") % {"m": missing},
            code="outcome_unproved",
        )


def _check_outcome(basis: ReplyBasis, outcome: str, document: str) -> tuple[str, str]:
    """The (outcome, document) to record, or ServiceError naming what the records lack."""
    if not outcome:
        outcome, found = basis.suggested()
        if not outcome:
            raise ServiceError(
                _(
                    "本案没有已签署生效的调解协议书,也没有已出具的告知书;请选择办理结果并附答复文书。"
                ),
                fields={"outcome": _("请选择办理结果。")},
            )
        return outcome, document or found
    if outcome == Outcome.AGREEMENT:
        numbers = [a.number for a in basis.agreements]
        if not numbers:
            if basis.drafts:
                missing = _(
                    "协议书%(n)s尚未由各方当事人签署、调解员签名并经调解委员会盖章,未生效"
                    "(《人民调解法》第二十九条)。"
                ) % {"n": basis.drafts[0].label}
            else:
                missing = _("本案没有调解协议书。")
            raise ServiceError(
                _("不能以「调解成功(协议书)」答复:%(m)s请先在调解面板录入协议书并完成签署。")
                % {"m": missing},
                fields={"outcome": _("缺少已签署生效的调解协议书。")},
            )
        if document and document not in numbers:
            raise ServiceError(
                _("答复文书%(d)s不是本案已生效的协议书(%(n)s)。")
                % {"d": document, "n": "、".join(numbers)},
                fields={"document": _("请填写本案已生效协议书的编号。")},
            )
        return outcome, document or numbers[0]
    if outcome == Outcome.NOTICE:
        numbers = [n.number for n in basis.notices]
        if not numbers:
            raise ServiceError(
                _("不能以「调解不成(告知书)」答复:本案没有已出具的告知书,请先出具告知书。"),
                fields={"outcome": _("缺少已出具的告知书。")},
            )
        if document and document not in numbers:
            raise ServiceError(
                _("答复文书%(d)s不是本案已出具的告知书(%(n)s)。")
                % {"d": document, "n": "、".join(numbers)},
                fields={"document": _("请填写本案告知书的编号。")},
            )
        return outcome, document or numbers[0]
    if not document:
        raise ServiceError(
            _("答复信息不完整。"),
            fields={"document": _("办结答复必须附答复文书(协议书、告知书或答复意见书)。")},
        )
    return outcome, document


def case_reply(
    *,
    case_id: int,
    actor,
    text: str,
    outcome: str = "",
    document: str = "",
    expected_version: int | None = None,
) -> Case:
    """办结答复: the department replies and the case waits for the centre's review.

    The outcome is taken from the records when it is left empty; a declared outcome is
    refused unless the records prove it: 调解成功 only with an agreement that took effect
    (art. 29), 调解不成 only with an issued notice (art. 26), any other outcome with its
    reply document."""
    errors = {}
    outcome = (outcome or "").strip()
    document = (document or "").strip()
    if outcome and outcome not in Outcome.values:
        errors["outcome"] = _("请选择办理结果。")
    if not (text or "").strip():
        errors["text"] = _("请填写答复意见。")
    if errors:
        raise ServiceError(_("答复信息不完整。"), fields=errors)
    # Non-empty from the start: run_transition logs ``payload or {}``.
    payload: dict = {"outcome": outcome, "document": document}

    def kwargs(case: Case) -> dict:
        # On the locked row: the records cannot change between the check and the write.
        basis = reply_basis(case)
        final_outcome, final_document = _check_outcome(basis, outcome, document)
        payload.update(outcome=final_outcome, document=final_document)
        if outcome != final_outcome:
            payload["outcome_from_records"] = True
        return {
            "outcome": final_outcome,
            "text": text.strip(),
            "document": final_document,
            "by": actor,
            "at": timezone.now(),
        }

    return run_transition(
        case_id=case_id,
        name="reply",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
        note=text.strip(),
        payload=payload,
    )
