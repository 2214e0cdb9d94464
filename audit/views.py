from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode

from luodian_platform.views import role_required

from . import presentation
from .models import AuditEntry
from .selectors import AUDIT_ROLES, FILTER_KEYS, audit_search


@role_required(*AUDIT_ROLES)
def audit_log(request):
    """审计日志: supervisors search who changed what, when, from what to what."""
    filters = {k: request.GET.get(k, "")[:100] for k in FILTER_KEYS}
    page = Paginator(audit_search(user=request.user, filters=filters), 50).get_page(
        request.GET.get("page")
    )
    rows = [
        {
            "entry": e,
            "table": presentation.table_label(e.table_name),
            "changes": presentation.changes(e),
        }
        for e in page.object_list
    ]
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "rows": rows,
            "tables": presentation.table_choices(),
            "filters": filters,
            "actions": AuditEntry.Action.choices,
            "querystring": urlencode({k: v for k, v in filters.items() if v}),
        },
    )
