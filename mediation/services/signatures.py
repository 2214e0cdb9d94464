"""Signatures drawn on the tablet in the mediation room (《人民调解法》 art. 29: the parties
sign, seal or thumbprint, the mediator signs, the committee seals).

The browser posts the drawing as a PNG; it is checked (a real PNG, not too large, not
blank), re-encoded (no metadata or trailing bytes survive), stored encrypted with its
SHA-256 and time, and the signatory's signing is recorded. The agreement takes effect
when the last signature is in, exactly as with signatures recorded from paper."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, NotFound, ServiceError

from ..models import Agreement, AgreementParty, Signature
from .agreements import _take_effect_if_complete
from .common import _lock_for_mediation, _log

MAX_SIGNATURE_BYTES = 300_000
MAX_SIDE = 2400
MIN_WIDTH, MIN_HEIGHT = 60, 30
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _bad(message: str) -> ServiceError:
    return ServiceError(message, fields={"png": message})


def decode_data_url(value: str) -> bytes:
    """``data:image/png;base64,...`` (what a canvas gives) or bare base64 → bytes."""
    value = (value or "").strip()
    if value.startswith("data:"):
        header, _sep, value = value.partition(",")
        if header != "data:image/png;base64":
            raise _bad(_("签名图像须为PNG格式。"))
    if len(value) > MAX_SIGNATURE_BYTES * 4 // 3 + 8:
        raise _bad(_("签名图像过大(最大%(n)d KB)。") % {"n": MAX_SIGNATURE_BYTES // 1000})
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(_("签名图像数据无效,请重新签名。")) from exc


def clean_signature_png(data: bytes) -> bytes:
    """A re-encoded PNG of the drawing, or a ServiceError saying what is wrong."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise _bad(_("请先在签名板上签名。"))
    if len(data) > MAX_SIGNATURE_BYTES:
        raise _bad(_("签名图像过大(最大%(n)d KB)。") % {"n": MAX_SIGNATURE_BYTES // 1000})
    if not data.startswith(PNG_MAGIC):
        raise _bad(_("签名图像须为PNG格式。"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise _bad(_("签名图像须为PNG格式。"))
            width, height = image.size
            if width > MAX_SIDE or height > MAX_SIDE or width < MIN_WIDTH or height < MIN_HEIGHT:
                raise _bad(_("签名图像尺寸无效。"))
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _bad(_("签名图像已损坏或不是PNG,请重新签名。")) from exc
    # Blank: nothing drawn (every pixel transparent or white).
    ink = rgba.split()[3].point(lambda a: 255 if a > 16 else 0).getbbox()
    dark = rgba.convert("L").point(lambda v: 255 if v < 200 else 0).getbbox()
    if ink is None or dark is None:
        raise _bad(_("签名为空白,请在签名板上签名。"))
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return out.getvalue()


def agreement_signature_record(
    *,
    agreement_id: int,
    actor,
    signer: str,
    png: bytes,
    agreement_party_id: int | None = None,
) -> Signature:
    """Store one signatory's drawn signature and record the signing (party: 签名; mediator:
    签名; committee: its representative's signature for the seal). A signature drawn again
    before the agreement takes effect replaces the earlier one."""
    agreement = Agreement.objects.filter(pk=agreement_id).only("case_id").first()
    if agreement is None:
        raise NotFound(_("协议书不存在或您无权查看。"))
    if signer not in Signature.Signer.values:
        raise ServiceError(_("签署人类型无效。"), fields={"signer": _("签署人类型无效。")})
    clean = clean_signature_png(png)
    with transaction.atomic():
        case = _lock_for_mediation(agreement.case_id, actor)
        agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
        if agreement.is_effective:
            raise Conflict(_("协议书已生效,不能再修改签署情况。"), code="effective")
        party = None
        if signer == Signature.Signer.PARTY:
            party = agreement.parties.filter(pk=agreement_party_id or 0).first()
            if party is None:
                message = _("不是本协议书的当事人。")
                raise ServiceError(message, fields={"party": message})
        now = timezone.now()
        signature, _created = Signature.objects.update_or_create(
            agreement=agreement,
            signer=signer,
            agreement_party=party,
            defaults={
                "png": base64.b64encode(clean).decode("ascii"),
                "sha256": hashlib.sha256(clean).hexdigest(),
                "signed_at": now,
                "recorded_by": actor,
            },
        )
        if party is not None:
            party.sign_method = AgreementParty.SignMethod.SIGNATURE
            party.signed_at = now
            party.save(update_fields=["sign_method", "signed_at"])
        elif signer == Signature.Signer.MEDIATOR:
            agreement.mediator_signed, agreement.mediator_signed_at = True, now
            agreement.save(update_fields=["mediator_signed", "mediator_signed_at"])
        else:
            agreement.committee_sealed, agreement.committee_sealed_at = True, now
            agreement.save(update_fields=["committee_sealed", "committee_sealed_at"])
        _log(
            case,
            "agreement_signature",
            actor,
            note=party.name if party else Signature.Signer(signer).label,
            payload={"agreement": agreement.pk, "signer": signer, "sha256": signature.sha256},
        )
        _take_effect_if_complete(agreement, actor)
    return signature
