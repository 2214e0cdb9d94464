"""Protected personal data: encrypted columns plus a keyed hash (blind index) for lookups.

ID card numbers and phone numbers are sensitive personal information under the PIPL. They
are stored encrypted with Fernet (AES-128-CBC + HMAC, keys derived with PBKDF2 from
``SECRET_KEY`` and the ``SALT_KEY`` list; the first salt encrypts, every salt decrypts, so
keys rotate by prepending a new salt and running ``manage.py rotate_encryption_keys``).
Equality search (duplicates, repeat petitioners) goes through a separate HMAC-SHA256 of the
normalised value keyed by ``BLIND_INDEX_KEY`` — a different secret, so the index alone
reveals nothing and cannot be brute-forced without it.

Two things here replace behaviour of ``django-fernet-encrypted-fields``:

* **Decryption failure raises** :class:`DecryptionError` (and logs an alert). The library
  returns the ciphertext unchanged when no key fits, so a server on the wrong keys served
  ciphertext as if it were an ID number, with a 200.
* **Keys follow the settings**: the library caches the derived keys on each field instance
  forever; here they are derived once per (secret keys, salts) combination, so a changed
  salt list (rotation, tests) is seen without restarting.

**The registry** (:func:`register_personal_data`): every model holding personal data
declares, from its app's ``AppConfig.ready()``, its encrypted columns, its blind indexes, its
other personal columns (names, addresses) with what retention replaces them with, and the
path from the model to its case. Rotation, retention purge, audit redaction, the admin and
the plaintext-scan test all read it; a model with an encrypted field that is not registered
fails ``manage.py check`` (luodian_platform.E001).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from django.conf import settings
from django.db import models
from encrypted_fields.fields import EncryptedFieldMixin

logger = logging.getLogger("luodian.crypto")


class DecryptionError(Exception):
    """A stored value does not decrypt under any configured key: wrong or dropped salt, wrong
    SECRET_KEY, or a damaged value. Never served as data (a 500 and an alert in the log)."""


# --- keys ---------------------------------------------------------------------------------


def _salts() -> tuple[str, ...]:
    salts = settings.SALT_KEY
    return tuple(salts) if isinstance(salts, (list, tuple)) else (salts,)


def _secrets() -> tuple[str, ...]:
    return (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ()))


@functools.lru_cache(maxsize=32)
def _derive(secret: str, salt: str) -> Fernet:
    # Same derivation as the library (existing rows stay readable): PBKDF2-SHA256, 100k.
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt.encode(), iterations=100_000)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(secret.encode())))


def fernets(salts: Iterable[str] | None = None) -> list[Fernet]:
    """One Fernet per (secret key, salt), the encrypting one (first secret, first salt) first."""
    salts = _salts() if salts is None else tuple(salts)
    return [_derive(secret, salt) for secret in _secrets() for salt in salts]


def current_fernet() -> Fernet:
    return fernets()[0]


def encrypt(text: str) -> str:
    return current_fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: list[Fernet] | None = None) -> str:
    """The plaintext of ``token`` or :class:`DecryptionError`."""
    try:
        return MultiFernet(keys or fernets()).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError) as exc:
        raise DecryptionError("value does not decrypt under the configured keys") from exc


# --- fields -------------------------------------------------------------------------------


class _StrictEncryptedMixin(EncryptedFieldMixin):
    """The library's field with our keys and a loud failure (see the module docstring)."""

    @property
    def keys(self):  # the library's cached_property, replaced: keys follow the settings
        return None

    @property
    def f(self) -> MultiFernet:
        return MultiFernet(fernets())

    def from_db_value(self, value, expression, connection):
        if value is None or not isinstance(value, str):
            return value
        try:
            return decrypt(value)
        except DecryptionError as exc:
            logger.critical(
                "ALERT personal data does not decrypt: %s.%s (check FIELD_ENCRYPTION_SALTS / "
                "SECRET_KEY; docs/security.md, key rotation)",
                self.model._meta.db_table,
                self.column,
            )
            raise DecryptionError(
                f"{self.model._meta.label}.{self.name} does not decrypt under the configured keys"
            ) from exc

    def to_python(self, value):
        # Values from the database are decrypted in from_db_value only. The library also
        # tried to decrypt here and passed the input through when that failed, which is how
        # ciphertext came to be served as data; to_python now only ever sees plaintext
        # (forms, deserialisation, get_prep_value).
        return super(EncryptedFieldMixin, self).to_python(value)


