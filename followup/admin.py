from django.contrib import admin

from .models import (
    CourtFiling,
    EscalationStep,
    EvaluationWeight,
    FollowupPlan,
    NotificationRule,
    PartySms,
    Reminder,
    SatisfactionResult,
    Visit,
)


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ("after_workdays", "audience", "urgent")


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    """Which kinds of notification also go out by SMS or e-mail (in-app always)."""

    list_display = ("kind", "sms", "email", "parties_sms")
    list_editable = ("sms", "email", "parties_sms")


@admin.register(PartySms)
class PartySmsAdmin(admin.ModelAdmin):
    """The SMS outbox to parties and to mediators without an account (read-only: written by
    the case flow, sent by workers)."""

    list_display = ("key", "case", "kind", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("case",)
    raw_id_fields = ("case", "party", "mediator")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowupPlan)
class FollowupPlanAdmin(admin.ModelAdmin):
    list_display = ("__str__", "offsets", "max_attempts", "enabled")


@admin.register(EvaluationWeight)
class EvaluationWeightAdmin(admin.ModelAdmin):
    list_display = ("metric", "weight")
    list_editable = ("weight",)


@admin.register(CourtFiling)
class CourtFilingAdmin(admin.ModelAdmin):
    list_display = ("month", "township", "civil", "administrative")
    list_filter = ("township",)


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("case", "kind", "threshold", "recipient", "status", "due_at", "sent_at")
    list_filter = ("status", "kind")
    list_select_related = ("case", "recipient")
    raw_id_fields = ("case", "recipient")


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
    list_display = ("case", "round", "seq", "due_date", "assignee", "status", "satisfaction")
    list_filter = ("status", "satisfaction")
    list_select_related = ("case", "assignee")
    raw_id_fields = ("case", "assignee", "completed_by")


@admin.register(SatisfactionResult)
class SatisfactionResultAdmin(admin.ModelAdmin):
    list_display = ("channel", "external_id", "case", "satisfaction", "rated_at")
    raw_id_fields = ("case", "imported_by")
