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
``kwargs`` builds the URL's arguments from the ``World`` (builders are called for every
request): ``_case``, ``_on("extension")`` (an object and, for ``idor``, its 司法局 twin) or
fresh objects (``w.case_in(state)``); ``data`` builds a POST body. Objects are built
through the owning app's services by ``World._build_<kind>``, once per test module (see
``World.obj``); a new kind is a new ``_build_`` method. If an object cannot be built yet,
use ``pending="why"``: the row is reported as skipped, never silently passed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group

from tests.file_samples import signed_scan

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


_SLOT = itertools.count()


class World:
    """Objects the rows point at: a case of 人社局 (rsj) registered by ``clerk``, a
    "foreign" one of 司法局 (sfj) registered by another clerk, and objects hanging off such
    cases (extensions, sessions, agreements…), each built through the owning app's services.

    ``obj(kind, foreign=...)`` builds an object once and keeps it: the suite builds one World
    per test module (inside a transaction rolled back at the end) and gives each test a
    ``fork()``, so objects are shared across rows while each test's writes roll back."""

    def __init__(self, users: dict[str, Any], cache: dict | None = None):
        self.users = users
        self._cache: dict[Any, Any] = dict(cache or {})

    def fork(self) -> World:
        world = World(self.users, self._cache)
        world.clients = getattr(self, "clients", None)
        return world

    def _named(self, username: str):
        from luodian_platform.models import User

        key = ("user", username)
        if key not in self._cache:
            self._cache[key] = User.objects.select_related("department").get(username=username)
        return self._cache[key]

    def _other_clerk(self):
        from luodian_platform.models import User

        key = ("user", "clerk_other")
        if key not in self._cache:
            user, created = User.objects.get_or_create(
                username="clerk_other", defaults={"full_name": "另一窗口"}
            )
            if created:
                user.groups.add(Group.objects.get(name="clerk"))
            self._cache[key] = user
        return self._cache[key]

    def handler(self, foreign: bool = False):
        """The officer of the case's department: 人社局 ``officer`` or 司法局 ``officer2``."""
        return self._named("officer2") if foreign else self.users["officer"]

    def case_in(
        self, state: str = "dispatched", *, foreign: bool = False, category: str = "labour", **extra
    ):
        """A new case in ``state`` (set directly: this is a fixture, not a workflow)."""
        from django.utils import timezone

        from intake.models import Case
        from intake.services import case_register
        from luodian_platform.models import Department
        from tests.conftest import make_case_input

        clerk = self._other_clerk() if foreign else self.users["clerk"]
        case = case_register(data=make_case_input(category), actor=clerk)
        dept = Department.objects.get(code="sfj" if foreign else "rsj")
        now = timezone.now()
        fields: dict[str, Any] = {"state": state, **extra}
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
        return self.obj("case")

    @property
    def foreign_case(self):
        return self.obj("case", foreign=True)

    def obj(self, kind: str, *, foreign: bool = False):
        """The ``kind`` object (see ``_build_<kind>``) on a 人社局 or a 司法局 case, built once."""
        key = (kind, foreign)
        if key not in self._cache:
            self._cache[key] = getattr(self, f"_build_{kind}")(foreign)
        return self._cache[key]

    # --- intake / dispatch ---------------------------------------------------------------

    def _build_case(self, foreign: bool):
        return self.case_in("accepted", foreign=foreign)

    def _build_extendable(self, foreign: bool):
        """An accepted neighbour dispute (人民调解: one extension allowed; labour: none)."""
        return self.case_in("accepted", foreign=foreign, category="neighbour")

    def _build_extension(self, foreign: bool):
        from dispatch.services import extension_request

        case = self._build_extendable(foreign)
        return extension_request(case_id=case.pk, actor=self.handler(foreign), reason="等待鉴定")

    def _build_supervision(self, foreign: bool):
        from dispatch.services import supervision_create

        case = self.case_in("accepted", foreign=foreign)
        return supervision_create(
            case_id=case.pk, level=1, actor=self.users["dispatcher"], message="请加快办理"
        )

    def _correction(self, foreign: bool, measure: str):
        from dispatch.services import correction_create

        case = self.case_in("accepted", foreign=foreign)
        return correction_create(
            actor=self.users["dispatcher"],
            case_id=case.pk,
            department=case.department,
            problem="late_handling",
            measure=measure,
            description="超过办理时限未答复",
        )

    def _build_correction(self, foreign: bool):
        return self._correction(foreign, "rectify")

    def _build_talk(self, foreign: bool):
        return self._correction(foreign, "talk")

    def _build_stall(self, foreign: bool):
        """A 久未进展 row as the sweep writes it (set directly: a fixture, not the sweep)."""
        from django.utils import timezone

        from dispatch.models import Stall

        case = self.case_in("accepted", foreign=foreign)
        return Stall.objects.create(
            case=case, since=timezone.now() - timezone.timedelta(days=10), workdays=3
        )

    def _build_note(self, foreign: bool):
        """A progress note written by the department's officer (its author) just now."""
        from intake.notes import note_add

        case = self.case_in("accepted", foreign=foreign)
        return note_add(
            case_id=case.pk, actor=self.handler(foreign), kind="phone", text="电话联系用人单位"
        )

    # --- mediation -----------------------------------------------------------------------

    @property
    def wei(self):
        """韦国强, a member of the labour mediation committee (no login of his own)."""
        from mediation.models import Mediator

        if "wei" not in self._cache:
            self._cache["wei"] = Mediator.objects.get(name="韦国强", kind="committee")
        return self._cache["wei"]

    @property
    def lawyer(self):
        from mediation.models import Mediator

        if "lawyer" not in self._cache:
            self._cache["lawyer"] = Mediator.objects.get(name="刘志远", kind="lawyer")
        return self._cache["lawyer"]

    def _build_assigned(self, foreign: bool):
        """An accepted case with 韦国强 assigned (by the department's officer)."""
        from mediation.services import mediator_assign

        case = self.case_in("accepted", foreign=foreign)
        mediator_assign(case_id=case.pk, mediator_id=self.wei.pk, actor=self.handler(foreign))
        return case

    def _build_session(self, foreign: bool):
        import datetime as dt

        from django.utils import timezone

        from mediation.services import session_book

        case = self._build_assigned(foreign)
        starts = timezone.now() + dt.timedelta(days=5, hours=2 * next(_SLOT))
        return session_book(
            case_id=case.pk,
            actor=self.handler(foreign),
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            mediator_ids=[self.wei.pk],
            on_site_place="龙坪镇司法所",
            confirm_off_hours=True,  # any hour: this row is about access, not the clock
        )

    def agreement_body(self, case, *, signed: bool = False) -> dict:
        """Keyword arguments of ``agreement_record`` (and, as JSON, of the API)."""
        import datetime as dt

        from django.utils import timezone

        from mediation import services

        return {
            "mediator_id": self.wei.pk,
            "facts": "拖欠工资三个月。",
            "issues": "工资数额。",
            "liabilities": "被申请人承担支付责任。",
            "parties": [
                services.AgreementPartyInput(
                    party_id=p.pk, sign_method="signature" if signed else ""
                )
                for p in case.parties.all()
            ],
            "terms": [
                services.AgreementTermInput(
                    content="支付工资12000元",
                    performance_method="银行转账",
                    due_at=timezone.now() + dt.timedelta(days=7),
                )
            ],
            "mediator_signed": signed,
            "committee_sealed": signed,
            # The printed paper's scan: signing on paper needs it (mediation.services.paper).
            "scans": [signed_scan()],
        }

    def _agreement(self, foreign: bool, *, signed: bool):
        from luodian_platform.models import Department
        from mediation.services import agreement_record

        case = self._build_assigned(foreign)
        return agreement_record(
            case_id=case.pk,
            actor=self.handler(foreign),
            committee=Department.objects.get(code="tj-labour"),
            **self.agreement_body(case, signed=signed),
        )

    def _build_agreement(self, foreign: bool):
        """A draft agreement (not signed yet)."""
        return self._agreement(foreign, signed=False)

    def _build_jc(self, foreign: bool):
        """The judicial-confirmation window of an agreement that took effect."""
        return self._agreement(foreign, signed=True).judicial_confirmation

    def _build_jc_applied(self, foreign: bool):
        from mediation.services import judicial_confirmation_apply

        jc = self._build_jc(foreign)
        return judicial_confirmation_apply(jc_id=jc.pk, actor=self.handler(foreign))

    def _build_jc_accepted(self, foreign: bool):
        from mediation.services import judicial_confirmation_accept

        jc = self._build_jc_applied(foreign)
        return judicial_confirmation_accept(jc_id=jc.pk, actor=self.handler(foreign))

    def _build_notice(self, foreign: bool):
        from mediation.services import notice_record

        case = self.case_in("accepted", foreign=foreign)
        return notice_record(case_id=case.pk, actor=self.handler(foreign), reason="双方分歧较大")

    def _build_court_case(self, foreign: bool):
        return self.case_in("accepted", foreign=foreign, channel="court")

    def _build_referral(self, foreign: bool):
        from mediation.services import court_referral_register

        case = self._build_court_case(foreign)
        return court_referral_register(
            case_id=case.pk, actor=self.handler(foreign), court_reference="(2026)黔0728诉前调1号"
        )

    def _build_legal_aid(self, foreign: bool):
        """A legal-aid application taken at the window, not tied to a case."""
        from mediation.services import legal_service_record

        clerk = self._other_clerk() if foreign else self.users["clerk"]
        return legal_service_record(
            actor=clerk, kind="legal_aid", person_name="王小明", summary="申请法律援助"
        )

    def _build_legal_aid_approved(self, foreign: bool):
        from mediation.services import legal_aid_decide

        row = self._build_legal_aid(foreign)
        return legal_aid_decide(
            service_id=row.pk, actor=self.users["dispatcher"], decision="approved"
        )

    def _build_petition(self, foreign: bool):
        """A petition case of the department with its chain registered (awaiting acceptance)."""
        from mediation.services import petition_register

        case = self.case_in("accepted", foreign=foreign, category="petition")
        return petition_register(case_id=case.pk, actor=self.handler(foreign))

    def _build_petition_decided(self, foreign: bool):
        """A petition accepted: its 受理告知书 issued."""
        from mediation.services import petition_decide

        record = self._build_petition(foreign)
        return petition_decide(petition_id=record.pk, actor=self.handler(foreign), accept=True)

    def _build_petition_replied(self, foreign: bool):
        """A petition handled: its 信访处理意见书 issued (the 30 days for 复查 running)."""
        from mediation.services import petition_decide, petition_reply

        record = self._build_petition(foreign)
        petition_decide(petition_id=record.pk, actor=self.handler(foreign), accept=True)
        return petition_reply(
            petition_id=record.pk,
            actor=self.handler(foreign),
            facts="经查,反映的工资拖欠属实。",
            opinion="责令用人单位支付拖欠工资。",
            basis="《保障农民工工资支付条例》第三条",
            review_body="黔南州人力资源和社会保障局",
        )

    def _build_labour(self, foreign: bool):
        """A labour case with its mediation registered (the 15 days running)."""
        from mediation.services import labour_register

        case = self.case_in("accepted", foreign=foreign)
        return labour_register(case_id=case.pk, actor=self.handler(foreign))

    # --- followup ------------------------------------------------------------------------

    def _followup_officer(self, foreign: bool):
        """``followup``, or for the foreign object another follow-up officer."""
        if not foreign:
            return self.users["followup"]
        from luodian_platform.models import User

        key = ("user", "followup_other")
        if key not in self._cache:
            user, created = User.objects.get_or_create(
                username="followup_other", defaults={"full_name": "另一回访员"}
            )
            if created:
                user.groups.add(Group.objects.get(name="followup"))
            self._cache[key] = user
        return self._cache[key]

    def visited_case(self, *, foreign: bool = False):
        """A new closed case whose visits are assigned to ``followup`` (foreign: another
        follow-up officer): what a follow-up officer archives or reopens."""
        return self._build_visit(foreign).case

    def _build_visit(self, foreign: bool):
        """The first visit of a closed case, assigned to ``followup`` (foreign: another
        follow-up officer)."""
        from followup.models import Visit
        from followup.services import visits_schedule

        case = self.case_in("closed", foreign=foreign)
        visits_schedule(case=case)
        Visit.objects.filter(case=case).update(assignee=self._followup_officer(foreign))
        return Visit.objects.select_related("case").filter(case=case).order_by("seq").first()

    # --- evidence files --------------------------------------------------------------------

    def _upload(self, foreign: bool, name: str, data: bytes, kind: str):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from intake.evidence.services import attachment_upload

        case = self.obj("case", foreign=foreign)
        clerk = self._other_clerk() if foreign else self.users["clerk"]
        attachment, _created = attachment_upload(
            case_id=case.pk, actor=clerk, upload=SimpleUploadedFile(name, data), kind=kind
        )
        return attachment

    def _build_file(self, foreign: bool):
        from tests import file_samples

        return self._upload(foreign, "劳动合同.pdf", file_samples.pdf(f"合同{foreign}"), "contract")

    def _build_photo(self, foreign: bool):
        from tests import file_samples

        return self._upload(foreign, "现场照片.png", file_samples.png(), "photo")

    def prebuild(self) -> None:
        """Build every ``_build_*`` object, on a 人社局 and a 司法局 case."""
        for name in sorted(dir(self)):
            if name.startswith("_build_"):
                for foreign in (False, True):
                    self.obj(name.removeprefix("_build_"), foreign=foreign)


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


