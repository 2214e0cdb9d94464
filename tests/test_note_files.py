"""Issue 18: a progress note carries its files from the note form itself (a photo of the
site visit, the contract), in one transaction with the note: a file refused refuses the
note, and nothing stays stored. The centre sees the files under the note on the timeline."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dispatch.services import case_dispatch, case_sign_for
from intake.models import Attachment, ProgressNote

from . import file_samples as samples
from .test_intake_files import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def files_root(settings, tmp_path):
    """This test's own storage directory, so "nothing left behind" can be checked."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def handled(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    return case


def _post(client, case, files, **extra):
    data = {"kind": "visit", "text": "走访工地,拍照并取得劳动合同。", "files": files, **extra}
    return client.post(reverse("intake:note_add", args=[case.pk]), data)


def test_a_note_with_a_photo_and_a_contract(handled, officer, dispatcher, client, files_root):
    client.force_login(officer)
    response = _post(
        client,
        handled,
        [
            SimpleUploadedFile("工地照片.png", samples.png()),
            SimpleUploadedFile("劳动合同.pdf", samples.pdf("劳动合同")),
        ],
        file_kind="photo",
    )
    assert response.status_code == 302, response.content.decode()[:500]
    note = ProgressNote.objects.get(case=handled)
    files = Attachment.objects.filter(case=handled, target_kind="note", target_id=note.pk)
    assert sorted(f.name for f in files) == ["劳动合同.pdf", "工地照片.png"]
    assert {f.kind for f in files} == {"photo"}
    assert len(stored_files(files_root)) == 2
    # The centre sees them under the note on the timeline, each a download link.
    client.force_login(dispatcher)
    page = client.get(reverse("intake:case_detail", args=[handled.pk])).content.decode()
    for f in files:
        assert reverse("intake:file_download", args=[f.pk]) in page
        assert f.name in page


def test_a_refused_file_refuses_the_note_and_leaves_nothing_stored(
    handled, officer, client, files_root
):
    client.force_login(officer)
    response = _post(
        client,
        handled,
        [
            SimpleUploadedFile("工地照片.png", samples.png()),
            SimpleUploadedFile("合同.pdf", samples.exe()),  # a program named .pdf
        ],
    )
    assert response.status_code == 400
    assert "合同.pdf" in response.content.decode() or "PDF" in response.content.decode()
    assert not ProgressNote.objects.filter(case=handled).exists()
    assert not Attachment.objects.filter(case=handled).exists()
    assert stored_files(files_root) == []


def test_a_note_without_files_still_works_and_readers_cannot_attach(
    handled, officer, supervisor, client, files_root
):
    client.force_login(officer)
    assert _post(client, handled, []).status_code == 302
    assert ProgressNote.objects.filter(case=handled).count() == 1
    client.force_login(supervisor)
    response = _post(client, handled, [SimpleUploadedFile("a.png", samples.png())])
    assert response.status_code == 403
    assert not Attachment.objects.filter(case=handled).exists()


def test_another_departments_officer_gets_404(handled, officer2, client, files_root):
    client.force_login(officer2)
    response = _post(client, handled, [SimpleUploadedFile("a.png", samples.png())])
    assert response.status_code == 404
    assert not Attachment.objects.filter(case=handled).exists()
