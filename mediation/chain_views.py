"""Case-page forms of the petition and labour-dispute chains: parse, call one service,
redirect back to the case with the answer (a refusal's message names its rule)."""

from __future__ import annotations

import inspect

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from intake.models import Case
from luodian_platform.errors import NotAllowed, NotFound, ServiceError

from . import services
from .models import LabourRecord, PetitionRecord
from .views import _aware

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
TEXT_FIELDS = ("route", "reason", "commission", "reference", "outcome")
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
