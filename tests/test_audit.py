"""The audit trail: every change, through every path (services, QuerySet.update, bulk, admin,
API), with its actor and before/after values; append-only; searchable by supervisors."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from audit.models import AuditEntry
from dispatch.services import case_dispatch
from intake.models import Case, Party
from luodian_platform.audit import REDACTED, acting_as
from luodian_platform.models import Department, User
from tests.conftest import VALID_ID

pytestmark = pytest.mark.django_db


def entries(table: str, pk) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(table_name=table, object_pk=str(pk)).order_by("id"))


def test_registering_a_case_records_an_insert_with_the_clerk(make_case, clerk):
    with acting_as(clerk):
        case = make_case()
    rows = entries("intake_case", case.pk)
    assert rows[0].action == "INSERT"
    assert rows[0].actor_id == clerk.pk and rows[0].actor_label == "clerk"
    assert rows[0].after["number"] == case.number


def test_a_transition_records_state_before_and_after_with_its_actor(make_case, dispatcher, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    row = entries("intake_case", case.pk)[-1]
    assert row.action == "UPDATE"
    assert "state" in row.changed and "department_id" in row.changed
    assert (row.before["state"], row.after["state"]) == ("registered", "dispatched")
    assert row.actor_label == "dispatcher" and row.actor_id == dispatcher.pk


def test_queryset_update_is_recorded_per_row(make_case, supervisor):
    a, b = make_case(), make_case()
    with acting_as(supervisor):
        Case.objects.filter(pk__in=[a.pk, b.pk]).update(title="批量改名")
    for case in (a, b):
        row = entries("intake_case", case.pk)[-1]
        assert row.changed == ["title"] or "title" in row.changed
        assert row.after["title"] == "批量改名" and row.before["title"] == "拖欠工资纠纷"
        assert row.actor_label == "supervisor"


def test_bulk_create_and_delete_are_recorded(make_case, admin_user):
    case = make_case()
    with acting_as(admin_user):
        created = Party.objects.bulk_create(
            [
                Party(case=case, role="third", name="张三"),
                Party(case=case, role="third", name="李四"),
            ]
        )
        pks = [p.pk for p in created] or list(
            Party.objects.filter(case=case, role="third").values_list("pk", flat=True)
        )
        Party.objects.filter(pk__in=pks).delete()
    for pk in pks:
        actions = [r.action for r in entries("intake_party", pk)]
        assert actions == ["INSERT", "DELETE"]


def test_an_update_that_changes_nothing_records_nothing(make_case):
    case = make_case()
    before = AuditEntry.objects.count()
    Case.objects.filter(pk=case.pk).update(title=case.title)
    assert AuditEntry.objects.count() == before


def test_personal_data_and_password_hashes_never_enter_the_trail(make_case, clerk):
    case = make_case()
    party = case.parties.get(role=Party.PartyRole.APPLICANT)
    Party.objects.filter(pk=party.pk).update(phone="13900139000")
    row = entries("intake_party", party.pk)[-1]
    assert row.changed == ["phone"]
    assert row.before["phone"] == REDACTED and row.after["phone"] == REDACTED
    clerk.set_password("Another-Strong-Pass-2026")
    clerk.save()
    row = entries("luodian_platform_user", clerk.pk)[-1]
    assert "password" in row.changed and row.after["password"] == REDACTED
    dump = "".join(str((r.before, r.after)) for r in AuditEntry.objects.all())
    assert VALID_ID not in dump and "13900139000" not in dump and "pbkdf2" not in dump


def test_role_changes_are_recorded(clerk, admin_user):
    from django.contrib.auth.models import Group

    with acting_as(admin_user):
        clerk.groups.add(Group.objects.get(name="dispatcher"))
    row = AuditEntry.objects.filter(table_name="luodian_platform_user_groups").first()
    assert row.action == "INSERT" and row.after["user_id"] == clerk.pk
    assert row.actor_label == "admin"


def test_admin_changes_are_recorded_with_the_administrator(client, admin_user):
    dept = Department.objects.get(code="rsj")
    client.force_login(admin_user)
    url = reverse("admin:luodian_platform_department_change", args=[dept.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data["name"] = "县人力资源和社会保障局"
    response = client.post(url, data)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        row = entries("luodian_platform_department", dept.pk)[-1]
        assert row.after["name"] == "县人力资源和社会保障局"
        assert row.actor_label == "admin"


def test_api_token_writes_are_attributed_to_the_token_user(make_case, dispatcher):
    from rest_framework.test import APIClient

    from luodian_platform.tokens import staff_token_issue

    case = make_case()
    _token, raw = staff_token_issue(actor=dispatcher, name="audit")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    response = client.post(f"/api/cases/{case.pk}/reject/", {"reason": "不属于受理范围"})
    assert response.status_code == 200, response.content
    row = entries("intake_case", case.pk)[-1]
    assert row.after["state"] == "rejected" and row.actor_label == "dispatcher"


def test_the_trail_cannot_be_changed_through_the_orm(make_case):
    make_case()
    row = AuditEntry.objects.first()
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=row.pk).update(actor_label="someone else")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


def test_the_trail_cannot_be_changed_with_sql(make_case):
    make_case()
    row = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET actor_label = 'x' WHERE id = %s", [row.pk])
    assert AuditEntry.objects.get(pk=row.pk).actor_label == row.actor_label


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite's flush must delete rows")
def test_the_trail_cannot_be_deleted_with_sql_on_postgres(make_case):
    make_case()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry")


def test_supervisor_searches_the_trail_by_object_and_actor(
    client, make_case, dispatcher, rsj, supervisor
):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    client.force_login(supervisor)
    page = client.get(
        reverse("audit:log"), {"table": "intake_case", "object": case.pk, "actor": "dispatcher"}
    )
    assert page.status_code == 200
    assert list(page.context["page"].object_list)
    assert all(e.actor_label == "dispatcher" for e in page.context["page"].object_list)
    assert "已派单" in page.content.decode()  # the state by its label (issue 23)


def test_audit_api_filters_and_refuses_other_roles(api, make_case, supervisor, clerk, dispatcher):
    case = make_case()
    response = api(supervisor).get(
        "/api/audit/", {"table": "intake_case", "object": case.pk, "action": "INSERT"}
    )
    assert response.status_code == 200
    rows = response.json()["results"]
    assert len(rows) == 1 and rows[0]["after"]["number"] == case.number
    for user in (clerk, dispatcher):
        assert api(user).get("/api/audit/").status_code == 403
    assert api(None).get("/api/audit/").status_code in (401, 403)


def test_users_created_in_bulk_are_recorded():
    User.objects.bulk_create([User(username="bulk1"), User(username="bulk2")])
    labels = set(
        AuditEntry.objects.filter(table_name="luodian_platform_user", action="INSERT").values_list(
            "after__username", flat=True
        )
    )
    assert {"bulk1", "bulk2"} <= labels


def test_the_actor_is_copied_once_per_transaction_not_per_write(make_case, supervisor):
    case = make_case()
    with acting_as(supervisor), transaction.atomic():
        before = getattr(connection, "_audit_copies", 0)
        for n in range(5):
            Case.objects.filter(pk=case.pk).update(title=f"改名{n}")
        assert connection._audit_copies - before == 1
    rows = entries("intake_case", case.pk)[-5:]
    assert [r.actor_label for r in rows] == ["supervisor"] * 5


def test_a_savepoint_rollback_does_not_lose_the_actor(make_case, supervisor):
    """The copy made inside a rolled-back savepoint is undone with it; the next write in
    the same transaction copies the actor again instead of writing as nobody."""
    case = make_case()
    with acting_as(supervisor), transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            Case.objects.filter(pk=case.pk).update(title="回滚的改名")
            raise RuntimeError
        Case.objects.filter(pk=case.pk).update(title="保留的改名")
    row = entries("intake_case", case.pk)[-1]
    assert row.after["title"] == "保留的改名"
    assert (row.actor_id, row.actor_label) == (supervisor.pk, "supervisor")


def test_a_change_of_actor_inside_a_transaction_is_copied(make_case, supervisor, dispatcher):
    case = make_case()
    with transaction.atomic():
        with acting_as(supervisor):
            Case.objects.filter(pk=case.pk).update(title="甲改")
        with acting_as(dispatcher):
            Case.objects.filter(pk=case.pk).update(title="乙改")
        with acting_as(supervisor):
            Case.objects.filter(pk=case.pk).update(title="丙改")
    labels = [r.actor_label for r in entries("intake_case", case.pk)[-3:]]
    assert labels == ["supervisor", "dispatcher", "supervisor"]


def test_the_audit_page_speaks_chinese_local_time_and_hides_personal_columns(
    client, make_case, supervisor
):
    from django.utils import timezone

    from mediation.models import AgreementParty

    case = make_case()
    party = case.parties.first()
    client.force_login(supervisor)
    page = client.get(reverse("audit:log"), {"table": "intake_party", "object": party.pk})
    text = page.content.decode()
    assert page.status_code == 200
    body = text.split("<tbody>")[1].split("</tbody>")[0]
    assert "当事人" in body and "intake_party" not in body
    assert "***" in text and VALID_ID not in text and "gAAAA" not in text
    page = client.get(reverse("audit:log"), {"table": "intake_case", "object": case.pk})
    local = timezone.localtime(case.created_at).strftime("%Y-%m-%d %H:%M:%S")
    assert local in page.content.decode()
    assert "登记时间" in page.content.decode()
    # An encrypted column of another app, not on the trail's own list, is hidden as well.
    from audit import presentation

    column = presentation.tables()["mediation_agreementparty"].columns["id_number"]
    assert column.hidden and presentation._value(column, "gAAAAABciphertext") == "***"
    assert AgreementParty._meta.db_table == "mediation_agreementparty"
