"""The period table's seed and the one way code reads a period.

``PERIOD_DEFAULTS`` is the only place in the code base that holds a period's length: the
data migration and ``load_demo_county`` copy it into the ``Period`` table, and every clock
reads the table through ``period(code)``. If a row is missing (deleted in the admin, or a
database not migrated) ``period`` falls back to the seed value, logs a warning and the
system check ``luodian.W010`` names the missing rows.

Defaults from ../shared/domain.md; check each against the current text before going live.
How the units count: ``luodian_platform.workcal``.
"""

from __future__ import annotations

import logging

from django.core.checks import Warning, register
from django.db import DatabaseError

from .workcal import Unit

log = logging.getLogger(__name__)

W, D, WH = Unit.WORKDAYS, Unit.DAYS, Unit.WORKHOURS

# code: (name, amount, unit, extension amount, max extensions, starts on, legal basis,
#        unit basis)
PERIOD_DEFAULTS: dict[str, tuple] = {
    "handling_default": (
        "默认办理时限",
        5,
        W,
        5,
        1,
        "首次派单",
        "本地规定:没有适用的办理时限规则时使用(热线常见时限:一般事项5-7个工作日)",
        "",
    ),
    "sign_for": (
        "签收时限",
        8,
        WH,
        0,
        0,
        "派单",
        "本地规定:派单后1个工作日(8个工作小时)内签收",
        "按办公时间计算,休息日不计",
    ),
    "supervision_urge": ("催办回复时限", 1, W, 0, 0, "发出催办", "本地督办规定", ""),
    "supervision_supervise": ("督办回复时限", 3, W, 0, 0, "发出督办", "本地督办规定", ""),
    "supervision_notice": ("通报回复时限", 5, W, 0, 0, "发出通报", "本地督办规定", ""),
    "correction_rectify": ("整改时限", 5, W, 0, 0, "记录问题纠偏", "本地问题纠偏规定", ""),
    # No statute sets this: it is the county's own trigger for 办理不及时 (问题纠偏 in the
    # 2023 report). A category may set its own number (Category.stall_workdays).
    "no_progress": (
        "久未进展提示",
        3,
        W,
        0,
        0,
        "最后一次办理进展或流转记录",
        "本地规定(无法定期限):办理中的案件连续3个工作日没有办理进展或流转记录的,"
        "列入久未进展并建议问题纠偏(办理不及时);各类别可另行规定",
        "按工作日计算,不含记录当日,中止期间不计",
    ),
    "jc_window": (
        "司法确认申请期限",
        30,
        D,
        0,
        0,
        "调解协议生效",
        "《人民调解法》第三十三条:自调解协议生效之日起三十日内共同向人民法院申请司法确认",
        "",
    ),
    "jc_window_reminder": (
        "司法确认申请提醒提前量",
        5,
        D,
        0,
        0,
        "申请期限届满前",
        "本地规定:期限届满前提醒当事人",
        "",
    ),
    "jc_accept": (
        "司法确认受理期限",
        3,
        D,
        0,
        0,
        "法院收到申请",
        "《最高人民法院关于人民调解协议司法确认程序的若干规定》(法释〔2011〕5号):三日内决定是否受理",
        "",
    ),
    "jc_decide": (
        "司法确认决定期限",
        15,
        D,
        10,
        1,
        "法院受理申请",
        "法释〔2011〕5号:受理后十五日内作出是否确认的决定,特殊情况经院长批准可延长十日",
        "",
    ),
    "court_referral": (
        "诉前委派调解期限",
        30,
        D,
        60,
        0,
        "法院委派",
        "《最高人民法院关于人民法院特邀调解的规定》:委派调解三十日,经各方当事人同意可以延长",
        "延长天数由各方当事人商定,每次不超过「每次延长」;次数不限(0 表示不限)",
    ),
    "legal_aid_decision": (
        "法律援助审查决定期限",
        7,
        W,
        0,
        0,
        "法律援助机构收到申请",
        "《法律援助法》第四十三条:收到申请之日起七日内作出是否给予法律援助的决定",
        "法律写「日」;司法部《办理法律援助案件程序规定》(2023)按工作日计算。默认工作日,县可改为自然日",
    ),
    "legal_aid_lawyer": (
        "法律援助指派期限",
        3,
        W,
        0,
        0,
        "作出给予法律援助的决定",
        "《法律援助法》第四十三条:决定给予法律援助之日起三日内指派法律援助人员",
        "法律写「日」;司法部《办理法律援助案件程序规定》(2023)按工作日计算。默认工作日,县可改为自然日",
    ),
    "petition_accept": (
        "信访受理告知期限",
        15,
        D,
        0,
        0,
        "收到信访事项",
        "《信访工作条例》(2022):收到之日起15日内决定是否受理并书面告知信访人",
        "",
    ),
    "petition_handle": (
        "信访办理期限",
        60,
        D,
        30,
        1,
        "受理信访事项",
        "《信访工作条例》(2022):受理之日起60日内办结;情况复杂的经负责人批准可延长,不超过30日,并告知延期理由",
        "",
    ),
    "petition_review_request": (
        "信访复查申请期限",
        30,
        D,
        0,
        0,
        "收到信访处理意见书",
        "《信访工作条例》(2022):不服处理意见的,可自收到书面答复之日起30日内请求复查",
        "",
    ),
    "petition_review_decide": (
        "信访复查期限",
        30,
        D,
        0,
        0,
        "收到复查请求",
        "《信访工作条例》(2022):收到复查请求之日起30日内提出复查意见",
        "",
    ),
    "petition_rereview_request": (
        "信访复核申请期限",
        30,
        D,
        0,
        0,
        "收到复查意见书",
        "《信访工作条例》(2022):不服复查意见的,可自收到之日起30日内请求复核",
        "",
    ),
    "petition_rereview_decide": (
        "信访复核期限",
        30,
        D,
        0,
        0,
        "收到复核请求",
        "《信访工作条例》(2022):收到复核请求之日起30日内提出复核意见;复核后同一事实和理由不再受理",
        "",
    ),
    "labour_mediation": (
        "劳动争议调解期限",
        15,
        D,
        0,
        0,
        "调解组织收到调解申请",
        "《劳动争议调解仲裁法》第十四条:自收到调解申请之日起十五日内未达成调解协议的,当事人可以申请仲裁",
        "",
    ),
    "labour_arbitration_accept": (
        "劳动仲裁受理期限",
        5,
        D,
        0,
        0,
        "仲裁委员会收到仲裁申请",
        "《劳动争议调解仲裁法》第二十九条:收到仲裁申请之日起五日内决定受理或不予受理",
        "",
    ),
    "labour_arbitration_award": (
        "劳动仲裁裁决期限",
        45,
        D,
        15,
        1,
        "仲裁委员会受理仲裁申请",
        "《劳动争议调解仲裁法》第四十三条:受理之日起四十五日内结束;案情复杂经批准可延期,不超过十五日",
        "",
    ),
    "visit_first": (
        "第一次回访",
        3,
        W,
        0,
        0,
        "案件办结",
        "本地回访规定(没有回访计划时使用):办结后3个工作日内回访",
        "",
    ),
    "visit_second": (
        "第二次回访",
        30,
        D,
        0,
        0,
        "案件办结",
        "本地回访规定(没有回访计划时使用):办结后30日回访,末日遇休息日顺延",
        "",
    ),
}

