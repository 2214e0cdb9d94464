"""Writes of the mediation and legal-services windows, one module per concern.

Every function is keyword-only; it locks the case visible to the actor (404 otherwise),
checks the actor may act on it (403), validates (400) and writes in one transaction.
Lifecycle moves (start mediation, reply with an agreement or a notice) go through
``intake.lifecycle.run_transition``.

| module        | what it writes                                                     |
|---------------|--------------------------------------------------------------------|
| common        | who may mediate, the case lock, event rows, document numbers        |
| replies       | start mediation, reply (the lifecycle moves)                        |
| mediators     | assignment, 回避 checks, declared conflicts, joint mediation         |
| sessions      | booking rooms and recording sessions                               |
| agreements    | agreements, signatures, performance, notices                       |
| signatures    | signatures drawn on the tablet (validated PNG)                     |
| paper         | signatures on paper, proven by the signed scan on the agreement    |
| issuing       | the issued PDF, frozen with its SHA-256                            |
| court         | judicial confirmation, court-referred mediation                    |
| legal         | consultations, counselling, legal aid                              |

The public names are importable from ``mediation.services`` as before.
"""

from .agreements import (
    CHANNEL_LABELS,
    AgreementPartyInput,
    AgreementTermInput,
    agreement_record,
    agreement_sign,
    committees,
    default_notice_channels,
    notice_record,
    term_mark_performed,
)
from .chains import (
    labour_arbitration_decide,
    labour_award_extend,
    labour_mediation_end,
    labour_record_outcome,
    labour_refer_arbitration,
    labour_register,
    petition_decide,
    petition_extend,
    petition_register,
    petition_reply,
    petition_rereview_decide,
    petition_rereview_request,
    petition_review_decide,
    petition_review_request,
)
from .common import (
    LEGAL_AID_CENTRE_CODE,
    WORKING_STATES,
    is_dispatcher,
    may_mediate,
    mediator_for_user,
)
from .court import (
    court_referral_extend,
    court_referral_register,
    court_referral_report,
    judicial_confirmation_accept,
    judicial_confirmation_apply,
    judicial_confirmation_decide,
    judicial_confirmation_extend,
)
from .documents import document_open_full, may_open_full_document
from .issuing import document_pdf_bytes, issued_document, pdf_freezing_deferred
from .legal import (
    LEGAL_SERVICE_ROLES,
    legal_aid_assign_lawyer,
    legal_aid_decide,
    legal_service_record,
)
from .mediators import conflict_declare, conflict_reasons, joint_mediation_set, mediator_assign
from .paper import paper_scan_missing, paper_signatories, signed_scans
from .replies import (
    ReplyBasis,
    case_reply,
    case_start_mediation,
    outcome_unproved,
    reply_basis,
)
from .sessions import session_book, session_record
from .signatures import agreement_signature_record, decode_data_url

__all__ = [
    "CHANNEL_LABELS",
    "LEGAL_AID_CENTRE_CODE",
    "LEGAL_SERVICE_ROLES",
    "WORKING_STATES",
    "AgreementPartyInput",
    "AgreementTermInput",
    "ReplyBasis",
    "agreement_record",
    "agreement_sign",
    "agreement_signature_record",
    "case_reply",
    "case_start_mediation",
    "committees",
    "conflict_declare",
    "conflict_reasons",
    "court_referral_extend",
    "court_referral_register",
    "court_referral_report",
    "decode_data_url",
    "default_notice_channels",
    "document_open_full",
    "document_pdf_bytes",
    "is_dispatcher",
    "issued_document",
    "joint_mediation_set",
    "judicial_confirmation_accept",
    "judicial_confirmation_apply",
    "judicial_confirmation_decide",
    "judicial_confirmation_extend",
    "labour_arbitration_decide",
    "labour_award_extend",
    "labour_mediation_end",
    "labour_record_outcome",
    "labour_refer_arbitration",
    "labour_register",
    "legal_aid_assign_lawyer",
    "legal_aid_decide",
    "legal_service_record",
    "may_mediate",
    "may_open_full_document",
    "mediator_assign",
    "mediator_for_user",
    "notice_record",
    "outcome_unproved",
    "paper_scan_missing",
    "paper_signatories",
    "pdf_freezing_deferred",
    "petition_decide",
    "petition_extend",
    "petition_register",
    "petition_reply",
    "petition_rereview_decide",
    "petition_rereview_request",
    "petition_review_decide",
    "petition_review_request",
    "reply_basis",
    "session_book",
    "session_record",
    "signed_scans",
    "term_mark_performed",
]
