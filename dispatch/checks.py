"""System checks on the county's own data: a routing rule that sends cases where nobody can
sign for them is a configuration error the administrator should see on every start."""

from __future__ import annotations

from django.core.checks import Warning as CheckWarning
from django.db import DatabaseError


def unstaffed_routing_rules(app_configs=None, **kwargs) -> list[CheckWarning]:
    from django.utils.translation import gettext as _

    from luodian_platform.models import User
    from luodian_platform.roles import Role

    from .models import RoutingRule

    try:
        rules = list(RoutingRule.objects.select_related("department", "category"))
        # One query for all rules (``services.department_is_staffed`` asks per department).
        staffed = set(
            User.objects.filter(is_active=True, groups__name=Role.OFFICER).values_list(
                "department_id", flat=True
            )
        )
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
            if r.department_id not in staffed
        ]
    except DatabaseError:  # before migrate: nothing to check yet
        return []
    return problems


def uncovered_categories() -> list[tuple[str, list[str]]]:
    """(category name, channels with no applicable rule) for every category that some
    channel leaves without a handling-deadline rule of its own or a general one: those
    cases would silently get the built-in default (issue 15)."""
    from intake.models import Channel
    from luodian_platform.models import Category

    from .models import DeadlineRule

    rows = set(DeadlineRule.objects.values_list("category_id", "channel"))
    missing = []
    for cat_id, name in Category.objects.order_by("pk").values_list("pk", "name"):
        channels = [
            label
            for value, label in Channel.choices
            if not ({(cat_id, value), (cat_id, ""), (None, value), (None, "")} & rows)
        ]
        if channels:
            missing.append((name, [str(c) for c in channels]))
    return missing


def check_deadline_rules(app_configs=None, **kwargs) -> list[CheckWarning]:
    from django.utils.translation import gettext as _

    try:
        missing = uncovered_categories()
    except DatabaseError:  # tables not migrated yet: nothing to check
        return []
    return [
        CheckWarning(
            _("办理时限规则未覆盖类别「%(name)s」(渠道:%(channels)s),这些案件将使用内置默认时限。")
            % {"name": name, "channels": "、".join(channels)},
            hint=_("在管理后台「办理时限规则」中为该类别或全部类别(类别留空)添加规则。"),
            id="dispatch.W002",
        )
        for name, channels in missing
    ]
