"""The steps of a demo case's life: each one a call of the public service a clerk, officer,
dispatcher or follow-up officer would cause through the pages, made by that person, with
the clock frozen at the step's time (``runner.py``). Each service is called in one place
only, so a changed signature is a one-line fix here.

A step returns nothing, or ``STOP`` when the case's life ends before the load's "now"
(e.g. a visit that is not due yet)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from dispatch import services as dispatch_services
from dispatch.models import Correction, Supervision
from dispatch.routing import routing_suggest
from intake import services as intake_services
from intake.channel import channel_order_submit
from intake.models import Attachment, Case, Channel, Outcome, Party
from intake.notes import note_add_with_files
from intake.services import CaseInput, PartyInput
from luodian_platform.errors import Conflict
from luodian_platform.validators import id_card_check_char
from mediation import services as mediation_services
from mediation.models import (
    Agreement,
    AgreementParty,
    CourtReferral,
    JudicialConfirmation,
    LegalService,
)
from mediation.models import MediationSession as Session

from .. import services as followup_services
from ..models import Visit
from . import samples, texts

STOP = object()
DEMO_PREFIX = "DY-"  # external ids of the demo year's channel orders (its marker, too)


@dataclass
class CaseRun:
    """One demo case on its way: what the next steps need to know."""

    index: int
    path: str
    category: object
    channel: str
    registered_at: dt.datetime
    t: dt.datetime
    case_id: int | None = None
    mediator_id: int | None = None
    agreement_id: int | None = None
    term_due: dt.datetime | None = None
    performed: bool | None = None
    extension_id: int | None = None
    supervision_ids: list[int] = field(default_factory=list)
    correction_id: int | None = None
    referral_id: int | None = None
    legal_service_id: int | None = None

    @property
    def case(self) -> Case:
        return Case.objects.select_related("category", "department").get(pk=self.case_id)


# --- helpers --------------------------------------------------------------------------


def _id_number(rng, born: dt.date) -> str:
    first17 = f"522728{born:%Y%m%d}{rng.randint(100, 999)}"  # 522728: 罗甸县
    return first17 + id_card_check_char(first17)


def case_input(ctx, run: CaseRun) -> CaseInput:
    """A registration as a clerk or a channel would make it: the category's text, an
    applicant (with ID number and phone), a respondent where the category needs one."""
    rng = ctx.rng
    cat = run.category
    tpl = texts.pick(rng, cat.code)
    township = rng.choice(ctx.townships)
    applicant = PartyInput(
        role=Party.PartyRole.APPLICANT,
        name=texts.person_name(rng),
        id_number=_id_number(
            rng, dt.date(rng.randint(1950, 2002), rng.randint(1, 12), rng.randint(1, 28))
        ),
        phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
        address=f"{township.name}{rng.choice(texts.VILLAGES)}{rng.randint(1, 60)}号",
    )
    parties = [applicant]
    if tpl.respondent:
        org = "单位" in tpl.respondent or "公司" in tpl.respondent
        parties.append(
            PartyInput(
                role=Party.PartyRole.RESPONDENT,
                name=texts.org_name(rng, tpl.respondent) if org else texts.person_name(rng),
                kind=Party.Kind.ORG if org else Party.Kind.PERSON,
                address=f"{township.name}{rng.choice(texts.VILLAGES)}{rng.randint(1, 60)}号",
            )
        )
    people = 1 if rng.random() < 0.9 else rng.randint(2, 12)
    return CaseInput(
        title=tpl.title,
        facts=tpl.facts,
        request=tpl.request,
        category=cat,
        channel=run.channel,
        township=township,
        place=f"{township.name}{rng.choice(texts.VILLAGES)}",
        amount=Decimal(rng.randint(5, 400) * 100) if tpl.amount else None,
        people_count=people,
        window=ctx.window,
        external_id=(
            "" if run.channel == Channel.WALK_IN else f"{DEMO_PREFIX}{run.channel}-{run.index:05d}"
        ),
        parties=parties,
    )


def _officer(ctx, run: CaseRun, case: Case | None = None):
    """The officer of the department the case is with now (one column, not the case)."""
    if case is not None:
        return ctx.officers[case.department_id]
    department_id = Case.objects.filter(pk=run.case_id).values_list("department_id", flat=True)
    return ctx.officers[department_id.get()]


# --- intake -----------------------------------------------------------------------------


def receive(ctx, run: CaseRun) -> None:
    """A channel order lands in the inbox (待接单)."""
    data = case_input(ctx, run)
    result = channel_order_submit(
        channel=run.channel,
        data=data,
        payload={"demo_year": True, "external_id": data.external_id},
        source="api",
    )
    run.case_id = result.case.pk


def intake(ctx, run: CaseRun) -> None:
    """A walk-in registered at the window, or a channel order received and taken in."""
    if run.channel == Channel.WALK_IN:
        run.case_id = intake_services.case_register(data=case_input(ctx, run), actor=ctx.clerk).pk
        return
    receive(ctx, run)
    ctx.at(run.t + dt.timedelta(minutes=ctx.rng.randint(5, 90)))
    intake_services.case_take_in(case_id=run.case_id, actor=ctx.dispatcher)


def on_spot(ctx, run: CaseRun) -> None:
    data = case_input(ctx, run)
    answer = texts.pick(ctx.rng, run.category.code).answer
    run.case_id = intake_services.case_register_on_spot(
        data=data, actor=ctx.clerk, answer=answer
    ).pk


def reject(ctx, run: CaseRun) -> None:
    reason, route_to = ctx.rng.choice(texts.REJECT_REASONS)
    intake_services.case_reject(
        case_id=run.case_id, actor=ctx.dispatcher, reason=reason, route_to=route_to
    )


def merge(ctx, run: CaseRun) -> None:
    into = ctx.merge_target(run)
    if into is None:
        return STOP
    intake_services.case_merge(
        case_id=run.case_id, into_id=into, actor=ctx.dispatcher, reason=texts.MERGE_REASON
    )


# --- dispatch ---------------------------------------------------------------------------


def dispatch(ctx, run: CaseRun) -> None:
    dispatch_services.case_dispatch_suggested(case_id=run.case_id, actor=ctx.dispatcher)


def dispatch_wrong(ctx, run: CaseRun) -> None:
    case = run.case
    suggestion = routing_suggest(case)
    wrong = [
        d
        for d in ctx.wrong_departments
        if d.pk != case.department_id and (suggestion is None or d.pk != suggestion.department.pk)
    ]
    dispatch_services.case_dispatch(
        case_id=run.case_id, department=ctx.rng.choice(wrong), actor=ctx.dispatcher
    )


def return_(ctx, run: CaseRun) -> None:
    reason, basis = ctx.rng.choice(texts.RETURN_REASONS)
    dispatch_services.case_return(
        case_id=run.case_id, actor=_officer(ctx, run), reason=reason, legal_basis=basis
    )


def sign(ctx, run: CaseRun) -> None:
    dispatch_services.case_sign_for(case_id=run.case_id, actor=_officer(ctx, run))


def suspend(ctx, run: CaseRun) -> None:
    dispatch_services.case_suspend(
        case_id=run.case_id, actor=_officer(ctx, run), reason=ctx.rng.choice(texts.SUSPEND_REASONS)
    )


def resume(ctx, run: CaseRun) -> None:
    dispatch_services.case_resume(case_id=run.case_id, actor=_officer(ctx, run))


def extend(ctx, run: CaseRun) -> None:
    ext = dispatch_services.extension_request(
        case_id=run.case_id,
        actor=_officer(ctx, run),
        reason=ctx.rng.choice(texts.EXTENSION_REASONS),
    )
    run.extension_id = ext.pk


def _extension_decide(ctx, run: CaseRun, approve: bool) -> None:
    if run.extension_id is None:
        return
    note = "同意延期。" if approve else "理由不充分,请在原时限内办结。"
    dispatch_services.extension_decide(
        extension_id=run.extension_id, actor=ctx.dispatcher, approve=approve, note=note
    )


def extend_approve(ctx, run: CaseRun) -> None:
    _extension_decide(ctx, run, True)


def extend_refuse(ctx, run: CaseRun) -> None:
    _extension_decide(ctx, run, False)


def _supervise(ctx, run: CaseRun, level: int, actor) -> None:
    sup = dispatch_services.supervision_create(
        case_id=run.case_id, level=level, actor=actor, message=texts.SUPERVISION_MESSAGES[level]
    )
    run.supervision_ids.append(sup.pk)


def urge(ctx, run: CaseRun) -> None:
    _supervise(ctx, run, Supervision.Level.URGE, ctx.dispatcher)


def supervise(ctx, run: CaseRun) -> None:
    _supervise(ctx, run, Supervision.Level.SUPERVISE, ctx.supervisor)


def respond(ctx, run: CaseRun) -> None:
    dispatch_services.supervision_respond(
        supervision_id=run.supervision_ids[-1],
        actor=_officer(ctx, run),
        response=ctx.rng.choice(texts.SUPERVISION_RESPONSES),
    )


def correction(ctx, run: CaseRun) -> None:
    case = run.case
    problem, description = ctx.rng.choice(texts.CORRECTIONS)
    serious = ctx.rng.random() < 0.2
    measure = (
        ctx.rng.choice(Correction.SERIOUS_MEASURES)
        if serious
        else ctx.rng.choice(
            [Correction.Measure.REMIND, Correction.Measure.RECTIFY, Correction.Measure.REPORT]
        )
    )
    corr = dispatch_services.correction_create(
        actor=ctx.supervisor,
        problem=problem,
        description=description,
        measure=measure,
        case_id=case.pk,
        department=case.department,
        serious=serious,
    )
    run.correction_id = corr.pk


def correction_feedback(ctx, run: CaseRun) -> None:
    dispatch_services.correction_feedback(
        correction_id=run.correction_id,
        actor=_officer(ctx, run),
        feedback=texts.CORRECTION_FEEDBACK,
    )


def reply(ctx, run: CaseRun) -> None:
    """办结答复 without a mediation: the department's written answer (答复意见书)."""
    tpl = texts.pick(ctx.rng, run.category.code)
    mediation_services.case_reply(
        case_id=run.case_id,
        actor=_officer(ctx, run),
        outcome=Outcome.HANDLED,
        text=tpl.answer,
        document="答复意见书",
    )


