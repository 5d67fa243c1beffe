"""A bigram index for two-character searches on PostgreSQL.

pg_trgm (migration 0002) extracts no trigram from `LIKE '%华兴%'` or `LIKE '%hx%'`, so a two-character
query scanned the whole table. `investdesk_bigrams(text)` lists a text's two-character substrings and a
GIN index on it answers `investdesk_bigrams(search_text) @> ARRAY['华兴']` (selectors.enterprises_for_user).

The function splits the text into pairs twice, from its first and from its second character, with
built-in functions only: a loop over the characters in SQL (generate_series and substr) took 16 s per
100,000 texts against 2 s, which building the index over a million rows pays for every row. A space
ends each pair: every pair without a space is in the array (a query is folded without spaces,
lib.chinese_text.normalize_query); the pieces of pairs with one (a single character, or '') can never
equal a two-character query. Not STRICT, so the planner inlines the body instead of calling an SQL
function per row.
"""

from django.db import migrations

CREATE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION investdesk_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT string_to_array(regexp_replace($1, '(..)', '\1 ', 'g'), ' ')
        || string_to_array(regexp_replace(substr($1, 2), '(..)', '\1 ', 'g'), ' ')
$$
"""


def bigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE_FUNCTION)
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS enterprise_search_bigrams ON enterprises_enterprise "
        "USING gin (investdesk_bigrams(search_text))"
    )
    # The planner estimates `@>` from the statistics of the index's expression, which only ANALYZE
    # gathers: without them it guesses, and may walk the whole table for a common pair or a rare one.
    schema_editor.execute("ANALYZE enterprises_enterprise")


def drop_bigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS enterprise_search_bigrams")
        schema_editor.execute("DROP FUNCTION IF EXISTS investdesk_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0004_enterprise_recent_index")]

    operations = [migrations.RunPython(bigram_index, drop_bigram_index)]
