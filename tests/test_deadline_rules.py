"""Handling-deadline rule precedence (issue 15): the most specific row wins, general rows
(no category, or a channel only) apply when nothing more specific exists, the built-in
default only when no row applies; a system check names categories no rule covers."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from dispatch.checks import check_deadline_rules
from dispatch.deadlines import rule_for
from dispatch.models import DeadlineRule
from dispatch.services import case_dispatch
from intake.models import Case, Channel
from luodian_platform.models import Category, Department, Period
from luodian_platform.workcal import end_of_day

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))


def case_of(category: str, channel: str = Channel.WALK_IN) -> Case:
    return Case(category=Category.objects.get(code=category), channel=channel)


def rule(name, category=None, channel="", amount=9, unit="workdays"):
    return DeadlineRule.objects.create(
        name=name,
        category=Category.objects.get(code=category) if category else None,
        channel=channel,
        handle_amount=amount,
        handle_unit=unit,
    )


def test_category_without_a_rule_of_its_own_gets_the_general_rule():
    # 婚姻家庭 has no row in the demo data: the general 一般事项 (7 working days) applies,
    # not the built-in default (5): the bug was SQL ``IN (…, NULL)`` never matching NULL.
    got = rule_for(case_of("family"))
    assert got.name == "一般事项" and got.pk is not None and got.handle_amount == 7


def test_court_channel_gets_the_court_rule_for_a_category_without_its_own():
    got = rule_for(case_of("family", Channel.COURT))
    assert got.name == "法院委派" and (got.handle_amount, got.handle_unit) == (30, "days")


def test_hotline_general_rule_applies_to_hotline_cases_only():
    assert rule_for(case_of("family", Channel.HOTLINE_12345)).name == "12345一般事项"
    assert rule_for(case_of("family", Channel.ZONGZHI)).name == "一般事项"


def test_category_and_channel_beats_category_beats_channel_beats_general():
    DeadlineRule.objects.filter(category__code="family").delete()
    general = DeadlineRule.objects.get(category=None, channel="")
    assert rule_for(case_of("family", Channel.PINGAN_APP)) == general
    by_channel = rule("APP一般", channel=Channel.PINGAN_APP, amount=4)
    assert rule_for(case_of("family", Channel.PINGAN_APP)) == by_channel
    by_category = rule("婚姻家庭", category="family", amount=10)
    assert rule_for(case_of("family", Channel.PINGAN_APP)) == by_category
    both = rule("婚姻家庭APP", category="family", channel=Channel.PINGAN_APP, amount=2)
    assert rule_for(case_of("family", Channel.PINGAN_APP)) == both
    # Other channels of the same category do not see the channel-specific rows.
    assert rule_for(case_of("family", Channel.WALK_IN)) == by_category
    # Another category does not see this category's rows.
    assert rule_for(case_of("traffic", Channel.PINGAN_APP)) == by_channel


def test_default_only_when_no_row_applies():
    DeadlineRule.objects.exclude(category__code="labour").delete()
    default = rule_for(case_of("family"))
    assert default.pk is None and default.name == "默认办理时限"
    # Its figures are the period table's rows, editable like any other.
    assert (default.handle_amount, default.handle_unit) == (5, "workdays")
    assert (default.sign_amount, default.sign_unit) == (8, "workhours")
    Period.objects.filter(code="handling_default").update(amount=4, unit="days")
    assert (rule_for(case_of("family")).handle_amount, rule_for(case_of("family")).handle_unit) == (
        4,
        "days",
    )
    assert rule_for(case_of("labour")).name == "劳动争议调解"


def test_editing_the_general_rule_changes_the_deadline(make_case, dispatcher):
    DeadlineRule.objects.filter(category=None, channel="").update(handle_amount=3)
    case = make_case("family")
    with time_machine.travel(dt.datetime(2025, 9, 26, 10, tzinfo=SH), tick=False):
        case = case_dispatch(
            case_id=case.pk, department=Department.objects.get(code="rsj"), actor=dispatcher
        )
    # Fri 26 Sep 2025: Sun 28 (调休) 1, Mon 29 2, Tue 30 3.
    assert case.due_at == end_of_day(dt.date(2025, 9, 30))


def test_system_check_names_categories_without_an_applicable_rule():
    assert check_deadline_rules() == []
    DeadlineRule.objects.filter(category=None, channel="").delete()
    warnings = check_deadline_rules()
    names = {w.msg.split("「")[1].split("」")[0] for w in warnings}
    assert "婚姻家庭纠纷" in names and all(w.id == "dispatch.W002" for w in warnings)
    # Labour has its own all-channel rule: covered.
    assert "劳动争议(欠薪)" not in names
    family = next(w for w in warnings if "婚姻家庭纠纷" in w.msg)
    # The 12345 and court channels still have their general rules.
    assert "12345热线" not in family.msg and "法院委派" not in family.msg
    assert "窗口来访" in family.msg


def test_period_table_is_seeded_and_a_missing_row_is_named_and_falls_back(caplog):
    from luodian_platform.periods import PERIOD_DEFAULTS, check_period_table, period

    assert set(Period.objects.values_list("code", flat=True)) >= set(PERIOD_DEFAULTS)
    assert check_period_table() == []
    Period.objects.filter(code="jc_accept").update(amount=5)
    assert period("jc_accept").amount == 5  # the row, not the seed
    Period.objects.filter(code="jc_accept").delete()
    warnings = check_period_table()
    assert [w.id for w in warnings] == ["luodian.W010"] and "jc_accept" in warnings[0].msg
    with caplog.at_level("WARNING"):
        fallback = period("jc_accept")
    assert fallback.pk is None and (fallback.amount, fallback.unit) == (3, "days")
    assert "jc_accept" in caplog.text
