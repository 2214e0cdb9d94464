"""API of follow-up: the 12345 satisfaction import (JSON rows or a CSV file)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Channel

from .. import services


class ImportRowSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    external_id = serializers.CharField(max_length=64, allow_blank=True)
    satisfaction = serializers.CharField(max_length=20, allow_blank=True)
    rated_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ImportInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOTLINE_12345)
    rows = ImportRowSerializer(many=True, required=False)
    file = serializers.FileField(required=False)

    def validate(self, attrs):
        if not attrs.get("rows") and not attrs.get("file"):
            raise serializers.ValidationError({"rows": "请提供 rows 或 CSV 文件。"})
        return attrs


class ImportReportSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    created = serializers.IntegerField()
    unmatched = serializers.ListField(child=serializers.DictField())


class SatisfactionImportView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request=ImportInputSerializer, responses=ImportReportSerializer)
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rows = services.parse_import_csv(v["file"].read()) if v.get("file") else v["rows"]
        report = services.satisfaction_import(rows=rows, actor=request.user, channel=v["channel"])
        return Response(ImportReportSerializer(report).data)
