"""Personal data: encrypted at rest, found by blind index, masked by default, revealed with a
logged reason, re-keyed by rotation, purged after retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from intake.models import Case, ChannelOrder, Party, PersonalDataReveal
from intake.selectors import duplicate_candidates
from intake.services import party_reveal
from luodian_platform.errors import NotAllowed, NotFound, ServiceError

from .conftest import VALID_ID, VALID_ID_2

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def _all_table_text() -> str:
    """Every column of every table as text: what a database dump would contain."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_database_holds_no_plaintext_id_number_or_phone(make_case, admin_user):
    from rest_framework.test import APIClient

    from intake.channel import channel_token_issue

    make_case()
    # A channel order too: its raw payload carries the parties' identifiers.
    _token, raw = channel_token_issue(channel="hotline_12345", name="scan", actor=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    response = client.post(
        "/api/channel/orders/",
        {
            "external_id": "SCAN-1",
            "title": "欠薪",
            "facts": "工资未结清",
            "category": "labour",
            "amount": "5000",
            "parties": [
                {
                    "role": "applicant",
                    "name": "扫描甲",
                    "id_number": VALID_ID_2,
                    "phone": "13900139000",
                },
                {"role": "respondent", "name": "某公司", "kind": "org"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (
        ChannelOrder.objects.get(external_id="SCAN-1").payload["parties"][0]["id_number"]
        == VALID_ID_2
    )
    dump = _all_table_text()
    assert "扫描甲" in dump  # the scan does see the rows (names are not encrypted)
    for secret in (VALID_ID, PHONE, VALID_ID_2, "13900139000"):
        assert secret not in dump, f"plaintext {secret} found in the database"


def test_values_decrypt_transparently_and_blind_index_finds_duplicates(make_case, clerk):
    case = make_case()
    party = Party.objects.get(case=case, role="applicant")
    assert party.id_number == VALID_ID and party.phone == PHONE
    hits = duplicate_candidates(id_numbers=[VALID_ID], phones=[], respondent_names=[], user=clerk)
    assert [h.case.pk for h in hits] == [case.pk]
    hits = duplicate_candidates(id_numbers=[], phones=[PHONE], respondent_names=[], user=clerk)
    assert case.pk in [h.case.pk for h in hits]
    assert (
        duplicate_candidates(id_numbers=[VALID_ID_2], phones=[], respondent_names=[], user=clerk)
        == []
    )


def _reset_key_cache():
    for field_name in ("id_number", "phone"):
        field = Party._meta.get_field(field_name)
        field.__dict__.pop("keys", None)
        field.__dict__.pop("f", None)
    field = ChannelOrder._meta.get_field("payload")
    field.__dict__.pop("keys", None)
    field.__dict__.pop("f", None)


def test_key_rotation_re_encrypts_and_old_key_can_be_dropped(make_case, settings):
    case = make_case()
    pk = Party.objects.get(case=case, role="applicant").pk

    def raw_value():
        with connection.cursor() as cursor:
            cursor.execute("SELECT id_number FROM intake_party WHERE id = %s", [pk])
            return cursor.fetchone()[0]

    before = raw_value()
    try:
        settings.SALT_KEY = ["rotated-salt-2", *settings.SALT_KEY]
        _reset_key_cache()
        assert Party.objects.get(pk=pk).id_number == VALID_ID  # old key still decrypts
        call_command("rotate_encryption_keys", verbosity=0)
        assert raw_value() != before
        settings.SALT_KEY = ["rotated-salt-2"]  # old key dropped
        _reset_key_cache()
        assert Party.objects.get(pk=pk).id_number == VALID_ID
    finally:
        _reset_key_cache()


def test_api_and_pages_show_masked_values(make_case, api, dispatcher, client):
    case = make_case()
    body = api(dispatcher).get(f"/api/cases/{case.pk}/").json()
    assert VALID_ID not in str(body) and PHONE not in str(body)
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert VALID_ID not in html and PHONE not in html and "138****8000" in html


def test_reveal_returns_full_values_and_logs_who_whose_when_why(make_case, api, dispatcher):
    case = make_case()
    party = Party.objects.get(case=case, role="applicant")
    response = api(dispatcher).post(
        f"/api/parties/{party.pk}/reveal/", {"reason": "电话联系当事人"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"id_number": VALID_ID, "phone": PHONE}
    log = PersonalDataReveal.objects.get()
    assert (log.actor, log.party, log.case, log.reason) == (
        dispatcher,
        party,
        case,
        "电话联系当事人",
    )
    assert log.at <= timezone.now()


def test_reveal_needs_a_reason(make_case, dispatcher):
    party = Party.objects.get(case=make_case(), role="applicant")
    with pytest.raises(ServiceError):
        party_reveal(party_id=party.pk, actor=dispatcher, reason=" ")
    assert not PersonalDataReveal.objects.exists()


def test_clerk_and_supervisor_cannot_reveal(make_case, clerk, supervisor, api):
    party = Party.objects.get(case=make_case(), role="applicant")
    for user in (clerk, supervisor):
        with pytest.raises(NotAllowed):
            party_reveal(party_id=party.pk, actor=user, reason="想看看")
        assert (
            api(user)
            .post(f"/api/parties/{party.pk}/reveal/", {"reason": "想看看"}, format="json")
            .status_code
            == 403
        )
    assert not PersonalDataReveal.objects.exists()


def test_other_department_cannot_reveal(make_case, officer2):
    party = Party.objects.get(case=make_case(), role="applicant")
    with pytest.raises(NotFound):
        party_reveal(party_id=party.pk, actor=officer2, reason="查看")


def test_reveal_page_asks_for_reason_then_shows_and_logs(make_case, client, dispatcher):
    party = Party.objects.get(case=make_case(), role="applicant")
    client.force_login(dispatcher)
    url = reverse("intake:party_reveal", args=[party.pk])
    assert VALID_ID not in client.get(url).content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
    html = client.post(url, {"reason": "核实身份"}).content.decode()
    assert VALID_ID in html and PersonalDataReveal.objects.filter(actor=dispatcher).count() == 1


def test_reveal_log_is_append_only(make_case, dispatcher):
    party = Party.objects.get(case=make_case(), role="applicant")
    party_reveal(party_id=party.pk, actor=dispatcher, reason="核实")
    log = PersonalDataReveal.objects.get()
    with pytest.raises(TypeError):
        log.save()
    with pytest.raises(TypeError):
        PersonalDataReveal.objects.all().delete()


def test_purge_removes_personal_data_of_old_archived_cases_and_keeps_statistics(
    make_case, settings
):
    old, recent = make_case(), make_case()
    long_ago = timezone.now() - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 10)
    # Fixture shortcut: put the cases straight into the archived state (not a workflow test).
    Case.objects.filter(pk=old.pk).update(
        state="archived", archived_at=long_ago, outcome="agreement"
    )
    Case.objects.filter(pk=recent.pk).update(state="archived", archived_at=timezone.now())
    call_command("purge_personal_data", verbosity=0)
    purged = Party.objects.filter(case=old)
    assert set(purged.values_list("name", flat=True)) == {"已清除"}
    assert all(p.id_number is None and p.phone is None for p in purged)
    assert set(purged.values_list("id_number_bidx", flat=True)) == {""}
    assert Party.objects.get(case=recent, role="applicant").id_number == VALID_ID
    kept = Case.objects.get(pk=old.pk)
    assert (kept.category.code, kept.outcome, kept.state) == ("labour", "agreement", "archived")
