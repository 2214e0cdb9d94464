"""Reads of cases for pages and the API. Every read starts from ``visible_to(user)``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.crypto import blind_index

from .models import HANDLING_STATES, Case, CaseEvent, Party, State
from .search import search


def case_list(*, user, filters: dict | None = None) -> QuerySet[Case]:
    f = filters or {}
    qs = Case.objects.visible_to(user).select_related("category", "department", "township")
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("department"):
        qs = qs.filter(department__code=f["department"])
    if f.get("category"):
        qs = qs.filter(category__code=f["category"])
    if f.get("township"):
        qs = qs.filter(township__code=f["township"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("risk"):
        qs = qs.filter(risk_level=f["risk"])
    if f.get("overdue") in ("1", "true", True):
        qs = filter_overdue(qs)
    return filter_text(qs, f.get("q") or "")


# The columns a case list shows, API rows (``CaseListSerializer``) and the list page's table
# (``_case_table.html``) alike: a list reads only these, not the facts and claims (up to
# 15,000 characters a row) or the category's JSON of required fields.
LIST_COLUMNS = (
    "id",
    "number",
    "title",
    "state",
    "version",
    "channel",
    "risk_level",
    "due_at",
    "bounce_count",
    "created_at",
    "category__code",
    "category__name",
    "department__code",
    "department__name",
    "township__code",
    "township__name",
)


def list_columns(qs: QuerySet[Case]) -> QuerySet[Case]:
    """``qs`` (from ``case_list``) reading only the list's columns, as cases (the page)."""
    return qs.only(*LIST_COLUMNS)


# The API's list rows as plain values (``CaseListSerializer``): no model instances at all.
LIST_VALUES = (
    *(c for c in LIST_COLUMNS if "__" not in c),
    "category__code",
    "department__code",
    "township__code",
)


def list_rows(qs: QuerySet[Case]) -> QuerySet:
    """``qs`` (from ``case_list``) as one dict of the list's values per case (the API)."""
    return qs.values(*LIST_VALUES)


