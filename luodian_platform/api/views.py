from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
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


# ``POST /api/<objects>/{pk}/<verb>/``: one service call on an object the user can see.
#
# The shape every object endpoint shares, written once: ``visible`` says whether the
# user may see object ``pk`` (an invisible one answers 404, as if it did not exist);
# ``input_serializer`` validates the body (400 with the field names); ``perform`` calls
# one service with the validated data and returns the object to answer with, read again
# where the service's return value is not what the client sees; the answer is
# ``output_serializer`` of it, 201 when ``created``. Access beyond visibility (403) and
# state (409) are the service's to decide. Each subclass keeps its own schema
# annotation (``@extend_schema_view(post=...)``) and docstring for the API docs.
#
# (A comment, not a docstring: drf-spectacular would show a docstring as the
# description of every endpoint that has none of its own.)
class ObjectActionView(APIView):
    input_serializer: type[serializers.Serializer] | None = None
    output_serializer: type[serializers.Serializer]
    created = False

    def visible(self, request, pk: int) -> bool:
        raise NotImplementedError

    def perform(self, request, pk: int, data: dict):
        raise NotImplementedError

    def post(self, request, pk: int):
        if not self.visible(request, pk):
            raise Http404
        data = {}
        if self.input_serializer is not None:
            inp = self.input_serializer(data=request.data, context={"request": request})
            inp.is_valid(raise_exception=True)
            data = inp.validated_data
        result = self.perform(request, pk, data)
        return Response(
            self.output_serializer(result).data,
            status=status.HTTP_201_CREATED if self.created else status.HTTP_200_OK,
        )
