import json

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from luodian_platform.crypto import mask_personal

from .channel import channel_token_issue, channel_token_revoke
from .models import Case, CaseEvent, ChannelOrder, ChannelToken, Party
from .search import search


class PartyInline(admin.TabularInline):
    model = Party
    extra = 0
    # Registered personal columns never appear in full in the admin (reveal is logged, in
    # the application); parties are changed through the services.
    exclude = ("id_number", "phone")
    readonly_fields = ("masked_id", "masked_phone")


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ("number", "title", "state", "category", "department", "due_at", "created_at")
    list_filter = ("state", "channel", "risk_level")
    # The search box is the case list's search (number, a party's name / ID number / phone,
    # words of the title, facts and claims; intake.search), not Django's icontains per field.
    search_fields = ("number",)
    search_help_text = _("案件编号、当事人姓名、身份证号码、联系电话,或标题、事实与诉求中的词语")
    list_select_related = ("category", "department")
    # State changes go through the lifecycle services, never through the admin form.
    readonly_fields = ("state", "version", "number")
    inlines = [PartyInline]
    show_full_result_count = False
    date_hierarchy = None

    def get_search_results(self, request, queryset, search_term):
        return search(queryset, search_term), False


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


class ChannelTokenForm(forms.ModelForm):
    class Meta:
        model = ChannelToken
        fields = ["channel", "name"]


@admin.register(ChannelToken)
class ChannelTokenAdmin(admin.ModelAdmin):
    """Issue (add) and revoke channel tokens. The raw token is shown once, after issuing;
    only its SHA-256 is stored, so a lost token is revoked and a new one issued."""

    form = ChannelTokenForm
    list_display = ("name", "channel", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("channel",)
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "channel",
            "name",
            "prefix",
            "created_at",
            "created_by",
            "last_used_at",
            "revoked_at",
        )

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, raw = channel_token_issue(
            channel=form.cleaned_data["channel"], name=form.cleaned_data["name"], actor=request.user
        )
        obj.pk = token.pk
        obj.token_hash = token.token_hash
        self.message_user(
            request,
            _("渠道令牌已签发,请立即复制交给渠道方,此令牌不会再次显示:%(t)s") % {"t": raw},
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: orders keep pointing at the token that sent them

    @admin.action(description=_("吊销所选令牌"))
    def revoke(self, request, queryset):
        for token in queryset:
            channel_token_revoke(token_id=token.pk, actor=request.user)
        self.message_user(request, _("已吊销 %(n)d 个令牌。") % {"n": queryset.count()})


@admin.register(ChannelOrder)
class ChannelOrderAdmin(admin.ModelAdmin):
    list_display = ("external_id", "channel", "case", "source", "other_proceeding", "received_at")
    list_filter = ("channel", "source", "other_proceeding")
    search_fields = ("=external_id",)
    list_select_related = ("case",)
    readonly_fields = (
        "case",
        "channel",
        "external_id",
        "token",
        "source",
        "masked_payload",
        "other_proceeding",
        "received_at",
    )
    # The raw payload holds ID numbers and phones: the admin shows it masked (full values
    # only through the logged reveal), like every registered personal column.
    exclude = ("payload",)

    @admin.display(description=_("原始报文(已遮蔽)"))
    def masked_payload(self, obj) -> str:
        return json.dumps(mask_personal(obj.payload), ensure_ascii=False, indent=1)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
