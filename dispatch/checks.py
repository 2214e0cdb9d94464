"""System checks on the county's own data: a routing rule that sends cases where nobody can
sign for them is a configuration error the administrator should see on every start."""

from __future__ import annotations

from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError


def unstaffed_routing_rules(app_configs=None, **kwargs) -> list[CheckWarning]:
    from django.utils.translation import gettext as _

    from .models import RoutingRule
    from .services import department_is_staffed

    try:
        rules = list(RoutingRule.objects.select_related("department", "category"))
        problems = [
            CheckWarning(
                _(
                    "分流规则 #%(id)s(%(rule)s)指向的部门「%(d)s」没有在岗承办人,按该规则派单须调度员另行确认。"
                )
                % {"id": r.pk, "rule": r, "d": r.department.name},
                hint=_("在管理后台为该部门开通承办人账号,或修改该分流规则。"),
                obj=r,
                id="dispatch.W001",
            )
            for r in rules
            if not department_is_staffed(r.department)
        ]
    except DatabaseError:  # before migrate: nothing to check yet
        return []
    return problems
