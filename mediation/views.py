"""Pages of the mediation and legal-services windows. Thin: parse, call one service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from intake.evidence.services import too_large
from intake.evidence.views import files_block
from intake.models import State
from intake.selectors import case_get, case_list
from luodian_platform.api.throttles import throttled
from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department, Window
from luodian_platform.periods import period, periods
from luodian_platform.roles import Role
from luodian_platform.uploads import upload_too_large
from luodian_platform.views import role_required
from luodian_platform.workcal import end_of_day, local_date

from . import selectors, services
from .forms import JC_STEPS, JointMediationForm
from .models import (
    AgreementParty,
    CourtReferral,
    JointMediation,
    JudicialConfirmation,
    LegalService,
    Mediator,
)
from .scans import paper_context

# The documents a full (logged) opening serves, found among the cases the user sees.
DOCUMENT_GETTERS = {
    "agreement": selectors.agreement_get,
    "notice": selectors.notice_get,
    "referral": selectors.referral_get,
    "petition_notice": selectors.petition_notice_get,
    "petition_reply": selectors.petition_reply_get,
}

MEDIATION_ROLES = (Role.MEDIATOR, Role.OFFICER, Role.DISPATCHER, Role.SUPERVISOR)


def _aware(value: str) -> dt.datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _case_or_404(request, pk: int):
    case = case_get(user=request.user, pk=pk)
    if case is None:
        raise Http404
    return case


def _fail(request, exc: ServiceError) -> dict:
    messages.error(request, exc.message)
    return {k: str(v) for k, v in exc.fields.items()}


def _submit(request, call, *, done, to) -> tuple[HttpResponse | None, dict]:
    """Run a page's one service call for a POST.

    Accepted: the success message ``done`` (text, or a function of the result) and a
    redirect to ``to(result)`` (the ``redirect`` arguments). Refused: its message, and the
    field errors for the form, which the page shows again with status 400.
    """
    try:
        result = call()
    except ServiceError as exc:
        return None, _fail(request, exc)
    messages.success(request, done(result) if callable(done) else done)
    return redirect(*to(result)), {}


def _id(post, name: str) -> int | None:
    """A chosen row's id from a form; anything but a whole number is a refusal, not a 500."""
    value = (post.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise ServiceError(_("所选内容无效,请从列表中选择。"), fields={name: _("请从列表中选择。")})
    return int(value)


def _ids(post, name: str) -> list[int]:
    values = [v.strip() for v in post.getlist(name) if v.strip()]
    if not all(v.isdigit() for v in values):
        raise ServiceError(_("所选内容无效,请从列表中选择。"), fields={name: _("请从列表中选择。")})
    return [int(v) for v in values]


@role_required(*MEDIATION_ROLES)
def workbench(request):
    base = case_list(user=request.user)
    now = timezone.now()
    mediator = services.mediator_for_user(request.user)
    mine = base.filter(mediator_assignments__mediator=mediator) if mediator else base.none()
    return render(
        request,
        "mediation/workbench.html",
        {
            "mediator": mediator,
            "mine": mine.filter(state__in=services.WORKING_STATES).order_by("due_at")[:50],
            "mediating": base.filter(state=State.MEDIATING).order_by("due_at")[:50],
            "accepted": base.filter(state=State.ACCEPTED).order_by("due_at")[:50],
            "sessions": selectors.sessions_for_user(
                user=request.user,
                start=now - dt.timedelta(hours=12),
                end=now + dt.timedelta(days=7),
            )[:50],
            "average": selectors.format_duration(
                selectors.average_time_to_agreement(user=request.user)
            ),
        },
    )


@role_required(*MEDIATION_ROLES)
def case_mediation(request, pk: int):
    """A case's mediation desk: suggested mediators (with load and 回避), assignment,
    sessions, documents."""
    case = _case_or_404(request, pk)
    errors = {}
    if request.method == "POST":
        done, errors = _submit(
            request,
            lambda: services.mediator_assign(
                case_id=case.pk,
                mediator_id=_id(request.POST, "mediator") or 0,
                actor=request.user,
                is_lead=bool(request.POST.get("is_lead")),
                override_reason=request.POST.get("override_reason", ""),
            ),
            done=_("已指派调解员。"),
            to=lambda _r: ("mediation:case", case.pk),
        )
        if done:
            return done
    return render(
        request,
        "mediation/case.html",
        {
            "case": case,
            "suggestions": selectors.mediator_suggestions(case=case),
            "all_mediators": selectors.mediator_list(available_only=True),
            "assignments": case.mediator_assignments.select_related("mediator"),
            "sessions": selectors.case_sessions(case=case),
            "agreements": case.agreements.all(),
            "notices": case.mediation_notices.all(),
            "referral": CourtReferral.objects.filter(case=case).first(),
            "joint": _joint_of(case),
            "confirmations": [
                _jc_window(jc)
                for jc in JudicialConfirmation.objects.filter(agreement__case=case)
                .select_related("agreement")
                .order_by("pk")
            ],
            "can_mediate": services.may_mediate(case, request.user),
            "is_dispatcher": services.is_dispatcher(request.user),
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@role_required(*MEDIATION_ROLES)
def session_new(request, pk: int):
    case = _case_or_404(request, pk)
    errors, values = {}, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        done, errors = _submit(
            request,
            lambda: services.session_book(
                case_id=case.pk,
                actor=request.user,
                starts_at=_aware(request.POST.get("starts_at", "")),
                ends_at=_aware(request.POST.get("ends_at", "")),
                room_id=_id(request.POST, "room"),
                on_site_place=request.POST.get("on_site_place", ""),
                mediator_ids=_ids(request.POST, "mediators"),
                confirm_off_hours=bool(request.POST.get("confirm_off_hours")),
            ),
            done=_("已预约调解。"),
            to=lambda _r: ("mediation:case", case.pk),
        )
        if done:
            return done
    return render(
        request,
        "mediation/session_form.html",
        {
            "case": case,
            "rooms": Window.objects.filter(is_room=True),
            "assignments": case.mediator_assignments.select_related("mediator"),
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )


@role_required(*MEDIATION_ROLES)
def session_record(request, pk: int, session_pk: int):
    case = _case_or_404(request, pk)
    session = case.mediation_sessions.filter(pk=session_pk).first()
    if session is None:
        raise Http404
    errors = {}
    if request.method == "POST":
        done, errors = _submit(
            request,
            lambda: services.session_record(
                session_id=session.pk,
                actor=request.user,
                record=request.POST.get("record", ""),
                result=request.POST.get("result", ""),
                attended_party_ids=_ids(request.POST, "parties_attended"),
            ),
            done=_("已保存调解笔录。"),
            to=lambda _r: ("mediation:case", case.pk),
        )
        if done:
            return done
    return render(
        request,
        "mediation/session_record.html",
        {
            "case": case,
            "session": session,
            "parties": case.parties.all(),
            "attended": set(session.parties_attended.values_list("pk", flat=True)),
            "results": session.Result.choices,
            "errors": errors,
            "files": files_block(
                request=request, case=case, target_kind="session", target_id=session.pk
            ),
        },
        status=400 if errors else 200,
    )


TERM_ROWS = 5


@role_required(*MEDIATION_ROLES)
def agreement_new(request, pk: int):
    case = _case_or_404(request, pk)
    parties = list(case.parties.all())
    errors, values = {}, request.POST if request.method == "POST" else {}
    if request.method == "POST":
        terms = []
        for i in range(TERM_ROWS):
            content = request.POST.get(f"term_{i}_content", "").strip()
            if not content and not request.POST.get(f"term_{i}_method", "").strip():
                continue
            day = parse_date(request.POST.get(f"term_{i}_due", ""))
            terms.append(
                services.AgreementTermInput(
                    content=content,
                    performance_method=request.POST.get(f"term_{i}_method", ""),
                    due_at=end_of_day(day) if day else None,
                )
            )

        def record():
            if upload_too_large(request):
                raise too_large()
            committee = Department.objects.filter(pk=_id(request.POST, "committee") or 0).first()
            if committee is None:
                message = _("请选择人民调解委员会。")
                raise ServiceError(message, fields={"committee": message})
            return services.agreement_record(
                case_id=case.pk,
                actor=request.user,
                committee=committee,
                mediator_id=_id(request.POST, "mediator") or 0,
                facts=request.POST.get("facts", ""),
                issues=request.POST.get("issues", ""),
                liabilities=request.POST.get("liabilities", ""),
                parties=[
                    services.AgreementPartyInput(
                        party_id=p.pk,
                        address=request.POST.get(f"party_{p.pk}_address", ""),
                        sign_method=request.POST.get(f"party_{p.pk}_sign", ""),
                    )
                    for p in parties
                    if request.POST.get(f"party_{p.pk}_include")
                ],
                terms=terms,
                mediator_signed=bool(request.POST.get("mediator_signed")),
                committee_sealed=bool(request.POST.get("committee_sealed")),
                scans=request.FILES.getlist("scan"),
            )

        done, errors = _submit(
            request,
            record,
            done=lambda agreement: _("协议书已保存:%(n)s") % {"n": agreement.label},
            to=lambda agreement: ("mediation:agreement", agreement.pk),
        )
        if done:
            return done
    return render(
        request,
        "mediation/agreement_form.html",
        {
            "case": case,
            "parties": parties,
            # Mediation committees only (《人民调解法》 art. 29); the assigned mediator's
            # committee first, so the default is always a committee.
            "committees": _committees_for(case),
            "assignments": case.mediator_assignments.select_related("mediator"),
            "sign_methods": AgreementParty.SignMethod.choices,
            "term_rows": range(TERM_ROWS),
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )


def _committees_for(case) -> list[Department]:
    committees = list(services.committees())
    own = {
        a.mediator.department_id
        for a in case.mediator_assignments.select_related("mediator")
        if a.mediator.department_id
    }
    return sorted(committees, key=lambda d: (d.pk not in own, d.code))


# Rows the officer may add to the notice beyond the table's defaults.
EXTRA_ROUTES = 2


@role_required(*MEDIATION_ROLES)
def notice_new(request, pk: int):
    case = _case_or_404(request, pk)
    defaults = services.default_notice_channels(case)
    rows = defaults + [
        {"channel": "", "institution": "", "address": "", "time_limit": "", "extra": True}
        for _i in range(EXTRA_ROUTES)
    ]
    errors = {}
    if request.method == "POST":
        channels = [
            {
                "channel": request.POST.get(f"ch_{i}_channel", ""),
                "institution": request.POST.get(f"ch_{i}_institution", ""),
                "address": request.POST.get(f"ch_{i}_address", ""),
                "time_limit": request.POST.get(f"ch_{i}_time_limit", ""),
            }
            for i in range(len(rows))
            if request.POST.get(f"ch_{i}_include")
        ]
        done, errors = _submit(
            request,
            lambda: services.notice_record(
                case_id=case.pk,
                actor=request.user,
                reason=request.POST.get("reason", ""),
                channels=channels,
            ),
            done=lambda notice: _("告知书已出具:%(n)s") % {"n": notice.number},
            to=lambda notice: ("mediation:notice", notice.pk),
        )
        if done:
            return done
    return render(
        request,
        "mediation/notice_form.html",
        {
            "case": case,
            "channels": rows,
            "labels": services.CHANNEL_LABELS,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _full_document(request, kind: str, pk: int, respond):
    """GET: ask why; POST with a reason: log the reveal and ``respond(document)``. Only the
    people handling the case (services.may_open_full_document); invisible → 404."""
    document = DOCUMENT_GETTERS[kind](user=request.user, pk=pk)
    if document is None:
        raise Http404
    if not services.may_open_full_document(document.case, request.user):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            services.document_open_full(
                kind=kind, document_id=pk, actor=request.user, reason=request.POST.get("reason", "")
            )
            # A document that cannot be printed (a character no font draws) is refused
            # with the character named, never served with a hole.
            return respond(document)
        except (NotFound, NotAllowed) as exc:
            raise PermissionDenied from exc
        except ServiceError as exc:
            error = exc.fields.get("reason") or exc.fields.get("document") or exc.message
    return render(
        request,
        "mediation/document_open.html",
        {"doc": document, "kind": kind, "error": error},
        status=400 if error else 200,
    )


@login_required
def agreement_page(request, pk: int):
    agreement = selectors.agreement_get(user=request.user, pk=pk)
    if agreement is None:
        raise Http404
    if request.method == "POST":
        try:
            if upload_too_large(request):
                raise too_large()
            # Signatures on paper, with the signed scan in the same step (services.paper).
            services.agreement_sign(
                agreement_id=agreement.pk,
                actor=request.user,
                signatures={
                    p.pk: request.POST[f"sign_{p.pk}"]
                    for p in agreement.parties.all()
                    if request.POST.get(f"sign_{p.pk}")
                },
                mediator_signed=bool(request.POST.get("mediator_signed")),
                committee_sealed=bool(request.POST.get("committee_sealed")),
                scans=request.FILES.getlist("scan"),
            )
        except ServiceError as exc:
            _fail(request, exc)
        else:
            messages.success(request, _("签署情况已保存。"))
        return redirect("mediation:agreement", pk=agreement.pk)
    return render(
        request,
        "mediation/agreement_print.html",
        {
            "doc": agreement,
            "sign_methods": AgreementParty.SignMethod.choices,
            "can_mediate": services.may_mediate(agreement.case, request.user),
            "can_open_full": services.may_open_full_document(agreement.case, request.user),
            "full": False,
            "confirmation": getattr(agreement, "judicial_confirmation", None)
            if agreement.is_effective
            else None,
            "jc_window": period("jc_window"),
            "issued": services.issued_document("agreement", agreement.pk),
            "pads": selectors.signature_pads(agreement),
            "paper_scan_missing": services.paper_scan_missing(agreement),
            **paper_context(agreement),
            "files": files_block(
                request=request,
                case=agreement.case,
                target_kind="agreement",
                target_id=agreement.pk,
            ),
        },
    )


@login_required
@throttled("reveal")
def agreement_pdf(request, pk: int):
    return _full_document(
        request,
        "agreement",
        pk,
        lambda doc: _pdf(services.document_pdf_bytes("agreement", doc), f"agreement-{doc.pk}.pdf"),
    )


@login_required
@throttled("reveal")
def agreement_full(request, pk: int):
    """The print view with the parties' full particulars, after a logged reason."""
    return _full_document(
        request,
        "agreement",
        pk,
        lambda doc: render(
            request,
            "mediation/agreement_print.html",
            {
                "doc": doc,
                "full": True,
                "can_open_full": True,
                "can_mediate": False,
                **paper_context(doc),
            },
        ),
    )


@login_required
def notice_page(request, pk: int):
    notice = selectors.notice_get(user=request.user, pk=pk)
    if notice is None:
        raise Http404
    channels = [
        {**c, "label": services.CHANNEL_LABELS.get(c["channel"], c["channel"])}
        for c in notice.channels
    ]
    return render(
        request,
        "mediation/notice_print.html",
        {
            "doc": notice,
            "channels": channels,
            "issued": services.issued_document("notice", notice.pk),
            "files": files_block(
                request=request, case=notice.case, target_kind="notice", target_id=notice.pk
            ),
        },
    )


@login_required
@throttled("reveal")
def notice_pdf(request, pk: int):
    return _full_document(
        request,
        "notice",
        pk,
        lambda doc: _pdf(services.document_pdf_bytes("notice", doc), f"notice-{doc.pk}.pdf"),
    )


@login_required
def referral_report(request, pk: int):
    referral = selectors.referral_get(user=request.user, pk=pk)
    if referral is None:
        raise Http404
    return render(request, "mediation/referral_report.html", {"doc": referral})


@login_required
@throttled("reveal")
def referral_report_pdf(request, pk: int):
    return _full_document(
        request,
        "referral",
        pk,
        lambda doc: _pdf(services.document_pdf_bytes("referral", doc), f"referral-{doc.pk}.pdf"),
    )


@role_required(*services.LEGAL_SERVICE_ROLES, Role.SUPERVISOR)
def legal_services(request):
    errors = {}
    if request.method == "POST":
        done, errors = _submit(
            request,
            lambda: services.legal_service_record(
                actor=request.user,
                kind=request.POST.get("kind", ""),
                person_name=request.POST.get("person_name", ""),
                summary=request.POST.get("summary", ""),
                phone=request.POST.get("phone", ""),
                answer=request.POST.get("answer", ""),
                case_id=_id(request.POST, "case"),
            ),
            done=_("已登记。"),
            to=lambda _r: ("mediation:legal_services",),
        )
        if done:
            return done
    return render(
        request,
        "mediation/legal_services.html",
        {
            "rows": selectors.legal_services_for(user=request.user)[:100],
            "kinds": LegalService.Kind.choices,
            "lawyers": Mediator.objects.filter(kind=Mediator.Kind.LAWYER, is_active=True),
            "errors": errors,
            "periods": periods("legal_aid_decision", "legal_aid_lawyer"),
        },
        status=400 if errors else 200,
    )


# --- joint mediation and judicial confirmation ------------------------------------------


def _refuse(exc: ServiceError) -> None:
    """A service's 403/404 answer as the page's 403/404 (like ``role_required``)."""
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message)
    if isinstance(exc, NotFound):
        raise Http404(exc.message)


def _joint_of(case) -> JointMediation | None:
    return (
        JointMediation.objects.filter(case=case)
        .select_related("lead_department")
        .prefetch_related("departments", "experts")
        .first()
    )


@role_required(*MEDIATION_ROLES)
def joint_mediation(request, pk: int):
    """联合调解: the lead department, participating departments and experts of a case."""
    case = _case_or_404(request, pk)
    joint = _joint_of(case)
    status = 200
    if request.method == "POST":
        if not services.may_mediate(case, request.user):
            raise PermissionDenied
        form = JointMediationForm(request.POST)
        if form.is_valid():
            try:
                services.joint_mediation_set(
                    case_id=case.pk,
                    actor=request.user,
                    lead_department=form.cleaned_data["lead_department"],
                    departments=list(form.cleaned_data["departments"]),
                    experts=list(form.cleaned_data["experts"]),
                    note=form.cleaned_data["note"].strip(),
                )
            except ServiceError as exc:
                _refuse(exc)
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, _("已组织联合调解。"))
                return redirect("mediation:joint", pk=case.pk)
        status = status if status != 200 else 400
        messages.error(request, _("联合调解信息有误,请按提示修改。"))
    else:
        initial = {"lead_department": case.department_id}
        if joint is not None:
            initial = {
                "lead_department": joint.lead_department_id,
                "departments": [d.pk for d in joint.departments.all()],
                "experts": [e.pk for e in joint.experts.all()],
                "note": joint.note,
            }
        form = JointMediationForm(initial=initial)
    return render(
        request,
        "mediation/joint.html",
        {
            "case": case,
            "joint": joint,
            "form": form,
            "can_mediate": services.may_mediate(case, request.user) and case.is_open,
        },
        status=status,
    )


def _jc_window(jc: JudicialConfirmation) -> dict:
    """The application window of a confirmation: days left, reminder date, current step."""
    today = local_date()
    days_left = (local_date(jc.window_ends_at) - today).days
    if jc.decided_at:
        step = "decided"
    elif jc.accepted_at:
        step = "accepted"
    elif jc.applied_at:
        step = "applied"
    elif days_left < 0:
        step = "expired"
    else:
        step = "open"
    return {
        "jc": jc,
        "days_left": max(days_left, 0),
        "remind_on": local_date(jc.remind_at),
        "window_ends_on": local_date(jc.window_ends_at),
        "step": step,
    }


def _jc_or_404(request, pk: int) -> JudicialConfirmation:
    jc = selectors.judicial_confirmation_get(user=request.user, pk=pk)
    if jc is None:
        raise Http404
    return jc


def _jc_forms(jc: JudicialConfirmation) -> dict:
    """The steps that can be recorded now (the service still has the last word)."""
    allowed = {
        "apply": not jc.applied_at,
        "accept": bool(jc.applied_at) and not jc.accepted_at and not jc.decided_at,
        "extend": bool(jc.accepted_at) and not jc.decided_at and not jc.extended,
        "decide": bool(jc.applied_at) and not jc.decided_at,
    }
    return {step: JC_STEPS[step](prefix=step) for step, ok in allowed.items() if ok}


def _jc_render(request, jc: JudicialConfirmation, forms: dict, status: int = 200):
    case = jc.agreement.case
    return render(
        request,
        "mediation/judicial_confirmation.html",
        {
            "case": case,
            "agreement": jc.agreement,
            "window": _jc_window(jc),
            "forms": forms,
            "can_mediate": services.may_mediate(case, request.user),
            "periods": periods("jc_window", "jc_accept", "jc_decide"),
        },
        status=status,
    )


@role_required(*MEDIATION_ROLES)
def judicial_confirmation(request, pk: int):
    """司法确认: the application window and the court's steps, each a small form."""
    jc = _jc_or_404(request, pk)
    return _jc_render(request, jc, _jc_forms(jc))


JC_SERVICES = {
    "apply": (services.judicial_confirmation_apply, _("已登记司法确认申请。")),
    "accept": (services.judicial_confirmation_accept, _("已登记法院受理。")),
    "decide": (services.judicial_confirmation_decide, _("已登记法院决定。")),
    "extend": (services.judicial_confirmation_extend, _("已登记延长确认期限。")),
}


def _jc_step(step: str):
    @role_required(*MEDIATION_ROLES)
    def view(request, pk: int):
        jc = _jc_or_404(request, pk)
        if request.method != "POST":
            return redirect("mediation:jc", pk=jc.pk)
        if not services.may_mediate(jc.agreement.case, request.user):
            raise PermissionDenied
        form = JC_STEPS[step](request.POST, prefix=step)
        status = 400
        if form.is_valid():
            call, done = JC_SERVICES[step]
            data = {k: v for k, v in form.cleaned_data.items() if k != "confirm"}
            try:
                call(jc_id=jc.pk, actor=request.user, **{k: v for k, v in data.items() if v})
            except ServiceError as exc:
                _refuse(exc)
                form.add_service_error(exc)
                status = exc.status
            else:
                messages.success(request, done)
                return redirect("mediation:jc", pk=jc.pk)
        messages.error(request, _("填写有误,请按提示修改。"))
        jc.refresh_from_db()
        forms = _jc_forms(jc)
        forms[step] = form
        return _jc_render(request, jc, forms, status=status)

    view.__name__ = view.__qualname__ = f"judicial_confirmation_{step}"
    return view


judicial_confirmation_apply = _jc_step("apply")
judicial_confirmation_accept = _jc_step("accept")
judicial_confirmation_decide = _jc_step("decide")
judicial_confirmation_extend = _jc_step("extend")
