"""Progress notes (办理进展): who may write them, the edit window, corrections as new notes,
the timeline, the API and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch.services import case_dispatch, case_sign_for
from intake.models import ProgressNote
from intake.notes import case_timeline_entries, note_add, note_edit
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(make_case, dispatcher, officer, rsj):
    c = make_case("labour")
    case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    return case_sign_for(case_id=c.pk, actor=officer)


def url(case, note=None):
    if note is None:
        return reverse("api:case-notes", args=[case.pk])
    return reverse("api:case-note", args=[case.pk, note.pk])


BODY = {"kind": "phone", "text": "电话联系用人单位负责人,约定周五面谈。"}


# --- who may write -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "mediator", "dispatcher", "clerk"])
def test_handlers_and_centre_add_notes(api, case, who, request):
    user = request.getfixturevalue(who)
    resp = api(user).post(url(case), BODY, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["kind_label"] == "电话" and resp.json()["editable"] is True
    assert ProgressNote.objects.get(pk=resp.json()["id"]).author == user


@pytest.mark.parametrize("who", ["supervisor"])
def test_reader_roles_that_see_the_case_get_403(api, case, who, request):
    resp = api(request.getfixturevalue(who)).post(url(case), BODY, format="json")
    assert resp.status_code == 403
    assert "办理进展" in resp.json()["error"]["message"]
    # …but they read the notes
    note_add(case_id=case.pk, actor=case.assignee, **BODY)
    assert len(api(request.getfixturevalue(who)).get(url(case)).json()) == 1


def test_followup_officer_without_visit_and_other_department_get_404(
    api, case, followup_officer, officer2, outsider
):
    for user in (followup_officer, officer2, outsider):
        assert api(user).post(url(case), BODY, format="json").status_code == 404
        assert api(user).get(url(case)).status_code == 404
    with pytest.raises(NotFound):
        note_add(case_id=case.pk, actor=officer2, **BODY)


def test_anonymous_is_refused(api, case):
    assert api(None).get(url(case)).status_code in (401, 403)
    assert api(None).post(url(case), BODY, format="json").status_code in (401, 403)


# --- input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "fax", "text": "x"}, "kind"),
        ({"kind": "phone", "text": ""}, "text"),
        ({"kind": "phone", "text": "x" * 5001}, "text"),
        ({"kind": "phone", "text": "x", "happened_at": "not a date"}, "happened_at"),
        ({"kind": "phone", "text": "x", "happened_at": "2099-01-01T10:00:00+08:00"}, "happened_at"),
        ({"kind": "phone", "text": "x", "happened_at": "2001-01-01T10:00:00+08:00"}, "happened_at"),
        ({"kind": "phone", "text": "x", "corrects": 999999}, "corrects"),
    ],
)
def test_bad_input_answers_400_in_chinese(api, case, officer, body, field):
    resp = api(officer).post(url(case), body, format="json")
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    assert field in err["fields"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"] + str(err["fields"]))


def test_non_json_body_is_400(api, case, officer):
    resp = api(officer).generic("POST", url(case), b"\xff\xfe", content_type="application/json")
    assert resp.status_code == 400


def test_no_notes_on_an_archived_or_rejected_case(clerk, dispatcher, make_case):
    from intake.services import case_reject

    c = make_case("labour")
    case_reject(case_id=c.pk, actor=dispatcher, reason="不属于受理范围")
    with pytest.raises(Conflict):
        note_add(case_id=c.pk, actor=dispatcher, **BODY)


# --- the edit window and corrections ------------------------------------------------------------


def test_author_edits_within_the_window_then_only_corrections(api, case, officer, settings):
    settings.PROGRESS_NOTE_EDIT_MINUTES = 30
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        note = note_add(case_id=case.pk, actor=officer, **BODY)
    with time_machine.travel(start + dt.timedelta(minutes=29), tick=False):
        resp = api(officer).patch(
            url(case, note), {"kind": "visit", "text": "上门走访"}, format="json"
        )
        assert resp.status_code == 200, resp.content
        assert resp.json()["kind"] == "visit" and resp.json()["edited_at"]
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        resp = api(officer).patch(url(case, note), {"kind": "phone", "text": "改"}, format="json")
        assert resp.status_code == 409
        assert "更正" in resp.json()["error"]["message"]
        resp = api(officer).post(
            url(case),
            {"kind": "visit", "text": "更正:走访时间为周四", "corrects": note.pk},
            format="json",
        )
        assert resp.status_code == 201
        assert resp.json()["corrects"] == note.pk
    note.refresh_from_db()
    assert note.text == "上门走访"  # the original stays as it was after the window
    assert note.corrections.count() == 1


def test_only_the_author_edits(case, officer, mediator):
    note = note_add(case_id=case.pk, actor=officer, **BODY)
    with pytest.raises(NotAllowed):
        note_edit(note_id=note.pk, actor=mediator, kind="phone", text="别人改")
    with pytest.raises(NotFound):
        note_edit(note_id=note.pk + 1000, actor=officer, kind="phone", text="不存在")


def test_edit_by_another_department_is_404(api, case, officer, officer2):
    note = note_add(case_id=case.pk, actor=officer, **BODY)
    resp = api(officer2).patch(url(case, note), {"kind": "phone", "text": "x"}, format="json")
    assert resp.status_code == 404


def test_correction_must_point_at_a_note_of_the_same_case(case, make_case, officer, dispatcher):
    other = make_case("labour")
    note = note_add(case_id=other.pk, actor=dispatcher, **BODY)
    with pytest.raises(ServiceError) as exc:
        note_add(case_id=case.pk, actor=officer, corrects_id=note.pk, **BODY)
    assert "corrects" in exc.value.fields


# --- timeline, list and pages ------------------------------------------------------------------


def test_timeline_merges_notes_with_events_in_time_order(case, officer):
    later = timezone.now() + dt.timedelta(minutes=1)
    earlier_note = note_add(
        case_id=case.pk,
        actor=officer,
        kind="meeting",
        text="约谈双方",
        happened_at=case.created_at + dt.timedelta(seconds=1),
    )
    with time_machine.travel(later, tick=False):
        last_note = note_add(case_id=case.pk, actor=officer, **BODY)
    entries = case_timeline_entries(case=case, user=officer)
    kinds = [(e.kind, getattr(e.obj, "pk", None)) for e in entries]
    assert kinds[0][0] == "event"  # registration
    assert ("note", earlier_note.pk) in kinds and kinds[-1] == ("note", last_note.pk)
    assert [e.at for e in entries] == sorted(e.at for e in entries)


def test_notes_list_query_count_does_not_grow(api, case, officer, django_assert_max_num_queries):
    for i in range(3):
        note_add(case_id=case.pk, actor=officer, kind="phone", text=f"第{i}次电话")
    client = api(officer)
    with django_assert_max_num_queries(8):
        assert len(client.get(url(case)).json()) == 3
    for i in range(10):
        note_add(case_id=case.pk, actor=officer, kind="phone", text=f"又一次电话{i}")
    with django_assert_max_num_queries(8):
        assert len(client.get(url(case)).json()) == 13


def test_case_page_shows_notes_and_the_form(client, case, officer, supervisor):
    note_add(case_id=case.pk, actor=officer, **BODY)
    client.force_login(officer)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert "电话联系用人单位负责人" in html and 'id="note-add"' in html
    client.force_login(supervisor)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert "电话联系用人单位负责人" in html and 'id="note-add"' not in html


def test_note_pages_add_edit_correct(client, case, officer, officer2):
    client.force_login(officer)
    add = reverse("intake:note_add", args=[case.pk])
    resp = client.post(add, {"kind": "visit", "text": "走访现场", "happened_at": ""})
    assert resp.status_code == 302
    note = ProgressNote.objects.get(case=case)
    resp = client.post(add, {"kind": "bogus", "text": ""})
    assert resp.status_code == 400 and "请选择进展类型" in resp.content.decode()
    resp = client.post(add, {"kind": "phone", "text": "x", "happened_at": "昨天"})
    assert resp.status_code == 400 and "进展时间" in resp.content.decode()
    edit = reverse("intake:note_edit", args=[case.pk, note.pk])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"kind": "visit", "text": "走访现场并拍照"}).status_code == 302
    assert client.get(add + f"?corrects={note.pk}").status_code == 200
    assert client.get(add + "?corrects=abc").status_code == 404
    client.force_login(officer2)
    assert client.get(edit).status_code == 404
    assert client.post(add, {"kind": "visit", "text": "x"}).status_code == 404


def test_supervisor_cannot_use_the_note_pages(client, case, supervisor, officer):
    client.force_login(supervisor)
    resp = client.post(reverse("intake:note_add", args=[case.pk]), {"kind": "phone", "text": "x"})
    assert resp.status_code == 403
    assert not ProgressNote.objects.exists()
    note = note_add(case_id=case.pk, actor=officer, **BODY)
    assert client.get(reverse("intake:note_edit", args=[case.pk, note.pk])).status_code == 403


def test_edit_page_after_the_window_sends_back_with_the_advice(client, case, officer, settings):
    settings.PROGRESS_NOTE_EDIT_MINUTES = 5  # shorter than the idle session timeout
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        note = note_add(case_id=case.pk, actor=officer, **BODY)
    client.force_login(officer)
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        resp = client.get(reverse("intake:note_edit", args=[case.pk, note.pk]), follow=True)
        html = resp.content.decode()
    assert "更正记录" in html
    assert f"notes/{note.pk}/edit/" not in html


# --- retention ---------------------------------------------------------------------------------


def test_retention_clears_the_text_of_notes_and_keeps_that_work_was_done(
    case, officer, make_case, dispatcher, rsj, settings, tmp_path
):
    """Officers type phones and ID numbers into notes: retention (``purge_personal_data``,
    through the personal-data registry) replaces the text by a fixed marker and keeps kind,
    time, author and the correction link, so the timeline still shows the work. Files on a
    note follow the files' rule: an ID copy is deleted, a contract stays."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import TestCase

    from audit.models import AuditEntry
    from intake.evidence.services import attachment_upload
    from intake.models import PURGED_NOTE_TEXT, Attachment, Case
    from intake.notes import note_add_with_files
    from tests import file_samples
    from tests.conftest import VALID_ID

    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    secret = f"电话联系申请人王小明 13800138000,身份证{VALID_ID}"
    first = note_add_with_files(
        case_id=case.pk,
        actor=officer,
        kind="phone",
        text=secret,
        files=[SimpleUploadedFile("劳动合同.pdf", file_samples.pdf())],
        file_kind=Attachment.Kind.CONTRACT,
    )
    id_copy, _new = attachment_upload(
        case_id=case.pk,
        actor=officer,
        upload=SimpleUploadedFile("身份证.png", file_samples.png(color=(9, 8, 7))),
        kind=Attachment.Kind.ID_COPY,
        target_kind="note",
        target_id=first.pk,
    )
    fix = note_add(
        case_id=case.pk,
        actor=officer,
        kind="phone",
        text="更正:号码为 13900139000",
        corrects_id=first.pk,
    )
    other = make_case("labour")
    case_dispatch(case_id=other.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=other.pk, actor=officer)
    kept = note_add(case_id=other.pk, actor=officer, kind="visit", text=secret)
    # While the case lives, the trail keeps what the note said (edits are checked against it).
    assert "13800138000" in str(
        AuditEntry.objects.filter(table_name="intake_progressnote", object_pk=str(first.pk))
        .values_list("after", flat=True)
        .first()
    )
    long_ago = timezone.now() - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 10)
    # Fixture shortcut: straight into the archived state (not a workflow test).
    Case.objects.filter(pk=case.pk).update(state="archived", archived_at=long_ago)
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("purge_personal_data", verbosity=0)

    for note, kind in ((first, "phone"), (fix, "phone")):
        note.refresh_from_db()
        assert note.text == PURGED_NOTE_TEXT and note.kind == kind and note.author == officer
    assert fix.corrects_id == first.pk and first.happened_at
    kept.refresh_from_db()
    assert kept.text == secret  # a case within the retention period is untouched
    # The timeline still shows two phone notes, without their words.
    entries = [e for e in case_timeline_entries(case=case, user=officer) if e.kind == "note"]
    assert len(entries) == 2
    assert all(
        "13800138000" not in (e.text or "") and VALID_ID not in (e.text or "") for e in entries
    )
    # The audit trail about the notes keeps who and when, not the words.
    history = AuditEntry.objects.filter(
        table_name="intake_progressnote", object_pk__in=[str(first.pk), str(fix.pk)]
    )
    assert history.exists()
    for row in history:
        text = str([row.before, row.after])
        assert "13800138000" not in text and VALID_ID not in text and "13900139000" not in text
    # Files on the note: the ID copy is gone, the contract stays.
    id_copy.refresh_from_db()
    assert id_copy.purged and id_copy.data_key is None
    contract = Attachment.objects.get(target_kind="note", target_id=first.pk, kind="contract")
    assert not contract.purged and (tmp_path / contract.stored_name).exists()
    # A second run changes nothing.
    call_command("purge_personal_data", verbosity=0)
    first.refresh_from_db()
    assert first.text == PURGED_NOTE_TEXT
