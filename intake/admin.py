import json

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from luodian_platform.crypto import mask_personal
from luodian_platform.errors import ServiceError

from . import outbound, tasks
from .channel import channel_token_issue, channel_token_revoke
from .models import (
    Case,
    CaseEvent,
    ChannelOrder,
    ChannelOutbound,
    ChannelToken,
    OutboundAttempt,
    OutboundDelivery,
    OutboundEvent,
    Party,
)
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
        "masked_latest_payload",
        "other_proceeding",
        "received_at",
    )
    # The raw payload holds ID numbers and phones: the admin shows it masked (full values
    # only through the logged reveal), like every registered personal column.
    exclude = ("payload", "latest_payload")

    @admin.display(description=_("原始报文(已遮蔽)"))
    def masked_payload(self, obj) -> str:
        return json.dumps(mask_personal(obj.payload), ensure_ascii=False, indent=1)

    @admin.display(description=_("最近一次变更报文(已遮蔽)"))
    def masked_latest_payload(self, obj) -> str:
        if obj.latest_payload is None:
            return "—"
        return json.dumps(mask_personal(obj.latest_payload), ensure_ascii=False, indent=1)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- outbound results (回传) ---------------------------------------------------------------


class ChannelOutboundForm(forms.ModelForm):
    endpoint_url = forms.URLField(label=_("回传地址"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("签名密钥"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("至少16个字符,交给渠道方用于验证签名;修改配置时留空表示不变。"),
    )
    events = forms.MultipleChoiceField(
        label=_("回传事件"),
        required=False,
        choices=OutboundEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选表示全部事件。"),
    )

    class Meta:
        model = ChannelOutbound
        fields = ["channel", "endpoint_url", "secret", "events", "field_mapping", "is_active"]

    def clean_secret(self):
        secret = self.cleaned_data.get("secret") or ""
        if not secret and self.instance.pk is None:
            raise forms.ValidationError(_("请设置签名密钥。"))
        if secret and len(secret) < 16:
            raise forms.ValidationError(_("签名密钥至少16个字符。"))
        return secret

    def clean_field_mapping(self):
        mapping = self.cleaned_data.get("field_mapping") or {}
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise forms.ValidationError(_("字段映射应为「原字段: 新字段」的文本对。"))
        return mapping


@admin.register(ChannelOutbound)
class ChannelOutboundAdmin(admin.ModelAdmin):
    """Each channel's endpoint for results; its deliveries are one click away."""

    form = ChannelOutboundForm
    list_display = ("channel", "endpoint_url", "is_active", "pending", "parked", "deliveries_link")
    list_filter = ("is_active",)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = outbound.outbound_configure(
            channel=data["channel"],
            endpoint_url=data["endpoint_url"],
            secret=data["secret"] or (obj.secret if change else ""),
            events=data["events"],
            field_mapping=data["field_mapping"],
            is_active=data["is_active"],
            actor=request.user,
        )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None):
        return False  # deliveries keep pointing at it: deactivate instead

    @admin.display(description=_("待发送"))
    def pending(self, obj) -> int:
        return obj.deliveries.filter(status=OutboundDelivery.Status.PENDING).count()

    @admin.display(description=_("已搁置"))
    def parked(self, obj) -> int:
        return obj.deliveries.filter(status=OutboundDelivery.Status.PARKED).count()

    @admin.display(description=_("投递记录"))
    def deliveries_link(self, obj) -> str:
        url = reverse("admin:intake_outbounddelivery_changelist")
        return format_html('<a href="{}?outbound__id__exact={}">{}</a>', url, obj.pk, _("查看"))


class OutboundAttemptInline(admin.TabularInline):
    model = OutboundAttempt
    extra = 0
    can_delete = False
    fields = ("at", "status_code", "duration_ms", "error", "response")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what went to each channel, what it answered, and the parked rows
    the administrator resends or marks done (a parked row holds back its case's later
    events until then)."""

    list_display = (
        "idempotency_key",
        "outbound",
        "case",
        "event_type",
        "status",
        "attempts",
        "last_status",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("status", "outbound__channel", "event_type")
    search_fields = ("=idempotency_key", "=case__number", "=case__external_id")
    list_select_related = ("outbound", "case")
    readonly_fields = (
        "outbound",
        "case",
        "event",
        "event_type",
        "idempotency_key",
        "payload_text",
        "status",
        "attempts",
        "next_attempt_at",
        "enqueued_at",
        "delivered_at",
        "last_status",
        "last_response",
        "last_error",
        "resolved_by",
        "created_at",
    )
    exclude = ("payload",)
    inlines = [OutboundAttemptInline]
    actions = ["resend", "mark_done"]

    @admin.display(description=_("报文"))
    def payload_text(self, obj) -> str:
        return json.dumps(obj.payload, ensure_ascii=False, indent=1)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("重新发送所选投递"))
    def resend(self, request, queryset):
        ids = []
        for row in queryset:
            ids.append(outbound.delivery_resend(delivery_id=row.pk, actor=request.user).pk)
        tasks.publish_on_commit(ids)
        self.message_user(request, _("已重新排队 %(n)d 条投递。") % {"n": len(ids)})

    @admin.action(description=_("标记为已人工处理"))
    def mark_done(self, request, queryset):
        done, skipped, follow = 0, 0, []
        for row in queryset:
            try:
                marked = outbound.delivery_mark_done(delivery_id=row.pk, actor=request.user)
            except ServiceError:
                skipped += 1
                continue
            done += 1
            follow.append(outbound.next_pending_id(marked, after=marked.pk))
        tasks.publish_on_commit(follow)
        self.message_user(
            request,
            _("已标记 %(n)d 条为已人工处理,跳过 %(s)d 条(已送达)。") % {"n": done, "s": skipped},
        )
