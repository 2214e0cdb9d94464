"""The read-replica router (issue 22, luodian_platform/dbrouter.py), against a second real
PostgreSQL database standing in for the replica.

Django's ``TEST: {"MIRROR": "default"}`` would point the replica alias at the primary's own
test database: every read would find the same rows, so a test could not tell where a read
went. Here the stand-in replica is a *copy* of the primary's test database taken when the
module starts (``CREATE DATABASE … TEMPLATE``), like a replica that has caught up and then
stopped: rows a test writes exist only on the primary, and rows changed in the copy exist
only on the replica. A page that reads the replica shows the copy's figures and names; one
that reads the primary shows the primary's.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections, router, transaction
from django.test import Client

from intake.models import Case
from luodian_platform.dbrouter import REPLICA, ReplicaRouter, replica_configured, replica_reads
from luodian_platform.models import Township
from luodian_platform.roles import Role

RENAMED = "副本乡(只在副本库)"

requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="needs PostgreSQL (set DATABASE_URL): the stand-in replica is a second PostgreSQL database",
)


def test_without_a_replica_everything_reads_and_writes_the_primary(db):
    assert not replica_configured()
    with replica_reads():
        assert router.db_for_read(Case) == "default"
        assert router.db_for_write(Case) == "default"
        assert Township.objects.filter(code="longping").exists()
    assert ReplicaRouter().allow_migrate("default", "intake")
    assert not ReplicaRouter().allow_migrate(REPLICA, "intake")


@pytest.fixture(scope="module")
def replica(django_db_setup, django_db_blocker):
    """A second PostgreSQL database, copied from the primary's test database, registered
    as the ``replica`` alias for this module's tests."""
    import psycopg2

    if connections["default"].vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL): the replica is a second database")
    primary = dict(connections["default"].settings_dict)
    name = f"{primary['NAME']}_replica"
    with django_db_blocker.unblock():
        connections.close_all()  # a template database must have no other sessions
        admin = psycopg2.connect(
            dbname="postgres",
            user=primary["USER"],
            password=primary["PASSWORD"],
            host=primary["HOST"],
            port=primary["PORT"] or 5432,
        )
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary["NAME"]}"')
        connections.settings[REPLICA] = {**primary, "NAME": name, "TEST": dict(primary["TEST"])}
        try:
            yield name
        finally:
            connections[REPLICA].close()
            del connections[REPLICA]
            del connections.settings[REPLICA]
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.close()


both = pytest.mark.django_db(databases=["default", REPLICA])


def _supervisor_client() -> Client:
    from luodian_platform.models import User

    client = Client()
    client.force_login(User.objects.get(username="supervisor"))
    return client


@requires_postgres
@both
def test_reads_in_a_replica_context_go_to_the_replica_writes_to_the_primary(replica):
    Township.objects.using(REPLICA).filter(code="longping").update(name=RENAMED)
    primary_name = Township.objects.get(code="longping").name
    with replica_reads():
        assert router.db_for_read(Township) == REPLICA
        assert Township.objects.get(code="longping").name == RENAMED
        # A write goes to the primary, even here.
        Township.objects.filter(code="longping").update(registered_population=4321)
        # In a transaction the code opens, reads stay on the primary (read your writes).
        with transaction.atomic():
            assert router.db_for_read(Township) == "default"
            assert Township.objects.get(code="longping").name == primary_name
    assert Township.objects.get(code="longping").registered_population == 4321
    assert Township.objects.using(REPLICA).get(code="longping").registered_population != 4321
    assert Township.objects.get(code="longping").name == primary_name  # outside: primary


@requires_postgres
@both
def test_the_dashboard_shows_the_replicas_figures(replica, make_case):
    make_case()  # on the primary only: the replica stopped before it
    Township.objects.using(REPLICA).update(registered_population=1, floating_population=0)
    client = _supervisor_client()
    d = client.get("/followup/dashboard/").context["d"]
    replica_cases = Case.objects.using(REPLICA).count()
    assert d["head"]["new"] == replica_cases == Case.objects.count() - 1
    assert d["population"] == Township.objects.using(REPLICA).count()
    # A POST is not a lag-tolerant read: the same view reads the primary.
    posted = client.post("/followup/dashboard/").context["d"]
    assert posted["head"]["new"] == Case.objects.count()


@requires_postgres
@both
def test_the_evaluation_page_and_its_exports_read_the_replica(replica, make_case):
    from openpyxl import load_workbook

    from followup import drilldown
    from followup.periods import period_from
    from luodian_platform.models import User

    case = make_case()  # 本期受理 on the primary, not on the replica
    Township.objects.using(REPLICA).filter(code="longping").update(name=RENAMED)
    client = _supervisor_client()
    assert RENAMED in client.get("/followup/evaluation/").content.decode()
    book = load_workbook(io.BytesIO(client.get("/followup/evaluation/?format=xlsx").content))
    cells = {str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row}
    assert RENAMED in cells
    api = client.get("/api/followup/evaluation/", HTTP_ACCEPT="application/json").json()
    assert RENAMED in {row["name"] for row in api["townships"]}
    drill = f"/followup/evaluation/cases/?by=township&key={case.township_id}&figure=received"
    listed = client.get(drill)
    assert listed.status_code == 200 and case.number not in listed.content.decode()
    # Outside a replica page the same figure, read from the primary, lists the case.
    on_primary = drilldown.figure_cases(
        user=User.objects.get(username="supervisor"),
        period=period_from({}),
        by="township",
        key=case.township_id,
        figure="received",
    )
    assert case in on_primary


@requires_postgres
@both
def test_the_users_roles_come_from_the_primary_during_a_replica_page(replica):
    from luodian_platform.models import User

    supervisor = User.objects.get(username="supervisor")
    group = Group.objects.get(name=Role.SUPERVISOR)
    # Taken away on the replica only: still a supervisor (the primary says so).
    User.groups.through.objects.using(REPLICA).filter(user_id=supervisor.pk).delete()
    client = _supervisor_client()
    assert client.get("/followup/dashboard/").status_code == 200
    # Taken away on the primary: refused at once, though the replica still lags behind.
    supervisor.groups.remove(group)
    User.groups.through.objects.using(REPLICA).create(user_id=supervisor.pk, group_id=group.pk)
    assert client.get("/followup/dashboard/").status_code == 403