def approve(ctx, run: CaseRun) -> None:
    dispatch_services.case_approve(
        case_id=run.case_id, actor=ctx.dispatcher, note="答复规范,同意办结。"
    )


def send_back(ctx, run: CaseRun) -> None:
    dispatch_services.case_send_back(
        case_id=run.case_id, actor=ctx.dispatcher, reason=ctx.rng.choice(texts.SEND_BACK_REASONS)
    )


# --- progress notes and their files --------------------------------------------------------


def note(ctx, run: CaseRun) -> None:
    """An officer's progress note (办理进展) while handling; one in six comes with a file
    (a site photo with a visit, the letter with a document), through the note form's
    service: note and file in one transaction."""
    kind = ctx.weighted(texts.NOTE_KINDS)
    files, file_kind = [], Attachment.Kind.EVIDENCE
    if ctx.rng.random() < 1 / 6:
        if kind == "document":
            name = f"case-{run.index:05d}-letter.pdf"
            files = [
                SimpleUploadedFile(name, samples.pdf(f"Case {run.index:05d}"), "application/pdf")
            ]
        else:
            name = f"case-{run.index:05d}-photo.png"
            files = [SimpleUploadedFile(name, samples.png(ctx.rng), "image/png")]
            file_kind = Attachment.Kind.PHOTO
    note_add_with_files(
        case_id=run.case_id,
        actor=_officer(ctx, run),
        kind=kind,
        text=ctx.rng.choice(texts.NOTES[kind]),
        files=files,
        file_kind=file_kind,
    )


