"""Protected personal data: encrypted columns plus a keyed hash (blind index) for lookups.

ID card numbers and phone numbers are sensitive personal information under the PIPL. They
are stored encrypted with Fernet (``django-fernet-encrypted-fields``: AES-128-CBC + HMAC,
keys derived from ``SECRET_KEY`` and the ``SALT_KEY`` list; the first salt encrypts, every
salt decrypts, so keys rotate by prepending a new salt and running
``manage.py rotate_encryption_keys``). Equality search (duplicates, repeat petitioners)
goes through a separate HMAC-SHA256 of the normalised value keyed by ``BLIND_INDEX_KEY`` —
a different secret, so the index alone reveals nothing and cannot be brute-forced without it.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedTextField


def blind_index(value: str | None) -> str:
    """The keyed hash of a normalised value, or "" for an empty one."""
    if not value:
        return ""
    key = settings.BLIND_INDEX_KEY.encode("utf-8")
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


class BlindIndexField(models.CharField):
    """Filled from ``source`` on every save, including ``bulk_create`` (Django calls
    ``pre_save`` for each object there too). ``bulk_update`` does not call ``pre_save``:
    services update parties with ``save()``."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = blind_index(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


class EncryptedJSONTextField(EncryptedTextField):
    """A JSON document encrypted whole. (The library's EncryptedJSONField encrypts leaf
    values one by one and turns ``true`` into ``"True"``: the raw order must stay as received.)"""

    def get_prep_value(self, value):
        if value is None:
            return None
        return super().get_prep_value(json.dumps(value, ensure_ascii=False, sort_keys=False))

    def from_db_value(self, value, expression, connection):
        text = super().from_db_value(value, expression, connection)
        if text is None or not isinstance(text, str):
            return text
        try:
            return json.loads(text)
        except ValueError:
            return text

    def to_python(self, value):
        if isinstance(value, (dict, list)):
            return value
        return super().to_python(value)
