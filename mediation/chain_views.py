"""Case-page forms of the petition and labour-dispute chains: parse, call one service,
redirect back to the case with the answer (a refusal's message names its rule); and the
petition chain's documents (受理/不予受理告知书, 信访处理意见书): the print page and the
issued PDF (a logged opening, like the other documents)."""

from __future__ import annotations

import inspect

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from intake.models import Case
from luodian_platform.api.throttles import throttled
from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.periods import period

from . import selectors, services
from .models import LabourRecord, PetitionRecord
from .services.chains import TEXT_FIELDS
from .views import _aware, _full_document, _pdf

STEPS = {
    "petition": {
        "model": PetitionRecord,
        "id": "petition_id",
        "register": services.petition_register,
        "register_at": "received_at",
        "steps": {
            "decide": services.petition_decide,
            "extend": services.petition_extend,
            "reply": services.petition_reply,
            "review-request": services.petition_review_request,
            "review-decide": services.petition_review_decide,
            "rereview-request": services.petition_rereview_request,
            "rereview-decide": services.petition_rereview_decide,
        },
    },
    "labour": {
        "model": LabourRecord,
        "id": "labour_id",
        "register": services.labour_register,
        "register_at": "applied_at",
        "steps": {
            "mediation-end": services.labour_mediation_end,
            "refer": services.labour_refer_arbitration,
            "arbitration-decide": services.labour_arbitration_decide,
            "extend": services.labour_award_extend,
            "outcome": services.labour_record_outcome,
        },
    },
}
BOOL_FIELDS = ("accept", "settled")


def _kwargs(request, call) -> dict:
    out = {}
    for name in inspect.signature(call).parameters:
        if name in TEXT_FIELDS:
            out[name] = request.POST.get(name, "")
        elif name in BOOL_FIELDS:
            out[name] = request.POST.get(name) == "true"
        elif name == "at" and (at := _parse_at(request)) is not None:
            out["at"] = at
    return out


def _parse_at(request):
    """The optional time of a step (blank: now); a malformed one is refused, not ignored."""
    raw = request.POST.get("at", "").strip()
    if not raw:
        return None
    at = _aware(raw)
    if at is None:
        raise ServiceError(
            _("时间格式应为 yyyy-mm-dd hh:mm。"), fields={"at": _("请按格式填写时间。")}
        )
    return at


def _run(request, fn, success: str) -> None:
    try:
        fn()
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:
        raise PermissionDenied from exc
    except ServiceError as exc:
        messages.error(request, exc.message)
        for msg in getattr(exc, "fields", {}).values():
            messages.error(request, str(msg))
    else:
        messages.success(request, success)


@require_POST
@login_required
def chain_register(request, pk: int, kind: str):
    chain = STEPS.get(kind)
    if chain is None or not Case.objects.visible_to(request.user).filter(pk=pk).exists():
        raise Http404

    def register():
        at = _parse_at(request)
        extra = {chain["register_at"]: at} if at else {}
        chain["register"](case_id=pk, actor=request.user, **extra)

    _run(request, register, _("已登记,期限已开始计算。"))
    return redirect("intake:case_detail", pk=pk)


@require_POST
@login_required
def chain_step(request, kind: str, pk: int, step: str):
    chain = STEPS.get(kind)
    if chain is None or step not in chain["steps"]:
        raise Http404
    record = (
        chain["model"]
        .objects.filter(pk=pk, case__in=Case.objects.visible_to(request.user).values("pk"))
        .first()
    )
    if record is None:
        raise Http404
    call = chain["steps"][step]
    _run(
        request,
        lambda: call(actor=request.user, **{chain["id"]: pk}, **_kwargs(request, call)),
        _("已保存。"),
    )
    return redirect("intake:case_detail", pk=record.case_id)


# The petition chain's documents: (kind of the issued document, getter, template).
PETITION_DOCUMENTS = {
    "notice": ("petition_notice", selectors.petition_notice_get, "petition_notice.html"),
    "reply": ("petition_reply", selectors.petition_reply_get, "petition_reply.html"),
}


@login_required
def petition_document(request, pk: int, doc: str):
    """The print page of an issued petition document, from the same template as its PDF,
    with the frozen PDF's SHA-256."""
    if doc not in PETITION_DOCUMENTS:
        raise Http404
    kind, get, template = PETITION_DOCUMENTS[doc]
    record = get(user=request.user, pk=pk)
    if record is None:
        raise Http404
    return render(
        request,
        "mediation/petition_print.html",
        {
            "record": record,
            "doc": doc,
            "template": f"mediation/documents/{template}",
            "accept": period("petition_accept"),
            "handle": period("petition_handle"),
            "review": period("petition_review_request"),
            "issued": services.issued_document(kind, record.pk),
            "can_open_full": services.may_open_full_document(record.case, request.user),
        },
    )


def _petition_pdf(kind: str, filename: str):
    @login_required
    @throttled("reveal")
    def view(request, pk: int):
        return _full_document(
            request,
            kind,
            pk,
            lambda doc: _pdf(services.document_pdf_bytes(kind, doc), f"{filename}-{doc.pk}.pdf"),
        )

    view.__name__ = f"{kind}_pdf"
    return view


# 受理告知书 / 不予受理告知书 and 信访处理意见书 as issued.
petition_notice_pdf = _petition_pdf("petition_notice", "petition-notice")
petition_reply_pdf = _petition_pdf("petition_reply", "petition-reply")
