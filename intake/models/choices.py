"""The case's vocabularies: states, channels, risk levels, outcomes, other proceedings."""

from __future__ import annotations

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

# value → label of a choice set, per active language, resolved once per process: a lazy
# label costs a gettext call each time it is used, and ``get_FOO_display`` hashes every
# label of the set for each call (a list of 25 cases made ~1,000 gettext calls for two
# columns).
_LABELS: dict[tuple[type, str], dict[str, str]] = {}


def labels(choices: type[models.Choices]) -> dict[str, str]:
    """``{value: label}`` of ``choices`` in the active language."""
    key = (choices, translation.get_language() or "")
    found = _LABELS.get(key)
    if found is None:
        found = _LABELS[key] = {value: str(label) for value, label in choices.choices}
    return found


class State(models.TextChoices):
    RECEIVED = "received", _("待接单")
    REGISTERED = "registered", _("已登记")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("办理中")
    MEDIATING = "mediating", _("调解中")
    SUSPENDED = "suspended", _("已中止")
    REPLIED = "replied", _("待审核")
    CLOSED = "closed", _("已办结")
    ARCHIVED = "archived", _("已归档")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已合并")


OPEN_STATES = [
    State.RECEIVED,
    State.REGISTERED,
    State.DISPATCHED,
    State.ACCEPTED,
    State.MEDIATING,
    State.SUSPENDED,
    State.REPLIED,
]
# States in which a department is on the clock.
HANDLING_STATES = [State.DISPATCHED, State.ACCEPTED, State.MEDIATING]


class Channel(models.TextChoices):
    WALK_IN = "walk_in", _("窗口来访")
    HOTLINE_12345 = "hotline_12345", _("12345热线")
    ZONGZHI = "zongzhi", _("综治信息平台")
    PINGAN_APP = "pingan_app", _("平安贵州APP")
    SCREENING = "screening", _("部门排查")
    COURT = "court", _("法院委派")
    # The citizen's own application from a phone (citizen app, issue 21).
    ONLINE = "online", _("网上申请")


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class Outcome(models.TextChoices):
    AGREEMENT = "agreement", _("调解成功(协议书)")
    NOTICE = "notice", _("调解不成(告知书)")
    HANDLED = "handled", _("已办理答复")
    LITIGATION = "litigation", _("转诉讼")
    ARBITRATION = "arbitration", _("转仲裁")
    PETITION = "petition", _("转信访")


# Outcomes that need a document reference (协议书/告知书/答复文书) before a reply.
OUTCOMES_NEEDING_DOCUMENT = set(Outcome.values)


class OtherProceeding(models.TextChoices):
    """Proceedings that take a matter out of the 12345/platform route (Guizhou 12345 rules:
    matters already in litigation, arbitration, administrative reconsideration or the
    petition channel are not accepted as work orders and are routed there)."""

    LITIGATION = "litigation", _("已进入诉讼程序")
    ARBITRATION = "arbitration", _("已进入仲裁程序")
    RECONSIDERATION = "reconsideration", _("已申请行政复议")
    PETITION = "petition", _("已进入信访渠道")
