from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.html import format_html

from ..method import RATE_COLUMNS

register = template.Library()


def _fmt(attr: str, value) -> str:
    if value is None:
        return "—"
    if attr in RATE_COLUMNS:
        return f"{value * 100:.1f}%"
    return str(value)


@register.simple_tag
def cell(row, attr: str, figure: str = "", by: str = "", period_query: str = "") -> str:
    """A table cell's text; a count with a figure key links to the cases behind it."""
    value = getattr(row, attr)
    text = _fmt(attr, value)
    if figure and by and value and row.key is not None:
        url = reverse("followup:evaluation_cases")
        query = urlencode({"by": by, "key": row.key, "figure": figure})
        return format_html('<a href="{}?{}&amp;{}">{}</a>', url, query, period_query, text)
    return text


@register.simple_tag
def part_value(part) -> str:
    if part.value is None:
        return "—"
    if part.kind == "rate":
        return f"{part.value * 100:.1f}%"
    return str(part.value)


@register.simple_tag
def figure_link(row, figure: str, by: str, period_query: str, text) -> str:
    if not figure or row.key is None:
        return str(text)
    url = reverse("followup:evaluation_cases")
    query = urlencode({"by": by, "key": row.key, "figure": figure})
    return format_html('<a href="{}?{}&amp;{}">{}</a>', url, query, period_query, text)


@register.filter
def attr_of(row, name: str):
    return getattr(row, name, None) if name else None
