"""Evidence and documents: files attached to a case or to something on it (intake.evidence)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luodian_platform.crypto import EncryptedCharField

from .case import Case


class Attachment(models.Model):
    """One stored file. It always belongs to a case (visibility is the case's); ``target_kind``
    and ``target_id`` say what on the case it documents (the case itself, a party, a session
    record, an agreement, a notice, a progress note…), from the registry of attachable targets
    (``intake.evidence.registry``) that downstream apps fill: intake cannot reference their
    models by foreign key (dependency direction).

    The bytes live in the ``attachments`` storage (``STORAGES``) under ``stored_name``, a
    random name that says nothing about the file. Personal documents (ID copies) are
    encrypted there with a key of their own, kept in ``data_key``, which is itself encrypted
    with the personal-data keys (``luodian_platform.crypto``): key rotation re-encrypts the
    small key, not the file; retention clears it and deletes the file."""

    class Kind(models.TextChoices):
        EVIDENCE = "evidence", _("证据材料")
        CONTRACT = "contract", _("合同/协议")
        IOU = "iou", _("欠条/借条")
        WAGES = "wages", _("工资单/考勤记录")
        PHOTO = "photo", _("照片")
        SIGNED_SCAN = "signed_scan", _("签字文书扫描件")
        ID_COPY = "id_copy", _("身份证复印件")
        OTHER = "other", _("其他")

    case = models.ForeignKey(
        Case, related_name="attachments", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    target_kind = models.CharField(_("所属对象类型"), max_length=20, default="case")
    target_id = models.BigIntegerField(_("所属对象编号"))
    kind = models.CharField(_("材料类别"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("文件名"), max_length=200)
    file_type = models.CharField(_("文件类型"), max_length=8)
    content_type = models.CharField(_("内容类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("内容摘要"), max_length=64, blank=True)
    client_key = models.CharField(_("上传标识"), max_length=64, blank=True)
    stored_name = models.CharField(_("存储位置"), max_length=255, blank=True)
    data_key = EncryptedCharField(_("文件密钥"), max_length=64, blank=True, null=True)
    # Empty for files the applicant sent with an online application (citizens have no
    # account; the event log's ``file_upload`` row says where it came from).
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("上传人"),
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    purged_at = models.DateTimeField(_("清除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["case", "target_kind", "target_id"], name="attachment_target_idx"),
        ]
        constraints = [
            # A retried upload of the same content on the same target is the same file.
            models.UniqueConstraint(
                fields=["case", "target_kind", "target_id", "sha256"],
                condition=~Q(sha256=""),
                name="attachment_same_content_once",
            ),
            # A retried request with the same client key is the same upload.
            models.UniqueConstraint(
                fields=["uploaded_by", "client_key"],
                condition=~Q(client_key=""),
                name="attachment_client_key_once",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def encrypted(self) -> bool:
        return bool(self.data_key)

    @property
    def is_image(self) -> bool:
        return self.file_type in ("jpeg", "png")

    @property
    def personal(self) -> bool:
        return self.kind in PERSONAL_KINDS

    @property
    def purged(self) -> bool:
        return self.purged_at is not None


# Kinds that are personal documents: encrypted at rest, opened only with a reason (and
# logged in the reveal log), purged by retention.
PERSONAL_KINDS = frozenset({Attachment.Kind.ID_COPY})


class FileDownload(models.Model):
    """Who downloaded which file, when (every download; personal documents also go to the
    reveal log with the reason)."""

    attachment = models.ForeignKey(
        Attachment, related_name="downloads", on_delete=models.CASCADE, verbose_name=_("材料")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("下载人"),
    )
    at = models.DateTimeField(_("下载时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("材料下载记录")
        verbose_name_plural = _("材料下载记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.attachment_id} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Download records are append-only.")
        super().save(*args, **kwargs)
