"""Public forms, phone first. Deep validation (ID checksum, phone, a category's required
fields) is the window's own ``intake.services.case_input_clean``; its errors are put back
next to these fields (``put_errors``)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from followup.models import Satisfaction
from intake.models import Party
from intake.services import CaseInput, PartyInput
from luodian_platform.models import Category, Township

from .lookup import normalize_number

ONLINE_KINDS = (Category.Kind.DISPUTE, Category.Kind.PETITION, Category.Kind.LEGAL_AID)


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput | forms.RadioSelect | forms.CheckboxInput):
            continue
        css = (
            "form-select form-select-lg"
            if isinstance(widget, forms.Select)
            else ("form-control form-control-lg")
        )
        widget.attrs.setdefault("class", css)


class LookupForm(forms.Form):
    case = forms.CharField(
        label=_("案件编号"),
        max_length=40,
        help_text=_("回执或短信上的编号,例如 LD2026-000123"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    check = forms.RegexField(
        label=_("申请人手机号后四位"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("请输入4位数字。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "maxlength": "4"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_case(self) -> str:
        return normalize_number(self.cleaned_data["case"])


class LookupCodeForm(forms.Form):
    """The other check: a one-time code sent to the applicant's phone."""

    case = forms.CharField(
        label=_("案件编号"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    code = forms.RegexField(
        label=_("短信验证码"),
        regex=r"^\d{6}$",
        required=False,
        error_messages={"invalid": _("请输入6位数字。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_case(self) -> str:
        return normalize_number(self.cleaned_data["case"])


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (a phone's gallery picker); the content is checked by the
    service (``intake.evidence``), not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


# What the file picker offers (the service decides by content, intake/evidence/sniff.py).
ACCEPT = ".jpg,.jpeg,.png,.pdf,.doc,.docx,.xls,.xlsx,.wps,.et,image/jpeg,image/png,application/pdf"


class ApplicationForm(forms.Form):
    """网上申请: the applicant and one respondent (more people: say so in the facts)."""

    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True, kind__in=ONLINE_KINDS).order_by("pk"),
        label=_("纠纷类别"),
        empty_label=_("请选择"),
    )
    township = forms.ModelChoiceField(
        Township.objects.order_by("pk"),
        label=_("发生地乡镇(街道)"),
        required=False,
        empty_label=_("请选择"),
    )
    place = forms.CharField(label=_("发生地点"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("涉及金额(元,没有可不填)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "decimal"}),
    )
    title = forms.CharField(label=_("事由(一句话)"), max_length=100)
    facts = forms.CharField(
        label=_("事实经过"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    claims = forms.CharField(
        label=_("您的诉求"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=100)
    applicant_id_number = forms.CharField(label=_("申请人身份证号码"), max_length=18)
    applicant_phone = forms.CharField(
        label=_("申请人手机号码"),
        max_length=20,
        help_text=_("验证码和办理进度短信发送到此号码"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    applicant_address = forms.CharField(label=_("申请人住址"), max_length=200, required=False)
    respondent_kind = forms.ChoiceField(
        label=_("对方类型"), choices=Party.Kind.choices, initial=Party.Kind.PERSON
    )
    respondent_name = forms.CharField(label=_("对方姓名或单位名称"), max_length=100)
    respondent_id = forms.CharField(
        label=_("对方身份证号码或统一社会信用代码(知道的请填写)"), max_length=18, required=False
    )
    respondent_phone = forms.CharField(
        label=_("对方联系电话(选填)"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    respondent_address = forms.CharField(label=_("对方住址(选填)"), max_length=200, required=False)
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": "6"}
        ),
    )

    files = MultipleFileField(
        label=_("照片和证据材料(选填)"),
        required=False,
        help_text=_(
            "可选照片、合同、欠条等,最多%(max)d个,每个不超过%(mb)dMB;"
            "支持JPG、PNG、PDF、Word、Excel、WPS。提交后仅承办人员可以查看。"
        ),
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )

    # Service error keys -> fields of this form.
    PARTY_PREFIX = {"parties[0]": "applicant", "parties[1]": "respondent"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
        self.fields["files"].help_text = self.fields["files"].help_text % {
            "max": settings.CITIZEN_FILES_MAX,
            "mb": settings.FILE_MAX_BYTES // (1024 * 1024),
        }

    def case_input(self) -> CaseInput:
        d = self.cleaned_data
        org = d["respondent_kind"] == Party.Kind.ORG
        return CaseInput(
            title=d["title"],
            facts=d["facts"],
            request=d["claims"],
            category=d["category"],
            township=d.get("township"),
            place=d.get("place", ""),
            amount=d.get("amount"),
            parties=[
                PartyInput(
                    role=Party.PartyRole.APPLICANT,
                    name=d["applicant_name"],
                    id_number=d["applicant_id_number"],
                    phone=d["applicant_phone"],
                    address=d.get("applicant_address", ""),
                ),
                PartyInput(
                    role=Party.PartyRole.RESPONDENT,
                    kind=d["respondent_kind"],
                    name=d["respondent_name"],
                    id_number="" if org else d.get("respondent_id", ""),
                    credit_code=d.get("respondent_id", "") if org else "",
                    phone=d.get("respondent_phone", ""),
                    address=d.get("respondent_address", ""),
                ),
            ],
        )

    def put_errors(self, fields: dict) -> None:
        for key, message in fields.items():
            prefix, _dot, attr = key.partition(".")
            if prefix in self.PARTY_PREFIX:
                attr = {"id_number": "id", "credit_code": "id"}.get(attr, attr)
                if prefix == "parties[0]" and attr == "id":
                    attr = "id_number"
                name = f"{self.PARTY_PREFIX[prefix]}_{attr}"
            else:
                name = {
                    "request": "claims",
                    "parties": None,
                    "applicant_id": "applicant_id_number",
                }.get(key, key)
            self.add_error(name if name in self.fields else None, str(message))


class EvaluationForm(forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("您对办理结果是否满意"),
        choices=Satisfaction.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    agreement_performed = forms.TypedChoiceField(
        label=_("调解协议约定的事项是否已经履行"),
        choices=[("yes", _("已履行")), ("no", _("未履行")), ("unknown", _("还未到期或不清楚"))],
        coerce=lambda v: {"yes": True, "no": False}.get(v),
        empty_value=None,
        required=False,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    comments = forms.CharField(
        label=_("意见或建议(选填)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, with_agreement: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_agreement:
            del self.fields["agreement_performed"]
        _style(self)


class TermForm(forms.Form):
    performed = forms.TypedChoiceField(
        label=_("这一项是否已经履行"),
        choices=[("yes", _("已履行")), ("no", _("未履行"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    comment = forms.CharField(
        label=_("说明(选填)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)
