"""``GET/POST /api/cases/{id}/notes/`` and ``PATCH /api/cases/{id}/notes/{note_id}/``:
progress notes (办理进展) of a case. Writes go through ``intake.notes``."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Case, ProgressNote
from intake.notes import case_notes, note_add, note_edit

ERRORS = {
    400: OpenApiResponse(description="输入有误,fields 指明字段"),
    403: OpenApiResponse(description="无权记录或修改办理进展"),
    404: OpenApiResponse(description="案件不存在或无权查看"),
    409: OpenApiResponse(description="案件已归档/不予受理/合并,或已超过可修改时间(请添加更正记录)"),
}


class NoteInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProgressNote.Kind.choices, help_text="进展类型")
    text = serializers.CharField(max_length=5000, help_text="进展情况")
    happened_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="进展时间,默认为现在"
    )
    corrects = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="更正的办理进展编号(更正记录作为新的一条追加,原记录不变)",
    )


class NoteEditInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProgressNote.Kind.choices)
    text = serializers.CharField(max_length=5000)
    happened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NoteOutput(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    author = serializers.CharField(source="author.display_name")
    editable_until = serializers.DateTimeField()
    editable = serializers.SerializerMethodField()

    class Meta:
        model = ProgressNote
        fields = [
            "id",
            "case",
            "kind",
            "kind_label",
            "happened_at",
            "text",
            "author",
            "created_at",
            "edited_at",
            "corrects",
            "editable_until",
            "editable",
        ]

    def get_editable(self, obj: ProgressNote) -> bool:
        request = self.context.get("request")
        return bool(request) and obj.is_editable_by(request.user)


def _visible(request, pk: int) -> bool:
    return Case.objects.visible_to(request.user).filter(pk=pk).exists()


class CaseNotesView(APIView):
    """A case's progress notes in time order (anyone who sees the case), and adding one
    (who handles the case: officers, mediators, dispatchers, clerks)."""

    pagination_class = None

    @extend_schema(
        operation_id="cases_notes_list",
        summary="办理进展列表",
        responses={200: NoteOutput(many=True), 404: ERRORS[404]},
        tags=["cases"],
    )
    def get(self, request, pk: int):
        case = Case.objects.visible_to(request.user).filter(pk=pk).first()
        if case is None:
            raise Http404
        notes = case_notes(case=case)
        return Response(NoteOutput(notes, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="cases_notes_create",
        summary="记录办理进展",
        request=NoteInput,
        responses={201: NoteOutput, **ERRORS},
        tags=["cases"],
    )
    def post(self, request, pk: int):
        if not _visible(request, pk):
            raise Http404
        inp = NoteInput(data=request.data)
        inp.is_valid(raise_exception=True)
        d = inp.validated_data
        note = note_add(
            case_id=pk,
            actor=request.user,
            kind=d["kind"],
            text=d["text"],
            happened_at=d["happened_at"],
            corrects_id=d["corrects"],
        )
        return Response(
            NoteOutput(note, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class CaseNoteView(APIView):
    """Change a progress note: its author, within the edit window only."""

    @extend_schema(
        operation_id="cases_notes_edit",
        summary="修改办理进展(限记录人,限时)",
        request=NoteEditInput,
        responses={200: NoteOutput, **ERRORS},
        tags=["cases"],
    )
    def patch(self, request, pk: int, note_id: int):
        if not ProgressNote.objects.filter(
            pk=note_id, case_id=pk, case__in=Case.objects.visible_to(request.user).values("pk")
        ).exists():
            raise Http404
        inp = NoteEditInput(data=request.data)
        inp.is_valid(raise_exception=True)
        d = inp.validated_data
        note = note_edit(
            note_id=note_id,
            actor=request.user,
            kind=d["kind"],
            text=d["text"],
            happened_at=d["happened_at"],
        )
        return Response(NoteOutput(note, context={"request": request}).data)
