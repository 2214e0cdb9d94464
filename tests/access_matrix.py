"""Who may use which URL: one table for every named URL in the project.

``tests/test_access_matrix.py`` enumerates the URL resolver (recursively, /api/ included) and
fails for any URL name that has no row here, so a new endpoint cannot ship without stating
its access. For each row the suite tries:

* anonymous            → pages redirect to the login page, the API answers 401/403;
* every role not listed → 403 or 404 (lists may instead answer an empty result: ``lists``);
* another department's / another clerk's object (``idor``) with each department-scoped
  allowed role → 404 (case numbers cannot be probed);
* each listed role     → 2xx/3xx (``ok``), or for lifecycle actions "passed access control".

Adding a URL: add one line to ``MATRIX`` with ``page(...)``, ``api(...)``, ``action(...)`` or
``public(...)``. ``roles`` are persona names (``ROLES`` below, "admin" is the superuser);
``kwargs`` builds the URL's arguments from the ``World`` (fresh objects per request are
fine: builders are called for every request); ``data`` builds a POST body. If an object
cannot be built yet, use ``pending="why"``: the row is reported as skipped, never silently
passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group

# Personas (see tests/conftest.py): one user per role, plus "outsider" (no role).
ROLES = ("clerk", "dispatcher", "officer", "mediator", "followup", "supervisor", "admin")
PERSONAS = (*ROLES, "outsider")
# Roles whose view of cases is limited to their department / their own registrations: the
# ones an IDOR attempt is made with.
SCOPED = {"clerk", "officer", "mediator", "followup"}
COUNTY = {"dispatcher", "supervisor", "admin"}
SEES_CASE = {"clerk", "dispatcher", "officer", "mediator", "supervisor", "admin"}

# Excluded from the matrix, each for a reason:
EXCLUDED_NAMESPACES = {
    "admin": "Django admin: its own login and per-model permissions (is_staff/superuser)",
}
EXCLUDED_NAMES = {
    "api:schema": "OpenAPI description of the API's shape, no data; public by design",
    "api:docs": "Swagger UI page (sidecar assets) for the schema above; no data",
}
# Static files are served by the web server / whitenoise, not by a URL pattern here.

OK = frozenset(range(200, 400))
# Lifecycle actions: the listed role has passed the role/department check; 400/409 mean the
# request reached input validation or the state machine.
ACCESS_PASSED = frozenset(range(200, 400)) | {400, 409}


class World:
    """Objects the rows point at: a case of 人社局 (rsj) registered by ``clerk``, and a
    "foreign" one of 司法局 (sfj) registered by another clerk."""

    def __init__(self, users: dict[str, Any]):
        self.users = users
        self._cache: dict[str, Any] = {}

    def _other_clerk(self):
        from luodian_platform.models import User

        user, created = User.objects.get_or_create(
            username="clerk_other", defaults={"full_name": "另一窗口"}
        )
        if created:
            user.groups.add(Group.objects.get(name="clerk"))
        return user

    def case_in(self, state: str = "dispatched", *, foreign: bool = False):
        """A new case in ``state`` (set directly: this is a fixture, not a workflow)."""
        from django.utils import timezone

        from intake.models import Case
        from intake.services import case_register
        from luodian_platform.models import Department
        from tests.conftest import make_case_input

        clerk = self._other_clerk() if foreign else self.users["clerk"]
        case = case_register(data=make_case_input(), actor=clerk)
        dept = Department.objects.get(code="sfj" if foreign else "rsj")
        now = timezone.now()
        fields: dict[str, Any] = {"state": state}
        if state not in ("received", "registered"):
            fields.update(department=dept, dispatched_at=now, due_at=now + timezone.timedelta(10))
        if state == "suspended":
            fields.update(suspended_from="accepted", suspended_at=now)
        if state in ("replied", "closed", "archived"):
            fields.update(outcome="handled", reply_document="答复书", replied_at=now)
        if state in ("closed", "archived"):
            fields.update(closed_at=now)
        Case.objects.filter(pk=case.pk).update(**fields)
        return Case.objects.get(pk=case.pk)

    @property
    def case(self):
        if "case" not in self._cache:
            self._cache["case"] = self.case_in("accepted")
        return self._cache["case"]

    @property
    def foreign_case(self):
        if "foreign" not in self._cache:
            self._cache["foreign"] = self.case_in("accepted", foreign=True)
        return self._cache["foreign"]


Builder = Callable[[World], dict]


@dataclass(frozen=True)
class Rule:
    kind: str  # "page" | "api" | "public"
    roles: frozenset[str] = frozenset()
    method: str = "get"
    kwargs: Builder | None = None
    data: Builder | None = None
    idor: Builder | None = None  # kwargs of an object the scoped allowed roles must not see
    ok: frozenset[int] = OK
    lists: bool = False  # wrong roles may get 200 with an empty list instead of 403/404
    api_format: str = "json"
    pending: str = ""
    # A known defect found by this suite and reported to its owner: the row runs as xfail
    # (non-strict) until fixed. Remove the text when the owner fixes it.
    known_gap: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)


def _case(w: World) -> dict:
    return {"pk": w.case.pk}


def _foreign(w: World) -> dict:
    return {"pk": w.foreign_case.pk}


def page(roles, **kw) -> Rule:
    kw.setdefault("idor", _foreign if kw.get("kwargs") is _case else None)
    return Rule("page", frozenset(roles), **kw)


def api(roles, **kw) -> Rule:
    kw.setdefault("idor", _foreign if kw.get("kwargs") is _case else None)
    return Rule("api", frozenset(roles), **kw)


def public(method: str = "get", **kw) -> Rule:
    return Rule("public", frozenset(PERSONAS), method=method, **kw)


def action(roles, state: str, data: Builder | None = None, **kw) -> Rule:
    """``POST /api/cases/{id}/<action>/`` on a fresh case in a source state of the action."""
    return Rule(
        "api",
        frozenset(roles),
        method="post",
        kwargs=lambda w: {"pk": w.case_in(state).pk},
        idor=lambda w: {"pk": w.case_in(state, foreign=True).pk},
        data=data,
        ok=ACCESS_PASSED,
        **kw,
    )


def _dept(code: str) -> Builder:
    return lambda w: {"department": code}


# Rows whose objects (extensions, supervisions, sessions, agreements…) other engineers are
# building right now: the roles are stated from the views' decorators; the builders follow.
P5 = "object/roles builder to be completed with dispatch (issue 5)"
P6 = "object/roles builder to be completed with mediation (issue 6)"
MEDIATION = {"mediator", "officer", "dispatcher", "supervisor"}
LEGAL = {"clerk", "officer", "mediator", "dispatcher", "admin"}
HANDLERS = {"officer", "mediator"}  # of the case's department (django_fsm permission)
DISPATCH = {"dispatcher", "admin"}

MATRIX: dict[str, Rule] = {
    # --- platform -------------------------------------------------------------------
    "home": page(ROLES, note="each role is redirected to its workbench"),
    "login": public(),
    "logout": public("post"),
    "set_language": public("post", data=lambda w: {"language": "en", "next": "/"}),
    "api:ping": public(),
    "audit:log": page({"supervisor", "admin"}),
    "api:audit-list": api({"supervisor", "admin"}),
    # --- intake ---------------------------------------------------------------------
    "intake:workbench": page({"clerk", "admin"}),
    "intake:register": page({"clerk", "admin"}),
    "intake:register_duplicates": page(
        {"clerk", "dispatcher", "admin"}, method="post", data=lambda w: {"form-TOTAL_FORMS": "0"}
    ),
    "intake:inbox": page({"dispatcher", "admin"}),
    "intake:inbox_take_in": page({"dispatcher", "admin"}, method="post", data=lambda w: {}),
    "intake:case_list": page(ROLES, lists=True, note="filtered by Case.objects.visible_to"),
    "intake:case_detail": page(SEES_CASE, kwargs=_case),
    "intake:receipt": page(SEES_CASE, kwargs=_case),
    "intake:case_action": page(
        SEES_CASE,
        kwargs=lambda w: {"pk": w.case.pk, "name": "suspend"},
        idor=lambda w: {"pk": w.foreign_case.pk, "name": "suspend"},
        note="GET shows the form to whoever sees the case; the FSM permission decides the POST",
    ),
    "intake:party_reveal": page(
        {"dispatcher", "officer", "mediator", "admin"},
        kwargs=lambda w: {"pk": w.case.parties.first().pk},
        idor=lambda w: {"pk": w.foreign_case.parties.first().pk},
        note="clerks and supervisors work with masked values",
    ),
    "api:party-reveal": api(
        {"dispatcher", "officer", "mediator", "admin"},
        method="post",
        kwargs=lambda w: {"pk": w.case.parties.first().pk},
        idor=lambda w: {"pk": w.foreign_case.parties.first().pk},
        data=lambda w: {"reason": "核实身份"},
    ),
    "api:case-list": api(ROLES, lists=True),
    "api:case-detail": api(SEES_CASE, kwargs=_case),
    "api:channel-orders": api(
        set(), method="post", pending="channel tokens only: see test_channel_* in intake tests"
    ),
    "api:channel-orders-bulk": api(
        set(), method="post", pending="channel tokens only: see test_channel_* in intake tests"
    ),
    # lifecycle actions (intake.actions registry), on a case in a source state
    "api:case-take_in": action(DISPATCH, "received"),
    "api:case-reject": action(DISPATCH, "registered", lambda w: {"reason": "不属于受理范围"}),
    "api:case-merge": action(
        DISPATCH | {"clerk"}, "registered", lambda w: {"into": w.case_in("registered").number}
    ),
    "api:case-handle_on_spot": action({"clerk"}, "registered", lambda w: {"answer": "当场答复"}),
    "api:case-dispatch": action(DISPATCH, "registered", _dept("rsj")),
    "api:case-sign_for": action(HANDLERS, "dispatched"),
    "api:case-return_case": action(
        HANDLERS, "dispatched", lambda w: {"reason": "不属本部门", "legal_basis": "职责"}
    ),
    "api:case-start_mediation": action(HANDLERS, "accepted"),
    "api:case-suspend": action(HANDLERS, "accepted", lambda w: {"reason": "等待鉴定"}),
    "api:case-resume": action(HANDLERS, "suspended"),
    "api:case-reply": action(
        HANDLERS,
        "accepted",
        lambda w: {"outcome": "handled", "text": "已答复", "document": "答复书"},
    ),
    "api:case-approve": action({"dispatcher", "supervisor", "admin"}, "replied"),
    "api:case-send_back": action(DISPATCH, "replied", lambda w: {"reason": "补充材料"}),
    "api:case-archive": action(
        DISPATCH | {"followup"},
        "closed",
        known_gap="followup may archive (FSM) but cannot see closed cases (visible_to): issue 7",
    ),
    "api:case-reopen": action(
        DISPATCH | {"followup", "supervisor"},
        "closed",
        lambda w: {"reason": "当事人不满意"},
        known_gap="followup may reopen (FSM) but cannot see closed cases (visible_to): issue 7",
    ),
    # --- dispatch -------------------------------------------------------------------
    "dispatch:workbench": page({"dispatcher", "supervisor", "admin"}),
    "dispatch:officer_workbench": page({"officer", "admin"}),
    "dispatch:corrections": page({"dispatcher", "supervisor", "admin"}),
    "dispatch:correction_new": page({"dispatcher", "supervisor", "admin"}),
    "dispatch:confirm_suggestion": page(DISPATCH, method="post", kwargs=_case, pending=P5),
    "dispatch:extension_request": page(HANDLERS, kwargs=_case, pending=P5),
    "dispatch:extension_decide": page(DISPATCH, kwargs=_case, pending=P5),
    "dispatch:supervision_create": page(COUNTY, kwargs=_case, pending=P5),
    "dispatch:supervision_respond": page(HANDLERS, kwargs=_case, pending=P5),
    "dispatch:correction_feedback": page(HANDLERS, kwargs=_case, pending=P5),
    "api:case-routing-suggestion": api(DISPATCH, kwargs=_case, pending=P5),
    "api:case-dispatch-suggested": api(DISPATCH, method="post", kwargs=_case, pending=P5),
    "api:case-extensions": api(SEES_CASE, kwargs=_case, pending=P5),
    "api:case-supervisions": api(SEES_CASE, kwargs=_case, pending=P5),
    "api:extension-list": api(ROLES, lists=True),
    "api:extension-decision": api(DISPATCH, method="post", pending=P5),
    "api:supervision-list": api(ROLES, lists=True),
    "api:supervision-response": api(HANDLERS, method="post", pending=P5),
    "api:correction-list": api(ROLES, lists=True),
    "api:correction-suggestions": api(COUNTY, pending=P5),
    "api:correction-feedback": api(HANDLERS, method="post", pending=P5),
    "api:correction-talk": api(COUNTY, method="post", pending=P5),
    # --- mediation ------------------------------------------------------------------
    "mediation:workbench": page(MEDIATION | {"admin"}),
    "mediation:legal_services": page(LEGAL | {"supervisor"}),
    "mediation:case": page(MEDIATION | {"admin"}, kwargs=_case, pending=P6),
    "mediation:session_new": page(MEDIATION | {"admin"}, kwargs=_case, pending=P6),
    "mediation:session_record": page(MEDIATION, pending=P6),
    "mediation:agreement_new": page(MEDIATION | {"admin"}, kwargs=_case, pending=P6),
    "mediation:notice_new": page(MEDIATION | {"admin"}, kwargs=_case, pending=P6),
    "mediation:agreement": page(SEES_CASE, pending=P6),
    "mediation:agreement_pdf": page(SEES_CASE, pending=P6),
    "mediation:notice": page(SEES_CASE, pending=P6),
    "mediation:notice_pdf": page(SEES_CASE, pending=P6),
    "mediation:referral_report": page(SEES_CASE, pending=P6),
    "mediation:referral_report_pdf": page(SEES_CASE, pending=P6),
    "api:mediator-list": api(ROLES, lists=True, pending=P6 + "; stated roles"),
    "api:legal-services": api(LEGAL, lists=True, pending=P6 + "; stated roles"),
    "api:legal-aid-decide": api(LEGAL, method="post", pending=P6),
    "api:legal-aid-lawyer": api(LEGAL, method="post", pending=P6),
    "api:case-agreements": api(SEES_CASE, kwargs=_case, pending=P6),
    "api:case-notices": api(SEES_CASE, kwargs=_case, pending=P6),
    "api:case-sessions": api(SEES_CASE, kwargs=_case, pending=P6),
    "api:case-court-referral": api(HANDLERS, method="post", kwargs=_case, pending=P6),
    "api:case-joint-mediation": api(HANDLERS, method="post", kwargs=_case, pending=P6),
    "api:case-mediator-assign": api(HANDLERS, method="post", kwargs=_case, pending=P6),
    "api:case-mediator-suggestions": api(HANDLERS, kwargs=_case, pending=P6),
    "api:agreement-detail": api(SEES_CASE, pending=P6),
    "api:agreement-pdf": api(SEES_CASE, pending=P6),
    "api:agreement-sign": api(HANDLERS, method="post", pending=P6),
    "api:notice-detail": api(SEES_CASE, pending=P6),
    "api:notice-pdf": api(SEES_CASE, pending=P6),
    "api:session-record": api(HANDLERS, method="post", pending=P6),
    "api:referral-extend": api(HANDLERS, method="post", pending=P6),
    "api:referral-report": api(SEES_CASE, pending=P6),
    "api:jc-detail": api(SEES_CASE, pending=P6),
    "api:jc-apply": api(HANDLERS, method="post", pending=P6),
    "api:jc-accept": api(HANDLERS, method="post", pending=P6),
    "api:jc-decide": api(HANDLERS, method="post", pending=P6),
    "api:jc-extend": api(HANDLERS, method="post", pending=P6),
    # --- followup -------------------------------------------------------------------
    "followup:workbench": page({"followup", "admin"}),
    "followup:dashboard": page({"supervisor", "admin"}),
    "followup:notifications": page(PERSONAS, note="each user's own notifications only"),
    "followup:notifications_read": page(PERSONAS, method="post", note="own notifications only"),
}


# --- enumerating the URL configuration ---------------------------------------------------


def all_url_names() -> tuple[dict[str, str], list[str]]:
    """({"namespace:name": route}, [routes without a name]) for every URL pattern, recursively,
    minus the excluded namespaces."""
    from django.urls import URLPattern, URLResolver, get_resolver

    named: dict[str, str] = {}
    unnamed: list[str] = []

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in EXCLUDED_NAMESPACES:
                    continue
                ns = ":".join(x for x in (namespace, p.namespace) if x) or None
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if not p.name:
                    unnamed.append(route)
                    continue
                name = f"{namespace}:{p.name}" if namespace else p.name
                if name not in EXCLUDED_NAMES:
                    named.setdefault(name, route)

    walk(get_resolver().url_patterns, "/", None)
    return named, unnamed


# --- making a request as a persona -------------------------------------------------------


def request_as(name: str, rule: Rule, user, world: World, *, idor: bool = False):
    """Send the row's request for URL ``name`` as ``user`` (None: anonymous)."""
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    builder = rule.idor if idor else rule.kwargs
    url = reverse(name, kwargs=builder(world) if builder else None)
    data = rule.data(world) if rule.data else {}
    if rule.kind == "api":
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return getattr(client, rule.method)(url, data, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    return getattr(client, rule.method)(url, data)
