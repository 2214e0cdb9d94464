from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: administrators can browse the trail, nobody can change it."""

    list_display = ("at", "actor_label", "action", "table_name", "object_pk")
    list_filter = ("action", "table_name")
    search_fields = ("=object_pk", "=actor_label", "=table_name")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
