"""考评办法 as data: the indicators, their formulas and default weights, the minimum volume,
the figures a supervisor can click through, and the tables' columns. The method page, the
tables, the Excel export and the API all read these, so they cannot disagree with the text.
Weights are edited by an administrator (``EvaluationWeight``); see ``followup.evaluation``
for how they are applied."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from .models import EvaluationWeight

# --- the method (data) --------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str  # attribute of EvalRow; with the table's prefix, the EvaluationWeight key
    label: str
    kind: str  # "rate" (earns up to its weight) or "deduction" (weight per record)
    default: Decimal
    formula: str
    numerator: str = ""  # figure keys (click-through lists)
    denominator: str = ""


DEPARTMENT_INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "on_time_rate",
        _("按期办结率"),
        "rate",
        Decimal(40),
        _("按期办结件数 ÷ 应结件数;应结件数 = 本期办结件数 + 期末仍在办理且已超过办理时限的件数"),
        "on_time",
        "due",
    ),
    Indicator(
        "success_rate",
        _("调解成功率"),
        "rate",
        Decimal(20),
        _("以已签署生效的调解协议书办结的件数 ÷ 以协议书或告知书办结的件数"),
        "agreements",
        "mediated",
    ),
    Indicator(
        "satisfaction_rate",
        _("满意率"),
        "rate",
        Decimal(40),
        _(
            "(平台回访满意、基本满意次数 + 12345回访满意、基本满意次数)÷"
            "(平台回访评价次数 + 12345评价次数),两者逐次合并计算;"
            "平台回访含回访员回访和当事人通过短信链接的网上评价,每次评价各计一次"
        ),
        "positive",
        "rated",
    ),
    Indicator("urges", _("催办"), "deduction", Decimal("0.5"), _("本期对本部门的每次催办扣分")),
    Indicator("supervisions", _("督办"), "deduction", Decimal(1), _("本期每份督办单扣分")),
    Indicator("notices", _("通报"), "deduction", Decimal(3), _("本期每次通报批评扣分")),
    Indicator("corrections", _("纠偏"), "deduction", Decimal(2), _("本期每次问题纠偏扣分")),
    Indicator("rework", _("重办"), "deduction", Decimal(2), _("本期每次因回访不满意等重办扣分")),
    Indicator(
        "bad_returns",
        _("不当退单"),
        "deduction",
        Decimal(2),
        _("本部门退单后,调度中心仍派回本部门(含强制派单)的,每次扣分;中心改派他处的退单不扣分"),
    ),
)

TOWNSHIP_INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "on_time_rate",
        _("按期办结率"),
        "rate",
        Decimal(30),
        _("本乡镇案件:按期办结件数 ÷(本期办结件数 + 期末仍超期未办结件数)"),
        "on_time",
        "due",
    ),
    Indicator(
        "success_rate",
        _("调解成功率"),
        "rate",
        Decimal(20),
        _("本乡镇案件:以已生效协议书办结件数 ÷ 以协议书或告知书办结件数"),
        "agreements",
        "mediated",
    ),
    Indicator(
        "satisfaction_rate",
        _("满意率"),
        "rate",
        Decimal(30),
        _("本乡镇案件的平台回访(含当事人网上评价)与12345评价合并:满意、基本满意次数 ÷ 评价次数"),
        "positive",
        "rated",
    ),
    Indicator(
        "lawsuit_score",
        _("万人成诉率得分"),
        "rate",
        Decimal(20),
        _(
            "万人成诉率 = 法院一审民事、行政收案数 ÷(户籍人口 + 流动人口)× 10000;"
            "不高于全县(各乡镇合计)水平得满分,高于时按 全县水平 ÷ 本乡镇 的比例得分;"
            "未录入收案数的不计"
        ),
    ),
)

TABLE_INDICATORS = {"department": DEPARTMENT_INDICATORS, "township": TOWNSHIP_INDICATORS}
# EvaluationWeight keys: departments' as before (``on_time_rate``…), townships' prefixed.
WEIGHT_PREFIX = {"department": "", "township": "township."}
MINIMUM_VOLUME_KEY = "minimum_volume"
# 件次 (received + closed + open past the deadline): about five cases taken in and closed.
DEFAULT_MINIMUM_VOLUME = Decimal(10)

# Every figure a table shows, and what its click-through list holds.
FIGURES: dict[str, str] = {
    "volume": _("工作量涉及的案件(本期受理、办结或期末超期在办)"),
    "received": _("本期受理"),
    "handled": _("本期办结"),
    "on_time": _("按期办结"),
    "late": _("超期办结"),
    "open_late": _("期末超期在办"),
    "due": _("应结件数(办结 + 超期在办)"),
    "agreements": _("以生效协议书办结"),
    "mediated": _("以协议书或告知书办结"),
    "rated": _("有满意度评价的案件(回访或12345)"),
    "positive": _("评价为满意、基本满意的案件"),
    "visits_rated": _("平台回访评价(含当事人网上评价)"),
    "hotline_rated": _("12345评价"),
    "urges": _("被催办"),
    "supervisions": _("被督办"),
    "notices": _("被通报"),
    "corrections": _("被纠偏"),
    "rework": _("重办"),
    "returns": _("退单"),
    "bad_returns": _("不当退单(中心派回本部门)"),
    "upheld_returns": _("退单被采纳(中心改派他处)"),
    "screening": _("排查上报(部门排查渠道受理)"),
}


def weights() -> dict[str, Decimal]:
    """Every weight of both tables and the minimum volume: defaults, then the admin's rows."""
    out = {MINIMUM_VOLUME_KEY: DEFAULT_MINIMUM_VOLUME}
    for table, indicators in TABLE_INDICATORS.items():
        for ind in indicators:
            out[WEIGHT_PREFIX[table] + ind.key] = ind.default
    out.update(
        (k, v) for k, v in EvaluationWeight.objects.values_list("metric", "weight") if k in out
    )
    return out


