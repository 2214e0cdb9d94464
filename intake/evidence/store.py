"""The bytes of attachments: Django's storage API (``STORAGES["attachments"]``), encryption
of personal documents, thumbnails.

The storage is the local file system under ``var/files`` by default (never a path a web
server serves) or S3-compatible object storage through django-storages when
``FILES_S3_BUCKET`` is set (README, "Configuration"). Either way the name of an object is
random (``cases/<case id>/<uuid>``): it tells nothing about the file or the person.

Encrypted files: ``LDENC1`` + a 12-byte nonce + AES-256-GCM of the content, under a random
key per file. That key is kept in ``Attachment.data_key``, an encrypted column under the
personal-data keys (``luodian_platform.crypto``), so ``rotate_encryption_keys`` rotates it
with every other encrypted value, and clearing it (retention) makes the bytes unreadable even
in a backup of the storage.
"""

from __future__ import annotations

import base64
import io
import os
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

MAGIC = b"LDENC1"
AAD = b"luodian-attachment"
THUMBNAIL_PX = 320


def storage() -> Storage:
    return storages["attachments"]


def new_name(case_id: int) -> str:
    return f"cases/{case_id}/{uuid.uuid4().hex}"


def encrypt(data: bytes) -> tuple[bytes, str]:
    """(stored bytes, the file's own key as text for ``Attachment.data_key``)."""
    key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    blob = MAGIC + nonce + AESGCM(key).encrypt(nonce, data, AAD)
    return blob, base64.urlsafe_b64encode(key).decode("ascii")


def decrypt(blob: bytes, data_key: str) -> bytes:
    if not blob.startswith(MAGIC):
        raise ValueError("not an encrypted attachment")
    nonce = blob[len(MAGIC) : len(MAGIC) + 12]
    key = base64.urlsafe_b64decode(data_key.encode("ascii"))
    return AESGCM(key).decrypt(nonce, blob[len(MAGIC) + 12 :], AAD)


def put(name: str, data: bytes) -> str:
    """Store ``data`` under ``name`` (or a free variant of it); the name actually used."""
    return storage().save(name, ContentFile(data))


def read(stored_name: str, data_key: str | None = None) -> bytes:
    with storage().open(stored_name, "rb") as handle:
        blob = handle.read()
    return decrypt(blob, data_key) if data_key else blob


def open_plain(stored_name: str):
    """A file object for streaming an unencrypted attachment."""
    return storage().open(stored_name, "rb")


def delete(stored_name: str) -> None:
    if stored_name:
        storage().delete(stored_name)


def exists(stored_name: str) -> bool:
    return bool(stored_name) and storage().exists(stored_name)


def thumbnail(data: bytes, file_type: str) -> tuple[bytes, str]:
    """A small preview (longest side ``THUMBNAIL_PX``) of a JPEG or PNG: (bytes, content type).
    JPEGs are decoded at a reduced scale (``draft``), so a phone photo costs little."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        if file_type == "jpeg":
            image.draft("RGB", (THUMBNAIL_PX, THUMBNAIL_PX))
        image = ImageOps.exif_transpose(image)
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
        out = io.BytesIO()
        if file_type == "jpeg":
            image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue(), "image/jpeg"
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png"