FIELDS = (
    "name",
    "amount",
    "unit",
    "extension_amount",
    "max_extensions",
    "starts_on",
    "legal_basis",
    "unit_basis",
)


def seed_values(code: str) -> dict:
    return dict(zip(FIELDS, PERIOD_DEFAULTS[code], strict=True))


def seed_periods(model=None) -> int:
    """Create the rows that are missing (never overwrite an administrator's edit)."""
    if model is None:
        from .models import Period as model
    created = 0
    for code in PERIOD_DEFAULTS:
        _row, new = model.objects.get_or_create(code=code, defaults=seed_values(code))
        created += new
    return created


def period(code: str):
    """The ``Period`` row ``code``; the seed value (unsaved, logged) if the row is missing."""
    from .lookups import held
    from .models import Period

    row = held(("period", code), Period.objects.filter(code=code).first, (Period,))
    if row is not None:
        return row
    if code not in PERIOD_DEFAULTS:
        raise KeyError(f"unknown period {code!r}")
    log.warning("period %s missing from the period table: using the seed value", code)
    return Period(code=code, **seed_values(code))


def periods(*codes: str) -> dict:
    """Several rows at once (one query), keyed by code; seed values for missing rows."""
    from .models import Period

    rows = {p.code: p for p in Period.objects.filter(code__in=codes)}
    return {code: rows.get(code) or period(code) for code in codes}


@register("luodian")
def check_period_table(app_configs=None, **kwargs):
    from .models import Period

    try:
        present = set(Period.objects.values_list("code", flat=True))
    except DatabaseError:  # not migrated yet
        return []
    return [
        Warning(
            f"期限表缺少「{PERIOD_DEFAULTS[code][0]}」({code}),将使用内置默认值。",
            hint="运行 manage.py migrate 或在管理后台「期限表」中补录。",
            id="luodian.W010",
        )
        for code in PERIOD_DEFAULTS
        if code not in present
    ]
