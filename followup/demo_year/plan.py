"""What the demo year is made of, as data: the case paths, their weights, the categories'
texts and the mixes of channels and satisfaction. The runner (``runner.py``) walks a path
step by step, each step one call of a public service (``steps.py``); changing the mix of
the demo county is an edit here, never in the runner.

A path is a list of ``(step, delay)`` pairs: the delay is how long after the previous step
the clerk, officer or dispatcher acts (``"2h"`` hours, ``"3d"`` calendar days, ``"2w"``
working days), snapped into office hours on a working day of the official calendar."""

from __future__ import annotations

from dataclasses import dataclass, field

# --- how a case comes in -------------------------------------------------------------

# (channel, weight) for cases that may come from any door. Court referrals come only from
# the court (their own path), 即办件 only from the window.
CHANNEL_MIX = [
    ("walk_in", 41),
    ("hotline_12345", 28),
    ("zongzhi", 10),
    ("pingan_app", 10),
    ("screening", 7),
    # Online applications from phones (citizen app, issue 21): few in a first year.
    ("online", 4),
]

# Disputes that a committee or a department mediates.
MEDIATION_CATEGORIES = [
    ("labour", 30),
    ("family", 18),
    ("neighbour", 18),
    ("traffic", 12),
    ("property", 8),
    ("land", 8),
    ("medical", 3),
    ("consumer", 6),
]
# Matters a department answers without a mediation.
HANDLED_CATEGORIES = [
    ("petition", 30),
    ("labour", 20),
    ("consumer", 14),
    ("land", 10),
    ("property", 10),
    ("neighbour", 8),
    ("medical", 4),
    ("consultation", 4),
]
# Categories whose deadline rule allows an extension (劳动争议调解 and 法律援助 do not:
# 《劳动争议调解仲裁法》 art. 14, 《法律援助法》).
EXTENDABLE_CATEGORIES = [("petition", 3), ("neighbour", 2), ("land", 1), ("property", 1)]
ON_SPOT_CATEGORIES = [("consultation", 3), ("counselling", 1)]

# The committee that seals an agreement, by category (《人民调解法》 art. 29: the people's
# mediation committee seals it). Others: the mediator's own organisation, else 司法局.
COMMITTEE_FOR = {
    "labour": "tj-labour",
    "traffic": "tj-traffic",
    "family": "tj-family",
    "property": "tj-property",
}

# A wrong first routing, for the paths that bounce (退单): the category's lead department
# is not the one a hurried dispatcher picks.
WRONG_DEPARTMENTS = ["zjj", "scjgj", "gaj", "wjj", "zrzyj"]

# (satisfaction, weight) for a satisfied-enough visit and for the 12345 results.
VISIT_SATISFACTION = [("satisfied", 78), ("basic", 22)]
HOTLINE_SATISFACTION = [("满意", 70), ("基本满意", 20), ("不满意", 10)]

# Monthly first-instance filings of the county's court (万人成诉率): about 70 per 10,000
# residents a year, as the county reported for 2022.
COURT_FILINGS_CIVIL = (210, 270)
COURT_FILINGS_ADMIN = (4, 12)

# --- the paths -------------------------------------------------------------------------


@dataclass(frozen=True)
class Path:
    name: str
    weight: int
    steps: list[tuple[str, str]]
    categories: list[tuple[str, int]] = field(default_factory=lambda: HANDLED_CATEGORIES)
    channels: list[tuple[str, int]] = field(default_factory=lambda: CHANNEL_MIX)
    # How long ago it was registered, in days: (most recent, oldest).
    window: tuple[int, int] = (35, 365)


_IN = [("intake", "0h"), ("dispatch", "2h"), ("sign", "3h")]
# A progress note (办理进展) while handling, some with a photo or a letter: without one
# for N working days a case in handling is 久未进展 (dispatch/stalls.py).
_NOTE = [("note", "1w")]
_MEDIATE = [("mediate", "1w"), ("session_agreed", "2w"), ("agreement", "1h")]
# After closing, about one applicant in four evaluates through the SMS link (citizen app).
_CLOSE = [
    ("approve", "1w"),
    ("citizen_evaluate", "1d"),
    ("visit", "0h"),
    ("visit", "0h"),
    ("archive", "1d"),
]
# Mediated: the agreement's term is performed between the two visits.
_CLOSE_PERFORMED = [
    ("approve", "1w"),
    ("citizen_evaluate", "1d"),
    ("visit", "0h"),
    ("perform", "0h"),
    ("visit", "0h"),
    ("archive", "1d"),
]