def _signature_png() -> str:
    """A drawn signature as the pad posts it (a PNG data URL)."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255), width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _case(w: World) -> dict:
    return {"pk": w.case.pk}


def _foreign(w: World) -> dict:
    return {"pk": w.foreign_case.pk}


def _on(kind: str, **extra: Builder) -> dict:
    """kwargs / idor of a row about one object: the 人社局 one, and the 司法局 one for the
    department-scoped roles (which must get 404)."""

    def build(foreign: bool) -> Builder:
        def kwargs(w: World) -> dict:
            obj = w.obj(kind, foreign=foreign)
            return {"pk": obj.pk, **{k: f(obj) for k, f in extra.items()}}

        return kwargs

    return {"kwargs": build(False), "idor": build(True)}


def _case_of(kind: str) -> dict:
    """kwargs / idor pointing at the case an object hangs on (``pk`` = the case)."""
    return {
        "kwargs": lambda w: {"pk": w.obj(kind).pk},
        "idor": lambda w: {"pk": w.obj(kind, foreign=True).pk},
    }


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
    kw.setdefault("kwargs", lambda w: {"pk": w.case_in(state).pk})
    kw.setdefault("idor", lambda w: {"pk": w.case_in(state, foreign=True).pk})
    return Rule(
        "api",
        frozenset(roles),
        method="post",
        data=data,
        ok=ACCESS_PASSED,
        **kw,
    )


def _agreement_json(w: World) -> dict:
    """An agreement draft for the API, on the case where 韦国强 is assigned."""
    body = w.agreement_body(w.obj("assigned"))
    return {
        "committee": "tj-labour",
        "mediator": body["mediator_id"],
        "facts": body["facts"],
        "issues": body["issues"],
        "liabilities": body["liabilities"],
        "parties": [{"party": p.party_id} for p in body["parties"]],
        "terms": [
            {
                "content": t.content,
                "performance_method": t.performance_method,
                "due_at": t.due_at.isoformat(),
            }
            for t in body["terms"]
        ],
    }


def _open311_request(w: World) -> dict:
    """A request filed through Open311 (the only kind its public reads show)."""
    from intake.channel import channel_order_submit
    from intake.models import Case

    from .conftest import make_case_input

    case = Case.objects.filter(external_id="o311-matrix").first()
    if case is None:
        data = make_case_input(channel="pingan_app", external_id="o311-matrix")
        case = channel_order_submit(
            channel="pingan_app", data=data, payload={}, source="open311"
        ).case
    return {"request_id": case.number, "fmt": "json"}


_UPLOADS = itertools.count()


def _upload_body() -> dict:
    """A new PDF each time (the same content twice would be the same file)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests import file_samples

    n = next(_UPLOADS)
    return {
        "file": SimpleUploadedFile(f"材料{n}.pdf", file_samples.pdf(f"材料{n}")),
        "kind": "evidence",
    }


