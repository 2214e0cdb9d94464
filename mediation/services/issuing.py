"""Issuing a document: its PDF is rendered once, stored with its SHA-256, and served as
stored from then on (an issued legal document does not change; a later download is the
same bytes, and the hash on the document page lets anyone check a copy)."""

from __future__ import annotations

import base64
import contextvars
import hashlib
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import documents
from ..models import Agreement, CourtReferral, IssuedDocument, Notice, PetitionRecord

RENDERERS = {
    "agreement": documents.agreement_pdf,
    "notice": documents.notice_pdf,
    "referral": documents.referral_report_pdf,
    "petition_notice": documents.petition_notice_pdf,
    "petition_reply": documents.petition_reply_pdf,
}
NUMBERS = {"petition_notice": "notice_number", "petition_reply": "reply_number"}


_deferred = contextvars.ContextVar("mediation_pdf_deferred", default=False)


@contextmanager
def pdf_freezing_deferred():
    """For loads of history (the demo year: hundreds of documents in one transaction):
    issue documents without rendering their PDFs now; each is rendered and frozen on its
    first download instead (``document_pdf_bytes``)."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


def document_issue_pdf(
    *, kind: str, document: Agreement | Notice | PetitionRecord
) -> IssuedDocument | None:
    """Render and store the issued PDF. Called inside the transaction that issues the
    document, so a document that cannot be printed (a character no font can draw,
    ``typeset.fonts.GlyphMissing``) is not issued either."""
    if _deferred.get():
        return None
    return _freeze(kind, document, RENDERERS[kind](document))


def _freeze(kind: str, document, data: bytes) -> IssuedDocument:
    return IssuedDocument.objects.create(
        case_id=document.case_id,
        kind=kind,
        object_id=document.pk,
        number=getattr(document, NUMBERS.get(kind, "number")),
        pdf=base64.b64encode(data).decode("ascii"),
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        issued_at=timezone.now(),
    )


def _is_issued(kind: str, document) -> bool:
    if kind == "agreement":
        return document.is_effective
    if kind == "petition_reply":
        return bool(document.reply_number)
    return kind in ("notice", "petition_notice")


def issued_document(kind: str, document_id: int) -> IssuedDocument | None:
    return IssuedDocument.objects.filter(kind=kind, object_id=document_id).first()


def document_pdf_bytes(
    kind: str, document: Agreement | Notice | CourtReferral | PetitionRecord
) -> bytes:
    """The stored bytes of an issued document; a draft (or a report that is not issued)
    is rendered from its current contents."""
    issued = issued_document(kind, document.pk)
    if issued is not None and issued.pdf:
        return issued.pdf_bytes
    data = RENDERERS[kind](document)
    if issued is None and _is_issued(kind, document):
        # Issued while freezing was deferred (history loads): frozen now, once; a
        # concurrent first download that froze it first wins.
        try:
            with transaction.atomic():
                _freeze(kind, document, data)
        except IntegrityError:
            return issued_document(kind, document.pk).pdf_bytes
    return data
