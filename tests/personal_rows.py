"""One row of every model in the personal-data registry, every personal column filled with a
recognisable value, for the registry-driven tests (rotation, purge, audit, plaintext scan).

A model registered without a builder here fails those tests: add one (a few lines) and the
new model's columns are covered by every check without further work."""

from __future__ import annotations

from django.utils import timezone

from citizen.models import Confirmation
from intake.models import Attachment, Case, ChannelOrder, Party, ProgressNote
from luodian_platform.crypto import PersonalData, personal_data_registry
from luodian_platform.models import Department
from mediation.models import (
    Agreement,
    AgreementParty,
    IssuedDocument,
    LegalService,
    Mediator,
    MediatorRelation,
    Signature,
)

SAMPLE_ID = "520101199001011234"
SAMPLE_PHONE = "13712345678"
SAMPLE_TEXT = "样本个人信息"  # names, addresses: plain personal columns


def _party(case):
    return Party.objects.create(case=case, role="third", name="x")


def _order(case):
    return ChannelOrder.objects.create(
        case=case, channel="hotline_12345", external_id=f"R{case.pk}", payload={}
    )


def _mediator(case):
    return Mediator.objects.create(name=f"样本调解员{Mediator.objects.count()}", kind="staff")


def _relation(case):
    return MediatorRelation.objects.create(mediator=_mediator(case), kind="relative", name="x")


def _agreement(case):
    return Agreement.objects.create(
        case=case,
        number=f"AG-{case.pk}-{Agreement.objects.count()}",
        committee=Department.objects.first(),
        mediator=_mediator(case),
        facts="f",
        issues="i",
        liabilities="l",
    )


def _agreement_party(case):
    return AgreementParty.objects.create(agreement=_agreement(case), role="applicant", name="x")


def _signature(case):
    return Signature.objects.create(agreement=_agreement(case), signer="mediator", sha256="0" * 64)


def _issued(case):
    return IssuedDocument.objects.create(
        case=case, kind="agreement", object_id=case.pk, number="x", sha256="0" * 64, size=0
    )


def _legal_service(case):
    return LegalService.objects.create(
        kind="consultation", case=case, person_name="x", summary="s", created_at=timezone.now()
    )


def _attachment(case):
    # An ID copy's row (its stored bytes are the file tests' concern: tests/test_intake_files.py).
    return Attachment.objects.create(
        case=case,
        target_id=case.pk,
        kind=Attachment.Kind.ID_COPY,
        name="x.png",
        file_type="png",
        content_type="image/png",
        size=1,
        uploaded_by=case.registered_by,
    )


def _note(case):
    return ProgressNote.objects.create(
        case=case,
        kind=ProgressNote.Kind.PHONE,
        happened_at=timezone.now(),
        text="x",
        author=case.registered_by,
    )


def _confirmation(case):
    return Confirmation.objects.create(
        case=case, party=_party(case), kind="notice_received", object_id=case.pk
    )


BUILDERS = {
    Attachment: _attachment,
    Party: _party,
    ChannelOrder: _order,
    Mediator: _mediator,
    MediatorRelation: _relation,
    AgreementParty: _agreement_party,
    LegalService: _legal_service,
    Signature: _signature,
    IssuedDocument: _issued,
    Confirmation: _confirmation,
    ProgressNote: _note,
}


def sample_value(entry: PersonalData, name: str):
    field = entry.model._meta.get_field(name)
    if field.get_internal_type() == "TextField" and "JSON" in type(field).__name__:
        return {"parties": [{"id_number": SAMPLE_ID, "phone": SAMPLE_PHONE}]}
    if "phone" in name:
        return SAMPLE_PHONE
    if field.max_length and field.max_length < len(SAMPLE_TEXT) * 3 and "id" in name:
        return SAMPLE_ID
    if name in ("credit_code",):
        return "91520000MA6DLUDIAN"[:18]
    return SAMPLE_TEXT if "id" not in name else SAMPLE_ID


def fill_every_registered_model(case: Case) -> dict[PersonalData, object]:
    """{registry entry: a saved row of its model tied to ``case``, personal columns filled}."""
    rows = {}
    for entry in personal_data_registry():
        assert entry.model in BUILDERS, (
            f"{entry.model._meta.label} is registered personal data: add a builder to "
            "tests/personal_rows.py so rotation, purge and audit tests cover it"
        )
        obj = BUILDERS[entry.model](case)
        for name in {*entry.encrypted, *entry.purge}:
            setattr(obj, name, sample_value(entry, name))
        obj.save()
        rows[entry] = obj
    return rows