class EncryptedCharField(_StrictEncryptedMixin, models.CharField):
    pass


class EncryptedTextField(_StrictEncryptedMixin, models.TextField):
    pass


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


def mask_personal(value: Any) -> Any:
    """A copy of a JSON document with ID numbers and phone numbers masked wherever they sit
    (raw channel orders in the admin)."""
    from .validators import mask_id_number, mask_phone

    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(item, str) and item and "phone" in key:
                out[key] = mask_phone(item)
            elif isinstance(item, str) and item and key in ("id_number", "credit_code"):
                out[key] = mask_id_number(item)
            else:
                out[key] = mask_personal(item)
        return out
    if isinstance(value, list):
        return [mask_personal(item) for item in value]
    return value


# --- the registry -------------------------------------------------------------------------

Replacement = Any | Callable[[models.Model], Any]


@dataclass(frozen=True, eq=False)
class PersonalData:
    """What one model holds about people, and what retention leaves of it."""

    model: type[models.Model]
    # Column name -> value after the retention purge (a callable gets the row). Encrypted
    # columns must be listed (usually with None); blind indexes are recomputed from them.
    purge: dict[str, Replacement]
    # ORM path from the model to its case (``"case"``, ``"agreement__case"``); None for data
    # not tied to a case (mediators' own details: staff records, not cases' retention).
    case_path: str | None = "case"
    # Audit rows of these extra columns are redacted (e.g. free text) besides encrypted ones.
    audit_redacted: tuple[str, ...] = field(default=())
    # Rows without a case (a walk-in consultation): purged once this date is old enough.
    dated_by: str | None = None
    # Only these rows hold personal data (e.g. files of the kind "ID copy"); None = all.
    scope: models.Q | None = None
    # after_purge(pks): called in the purge's transaction with the rows just purged (e.g. to
    # delete their stored files once it commits).
    after_purge: Callable[[list[Any]], None] | None = None

    @property
    def encrypted(self) -> list[str]:
        return [
            f.name for f in self.model._meta.concrete_fields if isinstance(f, _StrictEncryptedMixin)
        ]

    @property
    def blind_indexes(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields if isinstance(f, BlindIndexField)]

    def columns(self, names: Iterable[str]) -> list[str]:
        return [self.model._meta.get_field(n).column for n in names]


_REGISTRY: dict[str, PersonalData] = {}


def register_personal_data(
    model: type[models.Model],
    *,
    purge: dict[str, Replacement],
    case_path: str | None = "case",
    audit_redacted: tuple[str, ...] = (),
    dated_by: str | None = None,
    scope: models.Q | None = None,
    after_purge: Callable[[list[Any]], None] | None = None,
) -> PersonalData:
    """Declare a model's personal data (from the owning app's ``AppConfig.ready()``).

    Its encrypted and blind-index columns (and ``audit_redacted``) are kept out of the audit
    trail from now on."""
    from luodian_platform import audit

    entry = PersonalData(
        model=model,
        purge=dict(purge),
        case_path=case_path,
        audit_redacted=audit_redacted,
        dated_by=dated_by,
        scope=scope,
        after_purge=after_purge,
    )
    missing = [n for n in entry.encrypted if n not in entry.purge]
    if case_path is not None and missing:
        raise ValueError(f"{model._meta.label}: say what retention leaves of {missing}")
    _REGISTRY[model._meta.label] = entry
    audit.register_redacted(
        model._meta.db_table,
        *entry.columns([*entry.encrypted, *entry.blind_indexes, *audit_redacted]),
    )
    return entry


def personal_data_registry() -> list[PersonalData]:
    return list(_REGISTRY.values())


def unregistered_encrypted_models() -> list[str]:
    """Models with an encrypted or blind-index field that nobody registered."""
    from django.apps import apps

    return sorted(
        m._meta.label
        for m in apps.get_models()
        if m._meta.label not in _REGISTRY
        and any(
            isinstance(f, (_StrictEncryptedMixin, EncryptedFieldMixin, BlindIndexField))
            for f in m._meta.concrete_fields
        )
    )
