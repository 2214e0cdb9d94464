from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


class PingView(APIView):
    """A fixed small JSON object: the benchmark's bare DRF baseline and a health check."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses=inline_serializer("Ping", {"status": serializers.CharField()}))
    def get(self, request):
        return Response({"status": "ok"})
