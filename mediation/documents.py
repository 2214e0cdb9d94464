"""PDF versions of the mediation documents, with fpdf2 (pure Python).

One source: each document is the template ``templates/mediation/documents/<kind>.html``
that the printable page includes; the PDF renders the same template (in full, in the
county's language: a legal document stays Chinese whatever the reader's interface
language) and sets it with ``mediation.typeset`` — fonts that refuse rather than drop a
character (``typeset.fonts.GlyphMissing``, a ServiceError), Chinese line breaking, the
document and case numbers and "第 X 页 共 Y 页" on every page, the signature area kept with
its clause. fpdf2 embeds the glyphs used and writes a ToUnicode map, so the text stays
extractable.
"""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from luodian_platform.periods import period

from .models import Agreement, CourtReferral, Notice, NoticeRoute, PetitionRecord
from .scans import paper_context
from .typeset.from_html import parse_document
from .typeset.pdf import DocumentPDF


def _pdf(template: str, context: dict, *, number: str, case_number: str, images=None) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            template,
            {
                **context,
                "full": True,
                "pdf": True,
                "COUNTY_NAME": settings.COUNTY_NAME,
                "HALL_PHONE": settings.HALL_PHONE,
            },
        )
        parsed = parse_document(html, images)
        doc = DocumentPDF(parsed.title, number, case_number)
        for item in parsed.items:
            if isinstance(item, list):
                doc.keep_together(item)
            else:
                doc.draw(doc.prepare(item))
        return doc.output_bytes()


def notice_channels(notice: Notice) -> list[dict]:
    labels = dict(NoticeRoute.Route.choices)
    return [{**c, "label": labels.get(c["channel"], c["channel"])} for c in notice.channels]


def agreement_pdf(agreement: Agreement) -> bytes:
    images = {
        f"{s.signer}:{s.agreement_party_id or ''}": s.png_bytes for s in agreement.signatures.all()
    }
    return _pdf(
        "mediation/documents/agreement.html",
        {"doc": agreement, "jc_window": period("jc_window"), **paper_context(agreement)},
        number=agreement.number or "",
        case_number=agreement.case.number,
        images=images,
    )


def notice_pdf(notice: Notice) -> bytes:
    return _pdf(
        "mediation/documents/notice.html",
        {"doc": notice, "channels": notice_channels(notice)},
        number=notice.number,
        case_number=notice.case.number,
    )


def referral_report_pdf(referral: CourtReferral) -> bytes:
    return _pdf(
        "mediation/documents/referral.html",
        {"doc": referral},
        number=referral.court_reference,
        case_number=referral.case.number,
    )


def petition_notice_pdf(record: PetitionRecord) -> bytes:
    """受理告知书 / 不予受理告知书 of the petition chain (《信访工作条例》, 2022)."""
    return _pdf(
        "mediation/documents/petition_notice.html",
        {
            "record": record,
            "accept": period("petition_accept"),
            "handle": period("petition_handle"),
        },
        number=record.notice_number,
        case_number=record.case.number,
    )


def petition_reply_pdf(record: PetitionRecord) -> bytes:
    """信访处理意见书: the facts found, the handling opinion and its basis, and the
    petitioner's right to ask for 复查 within the period-table's days of receiving it."""
    return _pdf(
        "mediation/documents/petition_reply.html",
        {"record": record, "review": period("petition_review_request")},
        number=record.reply_number,
        case_number=record.case.number,
    )