# --- mediation --------------------------------------------------------------------------


def mediate(ctx, run: CaseRun) -> None:
    officer = _officer(ctx, run)
    mediation_services.case_start_mediation(case_id=run.case_id, actor=officer)
    pool = ctx.mediators.get(run.category.code) or ctx.mediators["*"]
    # Invented names may meet: a mediator who shares a party's name would have to withdraw
    # (回避, the service refuses), so the officer picks another one, as in the hall.
    names = set(run.case.parties.values_list("name", flat=True))
    mediator = ctx.rng.choice([m for m in pool if m.name not in names] or ctx.mediators["*"])
    mediation_services.mediator_assign(
        case_id=run.case_id, mediator_id=mediator.pk, actor=officer, is_lead=True
    )
    run.mediator_id = mediator.pk


def _session(ctx, run: CaseRun, result: str | None) -> object:
    """Book a session a few working days ahead (another room or day when taken), then
    record it when it is over."""
    officer = _officer(ctx, run)
    start = ctx.office_time(run.t + dt.timedelta(days=ctx.rng.randint(1, 4)), slot=True)
    session = None
    for _attempt in range(6):
        on_site = ctx.rng.random() < 0.3
        try:
            session = mediation_services.session_book(
                case_id=run.case_id,
                actor=officer,
                starts_at=start,
                ends_at=start + dt.timedelta(hours=2),
                mediator_ids=[run.mediator_id],
                room_id=None if on_site else ctx.rng.choice(ctx.rooms).pk,
                on_site_place=f"{run.case.township.name}村委会" if on_site else "",
            )
            break
        except Conflict:
            start = ctx.office_time(start + dt.timedelta(days=1), slot=True)
    if session is None or result is None:
        return None
    end = start + dt.timedelta(hours=2, minutes=ctx.rng.randint(0, 40))
    if end > ctx.end:
        return STOP
    run.t = end
    ctx.at(end)
    mediation_services.session_record(
        session_id=session.pk,
        actor=officer,
        record=texts.SESSION_RECORDS[result],
        result=result,
        attended_party_ids=list(run.case.parties.values_list("pk", flat=True)),
    )
    return None


