from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import (
    CalendarYear,
    Category,
    Department,
    HolidayOverride,
    Period,
    Township,
    User,
    Window,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (
            _("平台信息"),
            {"fields": ("full_name", "department", "window", "is_department_head", "mobile")},
        ),
    )
    list_display = ("username", "full_name", "department", "window", "is_active")
    list_select_related = ("department", "window")
    list_filter = ("groups", "department", "is_active")


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "registered_population", "floating_population")
    list_editable = ("registered_population", "floating_population")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "phone", "is_active")
    list_filter = ("kind", "is_active")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "required_fields", "stall_workdays", "is_active")


admin.site.register(Window)
admin.site.register(HolidayOverride)
admin.site.register(CalendarYear)
admin.site.site_header = _("一站式矛盾纠纷化解平台 · 系统管理")


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "amount",
        "unit",
        "extension_amount",
        "max_extensions",
        "starts_on",
        "legal_basis",
    )
    list_editable = ("amount", "unit", "extension_amount", "max_extensions")
    search_fields = ("code", "name", "legal_basis")

    def get_readonly_fields(self, request, obj=None):
        # Code reads rows by their code: it is fixed once the row exists.
        return ("code",) if obj else ()