def filter_overdue(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.filter(state__in=HANDLING_STATES, due_at__lt=timezone.now())


def filter_text(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """Search by case number, a party's name, ID number or phone, or words of the title,
    facts and claims (``intake.search``)."""
    return search(qs, q)


def case_get(*, user, pk: int) -> Case | None:
    return (
        Case.objects.visible_to(user)
        .select_related(
            "category",
            "department",
            "township",
            "window",
            "registered_by",
            "assignee",
            "merged_into",
        )
        .filter(pk=pk)
        .first()
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")


# --- duplicates and earlier cases of the same people -------------------------------------


@dataclass
class DuplicateHit:
    case: Case
    reasons: list[str]
    visible: bool


def _window_start():
    return timezone.now() - dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)


def duplicate_candidates(
    *,
    id_numbers: list[str],
    phones: list[str],
    respondent_names: list[str],
    user=None,
    limit: int = 10,
) -> list[DuplicateHit]:
    """Earlier cases (county-wide, within ``DUPLICATE_WINDOW_DAYS``) that share an ID number or
    phone with any party, or a respondent name with a respondent of the new registration.

    The search is county-wide on purpose: a clerk must learn that the dispute is already on
    file even if another window registered it. The caller shows such hits masked (number,
    category, state, date) and only links to the ones ``visible_to(user)``.
    """
    id_numbers = sorted({v for v in id_numbers if v})
    phones = sorted({v for v in phones if v})
    respondent_names = sorted({v for v in respondent_names if v})
    q = Q(pk__in=[])
    if id_numbers:
        q |= Q(id_number_bidx__in=[blind_index(v) for v in id_numbers])
    if phones:
        q |= Q(phone_bidx__in=[blind_index(v) for v in phones])
    if respondent_names:
        q |= Q(role=Party.PartyRole.RESPONDENT, name__in=respondent_names)
    if not (id_numbers or phones or respondent_names):
        return []
    matches = list(
        Party.objects.filter(q, case__created_at__gte=_window_start())
        .exclude(case__state=State.MERGED)
        .values("case_id", "id_number_bidx", "phone_bidx", "name", "role")
        .order_by("-case__created_at")[:200]
    )
    id_hashes = {blind_index(v) for v in id_numbers}
    phone_hashes = {blind_index(v) for v in phones}
    reasons: dict[int, list[str]] = {}
    for m in matches:
        r = reasons.setdefault(m["case_id"], [])
        if m["id_number_bidx"] and m["id_number_bidx"] in id_hashes:
            r.append(str(_("身份证号码相同")))
        if m["phone_bidx"] and m["phone_bidx"] in phone_hashes:
            r.append(str(_("联系电话相同")))
        if m["role"] == Party.PartyRole.RESPONDENT and m["name"] in respondent_names:
            r.append(str(_("被申请人相同")))
    ids = list(reasons)[:limit]
    cases = Case.objects.select_related("category", "township").in_bulk(ids)
    visible = (
        set(Case.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
        if user is not None
        else set()
    )
    return [
        DuplicateHit(case=cases[i], reasons=sorted(set(reasons[i])), visible=i in visible)
        for i in ids
        if i in cases
    ]


def earlier_cases_of_applicants(*, id_numbers: list[str], phones: list[str]) -> int:
    """How many earlier cases (within the window, not merged) name the same applicant:
    the basis of the repeat-petition (重复访) suggestion."""
    id_numbers = [v for v in id_numbers if v]
    phones = [v for v in phones if v]
    if not (id_numbers or phones):
        return 0
    q = Q(pk__in=[])
    if id_numbers:
        q |= Q(id_number_bidx__in=[blind_index(v) for v in id_numbers])
    if phones:
        q |= Q(phone_bidx__in=[blind_index(v) for v in phones])
    return (
        Party.objects.filter(
            q, role=Party.PartyRole.APPLICANT, case__created_at__gte=_window_start()
        )
        .exclude(case__state=State.MERGED)
        .values("case_id")
        .distinct()
        .count()
    )


def applicant_index_hits(*, id_bidx: set[str], phone_bidx: set[str]) -> set[tuple[str, str]]:
    """Which of these applicant blind indexes appear on earlier cases in the window (not
    merged), as ``("id", bidx)`` / ``("phone", bidx)``: the basis of the repeat-petition
    (重复访) suggestion, for one registration or a whole channel batch in one query.

    Its cost follows the values asked, not the party table: each value is one probe of its
    blind index that stops at the first earlier case (``EXISTS``), however many cases a
    frequent caller has; and the explicit ``<> ''`` lets PostgreSQL use the partial
    indexes for any number of values (it proves an ``IN`` list against an index predicate
    only up to 100 values, and a batch of 200 orders fell back to a scan of every party)."""
    wanted = [
        ("id", "id_number_bidx", sorted(v for v in id_bidx if v)),
        ("phone", "phone_bidx", sorted(v for v in phone_bidx if v)),
    ]
    party, case = Party._meta.db_table, Case._meta.db_table
    start = connection.ops.adapt_datetimefield_value(_window_start())
    parts, params = [], []
    for kind, column, values in wanted:
        if not values:
            continue
        rows = ", ".join(["(%s)"] * len(values))
        parts.append(
            f"SELECT %s, v.column1 FROM (VALUES {rows}) AS v WHERE EXISTS ("  # noqa: S608
            f'SELECT 1 FROM "{party}" p INNER JOIN "{case}" c ON c."id" = p."case_id" '
            f'WHERE p."{column}" = v.column1 AND p."{column}" <> \'\' AND p."role" = %s '
            f'AND c."created_at" >= %s AND NOT (c."state" = %s))'
        )
        params += [kind, *values, Party.PartyRole.APPLICANT.value, start, State.MERGED.value]
    if not parts:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(kind, value) for kind, value in cursor.fetchall()}


def inbox_list(*, user) -> QuerySet[Case]:
    """The dispatch room's channel inbox: orders waiting to be taken in, oldest first."""
    return (
        Case.objects.visible_to(user)
        .filter(state=State.RECEIVED)
        .select_related("category", "township", "channel_order")
        .order_by("created_at", "id")
    )


# --- a channel's reads of its own orders (GET /api/channel/orders/, Open311) --------------


def channel_orders(*, channel: str) -> QuerySet[Case]:
    """Orders a channel posted: never another channel's (those answer 404), never a walk-in.
    The filter matches the partial index ``case_channel_updated_idx``."""
    return (
        Case.objects.filter(channel=channel)
        .exclude(external_id="")
        .select_related("department", "category")
    )


def channel_orders_changed(
    *, channel: str, since: dt.datetime | None, after_id: int = 0, limit: int = 100
) -> list[Case]:
    """A channel's orders changed at or after ``since``, oldest change first (keyset on
    ``updated_at, id``: ``after_id`` skips what the previous page already gave)."""
    qs = channel_orders(channel=channel)
    if since is not None:
        qs = qs.filter(Q(updated_at__gt=since) | Q(updated_at=since, pk__gt=after_id))
    return list(qs.order_by("updated_at", "id")[:limit])
