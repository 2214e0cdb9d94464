"""DRF's own validation messages, reworded for a clerk.

DRF's Chinese catalogue renders some messages as machine text ("属性 code 为 nope 的对象不存在",
"无效主键 “abc” - 对象不存在。", "确认总共不超过 14 个数字。"). These defaults are set once at
start-up for every field of every serializer (one place, instead of ``error_messages`` on
each of the dozens of fields); a field's own ``error_messages`` still win.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import fields, relations

MESSAGES = {
    relations.SlugRelatedField: {
        "does_not_exist": _("没有「{value}」这一项,请从列表中选择。"),
        "invalid": _("所选内容无效,请从列表中选择。"),
    },
    relations.PrimaryKeyRelatedField: {
        "does_not_exist": _("所选的记录(编号 {pk_value})不存在或已删除,请重新选择。"),
        "incorrect_type": _("所选内容无效,请从列表中选择。"),
    },
    fields.DecimalField: {
        "invalid": _("请输入数字。"),
        "max_digits": _("数字太长:总位数不能超过 {max_digits} 位。"),
        "max_decimal_places": _("小数最多 {max_decimal_places} 位。"),
        "max_whole_digits": _("整数部分不能超过 {max_whole_digits} 位。"),
    },
    fields.IntegerField: {
        "invalid": _("请输入整数。"),
    },
    fields.ChoiceField: {
        "invalid_choice": _("「{input}」不是可选的值,请从列表中选择。"),
    },
    fields.MultipleChoiceField: {
        "invalid_choice": _("「{input}」不是可选的值,请从列表中选择。"),
    },
    fields.DateTimeField: {
        "invalid": _("日期时间格式不对,请写成 2026-03-05 09:30 这样的格式。"),
    },
    fields.DateField: {
        "invalid": _("日期格式不对,请写成 2026-03-05 这样的格式。"),
    },
    fields.BooleanField: {
        "invalid": _("请选择“是”或“否”。"),
    },
}


def install() -> None:
    for field_class, messages in MESSAGES.items():
        field_class.default_error_messages = {**field_class.default_error_messages, **messages}
