"""The people-and-words search index of cases (intake.search), PostgreSQL only.

``case_search_bigrams(title, facts, request)`` is the set of overlapping two-character
pieces of the three texts (lower-cased, pieces with white space dropped). A GIN index on it
answers "which cases contain 朱砂" from the index: ``pg_trgm`` does not (a two-character
Chinese word has no complete trigram), and PostgreSQL's text search parsers do not split
Chinese into words. An expression index is maintained by PostgreSQL itself on every write
(services, ``update()``, bulk ``COPY``, the admin), so no code path can leave it stale.

SQLite has no GIN: there the search is a plain ``LIKE`` (intake.search), and this migration
does nothing.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION case_search_bigrams(title text, facts text, request text)
RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}'::text[])
  FROM (
    SELECT substr(t, i, 2) AS g
    FROM (SELECT lower(title || E'\n' || facts || E'\n' || request) AS t) s,
         generate_series(1, greatest(char_length(t) - 1, 0)) AS i
  ) pieces
  WHERE g !~ '\s'
$$;
"""

INDEX = """
CREATE INDEX IF NOT EXISTS case_search_bigrams_idx ON intake_case
USING gin (case_search_bigrams(title, facts, request));
"""

DROP = """
DROP INDEX IF EXISTS case_search_bigrams_idx;
DROP FUNCTION IF EXISTS case_search_bigrams(text, text, text);
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0011_caseevent_eval_at_idx"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
