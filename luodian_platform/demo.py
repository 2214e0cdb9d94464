"""The demo county's organisation: Luodian's "321+N" structure, townships, windows,
categories and one demo user per role. Idempotent: keyed by code/username."""

from __future__ import annotations

from django.conf import settings

from .models import Category, Department, Period, Township, User, Window
from .periods import seed_periods
from .roles import Role, ensure_roles

DEMO_PASSWORD = "Luodian@2026"  # noqa: S105 - printed by `make run`; demo data only

# (code, name, kind, registered, floating). Figures are rounded demo values.
TOWNSHIPS = [
    ("longping", "龙坪镇", "town", 98000, 21000),
    ("hexing", "斛兴街道", "street", 36000, 9000),
    ("bianyang", "边阳镇", "town", 52000, 4000),
    ("fengting", "逢亭镇", "town", 31000, 2000),
    ("moyang", "沫阳镇", "town", 38000, 2500),
    ("maojing", "茂井镇", "town", 27000, 1500),
    ("luokun", "罗悃镇", "town", 41000, 3000),
    ("hongshuihe", "红水河镇", "town", 29000, 1800),
    ("muyin", "木引镇", "town", 24000, 1200),
    ("luosha", "罗沙乡", "township", 16000, 600),
]

DEPARTMENTS = [
    ("centre", "综合研判调度室", "centre"),
    ("zfw", "县委政法委", "lead"),
    ("xfj", "县信访局", "lead"),
    ("rsj", "县人社局", "lead"),
    ("tj-traffic", "道路交通事故纠纷人民调解委员会", "support"),
    ("tj-labour", "劳动争议人民调解委员会", "support"),
    ("tj-family", "婚姻家庭纠纷人民调解委员会", "support"),
    ("tj-property", "物业纠纷人民调解委员会", "support"),
    # the county's people's mediation committee (《人民调解法》 art. 8), for disputes no
    # industry committee covers (neighbours, land, medical, consumer, court referrals)
    ("tj-county", "罗甸县人民调解委员会", "support"),
    ("law-qianjun", "贵州黔钧律师事务所", "support"),
    ("law-fangzheng", "贵州方正律师事务所", "support"),
    ("court", "罗甸县人民法院", "court"),
    ("gaj", "县公安局", "functional"),
    ("sfj", "县司法局", "functional"),
    ("flyz", "县法律援助中心", "functional"),
    ("zjj", "县住建局", "functional"),
    ("zrzyj", "县自然资源局", "functional"),
    ("wjj", "县卫健局", "functional"),
    ("scjgj", "县市场监管局", "functional"),
    ("fl", "县妇联", "functional"),
    ("ldjc", "县劳动保障监察大队", "functional"),
]

WINDOWS = [
    ("djlz", "登记流转窗口", False),
    ("xfjd", "信访接待窗口", False),
    ("ldzy", "劳动争议窗口", False),
    ("flfw", "法律服务窗口", False),
    ("sdj", "诉调对接窗口", False),
    ("xlsd", "心理疏导室", True),
    ("dytc1", "多元调处室一", True),
    ("dytc2", "多元调处室二", True),
]

# (code, name, kind, required fields for a complete first registration)
CATEGORIES = [
    ("labour", "劳动争议(欠薪)", "dispute", ["respondent", "amount"]),
    ("family", "婚姻家庭纠纷", "dispute", ["respondent"]),
    ("neighbour", "邻里纠纷", "dispute", ["respondent"]),
    ("traffic", "交通事故纠纷", "dispute", ["respondent", "place"]),
    ("property", "物业纠纷", "dispute", ["respondent"]),
    ("land", "土地山林纠纷", "dispute", ["respondent", "township"]),
    ("medical", "医疗纠纷", "dispute", ["respondent"]),
    ("consumer", "消费纠纷", "dispute", ["respondent"]),
    ("petition", "信访事项", "petition", []),
    ("consultation", "法律咨询", "consultation", []),
    ("legal_aid", "法律援助申请", "legal_aid", ["applicant_id"]),
    ("counselling", "心理疏导", "counselling", []),
    ("court_referral", "诉前委派调解", "dispute", ["respondent"]),
]

# (username, full name, role, department code, window code, is head)
USERS = [
    ("clerk", "王登记", Role.CLERK, None, "djlz", False),
    ("dispatcher", "李调度", Role.DISPATCHER, "centre", None, False),
    ("officer", "张承办", Role.OFFICER, "rsj", None, True),
    ("officer2", "赵承办", Role.OFFICER, "sfj", None, False),
    ("mediator", "陈调解", Role.MEDIATOR, "rsj", None, False),
    ("followup", "刘回访", Role.FOLLOWUP, None, None, False),
    ("supervisor", "周督查", Role.SUPERVISOR, None, None, False),
    ("admin", "系统管理员", Role.ADMIN, None, None, False),
]


def load() -> dict[str, int]:
    ensure_roles()
    # The period table is seeded by a migration; a flushed test database needs it again.
    seed_periods()
    for code, name, kind, reg, floating in TOWNSHIPS:
        Township.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "registered_population": reg,
                "floating_population": floating,
            },
        )
    for code, name, kind in DEPARTMENTS:
        Department.objects.update_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "is_mediation_committee": code.startswith("tj-")},
        )
    for code, name, is_room in WINDOWS:
        Window.objects.update_or_create(code=code, defaults={"name": name, "is_room": is_room})
    for code, name, kind, required in CATEGORIES:
        Category.objects.update_or_create(
            code=code, defaults={"name": name, "kind": kind, "required_fields": required}
        )
    for username, full_name, role, dept, window, head in USERS:
        ensure_demo_user(
            username,
            full_name,
            role,
            department=Department.objects.get(code=dept) if dept else None,
            window=Window.objects.get(code=window) if window else None,
            head=head,
        )
    return {
        "townships": Township.objects.count(),
        "departments": Department.objects.count(),
        "windows": Window.objects.count(),
        "categories": Category.objects.count(),
        "users": User.objects.count(),
        "periods": Period.objects.count(),
        "county": settings.COUNTY_NAME,
    }


def ensure_demo_user(
    username: str,
    full_name: str,
    role: str,
    *,
    department: Department | None = None,
    window: Window | None = None,
    head: bool = False,
) -> User:
    """A demo account (created once, with the demo password; later runs leave it alone)."""
    from django.contrib.auth.models import Group

    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "full_name": full_name,
            "department": department,
            "window": window,
            "is_department_head": head,
            "is_staff": role == Role.ADMIN,
            "is_superuser": role == Role.ADMIN,
            "email": f"{username}@luodian.invalid",
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=str(role)))
    return user
