"""Validators for Chinese identifiers, with messages a window clerk understands.

- Resident ID card number (居民身份证号码), GB 11643-1999: 17 digits + check character,
  ISO 7064 MOD 11-2; the birth date in positions 7-14 must be a real, past date.
- Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a
  31-character alphabet, the last a MOD 31 check character.
- Phone: a mainland mobile number (1[3-9] + 9 digits) or a landline with area code.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_id_number(value: str) -> str:
    return (value or "").strip().replace(" ", "").upper()


def id_card_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_card(value: str) -> None:
    v = normalize_id_number(value)
    if len(v) != 18:
        raise ValidationError(
            _("身份证号码应为18位,您输入了%(n)d位。") % {"n": len(v)}, code="id_length"
        )
    if not (v[:17].isdigit() and (v[17].isdigit() or v[17] == "X")):
        raise ValidationError(_("身份证号码前17位应为数字,最后一位为数字或X。"), code="id_chars")
    try:
        birth = dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(
            _("身份证号码中的出生日期 %(d)s 不是有效日期。") % {"d": v[6:14]}, code="id_birth"
        ) from None
    if birth > dt.date.today() or birth.year < 1900:
        raise ValidationError(
            _("身份证号码中的出生日期 %(d)s 不合理。") % {"d": v[6:14]}, code="id_birth"
        )
    if id_card_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号码校验位不正确,请核对后重新输入。"), code="id_checksum")


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    v = normalize_id_number(value)
    if len(v) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位,您输入了%(n)d位。") % {"n": len(v)}, code="uscc_length"
        )
    bad = [c for c in v if c not in _USCC_ALPHABET]
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符:%(c)s(不使用 I、O、Z、S、V)。")
            % {"c": "".join(bad)},
            code="uscc_chars",
        )
    if uscc_check_char(v[:17]) != v[17]:
        raise ValidationError(_("统一社会信用代码校验位不正确,请核对。"), code="uscc_checksum")


def normalize_phone(value: str) -> str:
    v = (value or "").strip().replace(" ", "")
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def validate_phone(value: str) -> None:
    v = normalize_phone(value)
    if _MOBILE_RE.match(v) or _LANDLINE_RE.match(v):
        return
    if v.isdigit() and v.startswith("1"):
        raise ValidationError(
            _("手机号码应为以1开头的11位数字,您输入了%(n)d位。") % {"n": len(v)}, code="phone"
        )
    raise ValidationError(
        _("电话号码格式不正确:请填写11位手机号,或带区号的固定电话(如 0854-7611234)。"),
        code="phone",
    )


def mask_id_number(value: str) -> str:
    v = normalize_id_number(value)
    if len(v) < 8:
        return "*" * len(v)
    return v[:4] + "*" * (len(v) - 8) + v[-4:]


def mask_phone(value: str) -> str:
    v = normalize_phone(value)
    if len(v) < 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]
