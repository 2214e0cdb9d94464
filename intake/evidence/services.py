"""Writes and access-checked reads of evidence files (uploads, downloads, thumbnails).

Upload order, so that a failure leaves nothing half-stored: the content is checked, then
stored under a fresh random name, then the row is written in one transaction with the case
row locked; if anything in that transaction fails (or a concurrent retry won), the stored
object is deleted before the error goes on. A retry (same client key, or the same content on
the same target) returns the file already stored, with ``created`` false.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.roles import Role, user_has_role

from ..lifecycle import lock_visible_case
from ..models import PERSONAL_KINDS, Attachment, Case, CaseEvent, FileDownload, State
from ..services import REVEAL_ROLES, _reveal_reason, reveal_log
from . import sniff, store
from .registry import TARGETS

logger = logging.getLogger("luodian.files")

# Roles that add files to a case they see. Supervisors read; follow-up officers record
# their calls on the visit.
UPLOAD_ROLES = (Role.CLERK, Role.DISPATCHER, Role.OFFICER, Role.MEDIATOR, Role.ADMIN)
_CLIENT_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_BAD_NAME_CHARS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


def may_attach_files(case: Case, user) -> bool:
    return user_has_role(user, *UPLOAD_ROLES)


def clean_name(name: str) -> str:
    """The file's name as shown and offered on download: its last path part, without
    control characters or characters file systems refuse, at most 200 characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _BAD_NAME_CHARS.sub("", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = stem or _("文件")
    ext = ext[:10]
    return (stem[: 200 - len(ext) - 1] + ("." + ext if ext else ""))[:200]


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}"


def too_large() -> ServiceError:
    limit = settings.FILE_MAX_BYTES
    return ServiceError(
        _("文件过大,单个文件上限为 %(max)s MB。") % {"max": _mb(limit)},
        fields={"file": _("文件超过 %(max)s MB。") % {"max": _mb(limit)}},
    )


