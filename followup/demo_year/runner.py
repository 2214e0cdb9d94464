"""Run the demo year: plan the cases, then live each one's path step by step through the
services, with the clock frozen at each step's time (time-machine)."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import time_machine
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from dispatch.stalls import stalls_sweep
from intake.models import Case, Channel, ChannelOrder, State
from luodian_platform import audit
from luodian_platform.demo import DEMO_PASSWORD
from luodian_platform.errors import ServiceError
from luodian_platform.lookups import lookups_held
from luodian_platform.models import Category, Department, Township, User, Window
from luodian_platform.roles import Role
from luodian_platform.workcal import WorkCalendar, local_tz
from mediation.models import Mediator
from mediation.services import pdf_freezing_deferred

from .. import reminders, services
from ..models import Reminder
from ..tasks import publishing_paused
from . import plan, texts
from .steps import DEMO_PREFIX, STEPS, STOP, CaseRun


def already_loaded() -> bool:
    """The demo year's channel orders carry the ``DY-`` prefix; every plan has some
    (the 待接单 path comes from a channel), so their presence marks a loaded year."""
    return ChannelOrder.objects.filter(external_id__startswith=DEMO_PREFIX).exists()


@dataclass
class Result:
    loaded: bool
    cases: int = 0
    steps: int = 0
    failures: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)
    stalls: int = 0
    seconds: float = 0.0
    now: dt.datetime | None = None  # the moment the year ends at


class Context:
    """Who acts, where, and the clock."""

    plan = plan

    def __init__(self, *, seed: int, now: dt.datetime):
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by seed
        self.tz = local_tz()
        self.cal = WorkCalendar.load()
        self.end = now - dt.timedelta(minutes=1)
        self.traveller = None
        users = {u.username: u for u in User.objects.filter(username__in=_DEMO_USERS)}
        self.clerk, self.dispatcher = users["clerk"], users["dispatcher"]
        self.supervisor, self.followup = users["supervisor"], users["followup"]
        self.window = Window.objects.filter(code="djlz").first()
        self.townships = list(Township.objects.order_by("code"))
        self.rooms = list(Window.objects.filter(is_room=True).order_by("code"))
        self.officers = _department_officers()
        self.departments = {d.code: d for d in Department.objects.order_by("code")}
        self.wrong_departments = [
            self.departments[c] for c in plan.WRONG_DEPARTMENTS if c in self.departments
        ]
        self.legal_aid_officer = self.officers[self.departments["flyz"].pk]
        mediators = list(
            Mediator.objects.filter(is_active=True)
            .exclude(kind=Mediator.Kind.LAWYER)
            .prefetch_related("categories")
            .order_by("name", "kind")
        )
        self.mediators: dict[str, list[Mediator]] = {"*": mediators}
        for m in mediators:
            for c in m.categories.all():
                self.mediators.setdefault(c.code, []).append(m)
        self.lawyers = list(
            Mediator.objects.filter(kind=Mediator.Kind.LAWYER, is_active=True).order_by("name")
        )
        self.categories = {c.code: c for c in Category.objects.all()}
        self.made: list[tuple[int, str]] = []  # (case id, category code), in order

    # --- the clock -----------------------------------------------------------------

    def now(self) -> dt.datetime:
        return timezone.now()

    def at(self, moment: dt.datetime) -> None:
        self.traveller.move_to(moment)

    def office_time(self, moment: dt.datetime, *, slot: bool = False) -> dt.datetime:
        """The first moment at or after ``moment`` in office hours of a working day
        (``slot``: a mediation slot, 09:30 or 14:30)."""
        local = timezone.localtime(moment, self.tz)
        if slot:
            hour = 9 if local.hour < 12 else 14
            local = local.replace(hour=hour, minute=30, second=0, microsecond=0)
        if local.hour >= 17 or (slot and local.hour >= 15):
            local = (local + dt.timedelta(days=1)).replace(hour=9, minute=0)
        if local.hour < 8 or (local.hour == 8 and local.minute < 30):
            local = local.replace(hour=8, minute=30 + self.rng.randint(0, 29))
        while not self.cal.is_workday(local.date()):
            local = (local + dt.timedelta(days=1)).replace(hour=9, minute=self.rng.randint(0, 59))
        return local

    def after(self, moment: dt.datetime, delay: str) -> dt.datetime:
        amount, unit = int(delay[:-1]), delay[-1]
        jitter = self.rng.uniform(0.6, 1.4)
        if unit == "h":
            moment = moment + dt.timedelta(hours=amount * jitter)
        elif unit == "d":
            moment = moment + dt.timedelta(days=amount * jitter)
        elif unit == "w":
            local = timezone.localtime(moment, self.tz)
            day = self.cal.add_working_days(local.date(), max(1, round(amount * jitter)))
            moment = local.replace(year=day.year, month=day.month, day=day.day)
        else:
            raise ValueError(f"bad delay {delay!r}")
        return self.office_time(moment)

    def weighted(self, choices):
        items, weights = zip(*choices, strict=True)
        return self.rng.choices(items, weights=weights)[0]

    # --- lookups the steps need ----------------------------------------------------

    def committee_for(self, case: Case, mediator_id: int | None) -> Department:
        # Only a people's mediation committee seals an agreement (《人民调解法》 art. 29).
        code = plan.COMMITTEE_FOR.get(case.category.code)
        if code is None:
            mediator = Mediator.objects.filter(pk=mediator_id).select_related("department").first()
            if mediator is not None and getattr(mediator.department, "is_mediation_committee", 0):
                return mediator.department
            code = "tj-county"
        return self.departments[code]

    def merge_target(self, run: CaseRun) -> int | None:
        for case_id, code in reversed(self.made[:-1]):
            if code != run.category.code:
                continue
            state = Case.objects.filter(pk=case_id).values_list("state", flat=True).first()
            if state not in (State.MERGED, State.REJECTED):
                return case_id
        return None


_DEMO_USERS = ["clerk", "dispatcher", "supervisor", "followup"]


def _department_officers() -> dict[int, User]:
    """One officer per department: the demo county's own where there is one, else an
    officer of the demo year (``officer-<code>``, password as the other demo logins),
    so that every department a routing rule names can sign for its cases."""
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=str(Role.OFFICER))
    out: dict[int, User] = {}
    for u in User.objects.filter(groups=group, is_active=True, department__isnull=False).order_by(
        "username"
    ):
        out.setdefault(u.department_id, u)
    password = None
    rng = random.Random(0)  # noqa: S311 - demo names, not secrets
    for dept in Department.objects.exclude(kind=Department.Kind.CENTRE).order_by("code"):
        if dept.pk in out:
            continue
        password = password or make_password(DEMO_PASSWORD)
        user, _created = User.objects.get_or_create(
            username=f"officer-{dept.code}",
            defaults={
                "full_name": texts.person_name(rng),
                "department": dept,
                "email": f"officer-{dept.code}@luodian.invalid",
                "password": password,
            },
        )
        user.groups.add(group)
        out[dept.pk] = user
    return out


# --- planning ------------------------------------------------------------------------------


def _plan_runs(ctx: Context, count: int, now: dt.datetime) -> list[CaseRun]:
    """Which path each case takes and when it comes in. Every path appears at least once
    (when ``count`` allows), the rest by weight; sorted by arrival, so case numbers follow
    the calendar."""
    rng = ctx.rng
    n_open = min(count, max(len(plan.OPEN_PATHS), round(count * 0.07)))
    chosen = []
    for paths, n in ((plan.OPEN_PATHS, n_open), (plan.YEAR_PATHS, count - n_open)):
        first = list(paths)
        rng.shuffle(first)
        rest = rng.choices(paths, weights=[p.weight for p in paths], k=max(0, n - len(first)))
        chosen.extend((first + rest)[:n])
    planned = []
    for path in chosen:
        newest, oldest = path.window
        moment = now - dt.timedelta(days=rng.uniform(newest, oldest))
        moment = ctx.office_time(moment)
        if moment > ctx.end:
            moment = ctx.office_time(now - dt.timedelta(days=1, hours=rng.uniform(0, 8)))
        category = ctx.categories[ctx.weighted(path.categories)]
        channel = ctx.weighted(path.channels)
        planned.append((moment, path, category, channel))
    planned.sort(key=lambda p: p[0])
    return [
        CaseRun(
            index=i,
            path=path.name,
            category=category,
            channel=channel,
            registered_at=moment,
            t=moment,
        )
        for i, (moment, path, category, channel) in enumerate(planned)
    ]


# --- running -------------------------------------------------------------------------------


def _live(ctx: Context, run: CaseRun, steps, result: Result) -> None:
    for i, (name, delay) in enumerate(steps):
        if i:
            run.t = ctx.after(run.t, delay)
        if run.t > ctx.end:
            return
        ctx.at(run.t)
        try:
            outcome = STEPS[name](ctx, run)
        except ServiceError as exc:
            # A refusal ends this case's life where it is; reported, never hidden.
            result.failures[f"{run.path}/{name}: {exc}"] += 1
            return
        result.steps += 1
        if name in ("receive", "intake", "on_spot"):
            ctx.made.append((run.case_id, run.category.code))
        if outcome is STOP:
            return


def _hotline_results(ctx: Context, result: Result) -> None:
    """12345 satisfaction results, imported monthly as the hotline sends them."""
    closed = (
        Case.objects.filter(
            channel=Channel.HOTLINE_12345,
            external_id__startswith=DEMO_PREFIX,
            closed_at__isnull=False,
        )
        .order_by("closed_at", "pk")
        .values_list("external_id", "closed_at")
    )
    by_month: dict[tuple[int, int], list[dict]] = {}
    for external_id, closed_at in closed:
        local = timezone.localtime(closed_at, ctx.tz)
        rated = local + dt.timedelta(days=2)
        by_month.setdefault((rated.year, rated.month), []).append(
            {
                "external_id": external_id,
                "satisfaction": ctx.weighted(plan.HOTLINE_SATISFACTION),
                "rated_at": rated.isoformat(),
            }
        )
    for (year, month), rows in sorted(by_month.items()):
        first_next = dt.datetime(year + month // 12, month % 12 + 1, 3, 10, tzinfo=ctx.tz)
        moment = min(ctx.office_time(first_next), ctx.end)
        ctx.at(moment)
        services.satisfaction_import(rows=rows, actor=ctx.followup)
        result.steps += 1


def _court_filings(ctx: Context, now: dt.datetime, result: Result) -> None:
    """The court's first-instance filings, entered monthly by the supervisor."""
    local = timezone.localtime(now, ctx.tz)
    for back in range(12, 0, -1):
        year, month = local.year, local.month - back
        while month < 1:
            year, month = year - 1, month + 12
        entered = dt.datetime(year + month // 12, month % 12 + 1, 5, 10, tzinfo=ctx.tz)
        ctx.at(min(ctx.office_time(entered), ctx.end))
        services.court_filing_save(
            actor=ctx.supervisor,
            month=dt.date(year, month, 1),
            civil=ctx.rng.randint(*plan.COURT_FILINGS_CIVIL),
            administrative=ctx.rng.randint(*plan.COURT_FILINGS_ADMIN),
        )
        result.steps += 1


@contextlib.contextmanager
def _loading() -> Iterator[None]:
    """What the load may trade for speed, and only for the load.

    - No query log: with ``DEBUG`` (the development default) Django keeps the SQL of every
      query, ~10 % of the load's time for a list nobody reads.
    - SQLite, on the loader's own connection, outside any transaction (the command; a
      test's load runs inside the test's transaction and keeps the defaults): a page cache
      large enough for the year (64 MB instead of 2 MB: the load is one transaction of
      ~100 MB, and with the default cache its pages spill and are read back), the
      temporary store in memory (every service's savepoint and the deferred foreign-key
      checks journal there: a file by default; measured ~0.2 ms less per case update),
      and ``synchronous=OFF``: a power cut during or just after the load may lose the
      demo year (it is one transaction: then it is simply not there and ``make run``
      loads it again); the county's real data never goes through this path. All are put
      back. Changing the temporary store drops the connection's temp tables, so the audit
      trail's triggers are installed again (``audit.install``) each time.
    """
    pragmas = {"cache_size": -65536, "synchronous": 0, "temp_store": 2}
    sqlite = connection.vendor == "sqlite" and not connection.in_atomic_block
    saved = {}
    debug = settings.DEBUG
    settings.DEBUG = False
    try:
        if sqlite:
            connection.ensure_connection()
            with connection.cursor() as cursor:
                for name, value in pragmas.items():
                    cursor.execute(f"PRAGMA {name}")
                    saved[name] = cursor.fetchone()[0]
                    cursor.execute(f"PRAGMA {name} = {int(value)}")
            audit.install(connection)
        yield
    finally:
        settings.DEBUG = debug
        if saved and connection.connection is not None:
            with connection.cursor() as cursor:
                for name, value in saved.items():
                    cursor.execute(f"PRAGMA {name} = {int(value)}")
            audit.install(connection)


def load_demo_year(
    *,
    count: int = 2000,
    seed: int = 2026,
    now: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Load ``count`` cases over the twelve months before ``now``. Deterministic for a
    seed; a second call adds nothing. One transaction: all or nothing."""
    if already_loaded():
        return Result(loaded=False)
    started = time.monotonic()
    now = now or timezone.now()
    result = Result(loaded=True, now=now)
    before = Reminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # The year's documents are frozen on first download, not rendered during the load.
    with _loading(), transaction.atomic(), publishing_paused(), pdf_freezing_deferred():
        ctx = Context(seed=seed, now=now)
        runs = _plan_runs(ctx, count, now)
        paths = {p.name: p for p in [*plan.YEAR_PATHS, *plan.OPEN_PATHS]}
        traveller = time_machine.travel(runs[0].t if runs else now, tick=False)
        ctx.traveller = traveller.start()
        try:
            # One transaction: the calendar, periods, rules and role holders are read once
            # (lookups.py), not once per service call; a write to one of them re-reads it.
            with lookups_held():
                for done, run in enumerate(runs, start=1):
                    _live(ctx, run, paths[run.path].steps, result)
                    if progress is not None and (done % 250 == 0 or done == len(runs)):
                        progress(done, len(runs))
                _hotline_results(ctx, result)
                _court_filings(ctx, now, result)
        finally:
            traveller.stop()
        # The reminders of a year of history were "sent" back then; catch the sweep up to
        # the load's moment (escalations and automatic urges of the cases still open) and
        # mark those sent too, so the first beat after `make run` does not flood anyone.
        reminders.collect(now)
        Reminder.objects.filter(pk__gt=before, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENT, sent_at=F("due_at")
        )
        # 久未进展 as the beat's sweep finds it at the load's moment: the open cases whose
        # last note or event is N working days old. (Only at the end: the cases are lived
        # one after another, so a sweep in the middle of the year would see the later
        # cases missing and the earlier ones already at their end.)
        result.stalls = stalls_sweep(now=now).created
    result.cases = len(runs)
    result.states = Counter(
        Case.objects.filter(pk__in=[c for c, _code in ctx.made]).values_list("state", flat=True)
    )
    result.seconds = time.monotonic() - started
    return result
