"""Public pages of the citizen's side. No login; every page is safe for anyone to open:
a lookup shows a case only against its check, a link page only with its signature."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from intake.evidence.services import too_large
from intake.models import Attachment, Case, State
from luodian_platform.errors import Conflict, ServiceError
from luodian_platform.qr import public_url, qr_svg
from luodian_platform.uploads import upload_too_large
from mediation.models import AgreementTerm, Notice
from mediation.services.agreements import CHANNEL_LABELS

from . import links
from .forms import ApplicationForm, EvaluationForm, LookupCodeForm, LookupForm, TermForm
from .lookup import lookup, lookup_by_code, lookup_code_send
from .models import LookupAttempt
from .selectors import progress_for
from .services import (
    citizen_evaluate,
    notice_receipt_confirm,
    online_application_submit,
    phone_code_send,
    term_performance_confirm,
)

# One text for "no such case" and "wrong check" (the same status too).
NO_MATCH = _("未查询到匹配的案件。请核对案件编号和申请人手机号后四位。")


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def lookup_url(number: str) -> str:
    return public_url(reverse("citizen:lookup") + "?" + urlencode({"case": number}))


def _lookup_answer(request, result, form: LookupForm, sms_form: LookupCodeForm):
    Outcome = LookupAttempt.Outcome
    if result.outcome == Outcome.FOUND:
        return render(request, "citizen/progress.html", {"progress": progress_for(result.case)})
    if result.outcome == Outcome.NO_MATCH:
        error, status = NO_MATCH, 400
    elif result.outcome == Outcome.LOCKED:
        error, status = _("该编号查询失败次数过多,已暂停查询1小时。如需帮助,请拨打服务电话。"), 429
    else:
        error, status = _("查询过于频繁,请10分钟后再试。"), 429
    return render(
        request,
        "citizen/lookup.html",
        {"form": form, "sms_form": sms_form, "error": error},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def lookup_page(request):
    """进度查询, by the phone's last four digits or by an SMS code. The result is the answer
    to the POST (nothing in the URL or the session)."""
    if request.method == "GET":
        number = (request.GET.get("case") or "")[:40]
        form = LookupForm(initial={"case": number})
        sms_form = LookupCodeForm(initial={"case": number}, prefix="sms")
        return render(request, "citizen/lookup.html", {"form": form, "sms_form": sms_form})
    action = request.POST.get("action", "")
    if action in ("send_code", "code"):
        return _lookup_by_sms(request, action)
    form = LookupForm(request.POST)
    sms_form = LookupCodeForm(prefix="sms")
    if not form.is_valid():
        context = {"form": form, "sms_form": sms_form}
        return render(request, "citizen/lookup.html", context, status=400)
    result = lookup(
        number=form.cleaned_data["case"], check=form.cleaned_data["check"], ip=_ip(request)
    )
    form = LookupForm(initial={"case": form.cleaned_data["case"]})
    return _lookup_answer(request, result, form, sms_form)


def _lookup_by_sms(request, action: str):
    sms_form = LookupCodeForm(request.POST, prefix="sms")
    form = LookupForm()
    context = {"form": form, "sms_form": sms_form, "sms_open": True}
    if not sms_form.is_valid():
        return render(request, "citizen/lookup.html", context, status=400)
    number = sms_form.cleaned_data["case"]
    if action == "send_code":
        try:
            lookup_code_send(number=number, ip=_ip(request))
        except ServiceError as exc:
            context["sms_error"] = exc.message
            return render(request, "citizen/lookup.html", context, status=exc.status)
        context["sms_sent"] = True
        return render(request, "citizen/lookup.html", context)
    if not sms_form.cleaned_data.get("code"):
        sms_form.add_error("code", _("请输入短信验证码。"))
        return render(request, "citizen/lookup.html", context, status=400)
    result = lookup_by_code(number=number, code=sms_form.cleaned_data["code"], ip=_ip(request))
    sms_form = LookupCodeForm(initial={"case": number}, prefix="sms")
    return _lookup_answer(request, result, LookupForm(initial={"case": number}), sms_form)


@never_cache
@require_http_methods(["GET", "POST"])
def apply_page(request):
    """网上申请: fill in, get the SMS code (a submit button, no JavaScript needed), then
    choose photos and documents, enter the code and submit. The file field is offered in
    that second step only: a browser forgets chosen files when the page reloads."""
    if request.method == "GET":
        form = ApplicationForm(initial={"form_token": secrets.token_hex(16)})
        return render(request, "citizen/apply.html", {"form": form})
    form = ApplicationForm(request.POST, request.FILES)
    context = {"form": form, "code_sent": bool(request.POST.get("code_sent"))}
    sending = request.POST.get("action") == "send_code"
    files_sent = bool(request.FILES) or upload_too_large(request)
    if not form.is_valid():
        return _apply_refused(request, context, 400, files_sent)
    data = form.case_input()
    try:
        if sending:
            from intake.services import case_input_clean

            case_input_clean(data)  # refuse a bad form before spending an SMS
            context["masked"] = phone_code_send(phone=data.parties[0].phone, ip=_ip(request))
            context["code_sent"] = True
            context["files_dropped"] = files_sent
            return render(request, "citizen/apply.html", context)
        if upload_too_large(request):
            raise too_large()
        case = online_application_submit(
            form_token=form.cleaned_data["form_token"],
            data=data,
            code=form.cleaned_data.get("code", ""),
            ip=_ip(request),
            files=form.cleaned_data["files"],
        )
    except ServiceError as exc:
        form.put_errors({("files" if k == "file" else k): v for k, v in exc.fields.items()})
        if not exc.fields:
            form.add_error(None, exc.message)
        return _apply_refused(request, context, exc.status, files_sent)
    # Post/redirect/get: a reload does not post again; the page needs its signed token.
    files = Attachment.objects.filter(case=case, uploaded_by__isnull=True).count()
    return redirect("citizen:applied", token=links.make_token("applied", n=case.number, f=files))


def _apply_refused(request, context: dict, status: int, files_sent: bool):
    # Nothing was kept, and the browser does not refill a file field: say so.
    context["files_dropped"] = files_sent
    return render(request, "citizen/apply.html", context, status=status)


@never_cache
def applied_page(request, token: str):
    try:
        link = links.read("applied", token)
    except ServiceError as exc:
        return _link_error(request, exc)
    number = str(link.data.get("n", ""))
    url = lookup_url(number)
    return render(
        request,
        "citizen/applied.html",
        {
            "number": number,
            "files": int(link.data.get("f") or 0),
            "lookup_url": url,
            "qr": qr_svg(url, title=_("进度查询二维码")),
        },
    )


def _link_error(request, exc: ServiceError) -> HttpResponse:
    return render(request, "citizen/link_error.html", {"message": exc.message}, status=exc.status)


def _has_terms(case_id: int) -> bool:
    return AgreementTerm.objects.filter(
        agreement__case_id=case_id, agreement__effective_at__isnull=False
    ).exists()


@never_cache
@require_http_methods(["GET", "POST"])
def evaluate_page(request, token: str):
    """评价: the signed link from the SMS sent when the case was closed."""
    try:
        link = links.read("evaluate", token)
    except ServiceError as exc:
        return _link_error(request, exc)
    case = Case.objects.select_related("category").filter(pk=link.data.get("c")).first()
    if case is None:
        raise Http404
    if links.is_used(link):
        return _link_error(request, Conflict(_("您已评价过本次办理结果,感谢您的反馈。")))
    if case.rework_count != link.data.get("r") or case.state not in (State.CLOSED, State.ARCHIVED):
        return _link_error(request, Conflict(_("该案件已重新办理或尚未办结,此评价链接已失效。")))
    with_agreement = _has_terms(case.pk)
    form = EvaluationForm(request.POST or None, with_agreement=with_agreement)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                visit = citizen_evaluate(
                    token=token,
                    satisfaction=form.cleaned_data["satisfaction"],
                    agreement_performed=form.cleaned_data.get("agreement_performed"),
                    comments=form.cleaned_data["comments"],
                )
            except ServiceError as exc:
                if exc.fields:
                    for key, message in exc.fields.items():
                        form.add_error(key if key in form.fields else None, str(message))
                else:
                    return _link_error(request, exc)
            else:
                return render(request, "citizen/evaluated.html", {"rework": visit.led_to_rework})
        status = 400
    return render(
        request,
        "citizen/evaluate.html",
        {"form": form, "number": case.number, "category": case.category.name},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_notice_page(request, token: str):
    """告知书送达确认: the link sent when the notice was issued."""
    try:
        link = links.read("notice", token)
    except ServiceError as exc:
        return _link_error(request, exc)
    notice = Notice.objects.select_related("case").filter(pk=link.data.get("n")).first()
    if notice is None:
        raise Http404
    if links.is_used(link):
        return _link_error(request, Conflict(_("您已确认过,感谢您的反馈。")))
    if request.method == "POST":
        try:
            notice_receipt_confirm(token=token)
        except ServiceError as exc:
            return _link_error(request, exc)
        return render(request, "citizen/confirmed.html", {})
    routes = [
        {
            "label": CHANNEL_LABELS.get(c.get("channel"), ""),
            "institution": c.get("institution", ""),
            "time_limit": c.get("time_limit", ""),
        }
        for c in notice.channels
        if isinstance(c, dict)
    ]
    return render(
        request,
        "citizen/confirm_notice.html",
        {"notice": notice, "number": notice.case.number, "routes": routes},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def confirm_term_page(request, token: str):
    """协议履行确认: the link sent when an agreement term fell due."""
    try:
        link = links.read("term", token)
    except ServiceError as exc:
        return _link_error(request, exc)
    term = (
        AgreementTerm.objects.select_related("agreement__case")
        .filter(pk=link.data.get("t"))
        .first()
    )
    if term is None:
        raise Http404
    if links.is_used(link):
        return _link_error(request, Conflict(_("您已确认过,感谢您的反馈。")))
    form = TermForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                term_performance_confirm(
                    token=token,
                    performed=form.cleaned_data["performed"],
                    comment=form.cleaned_data["comment"],
                )
            except ServiceError as exc:
                if not exc.fields:
                    return _link_error(request, exc)
                for key, message in exc.fields.items():
                    form.add_error(key if key in form.fields else None, str(message))
            else:
                return render(request, "citizen/confirmed.html", {})
        status = 400
    return render(
        request,
        "citizen/confirm_term.html",
        {"term": term, "number": term.agreement.case.number, "form": form},
        status=status,
    )
