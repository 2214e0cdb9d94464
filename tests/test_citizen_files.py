"""Issue 21: photos and documents on the online application (/citizen/apply/). The checks
of the evidence feature (type by content, FILE_MAX_BYTES) with the public count limit
CITIZEN_FILES_MAX; files only with a confirmed SMS code, stored with the case in its
transaction, never readable by the public. Split from tests/test_citizen.py (its fixtures)."""

# ruff: noqa: F811 (fixtures imported from tests/test_citizen.py are parameters here)
from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from intake.models import Attachment, Case, CaseEvent, Channel, FileDownload

from . import file_samples as samples
from .conftest import requires_postgres
from .test_citizen import _code, citizen, form_data, sms  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path):
    root = tmp_path / "files"
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


def stored(root) -> list[str]:
    return sorted(os.path.join(d, f) for d, _s, fs in os.walk(root) for f in fs)


def _upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


@pytest.fixture
def coded(form_data, citizen, sms, django_capture_on_commit_callbacks):
    """Step one done: the form filled in and the code sent; returns the code."""
    with django_capture_on_commit_callbacks(execute=True):
        step = citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    assert step.status_code == 200
    page = step.content.decode()
    # The file field is offered now, in the step that submits (multipart, several files).
    assert 'type="file"' in page and "multiple" in page and 'enctype="multipart/form-data"' in page
    return _code(sms())


def _submit(citizen, form_data, code, files, **over):
    return citizen.post(
        reverse("citizen:apply"),
        {**form_data(code=code, action="submit", code_sent="1", **over), "files": files},
    )


def test_the_first_step_has_no_file_field(citizen):
    page = citizen.get(reverse("citizen:apply")).content.decode()
    assert 'type="file"' not in page  # chosen files would be lost when the code is fetched