def session_agreed(ctx, run: CaseRun):
    return _session(ctx, run, Session.Result.AGREED)


def session_adjourned(ctx, run: CaseRun):
    return _session(ctx, run, Session.Result.ADJOURNED)


def session_failed(ctx, run: CaseRun):
    return _session(ctx, run, Session.Result.FAILED)


def session_planned(ctx, run: CaseRun):
    return _session(ctx, run, None)


def _signed_scan(case) -> SimpleUploadedFile:
    """The scan of the signed paper (a small page image with the case number and a few ink
    strokes): signing on paper is recorded with its scan (mediation.services.paper)."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (420, 594), 255)
    draw = ImageDraw.Draw(image)
    draw.text((30, 30), case.number, fill=0)
    for i in range(12):
        draw.line((30, 80 + i * 30, 390, 80 + i * 30), fill=170)
    for x in (60, 230):  # the signatures
        draw.line((x, 500, x + 60, 470, x + 120, 505), fill=0, width=3)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return SimpleUploadedFile("协议书签字扫描件.png", out.getvalue(), content_type="image/png")


def agreement(ctx, run: CaseRun) -> None:
    """人民调解协议书 signed by every party, the mediator and the committee at the table
    on paper, the signed paper scanned: it takes effect at once and replies the case (the
    service does)."""
    case = run.case
    tpl = texts.pick(ctx.rng, case.category.code)
    committee = ctx.committee_for(case, run.mediator_id)
    run.term_due = ctx.office_time(run.t + dt.timedelta(days=ctx.rng.randint(12, 25)))
    sign_method = AgreementParty.SignMethod
    record = mediation_services.agreement_record(
        case_id=case.pk,
        actor=_officer(ctx, run, case),
        committee=committee,
        mediator_id=run.mediator_id,
        facts=case.facts,
        issues=tpl.issues,
        liabilities=tpl.liabilities,
        parties=[
            mediation_services.AgreementPartyInput(
                party_id=p.pk,
                sign_method=sign_method.SEAL if p.kind == Party.Kind.ORG else sign_method.SIGNATURE,
            )
            for p in case.parties.all()
        ],
        terms=[
            mediation_services.AgreementTermInput(
                content=tpl.term, performance_method=tpl.performance, due_at=run.term_due
            )
        ],
        mediator_signed=True,
        committee_sealed=True,
        scans=[_signed_scan(case)],
    )
    run.agreement_id = record.pk


def notice(ctx, run: CaseRun) -> None:
    mediation_services.notice_record(
        case_id=run.case_id, actor=_officer(ctx, run), reason=ctx.rng.choice(texts.NOTICE_REASONS)
    )


def _perform(ctx, run: CaseRun, late: bool):
    if run.agreement_id is None or run.term_due is None:
        return None
    days = ctx.rng.randint(3, 15) if late else -ctx.rng.randint(0, 4)
    when = max(run.t, ctx.office_time(run.term_due + dt.timedelta(days=days)))
    if when > ctx.end:
        return STOP
    run.t = when
    ctx.at(when)
    agreement_terms = Agreement.objects.get(pk=run.agreement_id).terms.all()
    for term in agreement_terms:
        mediation_services.term_mark_performed(term_id=term.pk, actor=ctx.dispatcher)
    run.performed = True
    return None


def perform(ctx, run: CaseRun):
    return _perform(ctx, run, late=False)


def perform_late(ctx, run: CaseRun):
    return _perform(ctx, run, late=True)


def _jc(run: CaseRun) -> JudicialConfirmation | None:
    return JudicialConfirmation.objects.filter(agreement_id=run.agreement_id).first()


def jc_apply(ctx, run: CaseRun) -> None:
    jc = _jc(run)
    if jc is not None:
        mediation_services.judicial_confirmation_apply(jc_id=jc.pk, actor=ctx.dispatcher)


def jc_accept(ctx, run: CaseRun) -> None:
    jc = _jc(run)
    if jc is not None:
        ref = f"({ctx.now().year})黔2728民特{ctx.rng.randint(1, 400)}号"
        mediation_services.judicial_confirmation_accept(
            jc_id=jc.pk, actor=ctx.dispatcher, court_reference=ref
        )


def jc_decide(ctx, run: CaseRun) -> None:
    jc = _jc(run)
    if jc is not None:
        decision = JudicialConfirmation.Decision.CONFIRMED
        if ctx.rng.random() < 0.1:
            decision = JudicialConfirmation.Decision.REFUSED
        mediation_services.judicial_confirmation_decide(
            jc_id=jc.pk, actor=ctx.dispatcher, decision=decision
        )


def court_referral(ctx, run: CaseRun) -> None:
    ref = mediation_services.court_referral_register(
        case_id=run.case_id,
        actor=_officer(ctx, run),
        court_reference=f"({ctx.now().year})黔2728民诉前调{run.index}号",
    )
    run.referral_id = ref.pk


def court_report(ctx, run: CaseRun) -> None:
    mediation_services.court_referral_report(
        referral_id=run.referral_id,
        actor=_officer(ctx, run),
        result=CourtReferral.Result.AGREED,
        note="经诉前调解达成协议,已签署调解协议书。",
    )


def legal_aid(ctx, run: CaseRun) -> None:
    case = run.case
    applicant = case.parties.filter(role=Party.PartyRole.APPLICANT).first()
    service = mediation_services.legal_service_record(
        actor=_officer(ctx, run, case),
        kind=LegalService.Kind.LEGAL_AID,
        person_name=applicant.name,
        summary=case.title,
        case_id=case.pk,
    )
    run.legal_service_id = service.pk


def legal_aid_decide(ctx, run: CaseRun) -> None:
    decision = LegalService.Decision.APPROVED
    if ctx.rng.random() < 0.15:
        decision = LegalService.Decision.REFUSED
    mediation_services.legal_aid_decide(
        service_id=run.legal_service_id, actor=ctx.legal_aid_officer, decision=decision
    )


def legal_aid_lawyer(ctx, run: CaseRun) -> None:
    service = LegalService.objects.get(pk=run.legal_service_id)
    if service.decision != LegalService.Decision.APPROVED:
        return
    lawyer = ctx.rng.choice(ctx.lawyers)
    mediation_services.legal_aid_assign_lawyer(
        service_id=service.pk, actor=ctx.legal_aid_officer, lawyer_id=lawyer.pk
    )


# --- follow-up --------------------------------------------------------------------------


def _next_visit(ctx, run: CaseRun):
    """The next scheduled visit of the case's current round, with the clock at its day."""
    visit = (
        Visit.objects.filter(
            case_id=run.case_id,
            round=Case.objects.filter(pk=run.case_id).values("rework_count")[:1],
            status=Visit.Status.SCHEDULED,
        )
        .order_by("seq")
        .first()
    )
    if visit is None:
        return None
    day = dt.datetime.combine(visit.due_date, dt.time(9, 30), tzinfo=ctx.tz)
    when = ctx.office_time(max(run.t, day) + dt.timedelta(minutes=ctx.rng.randint(0, 240)))
    if when > ctx.end:
        return STOP
    run.t = when
    ctx.at(when)
    return visit


