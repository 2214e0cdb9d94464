"""Turning an action's input serializer into form fields for the case page, so the page
and the API validate with the same code."""

from __future__ import annotations

from rest_framework import serializers

from .models import Case


def action_fields(serializer: serializers.Serializer, values=None, errors=None) -> list[dict]:
    values = values or {}
    errors = errors or {}
    out = []
    for name, field in serializer.fields.items():
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
        if isinstance(field, serializers.BooleanField):
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
