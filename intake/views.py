"""Pages of the registration window and the shared case pages (list, detail, actions)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from luodian_platform.api.pagination import CasePagination
from luodian_platform.api.throttles import throttled
from luodian_platform.errors import ServiceError
from luodian_platform.models import Category
from luodian_platform.picklists import picklists
from luodian_platform.qr import public_url, qr_svg
from luodian_platform.roles import Role, user_has_role
from luodian_platform.validators import normalize_id_number, normalize_phone
from luodian_platform.views import role_required

from .actions import ACTIONS
from .channel import guidance_for, route_to_for
from .forms import INITIAL_PARTIES, PartyFormSet, RegistrationForm, action_fields
from .lifecycle import available_actions, illegal_message, may_ever_perform
from .models import Case, OtherProceeding, Party, State, labels
from .note_views import NoteAddForm
from .notes import NOTE_CLOSED_STATES, case_timeline_entries, may_write_notes
from .panels import panels_for
from .receipts import expected_time, next_steps
from .selectors import (
    case_get,
    case_list,
    case_timeline,
    earlier_cases_of_applicants,
    inbox_list,
    list_columns,
)
from .services import (
    ON_SPOT_KINDS,
    REVEAL_ROLES,
    CaseInput,
    PartyInput,
    case_register,
    case_register_linked,
    case_register_on_spot,
    case_take_in_many,
    duplicate_lookup,
)

FILTER_KEYS = ("state", "department", "category", "township", "channel", "risk", "overdue", "q")


@dataclass
class KeysetPage:
    """One page of the case list: the rows and the query strings of its neighbours."""

    object_list: list
    next_query: str
    previous_query: str

    @property
    def has_next(self) -> bool:
        return bool(self.next_query)

    @property
    def has_previous(self) -> bool:
        return bool(self.previous_query)


@login_required
def case_list_page(request):
    filters = {k: request.GET.get(k, "") for k in FILTER_KEYS}
    qs = list_columns(case_list(user=request.user, filters=filters))
    # Keyset (cursor) pagination, as in the API: no COUNT(*) over a province's cases and a
    # deep page costs what the first page costs (docs/performance.md, `make bench`).
    paginator = CasePagination()
    paginator.page_size_query_param = None
    try:
        rows = paginator.paginate_queryset(qs, Request(request))
    except NotFound:  # a stale or hand-edited cursor: start again from the first page
        query = urlencode({k: v for k, v in filters.items() if v})
        return redirect(f"{request.path}?{query}")
    page = KeysetPage(
        object_list=rows,
        next_query=urlsplit(paginator.get_next_link() or "").query,
        previous_query=urlsplit(paginator.get_previous_link() or "").query,
    )
    return render(
        request,
        "intake/case_list.html",
        {
            "page": page,
            "filters": filters,
            # The dropdowns' (value, label) pairs: labels resolved once per language, the
            # county's units from the cache (luodian_platform.picklists).
            "states": labels(State).items(),
            **picklists(),
            "querystring": "&".join(f"{k}={v}" for k, v in filters.items() if v),
        },
    )


@login_required
def case_detail_page(request, pk: int):
    case = case_get(user=request.user, pk=pk)
    if case is None:
        raise Http404
    names = available_actions(case, request.user)
    actions = [ACTIONS[n] for n in names if n in ACTIONS]
    panels = panels_for(case=case, user=request.user, request=request)
    writes_notes = may_write_notes(request.user)
    return render(
        request,
        "intake/case_detail.html",
        {
            "case": case,
            "parties": case.parties.all(),
            "events": case_timeline(case=case),
            "timeline": case_timeline_entries(case=case, user=request.user),
            "note_form": (
                NoteAddForm() if writes_notes and case.state not in NOTE_CLOSED_STATES else None
            ),
            "writes_notes": writes_notes,
            "actions": actions,
            "can_reveal": user_has_role(request.user, *REVEAL_ROLES),
            "main_panels": [(p.template, ctx) for p, ctx in panels if p.column == "main"],
            "side_panels": [(p.template, ctx) for p, ctx in panels if p.column == "side"],
        },
    )


@login_required
def case_action_page(request, pk: int, name: str):
    """GET shows the action's form; POST validates with the action's serializer and calls its
    service. A race or an illegal move comes back as a message on the page."""
    case = case_get(user=request.user, pk=pk)
    action = ACTIONS.get(name)
    if case is None or action is None:
        raise Http404
    if request.method != "POST" and name not in available_actions(case, request.user):
        # A form the user may not submit is not shown: no permission at all → 403; allowed
        # to the user but not in this state → back to the case with the reason.
        if not may_ever_perform(case, name, request.user):
            raise PermissionDenied
        messages.error(request, illegal_message(case, name, request.user))
        return redirect("intake:case_detail", pk=pk)
    # GET may pre-fill the form (the inbox links a flagged order's guidance into 不予受理).
    values, errors, status = request.GET, {}, 200
    if request.method == "GET" and action.initial is not None and not request.GET:
        values = action.initial(case)
    if request.method == "POST":
        serializer = action.serializer_class(data=request.POST, context={"request": request})
        values = request.POST
        if serializer.is_valid():
            data = serializer.validated_data
            try:
                action.perform(
                    case_id=pk, actor=request.user, data=data, expected_version=data.get("version")
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                errors = {k: [str(v)] for k, v in exc.fields.items()}
                status = 409 if exc.status == 409 else 400 if exc.status == 400 else exc.status
                if exc.status in (403, 409):
                    return redirect("intake:case_detail", pk=pk)
            else:
                messages.success(request, _("已完成「%(a)s」。") % {"a": action.label})
                return redirect("intake:case_detail", pk=pk)
        else:
            errors = {k: [str(e) for e in v] for k, v in serializer.errors.items()}
            status = 400
    fields = action_fields(action.serializer_class(context={"request": request}), values, errors)
    return render(
        request,
        "intake/case_action.html",
        {
            "case": case,
            "action": action,
            "fields": fields,
            "panels": [
                (p.template, ctx)
                for p, ctx in panels_for(case=case, user=request.user, request=request, action=name)
            ],
        },
        status=status,
    )


@role_required(Role.CLERK)
def workbench(request):
    recent = (
        case_list(user=request.user).filter(registered_by=request.user).order_by("-created_at")[:20]
    )
    return render(request, "intake/workbench.html", {"recent": recent})


# --- walk-in registration (登记流转窗口) ------------------------------------------------


def _party_input(data: dict) -> PartyInput:
    return PartyInput(
        role=data.get("role") or "",
        kind=data.get("kind") or Party.Kind.PERSON,
        name=data.get("name") or "",
        id_number=data.get("id_number") or "",
        credit_code=data.get("credit_code") or "",
        phone=data.get("phone") or "",
        address=data.get("address") or "",
    )


def _put_back_errors(exc: ServiceError, form, formset, rows: list[int]) -> list[str]:
    """Put the service's field errors (``title``, ``parties[1].phone``…) next to the fields
    they name; returns the errors that belong to the parties block as a whole."""
    block_errors = []
    for key, message in exc.fields.items():
        message = str(message)
        match = re.fullmatch(r"parties\[(\d+)\]\.(\w+)", key)
        if match and int(match.group(1)) < len(rows):
            party_form = formset.forms[rows[int(match.group(1))]]
            if match.group(2) in party_form.fields:
                party_form.add_error(match.group(2), message)
                continue
        if key in form.fields and key not in ("mode",):
            form.add_error(key, message)
        else:
            block_errors.append(message)
    return block_errors


@role_required(Role.CLERK)
def register_page(request):
    """One page: the case, any number of parties (added in the page by
    ``static/js/intake-register.js``), live duplicate suggestions, then a receipt."""
    party_errors: list[str] = []
    status = 200
    if request.method == "POST":
        form = RegistrationForm(request.POST)
        formset = PartyFormSet(request.POST, prefix="parties")
        forms_ok = form.is_valid()
        forms_ok = formset.is_valid() and forms_ok
        if forms_ok:
            rows = [i for i, f in enumerate(formset.forms) if not f.is_blank()]
            d = form.cleaned_data
            data = CaseInput(
                title=d["title"],
                facts=d["facts"],
                request=d["request"],
                category=d["category"],
                township=d["township"],
                place=d["place"],
                amount=d["amount"],
                people_count=d["people_count"],
                risk_level=d["risk_level"],
                is_group=d["is_group"],
                is_repeat=d["is_repeat"],
                is_violence_risk=d["is_violence_risk"],
                is_vulnerable=d["is_vulnerable"],
                parties=[_party_input(formset.forms[i].cleaned_data) for i in rows],
            )
            mode = d.get("mode") or "register"
            try:
                if mode == "on_spot":
                    case = case_register_on_spot(data=data, actor=request.user, answer=d["answer"])
                elif mode == "link":
                    if not d.get("link_to"):
                        raise ServiceError(
                            _("请先在疑似重复案件中选择要关联的案件。"),
                            fields={"link_to": _("请选择要关联的案件。")},
                        )
                    case = case_register_linked(data=data, actor=request.user, into_id=d["link_to"])
                else:
                    case = case_register(data=data, actor=request.user)
            except ServiceError as exc:
                messages.error(request, exc.message)
                party_errors = _put_back_errors(exc, form, formset, rows)
                status = exc.status if exc.status in (403, 409) else 400
            else:
                return redirect("intake:receipt", pk=case.pk)
        else:
            messages.error(request, _("登记信息有误,请按提示修改。"))
            party_errors = list(formset.non_form_errors())
            status = 400
    else:
        form = RegistrationForm()
        formset = PartyFormSet(prefix="parties", initial=INITIAL_PARTIES)
    if form.is_bound:
        form.mark_invalid()
    return render(
        request,
        "intake/register.html",
        {
            "form": form,
            "formset": formset,
            "party_errors": party_errors,
            "categories_on_spot": [c.pk for c in Category.objects.filter(kind__in=ON_SPOT_KINDS)],
        },
        status=status,
    )


def _posted_parties(post) -> list[dict]:
    out = []
    for key, value in post.items():
        m = re.fullmatch(r"parties-(\d+)-(role|name|id_number|phone)", key)
        if m:
            idx = int(m.group(1))
            while len(out) <= idx:
                out.append({})
            out[idx][m.group(2)] = value.strip()
    return out[:50]


@role_required(Role.CLERK, Role.DISPATCHER)
@require_POST
@throttled("lookup")
def register_duplicates(request):
    """htmx partial: possible duplicates and earlier cases of the same people, masked."""
    parties = _posted_parties(request.POST)
    ids = [normalize_id_number(p.get("id_number", "")) for p in parties]
    phones = [normalize_phone(p.get("phone", "")) for p in parties]
    respondents = [
        p.get("name", "") for p in parties if p.get("role") == Party.PartyRole.RESPONDENT
    ]
    hits = duplicate_lookup(
        actor=request.user, id_numbers=ids, phones=phones, respondent_names=respondents
    )
    applicants = [p for p in parties if p.get("role") == Party.PartyRole.APPLICANT]
    earlier = earlier_cases_of_applicants(
        id_numbers=[normalize_id_number(p.get("id_number", "")) for p in applicants],
        phones=[normalize_phone(p.get("phone", "")) for p in applicants],
    )
    try:
        people = int(request.POST.get("people_count") or 1)
    except ValueError:
        people = 1
    people = max(people, sum(1 for p in applicants if p.get("name")))
    return render(
        request,
        "intake/_duplicates.html",
        {
            "hits": hits,
            "suggest_repeat": earlier > 0,
            "earlier": earlier,
            "suggest_group": people >= settings.GROUP_DISPUTE_THRESHOLD,
            "threshold": settings.GROUP_DISPUTE_THRESHOLD,
            "window_days": settings.DUPLICATE_WINDOW_DAYS,
        },
    )


@login_required
def receipt_page(request, pk: int):
    """The printable receipt (回执)."""
    case = case_get(user=request.user, pk=pk)
    if case is None:
        raise Http404
    # The QR code opens the citizens' progress lookup with the number filled in (the
    # citizen app's public page, named by URL only: intake imports nothing downstream).
    lookup = public_url(reverse("citizen:lookup") + "?" + urlencode({"case": case.number}))
    return render(
        request,
        "intake/receipt.html",
        {
            "case": case,
            "parties": case.parties.all(),
            "expected": expected_time(case),
            "next_steps": next_steps(case),
            "lookup_url": lookup,
            "lookup_qr": qr_svg(lookup, title=_("扫码查询办理进度")),
        },
    )


# --- the channel inbox (一键接单) --------------------------------------------------------


@role_required(Role.DISPATCHER)
def inbox_page(request):
    page = Paginator(inbox_list(user=request.user), 50).get_page(request.GET.get("page"))
    rows = []
    for case in page.object_list:
        order = getattr(case, "channel_order", None)
        kind = order.other_proceeding if order else ""
        rows.append(
            {
                "case": case,
                "order": order,
                "flag": OtherProceeding(kind).label if kind else "",
                "guidance": guidance_for(kind),
                "reject_query": urlencode(
                    {"reason": guidance_for(kind), "route_to": route_to_for(kind)}
                )
                if kind
                else "",
            }
        )
    return render(request, "intake/inbox.html", {"page": page, "rows": rows})


@role_required(Role.DISPATCHER)
@require_POST
def inbox_take_in(request):
    """一键接单 (the row's button posts ``one``) or 批量接单 (the ticked ``selected`` rows)."""
    raw = [request.POST["one"]] if request.POST.get("one") else request.POST.getlist("selected")
    ids = [int(v) for v in raw if v.isdigit()]
    if not ids:
        messages.error(request, _("请先勾选要接单的工单。"))
        return redirect("intake:inbox")
    result = case_take_in_many(case_ids=ids, actor=request.user)
    if result.done:
        messages.success(
            request,
            _("已接单 %(n)d 件:%(numbers)s")
            % {"n": len(result.done), "numbers": "、".join(c.number for c in result.done)},
        )
    for _case_id, message in result.failed:
        messages.error(request, message)
    return redirect("intake:inbox")


@login_required
@throttled("reveal")
def party_reveal_page(request, pk: int):
    """A deliberate, logged reveal of a party's full ID number and phone (POST with a reason)."""
    from .services import party_reveal

    party = (
        Party.objects.select_related("case")
        .filter(pk=pk, case__in=Case.objects.visible_to(request.user))
        .first()
    )
    if party is None:
        raise Http404
    if not user_has_role(request.user, *REVEAL_ROLES):
        raise PermissionDenied
    values, error = None, ""
    if request.method == "POST":
        try:
            values = party_reveal(
                party_id=pk, actor=request.user, reason=request.POST.get("reason", "")
            )
        except ServiceError as exc:
            if exc.status == 403:
                raise PermissionDenied from exc
            error = next(iter(exc.fields.values()), exc.message)
    return render(
        request,
        "intake/party_reveal.html",
        {"party": party, "case": party.case, "values": values, "error": error},
        status=400 if error else 200,
    )