def _read(upload) -> bytes:
    limit = settings.FILE_MAX_BYTES
    if upload is None:
        raise ServiceError(_("请选择要上传的文件。"), fields={"file": _("请选择文件。")})
    size = getattr(upload, "size", None) or 0
    if size > limit:
        raise ServiceError(
            _("文件过大:%(size)s MB,单个文件上限为 %(max)s MB。")
            % {"size": f"{size / 1024 / 1024:.1f}", "max": _mb(limit)},
            fields={"file": _("文件超过 %(max)s MB。") % {"max": _mb(limit)}},
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if not data:
        raise ServiceError(_("文件是空的(0 字节),不能上传。"), fields={"file": _("文件是空的。")})
    if len(data) > limit:
        raise too_large()
    return data


class _AlreadyStored(Exception):
    def __init__(self, attachment: Attachment):
        self.attachment = attachment


def _existing(
    *, case: Case, actor, target_kind: str, target_id: int, digest: str, client_key: str
) -> Attachment | None:
    if client_key:
        same_key = Attachment.objects.filter(uploaded_by=actor, client_key=client_key).first()
        if same_key is not None:
            if (same_key.case_id, same_key.target_kind, same_key.target_id, same_key.sha256) != (
                case.pk,
                target_kind,
                target_id,
                digest,
            ):
                raise Conflict(
                    _(
                        "上传标识「%(key)s」已用于另一个文件。重试同一次上传请用原标识,新文件请换新标识。"
                    )
                    % {"key": client_key},
                    code="client_key_reused",
                )
            return same_key
    return Attachment.objects.filter(
        case=case, target_kind=target_kind, target_id=target_id, sha256=digest
    ).first()


def _check_counts(case: Case, target_kind: str, target_id: int) -> None:
    on_target = Attachment.objects.filter(
        case=case, target_kind=target_kind, target_id=target_id
    ).count()
    if on_target >= settings.FILE_MAX_PER_TARGET:
        raise ServiceError(
            _("该对象已有 %(n)d 个文件,达到上限 %(max)d 个,不能再上传。")
            % {"n": on_target, "max": settings.FILE_MAX_PER_TARGET},
            code="too_many_files",
            fields={"file": _("文件数已达上限。")},
        )
    on_case = Attachment.objects.filter(case=case).count()
    if on_case >= settings.FILE_MAX_PER_CASE:
        raise ServiceError(
            _("本案件已有 %(n)d 个文件,达到上限 %(max)d 个,不能再上传。")
            % {"n": on_case, "max": settings.FILE_MAX_PER_CASE},
            code="too_many_files",
            fields={"file": _("文件数已达上限。")},
        )


def _log_upload(case: Case, attachment: Attachment, actor, target_label: str, **extra: str) -> None:
    CaseEvent.objects.create(
        case=case,
        transition="file_upload",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=f"{target_label}:{attachment.get_kind_display()}",
        payload={
            "attachment": attachment.pk,
            "target": f"{attachment.target_kind}:{attachment.target_id}",
            "kind": attachment.kind,
            **extra,
        },
    )


def attachment_upload(
    *,
    case_id: int,
    actor,
    upload,
    kind: str,
    target_kind: str = "case",
    target_id: int | None = None,
    client_key: str = "",
) -> tuple[Attachment, bool]:
    """Attach ``upload`` to a case or to an object on it; (the file, whether it is new)."""
    case = Case.objects.visible_to(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("案件不存在或您无权查看。"))
    if not may_attach_files(case, actor):
        raise NotAllowed(_("您的角色不能为案件上传材料。"))
    if case.state == State.ARCHIVED:
        # The archive is the closed record; material that comes later reopens the case.
        raise Conflict(
            _("案件已归档,不能再上传材料。如有新材料,请先重新办理(重办)。"),
            code="illegal_state",
        )
    target = TARGETS.get(target_kind or "case")
    if target is None:
        raise ServiceError(
            _("不能向该类对象上传材料。"), fields={"target_kind": _("对象类型无效。")}
        )
    if target.kind == "case":
        target_id = case.pk
    elif target_id is None:
        raise ServiceError(
            _("请指定要上传到的%(label)s。") % {"label": target.label},
            fields={"target_id": _("缺少对象编号。")},
        )
    obj = target.resolve(case, target_id)
    if obj is None:
        raise NotFound(_("%(label)s不存在,或不属于本案件。") % {"label": target.label})
    if target.may_attach is not None and not target.may_attach(case, actor):
        raise NotAllowed(_("您不能为本案件的%(label)s上传材料。") % {"label": target.label})
    if kind not in Attachment.Kind.values:
        raise ServiceError(_("请选择材料类别。"), fields={"kind": _("材料类别无效。")})
    client_key = (client_key or "").strip()
    if client_key and not _CLIENT_KEY.match(client_key):
        raise ServiceError(
            _("上传标识只能由字母、数字和 . _ : - 组成,最长 64 个字符。"),
            fields={"client_key": _("上传标识格式有误。")},
        )
    name = clean_name(getattr(upload, "name", "") or "")
    data = _read(upload)
    try:
        file_type = sniff.check(name, data)
    except sniff.Refused as refused:
        raise ServiceError(str(refused), code="file_type", fields={"file": str(refused)}) from None
    digest = hashlib.sha256(data).hexdigest()
    found = _existing(
        case=case,
        actor=actor,
        target_kind=target.kind,
        target_id=obj.pk,
        digest=digest,
        client_key=client_key,
    )
    if found is not None:
        return found, False
    _check_counts(case, target.kind, obj.pk)

    data_key = None
    blob = data
    if kind in PERSONAL_KINDS:
        blob, data_key = store.encrypt(data)
    stored = store.put(store.new_name(case.pk), blob)
    try:
        with transaction.atomic():
            case = lock_visible_case(case.pk, actor)
            # Under the case lock: a concurrent retry that committed first wins.
            found = _existing(
                case=case,
                actor=actor,
                target_kind=target.kind,
                target_id=obj.pk,
                digest=digest,
                client_key=client_key,
            )
            if found is not None:
                raise _AlreadyStored(found)
            _check_counts(case, target.kind, obj.pk)
            attachment = Attachment.objects.create(
                case=case,
                target_kind=target.kind,
                target_id=obj.pk,
                kind=kind,
                name=name,
                file_type=file_type.code,
                content_type=file_type.content_type,
                size=len(data),
                sha256=digest,
                client_key=client_key,
                stored_name=stored,
                data_key=data_key,
                uploaded_by=actor,
            )
            _log_upload(case, attachment, actor, str(target.label))
    except _AlreadyStored as already:
        store.delete(stored)
        return already.attachment, False
    except BaseException:
        # Nothing half-stored: the row is rolled back, so the object goes too.
        store.delete(stored)
        raise
    return attachment, True


# --- files that come with an order (the online application) --------------------------------


@dataclass(frozen=True)
class CheckedFile:
    """An upload read and recognised by its content, not yet stored."""

    name: str
    data: bytes
    file_type: sniff.FileType
    sha256: str

    @property
    def kind(self) -> str:
        # The applicant does not sort their material: photos are photos, the rest evidence.
        return (
            Attachment.Kind.PHOTO
            if self.file_type.code in ("jpeg", "png")
            else Attachment.Kind.EVIDENCE
        )


def upload_check(upload) -> CheckedFile:
    """The checks of ``attachment_upload`` (size ``FILE_MAX_BYTES``, empty, type by content)
    without storing anything; raises ``ServiceError`` with the Chinese reason."""
    name = clean_name(getattr(upload, "name", "") or "")
    data = _read(upload)
    try:
        file_type = sniff.check(name, data)
    except sniff.Refused as refused:
        raise ServiceError(str(refused), code="file_type", fields={"file": str(refused)}) from None
    return CheckedFile(name, data, file_type, hashlib.sha256(data).hexdigest())


def attachments_add_received(*, case: Case, files: list[CheckedFile], source: str) -> list:
    """Store files that came with an order from outside (the online application, issue 21)
    on its new case, in the caller's transaction (the one that creates the case): there is
    no staff uploader (``uploaded_by`` is empty; the event log names ``source``). Files of
    the same content are stored once. If storing fails, the objects stored so far are
    deleted before the error goes on; if the caller's transaction fails after this
    returned, the caller deletes the returned files' objects (``store.delete``)."""
    stored: list[str] = []
    attachments = []
    seen: set[str] = set()
    try:
        for checked in files:
            if checked.sha256 in seen:
                continue
            seen.add(checked.sha256)
            name = store.put(store.new_name(case.pk), checked.data)
            stored.append(name)
            attachment = Attachment.objects.create(
                case=case,
                target_kind="case",
                target_id=case.pk,
                kind=checked.kind,
                name=checked.name,
                file_type=checked.file_type.code,
                content_type=checked.file_type.content_type,
                size=len(checked.data),
                sha256=checked.sha256,
                stored_name=name,
                uploaded_by=None,
            )
            _log_upload(case, attachment, None, TARGETS["case"].label, source=source)
            attachments.append(attachment)
    except BaseException:
        for name in stored:
            store.delete(name)
        raise
    return attachments


# --- reads with access checks -------------------------------------------------------------


def _visible_attachment(attachment_id: int, actor) -> Attachment:
    attachment = (
        Attachment.objects.select_related("case")
        .filter(pk=attachment_id, case__in=Case.objects.visible_to(actor))
        .first()
    )
    if attachment is None:
        raise NotFound(_("文件不存在或您无权查看。"))
    return attachment


@dataclass
class OpenedFile:
    attachment: Attachment
    content: bytes | None = None  # decrypted personal documents
    handle: Any = None  # a storage file object, streamed


def attachment_open(*, attachment_id: int, actor, reason: str = "") -> OpenedFile:
    """A file for download by someone who sees its case; every download is logged. A
    personal document (ID copy) also needs a role that may see personal data and a reason,
    and goes to the reveal log."""
    attachment = _visible_attachment(attachment_id, actor)
    if attachment.purged:
        raise NotFound(_("该文件已按个人信息保存期限清除。"), code="purged")
    opened = OpenedFile(attachment)
    if attachment.personal:
        if not user_has_role(actor, *REVEAL_ROLES):
            raise NotAllowed(_("您的角色不能查看证件类材料。"))
        reason = _reveal_reason(reason)
    try:
        if attachment.personal:
            opened.content = store.read(attachment.stored_name, attachment.data_key)
        else:
            opened.handle = store.open_plain(attachment.stored_name)
    except OSError:
        logger.error("stored object missing for attachment %s", attachment.pk)
        raise NotFound(
            _("文件内容在存储中找不到,请联系系统管理员。"), code="file_missing"
        ) from None
    with transaction.atomic():
        FileDownload.objects.create(attachment=attachment, actor=actor)
        if attachment.personal:
            reveal_log(
                actor=actor,
                subject="file",
                case=attachment.case,
                object_ref=f"file:{attachment.pk}",
                fields=attachment.kind,
                reason=reason,
            )
    return opened


def attachment_thumbnail(*, attachment_id: int, actor) -> tuple[bytes, str]:
    """A small preview of an image file, for someone who sees its case. Personal documents
    have none (they are opened with a reason only)."""
    attachment = _visible_attachment(attachment_id, actor)
    if not attachment.is_image or attachment.personal or attachment.purged:
        raise NotFound(_("该文件没有预览图。"))
    key = f"attachment-thumb:{attachment.pk}:{attachment.sha256}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    try:
        result = store.thumbnail(store.read(attachment.stored_name), attachment.file_type)
    except OSError:
        raise NotFound(_("该文件没有预览图。")) from None
    cache.set(key, result, 24 * 3600)
    return result


# --- retention ----------------------------------------------------------------------------


def purged_name(attachment: Attachment) -> str:
    return f"{_('已清除')}.{attachment.file_type}"


def attachments_purged(pks: list[int]) -> None:
    """After retention cleared their keys: mark the rows and delete the stored objects once
    the purge commits (a rolled-back purge keeps the files)."""
    rows = list(Attachment.objects.filter(pk__in=pks).values_list("pk", "stored_name"))
    Attachment.objects.filter(pk__in=pks).update(purged_at=timezone.now(), stored_name="")

    def delete_objects():
        for _pk, name in rows:
            store.delete(name)

    transaction.on_commit(delete_objects)
