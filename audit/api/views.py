from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import BasePermission

from audit.selectors import FILTER_KEYS, audit_search, may_search_audit

from .serializers import AuditEntrySerializer


class MaySearchAudit(BasePermission):
    def has_permission(self, request, view) -> bool:
        return may_search_audit(request.user)


class AuditPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


@extend_schema(
    tags=["audit"],
    parameters=[
        OpenApiParameter(k, str, description=d)
        for k, d in zip(
            FILTER_KEYS,
            ["数据表", "记录编号", "操作人用户名", "INSERT/UPDATE/DELETE", "起始日期", "截止日期"],
            strict=True,
        )
    ],
)
class AuditEntryListView(generics.ListAPIView):
    """审计日志检索 (supervisors and administrators)."""

    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination
    filter_backends: list = []

    def get_permissions(self):
        return [*super().get_permissions(), MaySearchAudit()]

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k, "")[:100] for k in FILTER_KEYS}
        return audit_search(user=self.request.user, filters=filters)
