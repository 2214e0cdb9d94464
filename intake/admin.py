from django.contrib import admin

from .models import Case, CaseEvent, Party


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "state", "category", "department", "due_at", "created_at")
    list_filter = ("state", "channel", "risk_level")
    search_fields = ("=number", "title")
    list_select_related = ("category", "department")
    # State changes go through the lifecycle services, never through the admin form.
    readonly_fields = ("state", "version", "number")
    inlines = [PartyInline]
    show_full_result_count = False
    date_hierarchy = None


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ("case", "transition", "from_state", "to_state", "actor", "at")
    list_select_related = ("case", "actor")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
