"""Room bookings under real concurrency (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone

from dispatch.services import case_dispatch, case_sign_for
from luodian_platform.errors import Conflict
from luodian_platform.models import Window
from luodian_platform.workcal import WorkCalendar, local_date
from mediation import services
from mediation.models import MediationSession, Mediator

from .conftest import requires_postgres


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_ten_bookings_of_one_room_at_once_one_wins(make_case, dispatcher, officer, rsj):
    room = Window.objects.get(code="dytc1")
    mediators = list(Mediator.objects.filter(kind="expert").order_by("pk")[:10])
    cases = []
    for m in mediators:
        case = make_case()
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        case_sign_for(case_id=case.pk, actor=officer)
        services.mediator_assign(case_id=case.pk, mediator_id=m.pk, actor=officer)
        cases.append((case, m))
    day = WorkCalendar.load().add_working_days(local_date(), 3)
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    barrier = threading.Barrier(len(cases))

    def attempt(i):
        case, m = cases[i]
        try:
            barrier.wait()
            services.session_book(
                case_id=case.pk,
                actor=officer,
                starts_at=start + dt.timedelta(minutes=i),
                ends_at=start + dt.timedelta(hours=1),
                room_id=room.pk,
                mediator_ids=[m.pk],
            )
            return "ok"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        results = list(pool.map(attempt, range(len(cases))))
    assert results.count("ok") == 1 and results.count("conflict") == len(cases) - 1
    assert MediationSession.objects.filter(room=room).count() == 1
