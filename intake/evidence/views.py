"""Pages for evidence files: the upload form's target (case page panel, mediation pages),
downloads and thumbnails. Thin: each calls one service."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from luodian_platform.api.throttles import throttled
from luodian_platform.errors import ServiceError
from luodian_platform.roles import user_has_role
from luodian_platform.uploads import upload_too_large

from ..models import Attachment, Case
from ..services import REVEAL_ROLES
from . import services
from .http import download_response, thumbnail_response
from .registry import TARGETS
from .selectors import case_files, upload_targets


def files_block(
    *,
    request,
    case: Case,
    target_kind: str | None = None,
    target_id: int | None = None,
    targets: list[tuple[str, str]] | None = None,
) -> dict:
    """The context of ``intake/_files.html``: the files and, for those who may add files,
    the upload form (with a choice of targets, or one fixed target)."""
    target = TARGETS.get(target_kind) if target_kind else None
    can_upload = services.may_attach_files(case, request.user) and (
        target is None or target.may_attach is None or target.may_attach(case, request.user)
    )
    return {
        "case": case,
        "rows": case_files(case=case, target_kind=target_kind, target_id=target_id),
        "can_upload": can_upload,
        "kinds": Attachment.Kind.choices,
        "targets": targets,
        "target": f"{target_kind}:{target_id}" if target_kind else "",
        "next": request.get_full_path(),
        "max_mb": f"{settings.FILE_MAX_BYTES / 1024 / 1024:.0f}",
        # One key per rendered form: a double submit or a browser retry of this form is
        # the same upload (services.attachment_upload returns the stored file).
        "client_key": uuid.uuid4().hex,
        "form_id": f"{target_kind or 'case'}{target_id or ''}",
    }


def case_files_panel(*, case, user, request) -> dict:
    return files_block(request=request, case=case, targets=upload_targets(case))


def _back(request, case_id: int):
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(nxt)
    return redirect(reverse("intake:case_detail", args=[case_id]) + "#files")


@login_required
@require_POST
def file_upload(request, pk: int):
    """The upload form of the file panels. Success or refusal comes back as a message on the
    page the form was on."""
    target = request.POST.get("target", "") or f"case:{pk}"
    kind_part, _sep, id_part = target.partition(":")
    try:
        target_id = int(id_part)
    except ValueError:
        target_id = -1
    if not 0 < target_id < 2**63:
        target_id = -1  # no such object (and nothing the database cannot hold)
    try:
        if upload_too_large(request):
            raise services.too_large()
        attachment, created = services.attachment_upload(
            case_id=pk,
            actor=request.user,
            upload=request.FILES.get("file"),
            kind=request.POST.get("kind", ""),
            target_kind=kind_part,
            target_id=target_id,
            client_key=request.POST.get("client_key", ""),
        )
    except ServiceError as exc:
        if exc.status == 404 and not Case.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404 from exc
        if exc.status == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)  # incl. an object not on this case
        return _back(request, pk)
    if created:
        messages.success(request, _("已上传「%(name)s」。") % {"name": attachment.name})
    else:
        messages.info(request, _("「%(name)s」已上传过,未重复保存。") % {"name": attachment.name})
    return _back(request, pk)


@login_required
@require_http_methods(["GET", "POST"])
@throttled("reveal")
def file_download(request, pk: int):
    """Download a file of a visible case. A personal document (ID copy) asks for a reason
    first (POST), like the full documents."""
    attachment = (
        Attachment.objects.select_related("case")
        .filter(pk=pk, case__in=Case.objects.visible_to(request.user))
        .first()
    )
    if attachment is None:
        raise Http404
    if attachment.personal and request.method == "GET":
        if not user_has_role(request.user, *REVEAL_ROLES):
            raise PermissionDenied
        return render(request, "intake/file_open.html", {"attachment": attachment, "error": ""})
    try:
        opened = services.attachment_open(
            attachment_id=pk, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ServiceError as exc:
        if exc.status == 404:
            raise Http404 from exc
        if exc.status == 403:
            raise PermissionDenied from exc
        error = next(iter(exc.fields.values()), exc.message)
        return render(
            request,
            "intake/file_open.html",
            {"attachment": attachment, "error": error},
            status=400,
        )
    return download_response(opened)


@login_required
@require_GET
def file_thumbnail(request, pk: int):
    try:
        data, content_type = services.attachment_thumbnail(attachment_id=pk, actor=request.user)
    except ServiceError as exc:
        raise Http404 from exc
    return thumbnail_response(data, content_type)