def _record(ctx, run: CaseRun, visit, *, reached: bool, satisfaction: str = "", comments=""):
    followup_services.visit_record(
        visit_id=visit.pk,
        actor=ctx.followup,
        reached=reached,
        satisfaction=satisfaction,
        agreement_performed=run.performed if run.agreement_id else None,
        comments=comments,
    )


def visit(ctx, run: CaseRun):
    """One visit of the round: the party says satisfied or basically satisfied."""
    found = _next_visit(ctx, run)
    if found is None or found is STOP:
        return found
    sat = ctx.weighted(ctx.plan.VISIT_SATISFACTION)
    _record(
        ctx,
        run,
        found,
        reached=True,
        satisfaction=sat,
        comments=ctx.rng.choice(texts.VISIT_COMMENTS[sat]),
    )
    return None


def visit_dissatisfied(ctx, run: CaseRun):
    """The party is not satisfied: the service sends the case back for rework (重办)."""
    found = _next_visit(ctx, run)
    if found is None or found is STOP:
        return found
    comment = ctx.rng.choice(texts.VISIT_COMMENTS["dissatisfied"])
    _record(ctx, run, found, reached=True, satisfaction="dissatisfied", comments=comment)
    return None


def visit_unreachable(ctx, run: CaseRun):
    """Nobody answers, three times: the visit is closed as unreachable."""
    found = _next_visit(ctx, run)
    if found is None or found is STOP:
        return found
    for attempt in range(found.max_attempts):
        if attempt:
            run.t = ctx.office_time(run.t + dt.timedelta(days=1))
            if run.t > ctx.end:
                return STOP
            ctx.at(run.t)
        _record(ctx, run, found, reached=False, comments="电话无人接听")
    return None


