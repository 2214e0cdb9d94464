from django.conf import settings

from .roles import Role, primary_role, user_roles


def platform(request):
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else frozenset()
    return {
        "COUNTY_NAME": settings.COUNTY_NAME,
        "PLATFORM_TITLE": settings.PLATFORM_TITLE,
        "HALL_PHONE": settings.HALL_PHONE,
        "user_roles": roles,
        "primary_role": primary_role(user) if user is not None else None,
        "Role": Role,
    }
