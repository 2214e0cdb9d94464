"""Evidence files in the API: ``GET/POST /api/cases/{id}/files/`` (list, multipart upload)
and ``GET /api/files/{id}/`` (download; ``?reason=`` for personal documents)."""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.evidence.http import download_response
from intake.evidence.registry import TARGETS
from intake.evidence.selectors import case_files
from intake.evidence.services import attachment_open, attachment_upload, too_large
from intake.models import Attachment, Case
from luodian_platform.uploads import upload_too_large


class FileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    file_type = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    target_kind = serializers.CharField()
    target_id = serializers.IntegerField()
    target_label = serializers.CharField()
    target_name = serializers.CharField()
    encrypted = serializers.BooleanField()
    purged = serializers.BooleanField()
    uploaded_by = serializers.CharField(help_text="username; empty: sent by the applicant online")
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.CharField()

    @staticmethod
    def of(row) -> dict:
        a = row.attachment
        return {
            "id": a.pk,
            "name": a.name,
            "kind": a.kind,
            "kind_label": a.get_kind_display(),
            "file_type": a.file_type,
            "content_type": a.content_type,
            "size": a.size,
            "sha256": a.sha256,
            "target_kind": a.target_kind,
            "target_id": a.target_id,
            "target_label": row.target_label,
            "target_name": row.target_name,
            "encrypted": a.encrypted,
            "purged": a.purged,
            "uploaded_by": a.uploaded_by.username if a.uploaded_by_id else "",
            "uploaded_at": a.uploaded_at,
            "download_url": reverse("api:file-download", args=[a.pk]),
        }


class FileUploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    kind = serializers.ChoiceField(choices=Attachment.Kind.choices)
    target_kind = serializers.CharField(required=False, default="case", max_length=20)
    target_id = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, max_value=2**63 - 1
    )
    client_key = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)

    def validate_target_kind(self, value: str) -> str:
        if value not in TARGETS:
            raise serializers.ValidationError(
                _("不能向该类对象上传材料。可用:%(kinds)s") % {"kinds": "、".join(sorted(TARGETS))}
            )
        return value


def _rows(case, attachment_id: int | None = None):
    rows = case_files(case=case)
    return [r for r in rows if attachment_id is None or r.attachment.pk == attachment_id]


class CaseFilesView(APIView):
    """Files of a case you can see: all of them, whatever object on the case they are on."""

    parser_classes = [MultiPartParser, FormParser]

    def _case(self, request, pk: int) -> Case:
        case = Case.objects.visible_to(request.user).filter(pk=pk).first()
        if case is None:
            raise Http404
        return case

    @extend_schema(
        responses={
            200: FileSerializer(many=True),
            404: OpenApiResponse(description="案件不存在或无权查看"),
        },
        tags=["files"],
        operation_id="cases_files_list",
        summary="案件材料列表",
    )
    def get(self, request, pk: int):
        case = self._case(request, pk)
        return Response([FileSerializer.of(r) for r in _rows(case)])

    @extend_schema(
        request={"multipart/form-data": FileUploadInput},
        responses={
            201: FileSerializer,
            200: OpenApiResponse(
                FileSerializer, description="重试:同一上传标识或同一内容,已保存的文件"
            ),
            400: OpenApiResponse(description="文件类型、大小、数量或字段有误"),
            403: OpenApiResponse(description="无权上传"),
            404: OpenApiResponse(description="案件或对象不存在或无权查看"),
            409: OpenApiResponse(description="上传标识已用于另一个文件"),
        },
        tags=["files"],
        operation_id="cases_files_upload",
        summary="上传案件材料(按内容检查类型,幂等)",
    )
    def post(self, request, pk: int):
        case = self._case(request, pk)
        if upload_too_large(request._request):
            raise too_large()
        inp = FileUploadInput(data=request.data)
        inp.is_valid(raise_exception=True)
        data = inp.validated_data
        attachment, created = attachment_upload(
            case_id=case.pk,
            actor=request.user,
            upload=data["file"],
            kind=data["kind"],
            target_kind=data["target_kind"],
            target_id=data["target_id"],
            client_key=data["client_key"],
        )
        row = _rows(case, attachment.pk)[0]
        return Response(
            FileSerializer.of(row),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class FileDownloadView(APIView):
    """The file itself (``Content-Disposition: attachment`` with its Chinese name). Every
    download is logged; an ID copy needs ``reason`` and goes to the reveal log."""

    @extend_schema(
        parameters=[
            OpenApiParameter("reason", str, description="查看理由(证件类材料必填)", required=False)
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="证件类材料未填写理由"),
            403: OpenApiResponse(description="无权查看证件类材料"),
            404: OpenApiResponse(description="文件不存在、已清除或无权查看"),
        },
        tags=["files"],
        operation_id="files_download",
        summary="下载材料(留痕)",
    )
    def get(self, request, pk: int):
        opened = attachment_open(
            attachment_id=pk, actor=request.user, reason=request.query_params.get("reason", "")
        )
        return download_response(opened)
