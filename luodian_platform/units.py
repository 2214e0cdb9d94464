"""How a period is counted; every period row and every deadline rule carries one.
(Apart from ``workcal`` so that ``models`` and ``workcal`` do not import each other.)"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Unit(models.TextChoices):
    """How a period is counted; every period row and every deadline rule carries one."""

    WORKDAYS = "workdays", _("工作日")
    DAYS = "days", _("日(自然日)")
    WORKHOURS = "workhours", _("工作小时")
    HOURS = "hours", _("小时")
