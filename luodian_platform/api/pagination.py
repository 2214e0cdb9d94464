"""Pagination for large lists: keyset (cursor) pagination by default, so no list ever
runs COUNT(*) over a province's cases, and a deep page costs what the first page costs."""

from rest_framework.pagination import CursorPagination


class CasePagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-created_at", "-id")
