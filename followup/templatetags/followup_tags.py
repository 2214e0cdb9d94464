from django import template

from ..exports import RATE_COLUMNS

register = template.Library()


@register.simple_tag
def cell(row, attr: str) -> str:
    value = getattr(row, attr)
    if value is None:
        return "—"
    if attr in RATE_COLUMNS:
        return f"{value * 100:.1f}%"
    return str(value)
