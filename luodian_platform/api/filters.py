"""The API's filter backend: django-filter's, without building a FilterSet when there is
nothing to filter by.

A FilterSet deep-copies its declared filters, builds a Django form with one field per
filter (translating the choices of each ``ChoiceFilter``) and validates it — on every
request, even when the query string holds only a cursor or nothing at all, which is most
list requests (a case list's first page, the next page). With no filter parameter the
result is the queryset unchanged, so that work is skipped; any other parameter, known or
not, goes through the FilterSet as before (and answers 400 in the same way when invalid).
"""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if self._nothing_to_filter(request, queryset, view):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def _nothing_to_filter(self, request, queryset, view) -> bool:
        paginator = getattr(view, "paginator", None)
        own = {"format"}
        for attr in ("cursor_query_param", "page_query_param", "page_size_query_param"):
            if name := getattr(paginator, attr, None):
                own.add(name)
        if set(request.query_params) - own:
            return False
        filterset_class = self.get_filterset_class(view, queryset)
        # A required filter must still answer 400 when it is missing.
        return filterset_class is None or not any(
            f.extra.get("required") for f in filterset_class.base_filters.values()
        )
