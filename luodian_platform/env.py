"""Typed helpers that read settings from the environment with safe defaults."""

from __future__ import annotations

import os

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


MIN_KEY_LENGTH = 32


def key_problems(secret_key: str, blind_index_key: str, salts: list[str]) -> list[str]:
    """What is wrong with the production keys: each at least 32 characters, and no two the
    same (one leaked secret must not open the others: the field keys derive from SECRET_KEY
    and a salt, the blind index has its own key)."""
    problems = []
    if len(blind_index_key) < MIN_KEY_LENGTH:
        problems.append(f"BLIND_INDEX_KEY is shorter than {MIN_KEY_LENGTH} characters")
    for i, salt in enumerate(salts, start=1):
        if len(salt) < MIN_KEY_LENGTH:
            problems.append(
                f"FIELD_ENCRYPTION_SALTS item {i} is shorter than {MIN_KEY_LENGTH} characters"
            )
    named = [("SECRET_KEY", secret_key), ("BLIND_INDEX_KEY", blind_index_key)] + [
        (f"FIELD_ENCRYPTION_SALTS item {i}", salt) for i, salt in enumerate(salts, start=1)
    ]
    seen: dict[str, str] = {}
    for name, value in named:
        if value and value in seen:
            problems.append(f"{name} is identical to {seen[value]}")
        seen.setdefault(value, name)
    return problems
