"""Pages for progress notes (办理进展): add (also as a correction of an earlier note) and
edit within the author's window. Thin: a form, one service call, a redirect."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luodian_platform.errors import NotFound, ServiceError

from .models import Attachment, Case, ProgressNote
from .notes import may_write_notes, note_add_with_files, note_edit

DATETIME_FORMATS = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]


class NoteForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("进展类型"),
        choices=ProgressNote.Kind.choices,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={
            "required": gettext_lazy("请选择进展类型。"),
            "invalid_choice": gettext_lazy("请选择进展类型。"),
        },
    )
    happened_at = forms.DateTimeField(
        label=gettext_lazy("进展时间"),
        required=False,
        input_formats=DATETIME_FORMATS,
        help_text=gettext_lazy("不填则为当前时间"),
        widget=forms.DateTimeInput(
            format="%Y-%m-%d %H:%M",
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": "yyyy-mm-dd hh:mm",
                "autocomplete": "off",
            },
        ),
        error_messages={"invalid": gettext_lazy("请按「年-月-日 时:分」填写进展时间。")},
    )
    text = forms.CharField(
        label=gettext_lazy("进展情况"),
        max_length=5000,
        widget=forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 3}),
        error_messages={
            "required": gettext_lazy("请填写进展情况。"),
            "max_length": gettext_lazy("进展情况不能超过5000字。"),
        },
    )

    def add_service_error(self, exc: ServiceError) -> None:
        if not exc.fields:
            self.add_error(None, exc.message)
        for name, message in exc.fields.items():
            self.add_error(name if name in self.fields else None, str(message))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); each is checked by the
    evidence service (type by content, size, count), not here."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"class": "form-control"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class NoteAddForm(NoteForm):
    """A new note may carry files: a photo of the site, the letter sent, a contract."""

    files = MultipleFileField(
        label=gettext_lazy("附件"),
        required=False,
        help_text=gettext_lazy("可选多个文件:PDF、图片、Office/WPS 文档"),
    )
    file_kind = forms.ChoiceField(
        label=gettext_lazy("附件类别"),
        required=False,
        initial=Attachment.Kind.EVIDENCE,
        choices=[(k, v) for k, v in Attachment.Kind.choices if k != Attachment.Kind.ID_COPY],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
        error_messages={"invalid_choice": gettext_lazy("请选择附件类别。")},
    )


def _case_or_404(request, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _refusal(request, exc: ServiceError, form: NoteForm, pk: int):
    """403/404/409 go back to the case with the message; 400 re-shows the form."""
    if isinstance(exc, NotFound):
        raise Http404 from exc
    if exc.status in (403, 409):
        messages.error(request, exc.message)
        return redirect("intake:case_detail", pk=pk)
    messages.error(request, exc.message)
    form.add_service_error(exc)
    return None


@login_required
def note_add_page(request, pk: int):
    case = _case_or_404(request, pk)
    if not may_write_notes(request.user):
        # The page refuses readers up front; the service refuses them again on POST.
        raise PermissionDenied
    corrects = None
    raw = request.POST.get("corrects") or request.GET.get("corrects") or ""
    if raw:
        corrects = ProgressNote.objects.filter(pk=raw if raw.isdigit() else 0, case=case).first()
        if corrects is None:
            raise Http404
    form = NoteAddForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                note_add_with_files(
                    case_id=pk,
                    actor=request.user,
                    kind=d["kind"],
                    text=d["text"],
                    happened_at=d["happened_at"],
                    corrects_id=corrects.pk if corrects else None,
                    files=d["files"],
                    file_kind=d["file_kind"] or Attachment.Kind.EVIDENCE,
                )
            except ServiceError as exc:
                answer = _refusal(request, exc, form, pk)
                if answer is not None:
                    return answer
            else:
                messages.success(request, _("已记录办理进展。"))
                return redirect("intake:case_detail", pk=pk)
        else:
            messages.error(request, _("办理进展有误,请按提示修改。"))
        status = 400
    return render(
        request,
        "intake/note_form.html",
        {"case": case, "form": form, "corrects": corrects, "note": None},
        status=status,
    )


@login_required
def note_edit_page(request, pk: int, note_id: int):
    case = _case_or_404(request, pk)
    note = ProgressNote.objects.filter(pk=note_id, case=case).first()
    if note is None:
        raise Http404
    if note.author_id != request.user.pk:
        raise PermissionDenied
    if not note.is_editable_by(request.user):
        messages.error(
            request,
            _("办理进展记录超过%(n)s分钟后不能修改,如有错误请添加一条更正记录。")
            % {"n": int((note.editable_until() - note.created_at).total_seconds() // 60)},
        )
        return redirect("intake:case_detail", pk=pk)
    initial = {"kind": note.kind, "text": note.text, "happened_at": note.happened_at}
    form = NoteForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                note_edit(
                    note_id=note.pk,
                    actor=request.user,
                    kind=d["kind"],
                    text=d["text"],
                    happened_at=d["happened_at"],
                )
            except ServiceError as exc:
                answer = _refusal(request, exc, form, pk)
                if answer is not None:
                    return answer
            else:
                messages.success(request, _("已修改办理进展。"))
                return redirect("intake:case_detail", pk=pk)
        else:
            messages.error(request, _("办理进展有误,请按提示修改。"))
        status = 400
    return render(
        request,
        "intake/note_form.html",
        {"case": case, "form": form, "corrects": None, "note": note},
        status=status,
    )