def _dept(code: str) -> Builder:
    return lambda w: {"department": code}


MEDIATION = {"mediator", "officer", "dispatcher", "supervisor"}  # mediation pages' role_required
# mediation.services.may_mediate: the case department's officers and mediators, the dispatch room
MEDIATES = {"officer", "mediator", "dispatcher", "admin"}
LEGAL = {"clerk", "officer", "mediator", "dispatcher", "admin"}
HANDLERS = {"officer", "mediator"}  # of the case's department (django_fsm permission)
DISPATCH = {"dispatcher", "admin"}
VISITS = {"followup", "dispatcher", "supervisor", "admin"}  # a visit: its assignee, the county

MATRIX: dict[str, Rule] = {
    # --- platform -------------------------------------------------------------------
    "home": page(ROLES, note="each role is redirected to its workbench"),
    "login": public(),
    "my_tokens": page(ROLES, note="each user's own API tokens (luodian_platform.tokens)"),
    "logout": public("post"),
    "set_language": public("post", data=lambda w: {"language": "en", "next": "/"}),
    "api:ping": public(),
    # Open311 GeoReport v2: public reads (no personal data), filing with api_key = a channel
    # token (tests/test_intake_open311.py); no staff session opens or changes anything here.
    "open311:discovery": public(kwargs=lambda w: {"fmt": "json"}),
    "open311:services": public(kwargs=lambda w: {"fmt": "json"}),
    "open311:service-definition": public(kwargs=lambda w: {"code": "labour", "fmt": "json"}),
    "open311:requests": public(kwargs=lambda w: {"fmt": "json"}),
    "open311:request-detail": public(kwargs=_open311_request),
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
    "intake:note_add": page({"clerk", "dispatcher", "officer", "mediator", "admin"}, kwargs=_case),
    "intake:note_edit": page(
        {"officer"},
        kwargs=lambda w: {"pk": w.obj("note").case_id, "note_id": w.obj("note").pk},
        idor=lambda w: {
            "pk": w.obj("note", foreign=True).case_id,
            "note_id": w.obj("note", foreign=True).pk,
        },
    ),
    "intake:case_action": page(
        {"officer", "mediator"},
        kwargs=lambda w: {"pk": w.case.pk, "name": "suspend"},
        idor=lambda w: {"pk": w.foreign_case.pk, "name": "suspend"},
        note="the form only for those who may submit it (FSM permission): others 403 (issue 23)",
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
    # Evidence files: the case's visibility; uploads by those who handle cases (not
    # supervisors or follow-up officers), personal documents: tests/test_intake_files.py.
    "intake:file_upload": page(
        {"clerk", "dispatcher", "officer", "mediator", "admin"},
        method="post",
        kwargs=_case,
        data=lambda w: _upload_body(),
    ),
    "intake:file_download": page(SEES_CASE, **_on("file")),
    "intake:file_thumbnail": page(SEES_CASE, **_on("photo")),
    "api:case-files": api(SEES_CASE, kwargs=_case),
    "api:file-download": api(SEES_CASE, **_on("file")),
    "api:case-detail": api(SEES_CASE, kwargs=_case),
    # Progress notes: everyone who sees the case reads them; the handlers and the centre
    # write (POST, tests/test_progress_notes.py); only the author edits, within the window.
    "api:case-notes": api(SEES_CASE, kwargs=_case),
    "api:case-note": api(
        {"officer"},
        method="patch",
        kwargs=lambda w: {"pk": w.obj("note").case_id, "note_id": w.obj("note").pk},
        idor=lambda w: {
            "pk": w.obj("note", foreign=True).case_id,
            "note_id": w.obj("note", foreign=True).pk,
        },
        data=lambda w: {"kind": "visit", "text": "上门走访"},
    ),
    # Channel tokens only (no user may post; the tokens' own tests: tests/test_intake_channel.py)
    "api:channel-orders": api(set(), method="post"),
    "api:channel-orders-bulk": api(set(), method="post"),
    "api:channel-order-status": api(set(), kwargs=lambda w: {"external_id": "H-1"}),
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
    # Follow-up officers act on the closed cases whose visits they hold (register_visibility).
    "api:case-archive": action(
        DISPATCH | {"followup"},
        "closed",
        kwargs=lambda w: {"pk": w.visited_case().pk},
        idor=lambda w: {"pk": w.visited_case(foreign=True).pk},
    ),
    "api:case-reopen": action(
        DISPATCH | {"followup", "supervisor"},
        "closed",
        lambda w: {"reason": "当事人不满意"},
        kwargs=lambda w: {"pk": w.visited_case().pk},
        idor=lambda w: {"pk": w.visited_case(foreign=True).pk},
    ),
    # --- dispatch -------------------------------------------------------------------
    "dispatch:workbench": page({"dispatcher", "supervisor", "admin"}),
    "dispatch:officer_workbench": page({"officer", "admin"}),
    "dispatch:corrections": page({"dispatcher", "supervisor", "admin"}),
    "dispatch:correction_new": page({"dispatcher", "supervisor", "admin"}),
    "api:stall-correction": api(
        {"dispatcher", "supervisor", "admin"},
        method="post",
        **_on("stall"),
        data=lambda w: {},
        ok=ACCESS_PASSED,
    ),
    "dispatch:stall_correct": page(
        {"dispatcher", "supervisor", "admin"}, method="post", **_on("stall"), data=lambda w: {}
    ),
    # Page forms (POST, redirect back with a message): a refusal answers 403/404.
    "dispatch:confirm_suggestion": page(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w.case_in("registered").pk},
        data=lambda w: {},
    ),
    "dispatch:extension_request": page(
        HANDLERS, method="post", **_case_of("extendable"), data=lambda w: {"reason": "等待鉴定"}
    ),
    "dispatch:extension_decide": page(
        DISPATCH, method="post", **_on("extension"), data=lambda w: {"approve": "true"}
    ),
    "dispatch:supervision_create": page(
        COUNTY, method="post", kwargs=_case, data=lambda w: {"level": "1", "message": "请加快"}
    ),
    "dispatch:supervision_respond": page(
        HANDLERS, method="post", **_on("supervision"), data=lambda w: {"response": "已加快办理"}
    ),
    "dispatch:correction_feedback": page(
        HANDLERS, method="post", **_on("correction"), data=lambda w: {"feedback": "已整改"}
    ),
    "api:case-routing-suggestion": api(
        SEES_CASE,
        kwargs=_case,
        note="read-only routing facts of a case the user sees (its returns are on the case page)",
    ),
    "api:case-dispatch-suggested": api(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w.case_in("registered").pk},
        data=lambda w: {},
        ok=ACCESS_PASSED,
    ),
    "api:case-extensions": api(SEES_CASE, kwargs=_case),
    "api:case-supervisions": api(SEES_CASE, kwargs=_case),
    "api:extension-list": api(ROLES, lists=True),
    "api:extension-decision": api(
        DISPATCH,
        method="post",
        **_on("extension"),
        data=lambda w: {"approve": True},
        ok=ACCESS_PASSED,
    ),
    "api:supervision-list": api(ROLES, lists=True),
    "api:supervision-response": api(
        HANDLERS,
        method="post",
        **_on("supervision"),
        data=lambda w: {"response": "已加快办理"},
        ok=ACCESS_PASSED,
    ),
    "api:correction-list": api(ROLES, lists=True),
    "api:correction-suggestions": api(COUNTY, lists=True, note="others get an empty list"),
    "api:correction-feedback": api(
        HANDLERS,
        method="post",
        **_on("correction"),
        data=lambda w: {"feedback": "已整改"},
        ok=ACCESS_PASSED,
    ),
    "api:correction-talk": api(
        COUNTY,
        method="post",
        **_on("talk"),
        data=lambda w: {"held_at": "2026-03-02T10:00:00+08:00", "record": "约谈承办人"},
        ok=ACCESS_PASSED,
    ),
    # --- mediation ------------------------------------------------------------------
    "mediation:workbench": page(MEDIATION | {"admin"}),
    "mediation:legal_services": page(LEGAL | {"supervisor"}),
    "mediation:case": page(MEDIATION | {"admin"}, kwargs=_case),
    "mediation:session_new": page(MEDIATION | {"admin"}, kwargs=_case),
    "mediation:session_record": page(
        MEDIATION | {"admin"}, **_on("session", session_pk=lambda s: s.pk, pk=lambda s: s.case_id)
    ),
    "mediation:agreement_new": page(MEDIATION | {"admin"}, kwargs=_case),
    "mediation:notice_new": page(MEDIATION | {"admin"}, kwargs=_case),
    "mediation:joint": page(MEDIATION | {"admin"}, kwargs=_case),
    "mediation:jc": page(MEDIATION | {"admin"}, **_on("jc")),
    "mediation:jc_apply": page(
        MEDIATES, method="post", **_on("jc"), data=lambda w: {}, ok=ACCESS_PASSED
    ),
    "mediation:jc_accept": page(
        MEDIATES, method="post", **_on("jc_applied"), data=lambda w: {}, ok=ACCESS_PASSED
    ),
    "mediation:jc_decide": page(
        MEDIATES,
        method="post",
        **_on("jc_applied"),
        data=lambda w: {"decide-decision": "confirmed"},
        ok=ACCESS_PASSED,
    ),
    "mediation:jc_extend": page(
        MEDIATES,
        method="post",
        **_on("jc_accepted"),
        data=lambda w: {"extend-confirm": "on"},
        ok=ACCESS_PASSED,
    ),
    "mediation:agreement": page(SEES_CASE, **_on("agreement")),
    # The full document (PDF, full print view) is a logged reveal: the case's handlers only
    # (GET asks for the reason).
    "mediation:agreement_pdf": page(MEDIATES, **_on("agreement")),
    "mediation:agreement_full": page(MEDIATES, **_on("agreement")),
    "mediation:notice": page(SEES_CASE, **_on("notice")),
    "mediation:notice_pdf": page(MEDIATES, **_on("notice")),
    "mediation:referral_report": page(SEES_CASE, **_on("referral")),
    "mediation:referral_report_pdf": page(MEDIATES, **_on("referral")),
    "mediation:petition_notice_pdf": page(MEDIATES, **_on("petition_decided")),
    "mediation:petition_reply_pdf": page(MEDIATES, **_on("petition_replied")),
    # The print page of a petition document, like the notice's: whoever sees the case.
    "mediation:petition_document": page(
        SEES_CASE, **_on("petition_replied", doc=lambda p: "reply")
    ),
    "mediation:agreement_signature": page(
        MEDIATES,
        method="post",
        **_on("agreement"),
        data=lambda w: {"signer": "mediator", "png": _signature_png()},
        note="the mediator signs on the tablet: the agreement stays a draft",
    ),
    "api:mediator-list": api(ROLES, lists=True, note="the roster, for every role"),
    "api:legal-services": api(
        LEGAL | {"supervisor"}, lists=True, note="each sees what they took or their cases'"
    ),
    "api:legal-aid-decide": api(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w.obj("legal_aid").pk},
        data=lambda w: {"aid_decision": "approved"},
        ok=ACCESS_PASSED,
        note="the legal aid centre (flyz officers) and the dispatch room",
    ),
    "api:legal-aid-lawyer": api(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w.obj("legal_aid_approved").pk},
        data=lambda w: {"lawyer": w.lawyer.pk},
        ok=ACCESS_PASSED,
    ),
    "api:case-agreements": api(
        MEDIATES,
        method="post",
        **_case_of("assigned"),
        data=lambda w: _agreement_json(w),
        ok=ACCESS_PASSED,
    ),
    "api:case-notices": api(
        HANDLERS | {"admin"},
        method="post",
        kwargs=_case,
        data=lambda w: {"reason": "双方分歧较大"},
        ok=ACCESS_PASSED,
        note="a notice replies the case: the department's (FSM reply), not the dispatch room's",
    ),
    "api:case-sessions": api(SEES_CASE, kwargs=_case),
    "api:case-court-referral": api(
        MEDIATES,
        method="post",
        **_case_of("court_case"),
        data=lambda w: {"court_reference": "(2026)黔0728诉前调2号"},
        ok=ACCESS_PASSED,
    ),
    "api:case-joint-mediation": api(
        MEDIATES,
        method="post",
        kwargs=_case,
        data=lambda w: {"lead_department": "rsj", "departments": ["sfj"], "experts": []},
        ok=ACCESS_PASSED,
    ),
    "api:case-mediator-assign": api(
        MEDIATES,
        method="post",
        kwargs=_case,
        data=lambda w: {"mediator": w.wei.pk},
        ok=ACCESS_PASSED,
    ),
    "api:case-mediator-suggestions": api(
        MEDIATION | {"admin"}, kwargs=_case, note="as the case's mediation page"
    ),
    "api:agreement-detail": api(SEES_CASE, **_on("agreement")),
    "api:agreement-pdf": api(MEDIATES, **_on("agreement"), data=lambda w: {"reason": "打印签署"}),
    "api:agreement-sign": api(
        MEDIATES,
        method="post",
        **_on("agreement"),
        data=lambda w: {
            "signatures": {str(w.obj("agreement").parties.order_by("pk")[0].pk): "signature"}
        },
        ok=ACCESS_PASSED,
        note="one party signs: the agreement stays a draft for the next role",
    ),
    "api:agreement-signature": api(
        MEDIATES,
        method="post",
        **_on("agreement"),
        data=lambda w: {"signer": "mediator", "png": _signature_png()},
        ok=ACCESS_PASSED,
        note="the mediator signs on the tablet: the agreement stays a draft",
    ),
    "api:notice-detail": api(SEES_CASE, **_on("notice")),
    "api:notice-pdf": api(MEDIATES, **_on("notice"), data=lambda w: {"reason": "打印送达"}),
    "api:session-record": api(
        MEDIATES,
        method="post",
        **_on("session"),
        data=lambda w: {"record": "双方陈述意见", "result": "adjourned"},
        ok=ACCESS_PASSED,
    ),
    "api:referral-extend": api(
        MEDIATES,
        method="post",
        **_on("referral"),
        data=lambda w: {"days": 10, "basis": "双方当事人书面同意"},
        ok=ACCESS_PASSED,
    ),
    "api:referral-report": api(
        MEDIATES,
        method="post",
        **_on("referral"),
        data=lambda w: {"referral_result": "agreed", "note": "已达成调解协议"},
        ok=ACCESS_PASSED,
    ),
    # Petition and labour chains (issue 15): records on the case, one POST per step. A step
    # out of order answers 409, which is past access control.
    "api:case-petition": api(
        SEES_CASE,
        kwargs=lambda w: {"pk": w.obj("petition").case_id},
        idor=lambda w: {"pk": w.obj("petition", foreign=True).case_id},
    ),
    "api:case-labour": api(
        SEES_CASE,
        kwargs=lambda w: {"pk": w.obj("labour").case_id},
        idor=lambda w: {"pk": w.obj("labour", foreign=True).case_id},
    ),
    "api:petition-step": api(
        MEDIATES,
        method="post",
        **_on("petition", step=lambda p: "reply"),
        data=lambda w: {},
        ok=ACCESS_PASSED,
    ),
    "api:labour-step": api(
        MEDIATES,
        method="post",
        **_on("labour", step=lambda r: "outcome"),
        data=lambda w: {"outcome": "裁决"},
        ok=ACCESS_PASSED,
    ),
    "mediation:chain_register": page(
        MEDIATES,
        method="post",
        kwargs=lambda w: {"pk": w.case_in("accepted", category="petition").pk, "kind": "petition"},
        idor=lambda w: {
            "pk": w.case_in("accepted", foreign=True, category="petition").pk,
            "kind": "petition",
        },
        data=lambda w: {},
    ),
    "mediation:chain_step": page(
        MEDIATES,
        method="post",
        kwargs=lambda w: {"kind": "petition", "pk": w.obj("petition").pk, "step": "reply"},
        idor=lambda w: {
            "kind": "petition",
            "pk": w.obj("petition", foreign=True).pk,
            "step": "reply",
        },
        data=lambda w: {},
    ),
    # Dates counted over a year without holiday data (issue 15).
    "api:case-calendar-estimates": api(SEES_CASE, kwargs=_case),
    "api:calendar-estimate-list": api(ROLES, lists=True),
    "api:calendar-estimate-recompute": api(DISPATCH, method="post", data=lambda w: {}),
    "dispatch:estimates_recompute": page(DISPATCH, method="post", data=lambda w: {}),
    "api:jc-detail": api(SEES_CASE, **_on("jc")),
    "api:jc-apply": api(MEDIATES, method="post", **_on("jc"), data=lambda w: {}, ok=ACCESS_PASSED),
    "api:jc-accept": api(
        MEDIATES, method="post", **_on("jc_applied"), data=lambda w: {}, ok=ACCESS_PASSED
    ),
    "api:jc-decide": api(
        MEDIATES,
        method="post",
        **_on("jc_applied"),
        data=lambda w: {"decision": "confirmed"},
        ok=ACCESS_PASSED,
    ),
    "api:jc-extend": api(MEDIATES, method="post", **_on("jc_accepted"), ok=ACCESS_PASSED),
    # --- followup -------------------------------------------------------------------
    "followup:workbench": page({"followup", "admin"}),
    "followup:dashboard": page({"supervisor", "admin"}),
    "followup:visit": page(VISITS, **_on("visit")),
    "followup:phone_reveal": page(
        VISITS - {"supervisor"},
        note="supervisors see the visit, with masked numbers (intake.REVEAL_ROLES)",
        method="post",
        **_on("visit", party_id=lambda v: v.case.parties.order_by("pk")[0].pk),
    ),
    # 改派回访: the centre only; the visit's own follow-up officer and supervisors see the
    # visit but may not move it (403); a fresh visit per request (a moved visit is no longer
    # the follow-up officer's). Negative cases: tests/test_followup_worksteps.py.
    "followup:visit_reassign": page(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w._build_visit(False).pk},
        data=lambda w: {"assignee": w._followup_officer(True).pk, "reason": "休假"},
    ),
    "api:visit-reassign": api(
        DISPATCH,
        method="post",
        kwargs=lambda w: {"pk": w._build_visit(False).pk},
        data=lambda w: {"assignee": w._followup_officer(True).pk, "reason": "休假"},
    ),
    "followup:import": page({"followup", "dispatcher", "supervisor", "admin"}),
    "api:followup-satisfaction-import": api(
        {"followup", "dispatcher", "supervisor", "admin"},
        method="post",
        data=lambda w: {"rows": [{"external_id": "12345-0001", "satisfaction": "满意"}]},
        ok=ACCESS_PASSED,
    ),
    "followup:evaluation": page(
        {"officer", "dispatcher", "supervisor", "admin"},
        note="officers see their own department's line; the county roles the ranking",
    ),
    "followup:evaluation_method": page({"officer", "dispatcher", "supervisor", "admin"}),
    "followup:evaluation_cases": page(
        {"officer", "dispatcher", "supervisor", "admin"},
        data=lambda w: {"by": "department", "key": w.case.department_id, "figure": "received"},
        note="officers: their own department's lists only (another department's key: 404, "
        "tests/test_followup_ranking.py)",
    ),
    "api:followup-evaluation": api(
        {"officer", "dispatcher", "supervisor", "admin"},
        note="officers see their own department's line; the county roles the ranking",
    ),
    "followup:court_filing": page(
        {"supervisor", "admin"},
        method="post",
        data=lambda w: {"month": "2026-01", "civil": "3", "administrative": "1"},
    ),
    "followup:notifications": page(PERSONAS, note="each user's own notifications only"),
    "followup:notifications_read": page(PERSONAS, method="post", note="own notifications only"),
    # --- citizen (public; tests/test_citizen.py checks anonymous use and no staff data) --
    "citizen:lookup": public(note="a case is shown only against its check (phone's last four)"),
    "citizen:apply": public(note="online application; writes only with an SMS code"),
    "citizen:applied": public(kwargs=lambda w: {"token": _citizen_token("applied", w)}),
    "citizen:evaluate": public(
        kwargs=lambda w: {"token": _citizen_token("evaluate", w, c=w.case_in("closed").pk)}
    ),
    "citizen:confirm_notice": public(
        kwargs=lambda w: {"token": _citizen_token("notice", w, n=w.obj("notice").pk)}
    ),
    "citizen:confirm_term": public(
        kwargs=lambda w: {"token": _citizen_token("term", w, t=_a_term(w).pk)}
    ),
}


