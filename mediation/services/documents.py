"""Opening a document in full: a logged reveal of personal data.

The agreement carries the parties' names, ID numbers, addresses and phones because the law
requires them on it (《人民调解法》 art. 29: "当事人的基本情况"), and the notice and the court
referral report name the parties. On screen they are masked; the full document (print view
or PDF) is opened only by the people who handle the case (``may_mediate``: the case
department's officers and mediators, the assigned mediator, the dispatch room) in a role that
may see personal data, with a reason, and each opening is a row of the one reveal log
(``intake.PersonalDataReveal``, subject "document", object "agreement:<id>")."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from intake.models import Case
from intake.services import REVEAL_ROLES, reveal_log
from luodian_platform.errors import NotAllowed, NotFound
from luodian_platform.roles import user_has_role

from ..models import Agreement, CourtReferral, Notice, PetitionRecord
from .common import may_mediate

# kind -> the document model; each has a ``case``.
DOCUMENT_MODELS = {
    "agreement": Agreement,
    "notice": Notice,
    "referral": CourtReferral,
    "petition_notice": PetitionRecord,
    "petition_reply": PetitionRecord,
}


def may_open_full_document(case, user) -> bool:
    return user_has_role(user, *REVEAL_ROLES) and may_mediate(case, user)


def document_open_full(*, kind: str, document_id: int, actor, reason: str):
    """The document, after checking the actor handles its case and logging why they open it
    in full. Invisible → 404; visible but not handling → 403; no reason → 400."""
    # The views render the document from mediation.selectors (which import the services, so
    # the lookup here is the plain visible-case filter, not a selector).
    document = (
        DOCUMENT_MODELS[kind]
        .objects.select_related("case")
        .filter(pk=document_id, case__in=Case.objects.visible_to(actor))
        .first()
    )
    if document is None:
        raise NotFound(_("文书不存在或您无权查看。"))
    if not may_open_full_document(document.case, actor):
        raise NotAllowed(_("只有承办该案件的人员可以打开或下载完整文书。"))
    with transaction.atomic():
        reveal_log(
            actor=actor,
            subject="document",
            case=document.case,
            object_ref=f"{kind}:{document.pk}",
            fields="document",
            reason=reason,
        )
    return document
