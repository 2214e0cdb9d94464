"""Case search (``?q=`` on the case list page, the API and the admin): people and words.

One box finds a case by

* its **number** (exact, the unique index);
* a party's **ID number** or **phone** (exact): both are encrypted at rest, so there is no
  plaintext to compare; the query is normalised like the stored value and looked up through
  the HMAC blind index (``Party.id_number_bidx`` / ``phone_bidx``, ``luodian_platform.crypto``);
* a party's **name**, applicant or respondent (exact full name, ``party_name_idx``). Names are
  stored in plain text, but they are personal data that the retention purge clears from the
  party row; copying them into a search document on the case would keep them past retention,
  so names are matched exactly on the party row only, and a part of a name finds nothing;
* **words of the title, facts and claims** (every word of the query, as a substring); a
  query shaped like an ID number or a phone number is looked up as one and not as words.

On PostgreSQL the words go through a GIN index on the two-character pieces of the three texts
(migration ``intake 0012``): a word of two or more characters must contain all its pieces,
which the index answers, and is then confirmed as a contiguous substring on the few rows the
index returned. A one-character word cannot use the index (it is a substring test on the rows
the other conditions leave). The people arms are ``id = ANY(ARRAY(SELECT case_id FROM
party …))``: an init-plan computed once and probed on the primary key, which PostgreSQL can
OR with the number and the GIN arm in one bitmap scan (an ``IN (SELECT …)`` under an OR is a
filter evaluated on every case row instead).

On SQLite the words are a plain ``LIKE`` scan (the one-PC installation: thousands of cases).

The search only narrows a queryset that already went through ``Case.objects.visible_to``:
what the user may not see is never returned, and nothing is counted.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from luodian_platform.crypto import blind_index
from luodian_platform.validators import normalize_id_number, normalize_phone

from .models import Case, Party

MAX_WORDS = 5
_ID_RE = re.compile(r"^(\d{17}[\dX]|\d{15})$")
_PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|\d{7,8})$")


def bigrams(word: str) -> list[str]:
    """The two-character pieces of ``word`` as the index function cuts them."""
    w = word.lower()
    return list(dict.fromkeys(w[i : i + 2] for i in range(len(w) - 1)))


def phone_variants(text: str) -> list[str]:
    """The stored forms a typed phone may have: services keep what the clerk entered after
    ``normalize_phone``, so a landline is stored with or without its hyphen."""
    v = normalize_phone(text)
    if not _PHONE_RE.match(v):
        return []
    out = [v]
    digits = v.replace("-", "")
    if digits.startswith("0") and "-" not in v:
        # 0854-7611234 (three-digit-area 010-… / 020-… too)
        out += [f"{digits[:4]}-{digits[4:]}", f"{digits[:3]}-{digits[3:]}"]
    elif "-" in v:
        out.append(digits)
    return list(dict.fromkeys(out))


def _people_condition(q: str) -> tuple[str, list]:
    """SQL over the party table that picks parties by exact name, ID number or phone."""
    conds: list[str] = ["name = %s"]
    params: list = [q]
    ident = normalize_id_number(q)
    if _ID_RE.match(ident):
        conds.append("(id_number_bidx = %s AND id_number_bidx <> '')")
        params.append(blind_index(ident))
    phones = phone_variants(q)
    if phones:
        marks = ", ".join(["%s"] * len(phones))
        conds.append(f"(phone_bidx IN ({marks}) AND phone_bidx <> '')")
        params += [blind_index(p) for p in phones]
    return " OR ".join(conds), params


def _people_q(q: str) -> Q:
    where, params = _people_condition(q)
    party = Party._meta.db_table
    case = Case._meta.db_table
    if connection.vendor == "postgresql":
        sql = f'"{case}"."id" = ANY(ARRAY(SELECT "case_id" FROM "{party}" WHERE {where}))'  # noqa: S608 (table names are ours; values are parameters)
    else:
        sql = f'"{case}"."id" IN (SELECT "case_id" FROM "{party}" WHERE {where})'  # noqa: S608
    return Q(RawSQL(sql, params, output_field=BooleanField()))  # noqa: S611


def _substring_q(word: str) -> Q:
    return Q(title__icontains=word) | Q(facts__icontains=word) | Q(request__icontains=word)


def _index_q(words: list[str]) -> Q | None:
    """Every two-character piece of every word, from the GIN index (PostgreSQL only)."""
    pieces = list(dict.fromkeys(p for w in words for p in bigrams(w)))
    if connection.vendor != "postgresql" or not pieces:
        return None
    table = Case._meta.db_table
    # Must be the indexed expression, character for character (migration intake 0012).
    sql = (
        f'case_search_bigrams("{table}"."title", "{table}"."facts", "{table}"."request")'
        " @> %s::text[]"
    )
    return Q(RawSQL(sql, [pieces], output_field=BooleanField()))  # noqa: S611


def words_of(q: str) -> list[str]:
    return [w for w in q.split() if w][:MAX_WORDS]


def search_q(q: str) -> Q:
    """The condition for ``q`` (already stripped and non-empty).

    On PostgreSQL it is two clauses: ``number OR people OR pieces-in-index``, which a
    bitmap OR of three indexes answers exactly (no per-row recomputation of the pieces:
    that function costs ~0.2 ms a row, 0.8 s for a word in 4,000 cases), AND ``number OR
    people OR every word as a substring``, a cheap filter on the rows found that drops a
    case holding all the pieces but not the word itself."""
    exact = Q(number=q.upper()) | _people_q(q)
    if _ID_RE.match(normalize_id_number(q)) or phone_variants(q):
        # An ID number or a phone is looked up exactly; as "words" its digit pairs are in
        # most cases' texts (amounts, dates, numbers) and would cost a large index merge.
        return exact
    words = words_of(q)
    substrings = Q()
    for word in words:
        substrings &= _substring_q(word)
    indexed = _index_q(words)
    if indexed is None:
        return exact | substrings
    return (exact | indexed) & (Q(number=q.upper()) | _people_q(q) | substrings)


def search(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    # NUL cannot reach PostgreSQL in a text parameter (a 500); it is never part of a word.
    q = (q or "").replace("\x00", "").strip()[:100]
    if not q:
        return qs
    return qs.filter(search_q(q))