def method(w: dict[str, Decimal] | None = None) -> dict:
    """The method as the page and the API state it, with the weights in force."""
    w = w if w is not None else weights()
    tables = {}
    for table, indicators in TABLE_INDICATORS.items():
        tables[table] = [
            {
                "key": ind.key,
                "label": str(ind.label),
                "kind": ind.kind,
                "weight": float(w[WEIGHT_PREFIX[table] + ind.key]),
                "formula": str(ind.formula),
            }
            for ind in indicators
        ]
    return {"minimum_volume": int(w[MINIMUM_VOLUME_KEY]), "tables": tables}


# Columns of the tables and the Excel export: (attribute, Chinese header, figure key or "").
DEPARTMENT_COLUMNS = [
    ("rank", _("排名"), ""),
    ("name", _("单位"), ""),
    ("status_label", _("标注"), ""),
    ("volume", _("工作量(件次)"), ""),
    ("received", _("受理件数"), "received"),
    ("handled", _("办结件数"), "handled"),
    ("on_time", _("按期办结"), "on_time"),
    ("open_late", _("超期在办"), "open_late"),
    ("on_time_rate", _("按期办结率"), ""),
    ("agreements", _("协议办结"), "agreements"),
    ("mediated", _("协议或告知书办结"), "mediated"),
    ("success_rate", _("调解成功率"), ""),
    ("avg_hours", _("平均办理时长(小时)"), ""),
    ("median_hours", _("办理时长中位数(小时)"), ""),
    ("avg_agreement_hours", _("登记至协议生效平均时长(小时)"), ""),
    ("visits_rated", _("回访评价"), "visits_rated"),
    ("visits_positive", _("回访满意"), ""),
    ("hotline_rated", _("12345评价"), "hotline_rated"),
    ("hotline_positive", _("12345满意"), ""),
    ("satisfaction_rate", _("满意率"), ""),
    ("urges", _("催办次数"), "urges"),
    ("supervisions", _("督办次数"), "supervisions"),
    ("notices", _("通报次数"), "notices"),
    ("corrections", _("纠偏次数"), "corrections"),
    ("rework", _("重办次数"), "rework"),
    ("returns", _("退单次数"), "returns"),
    ("bad_returns", _("不当退单"), "bad_returns"),
    ("score", _("综合得分"), ""),
]
TOWNSHIP_COLUMNS = [
    ("rank", _("排名"), ""),
    ("name", _("乡镇街道"), ""),
    ("status_label", _("标注"), ""),
    ("volume", _("工作量(件次)"), ""),
    ("received", _("受理件数"), "received"),
    ("screening", _("排查件数"), "screening"),
    ("handled", _("办结件数"), "handled"),
    ("agreements", _("化解件数(协议办结)"), "agreements"),
    ("on_time_rate", _("按期办结率"), ""),
    ("success_rate", _("调解成功率"), ""),
    ("visits_rated", _("回访评价"), "visits_rated"),
    ("hotline_rated", _("12345评价"), "hotline_rated"),
    ("satisfaction_rate", _("满意率"), ""),
    ("filings", _("法院一审收案"), ""),
    ("population", _("人口"), ""),
    ("lawsuit_rate", _("万人成诉率"), ""),
    ("lawsuit_score", _("万人成诉率得分"), ""),
    ("score", _("综合得分"), ""),
]
# Kept for callers of the old single column list.
EVAL_COLUMNS = [(a, label) for a, label, _f in DEPARTMENT_COLUMNS]
RATE_COLUMNS = {"on_time_rate", "success_rate", "satisfaction_rate", "lawsuit_score"}
CENTRE_COLUMNS = [
    ("dispatches", _("本期派单")),
    ("forced", _("其中强制派单")),
    ("returns", _("本期退单")),
    ("upheld_returns", _("退单被采纳(改派他处,计为分流不准)")),
    ("bad_returns", _("退单未被采纳(派回原部门)")),
    ("pending_returns", _("退单待改派")),
    ("routing_accuracy", _("分流准确率")),
]
