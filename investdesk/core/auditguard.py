"""Database triggers that make the audit log append-only in the database itself.

The ORM already refuses to update or delete an `AuditEntry`; these triggers make the database refuse
too, whoever connects: an UPDATE always fails, a DELETE fails for rows younger than the legal minimum
retention of 180 days (the Cybersecurity Law's six months), and on PostgreSQL a TRUNCATE fails.
`investdesk audit prune` deletes only older rows, so it passes. Installed by migration core 0005.

Someone with the database owner's rights can still drop a trigger; the hash chain (core/audit.py)
is what reveals a change made that way.
"""

RETENTION_FLOOR_DAYS = 180
TABLE = "core_auditentry"
_MESSAGE = "audit entries are append-only"

_SQLITE = [
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
    # Django stores datetimes on SQLite as 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: text compares in order.
    f"""CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    WHEN OLD.at > strftime('%Y-%m-%d %H:%M:%f', 'now', '-{RETENTION_FLOOR_DAYS} days')
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: rows younger than {RETENTION_FLOOR_DAYS} days are kept'); END""",
]
_SQLITE_DROP = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

_POSTGRES = [
    f"""CREATE OR REPLACE FUNCTION {TABLE}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.at < now() - interval '{RETENTION_FLOOR_DAYS} days' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION USING MESSAGE = '{_MESSAGE}: ' || TG_OP || ' refused', ERRCODE = 'insufficient_privilege';
    END $$""",
    f"""CREATE TRIGGER {TABLE}_guard_rows BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_guard()""",
    f"""CREATE TRIGGER {TABLE}_guard_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_guard()""",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS {TABLE}_guard_rows ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_guard_truncate ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_guard()",
]


def install_sql(vendor: str) -> list[str]:
    return {"sqlite": _SQLITE, "postgresql": _POSTGRES}.get(vendor, [])


def drop_sql(vendor: str) -> list[str]:
    return {"sqlite": _SQLITE_DROP, "postgresql": _POSTGRES_DROP}.get(vendor, [])


def install(apps, schema_editor) -> None:
    for sql in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)


def drop(apps, schema_editor) -> None:
    for sql in drop_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql)