def citizen_evaluate(ctx, run: CaseRun):
    """About one closed case in four: the applicant answers the SMS link and evaluates
    the round (满意 / 基本满意). The citizen app owns the link and its service; it
    registers this step (``register_step``), since followup may not import it."""
    if ctx.rng.random() >= 0.25:
        return None
    satisfaction = ctx.weighted(ctx.plan.VISIT_SATISFACTION)
    evaluate = EXTRA_STEPS.get("citizen_evaluate")
    if evaluate is None:
        return None
    evaluate(
        case_id=run.case_id,
        satisfaction=satisfaction,
        agreement_performed=run.performed if run.agreement_id else None,
        comments=ctx.rng.choice(texts.CITIZEN_COMMENTS[satisfaction]),
    )
    return None


def archive(ctx, run: CaseRun):
    statuses = set(Visit.objects.filter(case_id=run.case_id).values_list("status", flat=True))
    if Visit.Status.SCHEDULED in statuses:
        return STOP  # still waiting for a visit: stays closed
    # Follow-up officers see the cases they visit; 即办件 have no visits: the centre files them.
    actor = ctx.followup if statuses else ctx.dispatcher
    followup_services.case_archive(case_id=run.case_id, actor=actor)
    return None


# Steps that a downstream app performs through its own services (the citizen's
# evaluation through a signed link): registered from its AppConfig.ready().
EXTRA_STEPS: dict[str, Callable[..., object]] = {}


def register_step(name: str, fn: Callable[..., object]) -> None:
    EXTRA_STEPS[name] = fn


STEPS = {
    "receive": receive,
    "intake": intake,
    "on_spot": on_spot,
    "reject": reject,
    "merge": merge,
    "dispatch": dispatch,
    "dispatch_wrong": dispatch_wrong,
    "return": return_,
    "sign": sign,
    "suspend": suspend,
    "resume": resume,
    "extend": extend,
    "extend_approve": extend_approve,
    "extend_refuse": extend_refuse,
    "urge": urge,
    "supervise": supervise,
    "respond": respond,
    "correction": correction,
    "correction_feedback": correction_feedback,
    "reply": reply,
    "approve": approve,
    "send_back": send_back,
    "mediate": mediate,
    "session_agreed": session_agreed,
    "session_adjourned": session_adjourned,
    "session_failed": session_failed,
    "session_planned": session_planned,
    "agreement": agreement,
    "notice": notice,
    "perform": perform,
    "perform_late": perform_late,
    "jc_apply": jc_apply,
    "jc_accept": jc_accept,
    "jc_decide": jc_decide,
    "court_referral": court_referral,
    "court_report": court_report,
    "legal_aid": legal_aid,
    "legal_aid_decide": legal_aid_decide,
    "legal_aid_lawyer": legal_aid_lawyer,
    "visit": visit,
    "visit_dissatisfied": visit_dissatisfied,
    "visit_unreachable": visit_unreachable,
    "archive": archive,
    "note": note,
    "citizen_evaluate": citizen_evaluate,
}
