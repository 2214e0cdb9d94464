"""Evidence files on S3-compatible object storage: django-storages' S3 backend against a real
S3 server (moto's server mode, an HTTP server on 127.0.0.1 started here), not a mock of the
client. Skipped, with the reason, only when moto[server] is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from intake.evidence import services
from intake.models import Attachment, Case

from . import file_samples as samples

pytest.importorskip("moto.server", reason="moto[server] is not installed (requirements.txt)")
boto3 = pytest.importorskip("boto3", reason="boto3 is not installed (requirements.txt)")
pytest.importorskip("storages", reason="django-storages is not installed (requirements.txt)")

pytestmark = pytest.mark.django_db

BUCKET = "luodian-files"
CREDENTIALS = {"access_key": "testing-key", "secret_key": "testing-secret"}


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    # Port 0: the system picks a free loopback port (a fixed one could be taken and would
    # hang start()).
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["access_key"],
        aws_secret_access_key=CREDENTIALS["secret_key"],
    )
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                **CREDENTIALS,
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> list[str]:
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def body(client, key: str) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_upload_and_download_round_trip_through_the_s3_server(bucket, make_case, clerk, api):
    case = make_case()
    data = samples.pdf("欠条原件")
    response = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {"file": SimpleUploadedFile("欠条.pdf", data), "kind": "iou", "client_key": "s3-1"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(pk=response.json()["id"])
    assert keys(bucket) == [attachment.stored_name]
    assert body(bucket, attachment.stored_name) == data
    download = api(clerk).get(f"/api/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == data
    assert "filename*=UTF-8''%E6%AC%A0%E6%9D%A1.pdf" in download["Content-Disposition"]
    # A retry does not add a second object.
    again = api(clerk).post(
        f"/api/cases/{case.pk}/files/",
        {"file": SimpleUploadedFile("欠条.pdf", data), "kind": "iou", "client_key": "s3-1"},
        format="multipart",
    )
    assert again.status_code == 200 and keys(bucket) == [attachment.stored_name]


def test_an_id_copy_is_encrypted_in_the_bucket_and_purged_from_it(
    bucket, make_case, clerk, dispatcher, settings
):
    import datetime as dt

    from django.test import TestCase
    from django.utils import timezone

    case = make_case()
    data = samples.png()
    attachment, _ = services.attachment_upload(
        case_id=case.pk,
        actor=clerk,
        upload=SimpleUploadedFile("身份证.png", data),
        kind="id_copy",
    )
    stored = body(bucket, attachment.stored_name)
    assert stored != data and data not in stored
    opened = services.attachment_open(attachment_id=attachment.pk, actor=dispatcher, reason="核对")
    assert opened.content == data
    long_ago = timezone.now() - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS + 1)
    Case.objects.filter(pk=case.pk).update(state="archived", archived_at=long_ago)
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("purge_personal_data", verbosity=0)
    assert keys(bucket) == []


def test_a_failed_upload_leaves_no_object_in_the_bucket(bucket, make_case, clerk, monkeypatch):
    case = make_case()

    def fail(*args, **kwargs):
        raise RuntimeError("the event log write failed")

    monkeypatch.setattr(services, "_log_upload", fail)
    with pytest.raises(RuntimeError):
        services.attachment_upload(
            case_id=case.pk,
            actor=clerk,
            upload=SimpleUploadedFile("合同.pdf", samples.pdf()),
            kind="contract",
        )
    assert keys(bucket) == [] and not Attachment.objects.exists()


def test_the_environment_selects_s3_storage():
    """FILES_S3_* as documented in README "Configuration" make the attachments storage S3."""
    env = {
        **os.environ,
        "FILES_S3_BUCKET": "county-files",
        "FILES_S3_ENDPOINT_URL": "http://127.0.0.1:9",
        "FILES_S3_ACCESS_KEY_ID": "k",
        "FILES_S3_SECRET_ACCESS_KEY": "s",
        "FILES_S3_PREFIX": "luodian",
    }
    code = (
        "import django; django.setup();"
        "from django.core.files.storage import storages;"
        "s = storages['attachments'];"
        "print(type(s).__name__, s.bucket_name, s.location, s.endpoint_url)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "luodian_platform.settings"},
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert out == ["S3Storage", "county-files", "luodian", "http://127.0.0.1:9"]


def test_orphan_objects_in_the_bucket_are_found_and_removed(bucket, make_case, clerk, capsys):
    case = make_case()
    known, _ = services.attachment_upload(
        case_id=case.pk,
        actor=clerk,
        upload=SimpleUploadedFile("合同.pdf", samples.pdf()),
        kind="contract",
    )
    bucket.put_object(Bucket=BUCKET, Key=f"cases/{case.pk}/deadbeef", Body=b"orphan")
    call_command("files_orphans", delete=True, older_than_hours=0)
    assert f"cases/{case.pk}/deadbeef" in capsys.readouterr().out
    assert keys(bucket) == [known.stored_name]
