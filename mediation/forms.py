"""Forms of the joint-mediation and judicial-confirmation pages.

They only parse and check the shape of the input; the rules (who may act, the 30-day window,
the order of the court's steps) stay in ``services``. A service's field errors are put back
on the form with ``add_error`` so they show next to the fields, with the input kept.
"""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luodian_platform.models import Department

from .models import JudicialConfirmation, Mediator

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


class BootstrapForm(forms.Form):
    """Bootstrap classes on the widgets; ``is-invalid`` and ``aria-describedby`` (the id of
    the error text rendered by ``mediation/_field.html``) on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxSelectMultiple | forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def _mark_invalid(self) -> None:
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs["class"]:
                    attrs["class"] += " is-invalid"
                attrs["aria-describedby"] = f"{self[name].auto_id}_error"

    def full_clean(self):
        super().full_clean()
        self._mark_invalid()

    def add_error(self, field, error):
        if field is not None and field not in self.fields:
            field = None
        super().add_error(field, error)
        self._mark_invalid()

    def add_service_error(self, exc) -> None:
        """A ``ServiceError``: its field messages next to the fields, else on the form."""
        if not exc.fields:
            self.add_error(None, exc.message)
        for name, message in exc.fields.items():
            self.add_error(name, str(message))


class MomentField(forms.DateTimeField):
    """A ``datetime-local`` input; blank means "now" (the services' default)."""

    # A text box in the format clerks read, not the browser-locale picker (issue 23).
    widget = forms.DateTimeInput(
        attrs={
            "inputmode": "numeric",
            "placeholder": "yyyy-mm-dd hh:mm",
            "pattern": r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}",
            "autocomplete": "off",
        },
        format="%Y-%m-%d %H:%M",
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("input_formats", [DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d"])
        kwargs.setdefault("help_text", _("不填则为当前时间"))
        super().__init__(**kwargs)

    def clean(self, value):
        moment = super().clean(value)
        if moment and moment > timezone.now():
            raise forms.ValidationError(_("不能晚于当前时间。"))
        return moment


class JointMediationForm(BootstrapForm):
    lead_department = forms.ModelChoiceField(
        label=_("牵头部门"),
        queryset=Department.objects.filter(is_active=True),
        empty_label=_("请选择"),
        error_messages={"required": _("请选择牵头部门。"), "invalid_choice": _("请选择牵头部门。")},
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("参与部门"),
        queryset=Department.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("请至少选择一个参与部门。"),
            "invalid_choice": _("部门不存在。"),
            "invalid_pk_value": _("部门不存在。"),
        },
    )
    experts = forms.ModelMultipleChoiceField(
        label=_("参与专家"),
        queryset=Mediator.objects.filter(is_active=True, kind=Mediator.Kind.EXPERT),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={
            "invalid_choice": _("专家不在专家库中。"),
            "invalid_pk_value": _("专家不在专家库中。"),
        },
    )
    note = forms.CharField(
        label=_("说明"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("说明不能超过2000字。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["experts"].label_from_instance = lambda m: (
            f"{m.name}({m.specialities})" if m.specialities else m.name
        )

    def clean(self):
        data = super().clean()
        lead, departments = data.get("lead_department"), data.get("departments")
        if lead and departments is not None and not [d for d in departments if d.pk != lead.pk]:
            self.add_error("departments", _("参与部门不能只有牵头部门本身。"))
        return data


class JCApplyForm(BootstrapForm):
    applied_at = MomentField(label=_("申请时间"))
    court_reference = forms.CharField(
        label=_("法院案号"),
        required=False,
        max_length=60,
        error_messages={"max_length": _("法院案号不能超过60字。")},
    )


class JCAcceptForm(BootstrapForm):
    accepted_at = MomentField(label=_("受理时间"))
    court_reference = forms.CharField(
        label=_("法院案号"),
        required=False,
        max_length=60,
        help_text=_("不填则保留申请时登记的案号"),
        error_messages={"max_length": _("法院案号不能超过60字。")},
    )


class JCDecideForm(BootstrapForm):
    decision = forms.ChoiceField(
        label=_("法院决定"),
        choices=[("", _("请选择")), *JudicialConfirmation.Decision.choices],
        error_messages={"required": _("请选择法院决定。"), "invalid_choice": _("请选择法院决定。")},
    )
    decided_at = MomentField(label=_("决定时间"))


class JCExtendForm(BootstrapForm):
    confirm = forms.BooleanField(
        label=_("法院已决定延长确认期限十日"),
        error_messages={"required": _("请勾选确认法院已决定延长。")},
    )


JC_STEPS = {
    "apply": JCApplyForm,
    "accept": JCAcceptForm,
    "decide": JCDecideForm,
    "extend": JCExtendForm,
}
