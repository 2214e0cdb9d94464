"""Routing suggestion (分流建议): which department leads a case, and who co-handles it.

A rule matches when its category equals the case's and each optional condition it sets
(township, channel, keywords) holds. The most specific matching rule wins: a rule that
names more conditions beats one that names fewer; among equally specific rules the lower
``priority`` number wins, then the older rule. One query, whatever the number of rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from intake.models import Case
from luodian_platform.lookups import held
from luodian_platform.models import Department

from .models import RoutingRule

_KEYWORD_SPLIT = re.compile(r"[,，;；、\s]+")


@dataclass
class RoutingSuggestion:
    rule: RoutingRule
    department: Department
    co_departments: list[Department] = field(default_factory=list)
    matched_keyword: str = ""

    @property
    def conditions(self) -> list[str]:
        """Human-readable reasons the rule matched (for the panel and the API)."""
        out = [_("类别=%(v)s") % {"v": self.rule.category}]
        if self.rule.township_id:
            out.append(_("乡镇=%(v)s") % {"v": self.rule.township})
        if self.rule.channel:
            out.append(_("渠道=%(v)s") % {"v": self.rule.get_channel_display()})
        if self.matched_keyword:
            out.append(_("关键词=%(v)s") % {"v": self.matched_keyword})
        return out


def keywords_of(rule: RoutingRule) -> list[str]:
    return [k for k in _KEYWORD_SPLIT.split(rule.keywords or "") if k]


def _match(rule: RoutingRule, case: Case, text: str) -> tuple[bool, str]:
    if rule.township_id and rule.township_id != case.township_id:
        return False, ""
    if rule.channel and rule.channel != case.channel:
        return False, ""
    words = keywords_of(rule)
    if words:
        hit = next((w for w in words if w in text), "")
        return bool(hit), hit
    return True, ""


def specificity(rule: RoutingRule) -> int:
    return bool(rule.township_id) + bool(rule.channel) + bool(keywords_of(rule))


def routing_suggest(case: Case) -> RoutingSuggestion | None:
    """The suggestion for ``case``, or None when no active rule covers its category."""
    rules = held(
        ("routing_rules", case.category_id),
        lambda: list(
            RoutingRule.objects.filter(
                category_id=case.category_id, is_active=True, department__is_active=True
            )
            .select_related("category", "township", "department")
            .prefetch_related(
                Prefetch("co_departments", queryset=Department.objects.filter(is_active=True))
            )
        ),
        (RoutingRule, RoutingRule.co_departments.through, Department),
    )
    text = f"{case.title}\n{case.facts}\n{case.request}"
    best: tuple | None = None
    for rule in rules:
        ok, hit = _match(rule, case, text)
        if not ok:
            continue
        key = (-specificity(rule), rule.priority, rule.pk)
        if best is None or key < best[0]:
            best = (key, rule, hit)
    if best is None:
        return None
    _key, rule, hit = best
    co = [d for d in rule.co_departments.all() if d.pk != rule.department_id]
    return RoutingSuggestion(
        rule=rule, department=rule.department, co_departments=co, matched_keyword=hit
    )
