"""Default deadline and routing rules for the demo county. Every figure is editable in the
admin; check them against the current text of each rule before a county goes live."""

from __future__ import annotations

from intake.models import Channel
from luodian_platform.demo import ensure_demo_user
from luodian_platform.models import Category, Department
from luodian_platform.roles import Role

from .models import DeadlineRule, RoutingRule
from .services import department_is_staffed

W, D = DeadlineRule.Unit.WORKDAYS, DeadlineRule.Unit.DAYS

# (name, category code or None, channel or "", sign-for working hours (8 = one working
# day of office hours), amount, unit, max ext, ext amount, basis)
DEADLINE_RULES = [
    ("一般事项", None, "", 8, 7, W, 1, 5, "热线常见时限:一般事项5-7个工作日"),
    (
        "12345咨询",
        "consultation",
        Channel.HOTLINE_12345,
        4,
        3,
        W,
        0,
        0,
        "热线常见时限:咨询1-3个工作日",
    ),
    ("12345一般事项", None, Channel.HOTLINE_12345, 8, 7, W, 1, 5, "热线常见时限:一般5-7个工作日"),
    (
        "12345投诉",
        "consumer",
        Channel.HOTLINE_12345,
        8,
        15,
        W,
        1,
        5,
        "热线常见时限:投诉10-15个工作日",
    ),
    ("信访事项", "petition", "", 8, 60, D, 1, 30, "《信访工作条例》:60日内办结,可延长不超过30日"),
    (
        "劳动争议调解",
        "labour",
        "",
        8,
        15,
        D,
        0,
        0,
        "《劳动争议调解仲裁法》第14条:15日内未达成协议可申请仲裁",
    ),
    ("法律援助", "legal_aid", "", 8, 7, W, 0, 0, "《法律援助法》:7个工作日内作出决定"),
    ("诉前委派调解", "court_referral", "", 8, 30, D, 1, 30, "诉前委派调解30日,经当事人同意可延长"),
    ("法院委派", None, Channel.COURT, 8, 30, D, 1, 30, "诉前委派调解30日,经当事人同意可延长"),
    ("人民调解", "neighbour", "", 8, 30, D, 1, 15, "《人民调解法》:一般一个月内调结"),
    ("法律咨询", "consultation", "", 8, 3, W, 0, 0, "咨询1-3个工作日"),
]

# (category code, lead department code, co-handling department codes)
ROUTING_RULES = [
    ("labour", "rsj", ["tj-labour", "ldjc"]),
    ("petition", "xfj", []),
    ("family", "tj-family", ["fl"]),
    ("neighbour", "sfj", []),
    ("traffic", "tj-traffic", ["gaj"]),
    ("property", "tj-property", ["zjj"]),
    ("land", "zrzyj", []),
    ("medical", "wjj", []),
    ("consumer", "scjgj", []),
    ("legal_aid", "flyz", []),
    ("court_referral", "court", ["sfj"]),
    ("consultation", "sfj", []),
    ("counselling", "sfj", []),
]


def load() -> dict[str, int]:
    for name, cat, channel, sign, amount, unit, max_ext, ext, basis in DEADLINE_RULES:
        category = Category.objects.get(code=cat) if cat else None
        DeadlineRule.objects.update_or_create(
            category=category,
            channel=channel,
            defaults={
                "name": name,
                "sign_amount": sign,
                "sign_unit": DeadlineRule.Unit.WORKHOURS,
                "handle_amount": amount,
                "handle_unit": unit,
                "max_extensions": max_ext,
                "extension_amount": ext,
                "legal_basis": basis,
            },
        )
    for cat, dept, co in ROUTING_RULES:
        rule, _created = RoutingRule.objects.update_or_create(
            category=Category.objects.get(code=cat),
            township=None,
            channel="",
            keywords="",
            defaults={"department": Department.objects.get(code=dept)},
        )
        rule.co_departments.set(Department.objects.filter(code__in=co))
    # Every department a rule routes to has someone to sign for its cases (the system check
    # dispatch.W001 names a rule whose department has nobody).
    for code in sorted({dept for _cat, dept, _co in ROUTING_RULES}):
        department = Department.objects.get(code=code)
        if not department_is_staffed(department):
            ensure_demo_user(
                f"officer-{code}",
                f"{department.name}承办人",
                Role.OFFICER,
                department=department,
                head=True,
            )
    return {
        "deadline_rules": DeadlineRule.objects.count(),
        "routing_rules": RoutingRule.objects.count(),
    }
