"""Progress notes (办理进展): what the people handling a case did between sign-for and reply.

A note is editable by its author for ``PROGRESS_NOTE_EDIT_MINUTES`` after it was written
(a typo caught at once); after that it is append-only and a mistake is corrected by a new
note that points at the one it corrects (``corrects``), so the record of what was said to
whom, and when, is never rewritten. Every change is in the audit trail (the ``intake``
tables are audited by the database triggers).

A plain model with an integer key: files on a note (18b's attachments) hang on it through
the attachment-target registry, not through a field here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case

# What retention leaves of a note's text (purge_personal_data): stored, like PURGED_NAME.
PURGED_NOTE_TEXT = "(记录内容已按个人信息保存期限清除)"


class ProgressNote(models.Model):
    class Kind(models.TextChoices):
        PHONE = "phone", _("电话")
        VISIT = "visit", _("走访")
        MEETING = "meeting", _("约谈/会议")
        DOCUMENT = "document", _("文书")
        OTHER = "other", _("其他")

    case = models.ForeignKey(
        Case, related_name="notes", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    kind = models.CharField(_("进展类型"), max_length=10, choices=Kind.choices)
    happened_at = models.DateTimeField(_("进展时间"))
    text = models.TextField(_("进展情况"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="progress_notes",
        verbose_name=_("记录人"),
    )
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("更正的记录"),
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    edited_at = models.DateTimeField(_("修改时间"), null=True, blank=True)

    class Meta:
        ordering = ["happened_at", "id"]
        verbose_name = _("办理进展")
        verbose_name_plural = _("办理进展")
        indexes = [
            # The timeline reads a case's notes in order; the stall sweep asks for the
            # latest note of each case in handling (MAX(created_at) per case).
            models.Index(fields=["case", "created_at"], name="progressnote_case_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.happened_at:%Y-%m-%d}"

    def editable_until(self):
        return self.created_at + timezone.timedelta(minutes=settings.PROGRESS_NOTE_EDIT_MINUTES)

    def is_editable_by(self, user, now=None) -> bool:
        return (
            getattr(user, "pk", None) == self.author_id
            and (now or timezone.now()) <= self.editable_until()
        )
