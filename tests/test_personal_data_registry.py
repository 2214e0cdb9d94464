"""The personal-data registry drives rotation, retention and audit redaction: these tests
enumerate it, so a newly registered model is covered (or fails until it has a builder in
tests/personal_rows.py), and a model with encrypted columns that is not registered fails
``manage.py check``."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit.models import AuditEntry
from intake.models import Case, Party
from luodian_platform.apps import check_personal_data_registry
from luodian_platform.crypto import DecryptionError, personal_data_registry

from .conftest import VALID_ID
from .personal_rows import SAMPLE_ID, SAMPLE_PHONE, SAMPLE_TEXT, fill_every_registered_model

pytestmark = pytest.mark.django_db


def _raw(obj, column: str):
    meta = type(obj)._meta
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT "{column}" FROM "{meta.db_table}" WHERE "{meta.pk.column}" = %s',
            [obj.pk],
        )
        return cursor.fetchone()[0]


def _raw_values(rows) -> dict[tuple[str, str], str]:
    return {
        (entry.model._meta.label, name): _raw(obj, entry.model._meta.get_field(name).column)
        for entry, obj in rows.items()
        for name in entry.encrypted
    }


def _plain(rows) -> dict[tuple[str, str], object]:
    return {
        (entry.model._meta.label, name): getattr(type(obj).objects.get(pk=obj.pk), name)
        for entry, obj in rows.items()
        for name in entry.encrypted
    }


def test_every_app_registers_its_encrypted_models():
    labels = {e.model._meta.label for e in personal_data_registry()}
    assert {
        "intake.Party",
        "intake.ChannelOrder",
        "mediation.AgreementParty",
        "mediation.LegalService",
        "mediation.Mediator",
        "mediation.MediatorRelation",
    } <= labels
    assert check_personal_data_registry() == []


def test_rotation_round_trip_over_every_registered_field(make_case, settings):
    rows = fill_every_registered_model(make_case())
    plain, before = _plain(rows), _raw_values(rows)
    assert len(before) >= 9 and all(before.values())
    settings.SALT_KEY = ["rotated-salt-2", *settings.SALT_KEY]
    assert _plain(rows) == plain  # the old salt still decrypts
    call_command("rotate_encryption_keys", verbosity=0, batch_size=2)
    after = _raw_values(rows)
    assert all(after[k] != before[k] for k in before), "a registered column was not rotated"
    settings.SALT_KEY = ["rotated-salt-2"]  # old salt dropped
    assert _plain(rows) == plain


def test_rotation_is_resumable_and_leaves_current_values_alone(make_case, settings, capsys):
    rows = fill_every_registered_model(make_case())
    settings.SALT_KEY = ["rotated-salt-2", *settings.SALT_KEY]
    call_command("rotate_encryption_keys")
    once = _raw_values(rows)
    capsys.readouterr()
    call_command("rotate_encryption_keys")  # a re-run (or the rest of an interrupted one)
    out = capsys.readouterr().out
    assert _raw_values(rows) == once
    assert "re-encrypted" not in out and "already current" in out


def test_dry_run_writes_nothing(make_case, settings, capsys):
    rows = fill_every_registered_model(make_case())
    before = _raw_values(rows)
    settings.SALT_KEY = ["rotated-salt-2", *settings.SALT_KEY]
    call_command("rotate_encryption_keys", dry_run=True)
    assert _raw_values(rows) == before
    assert "would be re-encrypted" in capsys.readouterr().out


def test_a_mistyped_salt_is_refused_and_nothing_is_written(make_case, settings):
    rows = fill_every_registered_model(make_case())
    before = _raw_values(rows)
    # The operator meant to prepend a new salt but mistyped the old one.
    settings.SALT_KEY = ["rotated-salt-2", "luodian-dev-salt-l"]
    with pytest.raises(CommandError, match="refused") as exc:
        call_command("rotate_encryption_keys", verbosity=0)
    assert "intake_party" in str(exc.value) and "mediation_agreementparty" in str(exc.value)
    assert _raw_values(rows) == before


def test_a_dropped_salt_is_detected_on_read_and_by_rotation(make_case, settings, caplog):
    case = make_case()
    pk = Party.objects.get(case=case, role="applicant").pk
    settings.SALT_KEY = ["another-salt-only"]  # the salt the rows were written with is gone
    with (
        caplog.at_level(logging.CRITICAL, logger="luodian.crypto"),
        pytest.raises(DecryptionError),
    ):
        Party.objects.get(pk=pk)
    assert "ALERT" in caplog.text and "intake_party" in caplog.text
    with pytest.raises(CommandError, match="do not decrypt"):
        call_command("rotate_encryption_keys", verbosity=0)


def test_a_server_on_wrong_keys_answers_500_not_ciphertext(make_case, settings, client, dispatcher):
    case = make_case()
    settings.SALT_KEY = ["another-salt-only"]
    client.raise_request_exception = False
    client.force_login(dispatcher)
    response = client.get(f"/api/cases/{case.pk}/")
    assert response.status_code == 500
    assert b"gAAAA" not in response.content


def test_no_registered_personal_value_in_plaintext_in_the_database(make_case):
    rows = fill_every_registered_model(make_case())
    assert rows
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = " ".join(str(v) for row in cursor.fetchall() for v in row)
            for secret in (SAMPLE_ID, SAMPLE_PHONE):
                assert secret not in dump, f"plaintext {secret} in {table}"


def test_the_admin_never_shows_a_registered_personal_value_in_full(make_case, client):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    case = make_case()
    rows = fill_every_registered_model(case)
    client.force_login(get_user_model().objects.filter(is_superuser=True).first())
    pages = [case, *rows.values()]
    shown = 0
    for obj in pages:
        if type(obj) not in admin.site._registry:
            continue
        meta = type(obj)._meta
        html = client.get(f"/admin/{meta.app_label}/{meta.model_name}/{obj.pk}/change/")
        assert html.status_code == 200, meta.label
        shown += 1
        for secret in (SAMPLE_ID, SAMPLE_PHONE, VALID_ID, "13800138000"):
            assert secret not in html.content.decode(), f"{secret} on the {meta.label} admin page"
    assert shown >= 2  # the case (parties inline) and the channel order at least


def _archive_long_ago(case, settings):
    long_ago = timezone.now() - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 10)
    # Fixture shortcut: put the case straight into the archived state (not a workflow test).
    Case.objects.filter(pk=case.pk).update(
        state="archived", archived_at=long_ago, outcome="agreement"
    )


def test_purge_clears_every_registered_column_and_its_audit_history(make_case, settings):
    old, recent = make_case(), make_case()
    old_rows = fill_every_registered_model(old)
    recent_rows = fill_every_registered_model(recent)
    _archive_long_ago(old, settings)
    call_command("purge_personal_data", verbosity=0)

    purgeable = [e for e in old_rows if e.case_path is not None]
    assert {"intake.Party", "mediation.AgreementParty", "mediation.LegalService"} <= {
        e.model._meta.label for e in purgeable
    }
    for entry in purgeable:
        obj = type(old_rows[entry]).objects.get(pk=old_rows[entry].pk)
        for name, replacement in entry.purge.items():
            expected = replacement(obj) if callable(replacement) else replacement
            assert getattr(obj, name) == expected, f"{entry.model._meta.label}.{name} kept"
        for name in entry.blind_indexes:
            assert getattr(obj, name) == "", f"{entry.model._meta.label}.{name} kept"
        # The recent case's rows are untouched.
        kept = type(recent_rows[entry]).objects.get(pk=recent_rows[entry].pk)
        assert any(getattr(kept, n) for n in entry.purge), entry.model._meta.label
        # The audit trail's rows about the purged record hold none of the values.
        history = AuditEntry.objects.filter(
            table_name=entry.model._meta.db_table, object_pk=str(obj.pk)
        )
        assert history.exists(), entry.model._meta.label
        for audit_row in history:
            text = json.dumps([audit_row.before, audit_row.after], ensure_ascii=False)
            for secret in (SAMPLE_TEXT, SAMPLE_ID, SAMPLE_PHONE, VALID_ID, "王小明"):
                assert secret not in text, f"{secret} in the audit of {entry.model._meta.label}"
    # Statistics stay.
    kept_case = Case.objects.get(pk=old.pk)
    assert (kept_case.category.code, kept_case.outcome) == ("labour", "agreement")
    # The recent case's history still says what was written.
    recent_party = recent_rows[next(e for e in recent_rows if e.model is Party)]
    assert AuditEntry.objects.filter(
        table_name="intake_party", object_pk=str(recent_party.pk), after__name=SAMPLE_TEXT
    ).exists()


def test_purge_dry_run_and_second_run_change_nothing(make_case, settings, capsys):
    case = make_case()
    rows = fill_every_registered_model(case)
    _archive_long_ago(case, settings)
    party = rows[next(e for e in rows if e.model is Party)]
    call_command("purge_personal_data", dry_run=True)
    assert "would purge" in capsys.readouterr().out
    assert Party.objects.get(pk=party.pk).name == SAMPLE_TEXT
    call_command("purge_personal_data")
    assert f"intake_party {Party.objects.filter(case=case).count()}," in capsys.readouterr().out
    call_command("purge_personal_data")
    assert "intake_party 0," in capsys.readouterr().out


def test_audit_rows_stay_immutable_outside_redaction(make_case):
    make_case()
    with pytest.raises(Exception), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET before = NULL WHERE table_name = 'intake_party'"
        )


def test_mediation_columns_are_redacted_in_the_audit_trail(make_case):
    rows = fill_every_registered_model(make_case())
    for entry, obj in rows.items():
        for audit_row in AuditEntry.objects.filter(
            table_name=entry.model._meta.db_table, object_pk=str(obj.pk)
        ):
            for column in entry.columns([*entry.encrypted, *entry.blind_indexes]):
                assert (audit_row.after or {}).get(column) in (None, "", "***"), (
                    entry.model._meta.label,
                    column,
                )


def test_reindex_after_a_new_blind_index_key_finds_duplicates_again(make_case, clerk, settings):
    from intake.selectors import duplicate_candidates

    case = make_case()

    def found():
        hits = duplicate_candidates(
            id_numbers=[VALID_ID], phones=[], respondent_names=[], user=clerk
        )
        return case.pk in [h.case.pk for h in hits]

    assert found()
    settings.BLIND_INDEX_KEY = "a-new-blind-index-key-0123456789-abcdef"
    assert not found()  # the stored indexes were made with the old key
    call_command("rotate_encryption_keys", reindex=True, verbosity=0)
    assert found()