def _a_term(w: World):
    from mediation.models import AgreementTerm

    return AgreementTerm.objects.filter(agreement=w.obj("agreement")).first()


def _citizen_token(purpose: str, w: World, **extra) -> str:
    """A signed link of the citizen's side for the world's case (as sent by SMS)."""
    from citizen import links

    data = {"n": w.case.number, "c": w.case.pk, "r": 0, "p": 0, **extra}
    return links.make_token(purpose, **data)


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
    """Send the row's request for URL ``name`` as ``user`` (None: anonymous). Logged-in
    clients are kept on the world (``world.clients``) when it has them."""
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    builder = rule.idor if idor else rule.kwargs
    url = reverse(name, kwargs=builder(world) if builder else None)
    data = rule.data(world) if rule.data else {}
    # Public rows (login, logout, language) change the session: never on a kept client.
    clients = getattr(world, "clients", None) if rule.kind != "public" else None
    key = (rule.kind == "api", getattr(user, "pk", None))
    client = clients.get(key) if clients is not None else None
    if client is None:
        if rule.kind == "api":
            client = APIClient()
            if user is not None:
                client.force_authenticate(user)
        else:
            client = Client()
            if user is not None:
                client.force_login(user)
        if clients is not None:
            clients[key] = client
    if rule.kind == "api":
        return getattr(client, rule.method)(url, data, format=rule.api_format)
    return getattr(client, rule.method)(url, data)
