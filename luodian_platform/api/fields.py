"""Input fields shared by the API serializers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# The platform's records start with the hall (2020s); nothing it records happens before
# 2000, and no deadline or appointment is set more than ten years ahead. A year like 0468 is
# a typo or a probe, and PostgreSQL and SQLite would store it silently.
EARLIEST_YEAR = 2000
YEARS_AHEAD = 10


class PlausibleDateTimeField(serializers.DateTimeField):
    """A DateTimeField that refuses dates before 2000 or more than ten years ahead."""

    default_error_messages = {
        "implausible": _("日期超出合理范围(%(earliest)s 年至 %(latest)s 年)。"),
    }

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        latest = timezone.now().year + YEARS_AHEAD
        if not EARLIEST_YEAR <= result.year <= latest:
            self.fail("implausible", earliest=EARLIEST_YEAR, latest=latest)
        return result


def plausible_date(value: dt.date) -> bool:
    return EARLIEST_YEAR <= value.year <= timezone.now().year + YEARS_AHEAD
