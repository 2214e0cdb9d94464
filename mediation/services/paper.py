"""Signatures on paper (《人民调解法》 art. 29: the parties sign, seal or thumbprint, the mediator
signs, the committee seals) are proven by the signed paper itself: its scan is attached to
the agreement (an evidence file, kind 「签字文书扫描件」, target "agreement") before anyone
is recorded as signed on paper, or in the same step. The issued agreement names the scans
(file name and SHA-256, printed in the frozen PDF) and the agreement page and the API link
to them through the access-checked download.

A signatory counts as signed on paper when their signing is recorded without a drawing on
the tablet (``Signature``). Agreements that took effect before this rule with paper
signatures and no scan stay as issued: their page and the API show a warning
(``paper_scan_missing``) and the scan can still be attached; a draft in that state is
refused when it would take effect, until the scan is attached."""

from __future__ import annotations

from django.utils.translation import gettext as _

from intake.evidence.services import attachment_upload
from intake.models import Attachment
from luodian_platform.errors import ServiceError

from ..models import Agreement
from ..scans import SCAN_TYPES, paper_context, signed_scans

__all__ = [
    "SCAN_TYPES",
    "attach_signed_scans",
    "paper_scan_missing",
    "paper_signatories",
    "require_signed_scan",
    "scan_missing_error",
    "signed_scans",
]


def paper_signatories(agreement: Agreement) -> list[str]:
    """Who is recorded as signed but did not sign on the tablet, by name."""
    paper = paper_context(agreement)
    names = [p.name for p in agreement.parties.all() if p.pk in paper["paper_parties"]]
    if paper["paper_mediator"]:
        names.append(_("人民调解员 %(n)s") % {"n": agreement.mediator.name})
    if paper["paper_committee"]:
        names.append(agreement.committee.name)
    return names


def paper_scan_missing(agreement: Agreement) -> bool:
    """Signed on paper (in part) with no signed scan attached: the warning on old records."""
    return bool(paper_signatories(agreement)) and not signed_scans(agreement).exists()


def scan_missing_error() -> ServiceError:
    message = _(
        "在纸面签署的,须附签字后的协议书扫描件:请上传扫描件(PDF、JPG 或 PNG,"
        "材料类别「签字文书扫描件」)后再登记签署。"
    )
    return ServiceError(message, code="scan_missing", fields={"scan": _("请上传签字扫描件。")})


def require_signed_scan(agreement: Agreement) -> None:
    if not signed_scans(agreement).exists():
        raise scan_missing_error()


def attach_signed_scans(*, agreement: Agreement, actor, scans, stored: list[str]) -> None:
    """Attach each upload to the agreement as a signed scan, inside the caller's
    transaction. The names of newly stored objects go into ``stored`` so that the caller
    deletes them if its transaction fails (as ``intake.notes.note_add_with_files``)."""
    for upload in scans or ():
        attachment, new = attachment_upload(
            case_id=agreement.case_id,
            actor=actor,
            upload=upload,
            kind=Attachment.Kind.SIGNED_SCAN,
            target_kind="agreement",
            target_id=agreement.pk,
        )
        if new:
            stored.append(attachment.stored_name)
        if attachment.file_type not in SCAN_TYPES:
            message = _("签字扫描件须为 PDF、JPG 或 PNG 文件。")
            raise ServiceError(message, code="file_type", fields={"scan": message})