def test_photos_and_a_pdf_land_on_the_case_as_evidence_for_staff_only(
    coded,
    form_data,
    citizen,
    dispatcher,
    files_root,
    django_capture_on_commit_callbacks,
):
    files = [
        _upload("现场照片.jpg", samples.jpeg()),
        _upload("欠条.png", samples.png()),
        _upload("劳动合同.pdf", samples.pdf()),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        done = _submit(citizen, form_data, coded, files)
    assert done.status_code == 302
    case = Case.objects.get(channel=Channel.ONLINE)
    rows = list(Attachment.objects.filter(case=case).order_by("pk"))
    assert [(a.name, a.kind, a.file_type) for a in rows] == [
        ("现场照片.jpg", "photo", "jpeg"),
        ("欠条.png", "photo", "png"),
        ("劳动合同.pdf", "evidence", "pdf"),
    ]
    assert all(a.uploaded_by_id is None and a.target_kind == "case" for a in rows)
    assert len(stored(files_root)) == 3 and all(a.name not in a.stored_name for a in rows)
    events = CaseEvent.objects.filter(case=case, transition="file_upload")
    assert events.count() == 3 and {e.payload["source"] for e in events} == {"online"}
    assert all(e.actor_id is None for e in events)
    applied = citizen.get(done["Location"]).content.decode()
    assert "已随申请提交 3 份照片或材料" in applied and "现场照片" not in applied
    # Nobody without an account reads them: not the applicant, not the next person.
    for pk in (a.pk for a in rows):
        for url in (reverse("intake:file_download", args=[pk]), f"/api/files/{pk}/"):
            response = Client().get(url)
            assert response.status_code in (302, 401, 403, 404), url
            assert b"%PDF" not in response.content
    assert not FileDownload.objects.exists()
    # The dispatcher sees them on the case page and downloads one.
    desk = Client()
    desk.force_login(dispatcher)
    page = desk.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert "劳动合同.pdf" in page and "申请人网上提交" in page
    download = desk.get(reverse("intake:file_download", args=[rows[2].pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_file_refused_by_content_refuses_the_application_in_chinese_and_keeps_nothing(
    coded,
    form_data,
    citizen,
    files_root,
    django_capture_on_commit_callbacks,
):
    files = [_upload("照片.jpg", samples.jpeg()), _upload("合同.pdf", samples.exe())]
    refused = _submit(citizen, form_data, coded, files)
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "「合同.pdf」" in page and "所选的照片和材料没有保存" in page
    assert not Case.objects.filter(channel=Channel.ONLINE).exists()
    assert not Attachment.objects.exists() and stored(files_root) == []
    # The code was not used: the applicant chooses again and submits with it.
    with django_capture_on_commit_callbacks(execute=True):
        done = _submit(citizen, form_data, coded, [_upload("照片.jpg", samples.jpeg())])
    assert done.status_code == 302
    assert Attachment.objects.count() == 1 and len(stored(files_root)) == 1


def test_more_files_than_the_public_limit_are_refused(
    coded,
    form_data,
    citizen,
    settings,
    files_root,
):
    settings.CITIZEN_FILES_MAX = 2
    files = [_upload(f"照片{i}.png", samples.png(color=(i, 0, 0))) for i in range(3)]
    refused = _submit(citizen, form_data, coded, files)
    assert refused.status_code == 400
    assert "网上申请最多上传2个文件,您选择了3个" in refused.content.decode()
    assert not Case.objects.filter(channel=Channel.ONLINE).exists()
    assert stored(files_root) == []


def test_a_file_over_the_size_limit_is_refused_while_read(
    coded,
    form_data,
    citizen,
    settings,
    files_root,
):
    settings.FILE_MAX_BYTES = 1024 * 1024
    big = samples.pdf() + b"0" * (1024 * 1024)
    refused = _submit(citizen, form_data, coded, [_upload("扫描件.pdf", big)])
    assert refused.status_code == 400
    assert "文件超过 1 MB" in refused.content.decode()
    assert not Case.objects.filter(channel=Channel.ONLINE).exists() and stored(files_root) == []


def test_files_without_the_right_code_are_not_kept(
    coded,
    form_data,
    citizen,
    files_root,
):
    wrong = "000000" if coded != "000000" else "111111"
    refused = _submit(citizen, form_data, wrong, [_upload("照片.jpg", samples.jpeg())])
    assert refused.status_code == 400 and "验证码不正确或已失效" in refused.content.decode()
    assert not Attachment.objects.exists() and stored(files_root) == []
    # And without any code sent to that phone at all.
    other = form_data(applicant_phone="13700002222")
    response = Client(REMOTE_ADDR="198.51.100.9").post(
        reverse("citizen:apply"),
        {
            **other,
            "code": "123456",
            "action": "submit",
            "files": [_upload("a.jpg", samples.jpeg())],
        },
    )
    assert response.status_code == 400 and stored(files_root) == []


def test_a_double_tap_with_files_gives_one_case_and_one_set_of_files(
    coded,
    form_data,
    citizen,
    files_root,
    django_capture_on_commit_callbacks,
):
    def tap():
        files = [_upload("照片.jpg", samples.jpeg()), _upload("同一张.jpg", samples.jpeg())]
        with django_capture_on_commit_callbacks(execute=True):
            return _submit(citizen, form_data, coded, files)

    first, second = tap(), tap()
    assert first.status_code == second.status_code == 302
    assert Case.objects.filter(channel=Channel.ONLINE).count() == 1
    # The same picture chosen twice is stored once.
    assert Attachment.objects.count() == 1 and len(stored(files_root)) == 1


def test_a_failure_after_storing_removes_the_stored_objects(
    coded,
    form_data,
    citizen,
    files_root,
    monkeypatch,
):
    from citizen import services

    def gateway_row_refused(case):
        raise RuntimeError("the outbox insert failed")

    # The last step of the case's transaction fails after the files were stored.
    monkeypatch.setattr(services, "_receipt_queue", gateway_row_refused)
    with pytest.raises(RuntimeError):
        _submit(citizen, form_data, coded, [_upload("照片.jpg", samples.jpeg())])
    assert not Case.objects.filter(channel=Channel.ONLINE).exists()
    assert not Attachment.objects.exists() and stored(files_root) == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_taps_with_files_store_one_case_and_one_set_of_files(
    form_data, sms, files_root
):
    """Three copies of one submission at once (a double tap on a slow network): the code's
    compare-and-set lets one through; the others answer with its case and store nothing."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    assert (
        Client(REMOTE_ADDR="203.0.113.8")
        .post(reverse("citizen:apply"), form_data(action="send_code"))
        .status_code
        == 200
    )
    code = _code(sms())
    barrier = threading.Barrier(3)

    def tap(_i):
        try:
            barrier.wait()
            files = [_upload("照片.jpg", samples.jpeg()), _upload("合同.pdf", samples.pdf())]
            return _submit(Client(REMOTE_ADDR="203.0.113.8"), form_data, code, files).status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=3) as pool:
        statuses = list(pool.map(tap, range(3)))
    assert statuses == [302, 302, 302]
    case = Case.objects.get(channel=Channel.ONLINE)
    assert Attachment.objects.filter(case=case).count() == 2
    assert len(stored(files_root)) == 2  # no object of a losing tap is left behind
