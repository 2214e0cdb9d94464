from django.contrib import admin

from .models import DeadlineRule, RoutingRule


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "category",
        "channel",
        "sign_amount",
        "sign_unit",
        "handle_amount",
        "handle_unit",
        "max_extensions",
        "legal_basis",
    )


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "category",
        "township",
        "channel",
        "keywords",
        "department",
        "priority",
        "is_active",
    )
    list_select_related = ("category", "township", "department")
