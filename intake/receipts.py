"""What the receipt (回执) promises about time.

Intake cannot know the deadline a case will get: the dispatch room sets it when it routes
the case, from its own rules, and ``intake`` must not import ``dispatch``. So the receipt
shows the category's typical statutory handling time from the table below, and a downstream
app may register a better estimator (``register_receipt_estimate``) from its
``AppConfig.ready()``; the first estimator that answers wins, the table is the fallback.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _

from luodian_platform.models import Category

from .models import Case, State

# estimator(case) -> a sentence, or None to let the next one answer
ESTIMATORS: list[Callable[[Case], str | None]] = []


def register_receipt_estimate(estimator: Callable[[Case], str | None]) -> None:
    ESTIMATORS.append(estimator)


# Typical time limits by category code, then by kind (see docs/intake.md for sources).
BY_CATEGORY = {
    "labour": _(
        "劳动争议调解自申请之日起15日内未达成协议的,当事人可依法申请劳动仲裁"
        "(《劳动争议调解仲裁法》第十四条)。"
    ),
    "petition": _("自登记之日起15日内告知是否受理;受理后60日内办结(《信访工作条例》)。"),
    "legal_aid": _("7个工作日内作出是否给予法律援助的决定(《法律援助法》)。"),
    "court_referral": _("诉前委派调解期限一般为30日,经当事人同意可以延长。"),
}
BY_KIND = {
    Category.Kind.DISPUTE: _("人民调解一般在一个月内办结;派单后承办部门按规定时限办理。"),
    Category.Kind.PETITION: BY_CATEGORY["petition"],
    Category.Kind.LEGAL_AID: BY_CATEGORY["legal_aid"],
    Category.Kind.CONSULTATION: _("已当场答复。"),
    Category.Kind.COUNSELLING: _("已当场疏导,如需后续预约请拨打服务电话。"),
}

NEXT_STEPS = {
    State.REGISTERED: _(
        "您的事项已登记。综合研判调度室将在1个工作日内分流至承办部门,承办部门会与您联系。"
        "请保持电话畅通,凭案件编号可查询办理进度。"
    ),
    State.CLOSED: _("您的咨询已当场答复办结。如对答复不满意,可凭案件编号再次来访或来电。"),
    State.MERGED: _("您反映的事项与已登记的案件为同一纠纷,已合并办理,进度以原案件为准。"),
}


def expected_time(case: Case) -> str:
    for estimator in ESTIMATORS:
        text = estimator(case)
        if text:
            return text
    return str(BY_CATEGORY.get(case.category.code) or BY_KIND.get(case.category.kind, ""))


def next_steps(case: Case) -> str:
    return str(NEXT_STEPS.get(case.state, NEXT_STEPS[State.REGISTERED]))
