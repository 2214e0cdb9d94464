"""The signed scans of an agreement: evidence files of kind 「签字文书扫描件」 on the agreement,
a picture or a PDF of the signed paper. Read by the services (paper signing needs one) and
by the documents (the issued agreement names them), so it imports neither."""

from __future__ import annotations

from django.db.models import QuerySet

from intake.models import Attachment

# A scan is a picture or a PDF of the paper; an Office file is not a scan.
SCAN_TYPES = ("pdf", "jpeg", "png")


def signed_scans(agreement) -> QuerySet[Attachment]:
    return Attachment.objects.filter(
        case_id=agreement.case_id,
        target_kind="agreement",
        target_id=agreement.pk,
        kind=Attachment.Kind.SIGNED_SCAN,
        file_type__in=SCAN_TYPES,
        purged_at=None,
    ).order_by("uploaded_at", "pk")


def paper_context(agreement) -> dict:
    """What the agreement's template shows of paper signing: the signatories recorded as
    signed without a drawing on the tablet, and the signed scans (name and SHA-256)."""
    drawn = {(s.signer, s.agreement_party_id) for s in agreement.signatures.all()}
    return {
        "paper_parties": [
            p.pk for p in agreement.parties.all() if p.signed and ("party", p.pk) not in drawn
        ],
        "paper_mediator": agreement.mediator_signed and ("mediator", None) not in drawn,
        "paper_committee": agreement.committee_sealed and ("committee", None) not in drawn,
        "scans": list(signed_scans(agreement)),
    }