# Paths that end closed or archived (or rejected/merged): the year's history.
YEAR_PATHS = [
    Path("答复办结", 22, [*_IN, *_NOTE, ("reply", "3w"), *_CLOSE]),
    Path(
        "调解成功",
        18,
        [*_IN, *_MEDIATE, *_CLOSE_PERFORMED],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "协议逾期履行",
        4,
        [
            *_IN,
            *_MEDIATE,
            ("approve", "1w"),
            ("visit", "0h"),
            ("perform_late", "0h"),
            ("visit", "0h"),
            ("archive", "1d"),
        ],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "司法确认",
        5,
        [
            *_IN,
            *_MEDIATE,
            ("jc_apply", "5d"),
            ("approve", "1h"),
            ("jc_accept", "2d"),
            ("jc_decide", "1w"),
            *_CLOSE_PERFORMED[1:],
        ],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "多次调解",
        4,
        [
            *_IN,
            ("mediate", "1w"),
            ("session_adjourned", "2w"),
            ("session_agreed", "1w"),
            ("agreement", "1h"),
            *_CLOSE_PERFORMED,
        ],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "调解不成",
        8,
        [
            *_IN,
            *_NOTE,
            ("mediate", "3d"),
            ("session_failed", "2w"),
            ("notice", "1h"),
            *_CLOSE,
        ],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "退单改派",
        6,
        [
            ("intake", "0h"),
            ("dispatch_wrong", "2h"),
            ("return", "4h"),
            ("dispatch", "2h"),
            ("sign", "2h"),
            ("reply", "4w"),
            *_CLOSE,
        ],
    ),
    Path(
        "强制派单",
        2,
        [
            ("intake", "0h"),
            ("dispatch_wrong", "2h"),
            ("return", "4h"),
            ("dispatch_wrong", "2h"),
            ("return", "4h"),
            ("dispatch", "2h"),
            ("sign", "2h"),
            ("reply", "5w"),
            *_CLOSE,
        ],
    ),
    Path(
        "中止恢复",
        4,
        [*_IN, ("suspend", "2w"), ("resume", "6w"), *_NOTE, ("reply", "2w"), *_CLOSE],
        MEDIATION_CATEGORIES,
    ),
    Path(
        "延期办结",
        4,
        [
            *_IN,
            *_NOTE,
            ("extend", "2w"),
            ("extend_approve", "2h"),
            *_NOTE,
            ("reply", "5w"),
            *_CLOSE,
        ],
        EXTENDABLE_CATEGORIES,
    ),
    Path(
        "延期不准",
        1,
        [*_IN, ("extend", "3w"), ("extend_refuse", "2h"), ("reply", "2w"), *_CLOSE],
        EXTENDABLE_CATEGORIES,
    ),
    Path(
        "催办督办",
        3,
        [
            *_IN,
            ("urge", "8w"),
            ("respond", "2h"),
            ("supervise", "2w"),
            ("respond", "2h"),
            ("reply", "1w"),
            *_CLOSE,
        ],
    ),
    Path("退回重办", 2, [*_IN, ("reply", "3w"), ("send_back", "1d"), ("reply", "2w"), *_CLOSE]),
    Path(
        "回访不满意重办",
        4,
        [
            *_IN,
            ("reply", "4w"),
            ("approve", "1w"),
            ("visit_dissatisfied", "0h"),
            ("sign", "1d"),
            ("reply", "2w"),
            *_CLOSE,
        ],
    ),
    Path(
        "回访无法联系",
        2,
        [
            *_IN,
            ("reply", "4w"),
            ("approve", "1w"),
            ("visit_unreachable", "0h"),
            ("visit_unreachable", "0h"),
            ("archive", "1d"),
        ],
    ),
    Path(
        "问题纠偏",
        2,
        [*_IN, ("reply", "4w"), ("correction", "1d"), ("correction_feedback", "2w"), *_CLOSE],
    ),
    Path(
        "即办件", 10, [("on_spot", "0h"), ("archive", "1w")], ON_SPOT_CATEGORIES, [("walk_in", 1)]
    ),
    Path("不予受理", 3, [("receive", "0h"), ("reject", "3h")], HANDLED_CATEGORIES, CHANNEL_MIX[1:]),
    Path("重复合并", 2, [("intake", "0h"), ("merge", "2h")]),
    Path(
        "法院委派调解",
        3,
        [
            ("intake", "0h"),
            ("dispatch", "2h"),
            ("sign", "3h"),
            ("court_referral", "1h"),
            *_MEDIATE,
            ("court_report", "1d"),
            *_CLOSE_PERFORMED,
        ],
        [("court_referral", 1)],
        [("court", 1)],
    ),
    Path(
        "法律援助",
        3,
        [
            *_IN,
            ("legal_aid", "1h"),
            ("legal_aid_decide", "3w"),
            ("legal_aid_lawyer", "2w"),
            *_NOTE,
            ("reply", "1w"),
            *_CLOSE,
        ],
        [("legal_aid", 1)],
        [("walk_in", 1)],
    ),
]

# Paths that end in each open state (recent cases), plus one overdue case kind.
RECENT = (0, 20)
OPEN_PATHS = [
    Path("待接单", 3, [("receive", "0h")], HANDLED_CATEGORIES, CHANNEL_MIX[1:], (0, 3)),
    Path("待派单", 3, [("intake", "0h")], HANDLED_CATEGORIES, [("walk_in", 1)], (0, 3)),
    Path("待签收", 3, [("intake", "0h"), ("dispatch", "2h")], window=(0, 4)),
    Path("办理中", 8, _IN, window=RECENT),
    Path("办理中有进展", 4, [*_IN, ("note", "2d")], window=RECENT),
    Path(
        "调解中",
        5,
        [*_IN, ("mediate", "1w"), ("session_planned", "1h")],
        MEDIATION_CATEGORIES,
        window=RECENT,
    ),
    Path("已中止", 2, [*_IN, ("suspend", "1w")], MEDIATION_CATEGORIES, window=RECENT),
    Path("待审核", 3, [*_IN, ("reply", "1w")], window=RECENT),
    Path(
        "已办结待回访",
        4,
        [*_IN, ("reply", "1w"), ("approve", "1d"), ("visit", "0h")],
        window=(12, 30),
    ),
    Path("超期未办", 2, [*_IN, ("urge", "30d")], window=(40, 70)),
]
