"""``{% options pairs selected %}``: the ``<option>`` elements of a filter dropdown, one
template node instead of a loop with a comparison per option (the same markup the loop
wrote)."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def options(pairs, selected=""):
    selected = str(selected or "")
    return format_html_join(
        "",
        '<option value="{}" {}>{}</option>',
        ((value, "selected" if str(value) == selected else "", label) for value, label in pairs),
    )
