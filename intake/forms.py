"""Turning an action's input serializer into form fields for the case page, so the page
and the API validate with the same code."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from luodian_platform.models import Category, Township

from .models import Case, Party, RiskLevel


def action_fields(serializer: serializers.Serializer, values=None, errors=None) -> list[dict]:
    values = values or {}
    errors = errors or {}
    out = []
    # The optional note goes last so the tab order follows the form's required fields.
    ordered = sorted(serializer.fields.items(), key=lambda item: item[0] == "note")
    for name, field in ordered:
        if name == "version" or field.read_only:
            continue
        spec = {
            "name": name,
            "label": field.label or name,
            "required": field.required,
            "value": values.get(name, ""),
            "errors": errors.get(name, []),
            "choices": None,
            "kind": "text",
            "help": field.help_text or "",
        }
        if isinstance(field, serializers.ManyRelatedField):
            child = field.child_relation
            slug = getattr(child, "slug_field", "pk")
            spec["kind"] = "multiselect"
            spec["choices"] = [(str(getattr(o, slug)), str(o)) for o in child.queryset.all()]
            getlist = getattr(values, "getlist", None)
            spec["value"] = getlist(name) if getlist else list(values.get(name, []) or [])
        elif isinstance(field, serializers.BooleanField):
            spec["kind"] = "checkbox"
        elif isinstance(field, serializers.ChoiceField):
            spec["kind"] = "select"
            spec["choices"] = list(field.choices.items())
        elif isinstance(field, serializers.RelatedField):
            model = field.queryset.model
            if model is Case:
                spec["kind"] = "text"
            else:
                spec["kind"] = "select"
                slug = getattr(field, "slug_field", "pk")
                spec["choices"] = [(getattr(o, slug), str(o)) for o in field.queryset.all()]
        elif isinstance(field, serializers.CharField) and (
            field.style.get("base_template") == "textarea.html" or name in ("note",)
        ):
            spec["kind"] = "textarea"
        elif isinstance(field, serializers.IntegerField):
            spec["kind"] = "number"
        out.append(spec)
    return out


# --- the walk-in registration page ------------------------------------------------------


class RegistrationForm(forms.Form):
    """The case part of a walk-in. Deep validation (required fields per category, ID and
    phone checks) is the service's ``case_input_clean``; its errors are put back next to
    the fields here, so the page and the API refuse the same things."""

    MODES = [
        ("register", _("登记")),
        ("on_spot", _("登记并当场办结")),
        ("link", _("关联到已有案件")),
    ]

    category = forms.ModelChoiceField(
        Category.objects.filter(is_active=True), label=_("纠纷类别"), empty_label=_("请选择")
    )
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    facts = forms.CharField(
        label=_("事实与诉求"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    request = forms.CharField(
        label=_("当事人诉求"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    township = forms.ModelChoiceField(
        Township.objects.all(), label=_("乡镇街道"), required=False, empty_label=_("请选择")
    )
    place = forms.CharField(label=_("发生地点"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("涉及金额(元)"), max_digits=14, decimal_places=2, required=False, min_value=0
    )
    people_count = forms.IntegerField(label=_("涉及人数"), min_value=1, max_value=100000, initial=1)
    risk_level = forms.ChoiceField(
        label=_("风险等级"), choices=RiskLevel.choices, initial=RiskLevel.LOW
    )
    is_group = forms.BooleanField(label=_("群体性"), required=False)
    is_repeat = forms.BooleanField(label=_("重复访"), required=False)
    is_violence_risk = forms.BooleanField(label=_("民转刑风险"), required=False)
    is_vulnerable = forms.BooleanField(label=_("涉弱势群体"), required=False)
    answer = forms.CharField(
        label=_("当场答复/建议内容(即办件)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    link_to = forms.IntegerField(required=False, widget=forms.HiddenInput)
    mode = forms.ChoiceField(choices=MODES, initial="register", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput | forms.HiddenInput):
                continue
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def mark_invalid(self) -> None:
        """Bootstrap's red border on the fields that carry an error (after service errors
        were put back too)."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("身份"), choices=Party.PartyRole.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=Party.Kind.choices, initial=Party.Kind.PERSON)
    name = forms.CharField(label=_("姓名/名称"), max_length=100, required=False)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    address = forms.CharField(label=_("住址"), max_length=200, required=False)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(
            data.get(k) for k in ("name", "id_number", "credit_code", "phone", "address")
        )


PartyFormSet = forms.formset_factory(PartyForm, extra=0, max_num=50, validate_max=True)

INITIAL_PARTIES = [
    {"role": Party.PartyRole.APPLICANT, "kind": Party.Kind.PERSON},
    {"role": Party.PartyRole.RESPONDENT, "kind": Party.Kind.PERSON},
]
