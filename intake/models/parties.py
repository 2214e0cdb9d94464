"""A case's parties (当事人), their personal data encrypted and found by blind index."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luodian_platform.crypto import BlindIndexField, EncryptedCharField

from .case import Case

PURGED_NAME = "已清除"


class Party(models.Model):
    """A party (当事人). ID and phone are validated by the service layer and the forms."""

    class PartyRole(models.TextChoices):
        APPLICANT = "applicant", _("申请人")
        RESPONDENT = "respondent", _("被申请人")
        THIRD = "third", _("第三人")
        AGENT = "agent", _("代理人")

    class Kind(models.TextChoices):
        PERSON = "person", _("自然人")
        ORG = "org", _("法人/组织")

    case = models.ForeignKey(
        Case, related_name="parties", on_delete=models.CASCADE, verbose_name=_("案件")
    )
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("姓名/名称"), max_length=100)
    # Encrypted at rest (PIPL sensitive personal information); looked up by blind index.
    id_number = EncryptedCharField(_("身份证号码"), max_length=18, blank=True, null=True)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    phone = EncryptedCharField(_("联系电话"), max_length=20, blank=True, null=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    id_number_bidx = BlindIndexField(source="id_number", verbose_name=_("身份证号码索引"))
    phone_bidx = BlindIndexField(source="phone", verbose_name=_("联系电话索引"))

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        indexes = [
            # Duplicate and repeat-petitioner search: same ID number / same phone
            # (intake.selectors.duplicate_candidates, earlier_cases_of_applicants).
            models.Index(
                fields=["id_number_bidx"], name="party_id_bidx_idx", condition=~Q(id_number_bidx="")
            ),
            models.Index(
                fields=["phone_bidx"], name="party_phone_bidx_idx", condition=~Q(phone_bidx="")
            ),
            # Same respondent search.
            models.Index(fields=["name"], name="party_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id(self) -> str:
        from luodian_platform.validators import mask_id_number

        value = self.id_number or self.credit_code
        return mask_id_number(value) if self.id_number else value

    @property
    def masked_phone(self) -> str:
        from luodian_platform.validators import mask_phone

        return mask_phone(self.phone) if self.phone else ""
