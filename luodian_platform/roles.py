"""The platform's roles, kept as Django groups with model permissions.

A role is a group; ``ensure_roles()`` creates the groups and grants their permissions,
idempotently, from this one table. Code asks ``user_has_role(user, Role.DISPATCHER)``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("窗口登记员")
    DISPATCHER = "dispatcher", _("调度员")
    OFFICER = "officer", _("承办人")
    MEDIATOR = "mediator", _("调解员")
    FOLLOWUP = "followup", _("回访员")
    SUPERVISOR = "supervisor", _("督查/领导")
    ADMIN = "admin", _("系统管理员")


# Model permissions granted to each role's group ("app_label.codename").
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CLERK: ["intake.add_case", "intake.view_case", "intake.add_party"],
    Role.DISPATCHER: ["intake.view_case", "intake.change_case", "intake.dispatch_case"],
    Role.OFFICER: ["intake.view_case", "intake.handle_case"],
    Role.MEDIATOR: ["intake.view_case", "intake.handle_case"],
    Role.FOLLOWUP: ["intake.view_case", "intake.followup_case"],
    Role.SUPERVISOR: ["intake.view_case", "intake.supervise_case"],
    Role.ADMIN: [],  # administrators are superusers
}

# Where each role lands after login.
ROLE_HOME_URL_NAMES: dict[str, str] = {
    Role.CLERK: "intake:workbench",
    Role.DISPATCHER: "dispatch:workbench",
    Role.OFFICER: "dispatch:officer_workbench",
    Role.MEDIATOR: "mediation:workbench",
    Role.FOLLOWUP: "followup:workbench",
    Role.SUPERVISOR: "followup:dashboard",
    Role.ADMIN: "admin:index",
}


def user_roles(user) -> frozenset[str]:
    """The role names of ``user``, cached on the instance for the request."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        cached = remember_roles(user, user.groups.values_list("name", flat=True))
    return cached


def remember_roles(user, group_names) -> frozenset[str]:
    """Cache ``user``'s roles from its group names, read by the caller (the request's user
    comes with them: ``luodian_platform.auth`` loads both in one statement)."""
    names = set(group_names)
    if user.is_superuser:
        names.add(Role.ADMIN.value)
    user._role_cache = frozenset(n for n in names if n in Role.values)
    return user._role_cache


def user_has_role(user, *roles: str) -> bool:
    return bool(user_roles(user) & {str(r) for r in roles})


def primary_role(user) -> str | None:
    roles = user_roles(user)
    for role in Role.values:  # declaration order decides for multi-role users
        if role in roles:
            return role
    return None


def ensure_roles() -> None:
    """Create one group per role and grant its permissions. Safe to run repeatedly."""
    from django.contrib.auth.models import Group, Permission

    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=str(role))
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".")
            wanted.extend(
                Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(wanted)
