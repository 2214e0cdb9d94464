"""The one log of personal data seen in full."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case
from .events import CaseEventQuerySet
from .parties import Party


class PersonalDataReveal(models.Model):
    """The one log of personal data seen in full (PIPL accountability): a party's ID number
    or phone (on the case page, or to call them on a visit), a full document (agreement,
    notice, court-referral report: 《人民调解法》 art. 29 puts the parties' particulars in the
    agreement), and duplicate lookups while registering. Who, what, about which case and
    object, when and why. Append-only like the event log."""

    class Subject(models.TextChoices):
        PARTY = "party", _("当事人信息")
        VISIT = "visit", _("回访拨号")
        DOCUMENT = "document", _("完整文书")
        LOOKUP = "lookup", _("登记查重")
        FILE = "file", _("证件材料")

    party = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        related_name="reveals",
        on_delete=models.CASCADE,
        verbose_name=_("当事人"),
    )
    case = models.ForeignKey(
        Case,
        null=True,
        blank=True,
        related_name="+",
        on_delete=models.CASCADE,
        verbose_name=_("案件"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("查看人"),
    )
    subject = models.CharField(
        _("查看类型"), max_length=10, choices=Subject.choices, default=Subject.PARTY
    )
    # What was opened, as "<kind>:<id>" (visit:5, agreement:3, notice:2): downstream apps'
    # objects, which intake cannot reference by foreign key (dependency direction).
    object_ref = models.CharField(_("查看对象"), max_length=40, blank=True)
    fields = models.CharField(_("查看内容"), max_length=50)
    reason = models.CharField(_("查看理由"), max_length=200)
    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("查看时间"))

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        indexes = [models.Index(fields=["object_ref"], name="reveal_object_idx")]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.party_id} {self.fields}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Reveal records are append-only.")
        super().save(*args, **kwargs)
