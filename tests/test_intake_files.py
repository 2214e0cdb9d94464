"""Evidence and documents (issue 18, part B): files on a case and on what is on it, type
checked by content, limits, access per role and department, downloads with the Chinese name
and a log, thumbnails, idempotent and atomic uploads, ID copies encrypted at rest through
key rotation and retention. The S3 path: tests/test_intake_files_s3.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from intake.evidence import services
from intake.models import Attachment, Case, CaseEvent, FileDownload, PersonalDataReveal
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError

from . import file_samples as samples
from .conftest import requires_postgres
from .test_mediation_flow import accepted_case, agreement_kwargs, luo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def files_root(settings, tmp_path):
    """Each test's own storage directory, so "nothing left behind" can be checked."""
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(d, f), root) for d, _s, fs in os.walk(root) for f in fs
    )


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def add(case, actor, name="劳动合同.pdf", data=None, **kw):
    kw.setdefault("kind", "contract")
    return services.attachment_upload(
        case_id=case.pk, actor=actor, upload=upload(name, data or samples.pdf()), **kw
    )


# --- types by content -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "file_type"),
    [
        ("劳动合同.pdf", samples.pdf, "pdf"),
        ("现场照片.JPG", samples.jpeg, "jpeg"),
        ("欠条.jpeg", samples.jpeg, "jpeg"),
        ("工资单.png", samples.png, "png"),
        ("情况说明.docx", samples.docx, "docx"),
        ("考勤表.xlsx", samples.xlsx, "xlsx"),
        ("情况说明.doc", samples.ole, "doc"),
        ("情况说明.wps", samples.ole, "doc"),
        ("工资表.xls", lambda: samples.ole("Workbook"), "xls"),
        ("工资表.et", lambda: samples.ole("Workbook"), "xls"),
    ],
)
def test_every_accepted_type_is_recognised_by_content(
    name, make, file_type, make_case, clerk, files_root
):
    attachment, created = add(make_case(), clerk, name, make())
    assert created and attachment.file_type == file_type and attachment.name == name
    assert stored_files(files_root) == [attachment.stored_name]
    assert name not in attachment.stored_name  # random names in storage


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("发票.pdf", samples.exe, "内容不是可识别"),  # an .exe renamed .pdf
        ("合同.docx", samples.png, "内容却是 PNG"),  # a PNG named .docx
        ("照片.png", samples.pdf, "内容却是 PDF"),
        ("表格.xls", samples.ole, "内容却是 Word"),
        ("程序.exe", samples.exe, "不支持的文件类型"),
        ("没有扩展名", samples.pdf, "无扩展名"),
        ("宏.docx", lambda: samples.docx(macro=True), "宏"),
        ("坏图.png", lambda: samples.png()[:40], "内容不是可识别"),  # truncated
    ],
)
def test_a_file_whose_content_does_not_match_is_refused_in_chinese_via_the_api(
    name, make, words, make_case, clerk, api, files_root
):
    case = make_case()
    response = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {"file": upload(name, make()), "kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert words in error["message"] and "file" in error["fields"]
    assert not Attachment.objects.exists() and stored_files(files_root) == []


def test_an_empty_file_is_refused(make_case, clerk, api, files_root):
    case = make_case()
    response = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {"file": upload("空.pdf", b""), "kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 400
    assert "空的" in response.json()["error"]["message"]
    assert stored_files(files_root) == []


def test_a_file_over_the_size_limit_is_refused(make_case, clerk, settings, files_root):
    settings.FILE_MAX_BYTES = 1024 * 1024
    big = samples.pdf() + b"0" * (1024 * 1024)
    with pytest.raises(ServiceError, match="文件过大") as refused:
        add(make_case(), clerk, "大文件.pdf", big)
    assert "1 MB" in refused.value.message
    assert stored_files(files_root) == []


def test_too_many_files_on_one_object_or_one_case_are_refused(make_case, clerk, settings):
    settings.FILE_MAX_PER_TARGET = 2
    case = make_case()
    add(case, clerk, "一.pdf", samples.pdf("一"))
    add(case, clerk, "二.pdf", samples.pdf("二"))
    with pytest.raises(ServiceError, match="达到上限 2 个") as refused:
        add(case, clerk, "三.pdf", samples.pdf("三"))
    assert refused.value.code == "too_many_files"
    # Another object on the case (a party) has its own count, the case a total.
    settings.FILE_MAX_PER_CASE = 3
    party = case.parties.first()
    add(case, clerk, "四.pdf", samples.pdf("四"), target_kind="party", target_id=party.pk)
    with pytest.raises(ServiceError, match="本案件已有 3 个文件"):
        add(case, clerk, "五.pdf", samples.pdf("五"), target_kind="party", target_id=party.pk)
    assert Attachment.objects.filter(case=case).count() == 3


# --- idempotent and atomic --------------------------------------------------------------


def test_a_retried_upload_with_the_same_client_key_does_not_duplicate(make_case, clerk, api):
    case = make_case()
    body = {"kind": "contract", "client_key": "form-7f3a"}
    client = api(clerk)
    first = client.post(
        f"/api/cases/{case.pk}/files/",
        {**body, "file": upload("合同.pdf", samples.pdf())},
        format="multipart",
    )
    again = client.post(
        f"/api/cases/{case.pk}/files/",
        {**body, "file": upload("合同.pdf", samples.pdf())},
        format="multipart",
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Attachment.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, transition="file_upload").count() == 1


def test_the_same_content_on_the_same_target_is_stored_once(
    make_case, clerk, dispatcher, files_root
):
    case = make_case()
    first, created = add(case, clerk, "合同.pdf")
    second, created_again = add(case, dispatcher, "合同(重传).pdf")
    assert created and not created_again and first.pk == second.pk
    assert len(stored_files(files_root)) == 1
    # On another object of the case it is another file.
    party = case.parties.first()
    _third, created = add(case, clerk, "合同.pdf", target_kind="party", target_id=party.pk)
    assert created


def test_a_client_key_reused_for_other_content_is_a_conflict(make_case, clerk, files_root):
    case = make_case()
    add(case, clerk, "一.pdf", samples.pdf("一"), client_key="k1")
    with pytest.raises(Conflict, match="已用于另一个文件"):
        add(case, clerk, "二.pdf", samples.pdf("二"), client_key="k1")
    assert len(stored_files(files_root)) == 1


def test_a_failed_upload_leaves_neither_row_nor_file(make_case, clerk, files_root, monkeypatch):
    case = make_case()

    def fail(*args, **kwargs):
        raise RuntimeError("the event log write failed")

    # Fault injection after the object was stored and the row written, inside the
    # transaction: both must be gone.
    monkeypatch.setattr(services, "_log_upload", fail)
    with pytest.raises(RuntimeError):
        add(case, clerk)
    assert not Attachment.objects.filter(case=case).exists()
    assert stored_files(files_root) == []


# --- access per role and department ---------------------------------------------------


def test_anonymous_gets_401_on_the_api_and_the_login_page_on_pages(make_case, clerk, client, api):
    case = make_case()
    attachment, _ = add(case, clerk)
    assert api(None).get(f"/api/cases/{case.pk}/files/").status_code == 401
    assert api(None).get(f"/api/files/{attachment.pk}/").status_code == 401
    page = client.get(reverse("intake:file_download", args=[attachment.pk]))
    assert page.status_code == 302 and "login" in page["Location"]


def test_another_departments_officer_gets_404_for_list_upload_download_and_thumbnail(
    accepted_case,  # noqa: F811
    officer,
    officer2,
    api,
    client,
    files_root,
):
    case = accepted_case()
    image, _ = add(case, officer, "照片.png", samples.png(), kind="photo")
    other = api(officer2)
    assert other.get(f"/api/cases/{case.pk}/files/").status_code == 404
    assert other.get(f"/api/files/{image.pk}/").status_code == 404
    response = other.post(
        f"/api/cases/{case.pk}/files/",
        {"file": upload("x.pdf", samples.pdf("x")), "kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 404
    client.force_login(officer2)
    assert client.get(reverse("intake:file_download", args=[image.pk])).status_code == 404
    assert client.get(reverse("intake:file_thumbnail", args=[image.pk])).status_code == 404
    assert not FileDownload.objects.exists()
    assert len(stored_files(files_root)) == 1


@pytest.mark.parametrize("role", ["supervisor", "followup_officer"])
def test_roles_that_do_not_handle_cases_cannot_upload(role, request, make_case, clerk):
    user = request.getfixturevalue(role)
    case = make_case()
    if not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        with pytest.raises(NotFound):
            add(case, user)
    else:
        with pytest.raises(NotAllowed):
            add(case, user)


def test_supervisor_reads_and_downloads_but_gets_403_on_upload(make_case, clerk, supervisor, api):
    case = make_case()
    attachment, _ = add(case, clerk)
    client = api(supervisor)
    assert [f["id"] for f in client.get(f"/api/cases/{case.pk}/files/").json()] == [attachment.pk]
    assert client.get(f"/api/files/{attachment.pk}/").status_code == 200
    response = client.post(
        f"/api/cases/{case.pk}/files/",
        {"file": upload("x.pdf", samples.pdf("x")), "kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "not_allowed"


def test_a_party_of_another_case_is_not_a_target(make_case, clerk):
    case, other = make_case(), make_case(title="另一纠纷")
    with pytest.raises(NotFound):
        add(case, clerk, target_kind="party", target_id=other.parties.first().pk)
    with pytest.raises(ServiceError, match="不能向该类对象"):
        add(case, clerk, target_kind="nonsense", target_id=1)
    assert not Attachment.objects.exists()


# --- downloads ----------------------------------------------------------------------------


def test_download_has_the_chinese_name_per_rfc_5987_nosniff_and_is_logged(
    make_case, clerk, dispatcher, api
):
    case = make_case()
    data = samples.pdf("合同正文")
    attachment, _ = add(case, clerk, "劳动合同 王小明.pdf", data)
    response = api(dispatcher).get(f"/api/files/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''" + quote("劳动合同 王小明.pdf", safe="") in disposition
    assert 'filename=".pdf"' not in disposition and 'filename="' in disposition
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    log = FileDownload.objects.get()
    assert (log.attachment_id, log.actor_id) == (attachment.pk, dispatcher.pk)


def test_an_ascii_name_keeps_its_fallback_and_a_chinese_one_gets_a_generic_one(make_case, clerk):
    from intake.evidence.http import content_disposition

    assert content_disposition("contract v2.pdf", 5, "pdf") == (
        "attachment; filename=\"contract v2.pdf\"; filename*=UTF-8''contract%20v2.pdf"
    )
    assert content_disposition("合同.pdf", 5, "pdf").startswith('attachment; filename="file-5.pdf"')
    # Quotes and separators cannot break out of the header.
    header = content_disposition('a";b\r\nX: y.pdf', 5, "pdf")
    assert header.split('filename="')[1].split('"')[0] == "abX y.pdf"
    assert "\r" not in header and "\n" not in header


def test_the_name_is_cleaned_of_paths_and_control_characters(make_case, clerk):
    attachment, _ = add(make_case(), clerk, "..\\..\\C:\\证据\\合\x00同\r\n.pdf")
    assert attachment.name == "合同.pdf"


def test_thumbnails_are_small_images_for_images_only(make_case, clerk, client):
    case = make_case()
    photo, _ = add(case, clerk, "现场.jpg", samples.jpeg(size=(2000, 1500)), kind="photo")
    document, _ = add(case, clerk)
    client.force_login(clerk)
    response = client.get(reverse("intake:file_thumbnail", args=[photo.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    from io import BytesIO

    from PIL import Image

    assert max(Image.open(BytesIO(response.content)).size) <= 320
    assert client.get(reverse("intake:file_thumbnail", args=[document.pk])).status_code == 404


# --- personal documents -------------------------------------------------------------------


@pytest.fixture
def id_copy(make_case, clerk):
    case = make_case()
    data = samples.png(color=(1, 2, 3))
    attachment, _ = add(case, clerk, "身份证复印件.png", data, kind="id_copy")
    return attachment, data


def test_an_id_copy_is_encrypted_at_rest(id_copy, files_root):
    attachment, data = id_copy
    raw = (files_root / attachment.stored_name).read_bytes()
    assert raw != data and data not in raw and raw.startswith(b"LDENC1")
    assert attachment.encrypted and attachment.sha256 == hashlib.sha256(data).hexdigest()


def test_an_id_copy_opens_only_with_a_reason_for_reveal_roles_and_is_in_the_reveal_log(
    id_copy, clerk, supervisor, officer, dispatcher, api
):
    attachment, data = id_copy
    url = f"/api/files/{attachment.pk}/"
    assert api(clerk).get(url, {"reason": "核对"}).status_code == 403
    assert api(supervisor).get(url, {"reason": "核对"}).status_code == 403
    no_reason = api(dispatcher).get(url)
    assert no_reason.status_code == 400 and "理由" in no_reason.json()["error"]["message"]
    response = api(dispatcher).get(url, {"reason": "核对申请人身份"})
    assert response.status_code == 200 and response.content == data
    reveal = PersonalDataReveal.objects.get(subject="file")
    assert (reveal.actor_id, reveal.case_id, reveal.object_ref, reveal.reason) == (
        dispatcher.pk,
        attachment.case_id,
        f"file:{attachment.pk}",
        "核对申请人身份",
    )
    assert FileDownload.objects.count() == 1


def test_an_id_copy_page_asks_for_a_reason_and_has_no_thumbnail(id_copy, dispatcher, client):
    attachment, data = id_copy
    client.force_login(dispatcher)
    url = reverse("intake:file_download", args=[attachment.pk])
    form = client.get(url)
    assert form.status_code == 200 and "查看理由" in form.content.decode()
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "电话核实身份"})
    assert response.status_code == 200 and response.content == data
    assert client.get(reverse("intake:file_thumbnail", args=[attachment.pk])).status_code == 404


def test_an_id_copy_is_readable_after_key_rotation(id_copy, settings, dispatcher, files_root):
    attachment, data = id_copy
    before = Attachment.objects.filter(pk=attachment.pk).values_list("data_key", flat=True)
    raw_key = _raw_data_key(attachment.pk)
    settings.SALT_KEY = ["rotated-salt-2", *settings.SALT_KEY]
    call_command("rotate_encryption_keys", verbosity=0)
    assert _raw_data_key(attachment.pk) != raw_key  # the file's key was re-encrypted
    settings.SALT_KEY = ["rotated-salt-2"]  # old salt dropped
    opened = services.attachment_open(attachment_id=attachment.pk, actor=dispatcher, reason="核对")
    assert opened.content == data and list(before)


def _raw_data_key(pk: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT data_key FROM intake_attachment WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_an_id_copy_is_gone_after_retention_but_other_files_stay(
    id_copy, clerk, settings, dispatcher, files_root
):
    attachment, _data = id_copy
    case = attachment.case
    contract, _ = add(case, clerk)
    long_ago = timezone.now() - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 10)
    # Fixture shortcut: put the case straight into the archived state (not a workflow test).
    Case.objects.filter(pk=case.pk).update(state="archived", archived_at=long_ago)
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("purge_personal_data", verbosity=0)
    attachment.refresh_from_db()
    assert attachment.purged and attachment.data_key is None and attachment.sha256 == ""
    assert attachment.name == "已清除.png"
    assert stored_files(files_root) == [contract.stored_name]
    with pytest.raises(NotFound, match="已按个人信息保存期限清除"):
        services.attachment_open(attachment_id=attachment.pk, actor=dispatcher, reason="核对")
    contract.refresh_from_db()
    assert not contract.purged


# --- mediation targets and pages --------------------------------------------------------


@pytest.fixture
def agreement(accepted_case, officer, luo):  # noqa: F811
    from mediation import services as mediation

    case = accepted_case()
    mediation.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    return mediation.agreement_record(actor=officer, **agreement_kwargs(case, luo))


def test_a_signed_scan_goes_on_the_agreement_for_those_who_mediate(agreement, officer, clerk):
    scan, created = add(
        agreement.case,
        officer,
        "协议书签字扫描件.pdf",
        kind="signed_scan",
        target_kind="agreement",
        target_id=agreement.pk,
    )
    assert created and (scan.target_kind, scan.target_id) == ("agreement", agreement.pk)
    with pytest.raises(NotAllowed):  # the clerk sees the case but does not mediate it
        add(
            agreement.case,
            clerk,
            "x.pdf",
            samples.pdf("x"),
            target_kind="agreement",
            target_id=agreement.pk,
        )


def test_the_agreement_page_lists_its_files_and_offers_the_upload_form(agreement, officer, client):
    add(
        agreement.case,
        officer,
        "签字扫描件.pdf",
        kind="signed_scan",
        target_kind="agreement",
        target_id=agreement.pk,
    )
    client.force_login(officer)
    html = client.get(reverse("mediation:agreement", args=[agreement.pk])).content.decode()
    assert "签字扫描件.pdf" in html and f'value="agreement:{agreement.pk}"' in html


def test_the_case_page_panel_uploads_and_lists_with_a_constant_number_of_queries(
    make_case, clerk, client, django_assert_max_num_queries
):
    case = make_case()
    client.force_login(clerk)
    url = reverse("intake:case_detail", args=[case.pk])
    response = client.post(
        reverse("intake:file_upload", args=[case.pk]),
        {
            "file": upload("欠条.jpg", samples.jpeg()),
            "kind": "iou",
            "target": f"party:{case.parties.first().pk}",
            "next": url,
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    html = client.get(url).content.decode()
    assert "欠条.jpg" in html and "已上传" in html and "证据与材料" in html
    from intake.evidence.selectors import case_files

    with django_assert_max_num_queries(3):
        one = case_files(case=case)
    for i in range(4):
        add(
            case,
            clerk,
            f"{i}.pdf",
            samples.pdf(str(i)),
            target_kind="party",
            target_id=case.parties.last().pk,
        )
    with django_assert_max_num_queries(3):
        five = case_files(case=case)
    assert (len(one), len(five)) == (1, 5)


def test_a_refused_page_upload_says_why_and_stores_nothing(make_case, clerk, client, files_root):
    case = make_case()
    client.force_login(clerk)
    response = client.post(
        reverse("intake:file_upload", args=[case.pk]),
        {"file": upload("合同.docx", samples.png()), "kind": "contract"},
        follow=True,
    )
    assert "内容却是 PNG" in response.content.decode()
    assert stored_files(files_root) == []


# --- a retry racing the first attempt (PostgreSQL row locks) ----------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_five_simultaneous_retries_of_one_upload_store_one_file(make_case, clerk, files_root):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    case = make_case()
    data = samples.pdf("同时重试")
    barrier = threading.Barrier(5)

    def attempt(_i):
        try:
            barrier.wait()
            attachment, created = add(case, clerk, "合同.pdf", data, client_key="retry-1")
            return attachment.pk, created
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(attempt, range(5)))
    assert len({pk for pk, _created in results}) == 1
    assert [created for _pk, created in results].count(True) == 1
    assert Attachment.objects.filter(case=case).count() == 1
    assert len(stored_files(files_root)) == 1  # the losers deleted their objects


@pytest.mark.parametrize("target", ["party:abc", "party:99999999999999999999999", "nonsense:1"])
def test_a_page_upload_to_a_bad_target_says_why(target, make_case, clerk, client, files_root):
    case = make_case()
    client.force_login(clerk)
    response = client.post(
        reverse("intake:file_upload", args=[case.pk]),
        {"file": upload("合同.pdf", samples.pdf()), "kind": "contract", "target": target},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "不存在" in html or "不能向该类对象上传材料" in html
    assert stored_files(files_root) == [] and not Attachment.objects.exists()


def test_an_api_upload_with_a_bad_target_id_is_a_400(make_case, clerk, api):
    case = make_case()
    response = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {
            "file": upload("合同.pdf", samples.pdf()),
            "kind": "contract",
            "target_kind": "party",
            "target_id": "99999999999999999999999",
        },
        format="multipart",
    )
    assert response.status_code == 400 and "target_id" in response.json()["error"]["fields"]


def test_an_oversized_upload_is_dropped_while_reading_and_refused_in_chinese(
    make_case, clerk, api, client, settings, files_root
):
    settings.FILE_MAX_BYTES = 64 * 1024
    case = make_case()
    big = samples.pdf() + b"0" * (200 * 1024)
    response = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {"file": upload("大.pdf", big), "kind": "evidence"},
        format="multipart",
    )
    assert response.status_code == 400 and "文件过大" in response.json()["error"]["message"]
    client.force_login(clerk)
    page = client.post(
        reverse("intake:file_upload", args=[case.pk]),
        {"file": upload("大.pdf", big), "kind": "evidence"},
        follow=True,
    )
    assert "文件过大" in page.content.decode()
    assert stored_files(files_root) == [] and not Attachment.objects.exists()


def test_an_archived_case_takes_no_new_files(make_case, clerk, files_root):
    case = make_case()
    Case.objects.filter(pk=case.pk).update(state="archived")  # fixture shortcut
    with pytest.raises(Conflict, match="已归档"):
        add(case, clerk)
    assert stored_files(files_root) == []


def test_a_file_missing_from_storage_is_a_clear_404_not_a_500(make_case, clerk, api, files_root):
    attachment, _ = add(make_case(), clerk)
    (files_root / attachment.stored_name).unlink()
    response = api(clerk).get(f"/api/files/{attachment.pk}/")
    assert response.status_code == 404
    assert "存储中找不到" in response.json()["error"]["message"]


def test_orphan_objects_are_found_and_removed_but_young_and_known_ones_stay(
    make_case, clerk, files_root, capsys
):
    import time

    from intake.evidence import store

    case = make_case()
    known, _ = add(case, clerk)
    old_orphan = store.put(store.new_name(case.pk), b"left by a killed process")
    young_orphan = store.put(store.new_name(case.pk), b"an upload still in flight")
    two_hours_ago = time.time() - 7200
    for name in (old_orphan, known.stored_name):
        os.utime(files_root / name, (two_hours_ago, two_hours_ago))
    call_command("files_orphans")
    assert old_orphan in capsys.readouterr().out
    assert len(stored_files(files_root)) == 3  # listing deletes nothing
    call_command("files_orphans", delete=True)
    assert stored_files(files_root) == sorted([known.stored_name, young_orphan])


def test_the_notice_page_takes_its_own_files(accepted_case, officer, officer2, client):  # noqa: F811
    from mediation import services as mediation

    case = accepted_case()
    notice = mediation.notice_record(case_id=case.pk, actor=officer, reason="被申请人拒绝调解")
    client.force_login(officer)
    page = reverse("mediation:notice", args=[notice.pk])
    response = client.post(
        reverse("intake:file_upload", args=[case.pk]),
        {
            "file": upload("告知书签收回执.pdf", samples.pdf("回执")),
            "kind": "signed_scan",
            "target": f"notice:{notice.pk}",
            "next": page,
        },
    )
    assert response.status_code == 302 and response["Location"] == page
    scan = Attachment.objects.get(case=case)
    assert (scan.target_kind, scan.target_id) == ("notice", notice.pk)
    assert "告知书签收回执.pdf" in client.get(page).content.decode()
    client.force_login(officer2)
    assert client.get(reverse("intake:file_download", args=[scan.pk])).status_code == 404


def test_files_go_on_a_progress_note_and_the_case_page_offers_it(
    accepted_case,  # noqa: F811
    officer,
    client,
):
    from intake.evidence.selectors import upload_targets
    from intake.notes import note_add

    case = accepted_case()
    note = note_add(case_id=case.pk, actor=officer, kind="visit", text="到工地走访,拍照取证。")
    photo, created = add(
        case,
        officer,
        "走访照片.jpg",
        samples.jpeg(),
        kind="photo",
        target_kind="note",
        target_id=note.pk,
    )
    assert created and (photo.target_kind, photo.target_id) == ("note", note.pk)
    assert f"note:{note.pk}" in dict(upload_targets(case))
    client.force_login(officer)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert "走访照片.jpg" in html and "办理进展:走访" in html
