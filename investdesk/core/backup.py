"""Backup and restore: a consistent snapshot of the database plus the uploaded files, and a manifest
that lets a restore prove it brought back exactly what was saved.

A backup is a directory:

* `database.sqlite3` (SQLite's online backup API: a consistent copy while the site runs) or
  `database.pgdump` (pg_dump's custom format, taken in the same snapshot the fingerprints are read in);
* `media/`, a copy of the uploaded files;
* `manifest.json`: when, which database, the last migration of each app, and for every table its row
  count and a SHA-256 over its rows in primary-key order, plus the SHA-256 of every file.

`restore` loads it into an **empty** database (and an empty media directory), then recomputes every
table's count and checksum and every file's hash and compares them with the manifest.
"""

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"
FORMAT = 1


class BackupError(Exception):
    """Something the operator must fix (a target that is not empty, a missing tool, a mismatch)."""


# --- fingerprints ---------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_fingerprints(cursor, tables: list[str], primary_keys: dict[str, str | None]) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": hex}} over each table's rows in primary-key order. Values are
    hashed as the database driver returns them, so compare fingerprints of the same database kind."""
    result = {}
    for table in sorted(tables):
        pk = primary_keys.get(table)
        order = f" ORDER BY {_quote(pk)}" if pk else " ORDER BY 1"
        cursor.execute(f"SELECT * FROM {_quote(table)}{order}")  # table names come from introspection
        digest, rows = hashlib.sha256(), 0
        while batch := cursor.fetchmany(2000):
            for row in batch:
                digest.update(repr(tuple(_plain(v) for v in row)).encode())
                rows += 1
        result[table] = {"rows": rows, "sha256": digest.hexdigest()}
    return result


def _plain(value):
    # memoryview (bytea) and bytes hash alike; everything else by its repr.
    return bytes(value) if isinstance(value, memoryview) else value


def _django_tables_and_keys() -> tuple[list[str], dict[str, str | None]]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        keys = {t: connection.introspection.get_primary_key_column(cursor, t) for t in tables}
    return tables, keys


def file_hashes(root: Path) -> dict[str, str]:
    hashes = {}
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hashes[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def media_root() -> Path:
    return Path(getattr(default_storage, "location", Path(settings.VAR_DIR) / "media"))


def _migrations() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        latest: dict[str, str] = {}
        for app, name in cursor.fetchall():
            latest[app] = max(latest.get(app, ""), name)
    return latest


# --- backup ---------------------------------------------------------------------------------------


@dataclass
class Summary:
    path: Path
    tables: int
    rows: int
    files: int
    bytes: int


def backup(target: Path) -> Summary:
    """Write a backup of the default database and the uploaded files into the new directory `target`."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} exists and is not empty: a backup goes into a new directory.")
    target.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    if vendor == "sqlite":
        tables = _backup_sqlite(target / SQLITE_FILE)
    elif vendor == "postgresql":
        tables = _backup_postgres(target / PG_FILE)
    else:
        raise BackupError(f"No backup method for the {vendor} database.")
    files = file_hashes(media_root())
    if files:
        shutil.copytree(media_root(), target / MEDIA_DIR)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "vendor": vendor,
        "migrations": _migrations(),
        "tables": tables,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    size = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    return Summary(target, len(tables), sum(t["rows"] for t in tables.values()), len(files), size)


def _raw_sqlite() -> sqlite3.Connection:
    connection.ensure_connection()
    return connection.connection


def _backup_sqlite(dest: Path) -> dict[str, dict]:
    out = sqlite3.connect(dest)
    try:
        _raw_sqlite().backup(out)  # online backup: a consistent copy page by page
    finally:
        out.close()
    # Fingerprints from the copy itself: exactly what was saved, whatever happened since.
    return sqlite_fingerprints(dest)


def _sqlite_name() -> str:
    return str(settings.DATABASES["default"]["NAME"])


def sqlite_fingerprints(path: Path | str) -> dict[str, dict]:
    """Fingerprints of a SQLite database read with the plain driver (no Django type converters), so a
    backup file and a restored database are read alike."""
    path = str(path)
    conn = sqlite3.connect(path, uri=path.startswith("file:"))
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        tables = [row[0] for row in cursor.fetchall()]
        keys = {}
        for table in tables:
            cursor.execute(f"PRAGMA table_info({_quote(table)})")
            keys[table] = next((row[1] for row in cursor.fetchall() if row[5] == 1), None)
        return table_fingerprints(cursor, tables, keys)
    finally:
        conn.close()


def _pg_env_and_args() -> tuple[dict, list[str]]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} is not installed (Debian: postgresql-client).")
    return found


def _backup_postgres(dest: Path) -> dict[str, dict]:
    env, args = _pg_env_and_args()
    tables, keys = _django_tables_and_keys()
    # pg_dump and the fingerprints read one exported snapshot: the manifest describes the dump exactly.
    connection.ensure_connection()
    raw = connection.connection
    previous_autocommit = raw.autocommit
    raw.autocommit = False
    try:
        with raw.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            dump = subprocess.run(
                [
                    _tool("pg_dump"),
                    *args,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(dest),
                    settings.DATABASES["default"]["NAME"],
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if dump.returncode:
                raise BackupError(f"pg_dump failed: {dump.stderr.strip()}")
            fingerprints = table_fingerprints(cursor, tables, keys)
    finally:
        raw.rollback()
        raw.autocommit = previous_autocommit
    return fingerprints


# --- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not an InvestDesk backup.")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')} is not {FORMAT}.")
    return manifest


def restore(source: Path) -> Summary:
    """Load the backup in `source` into the default database, which must be empty, and its files into
    the media directory, which must be empty too; then check both against the manifest."""
    source = Path(source)
    manifest = read_manifest(source)
    vendor = connection.vendor
    if manifest["vendor"] != vendor:
        raise BackupError(f"This is a {manifest['vendor']} backup; the configured database is {vendor}.")
    existing, _keys = _django_tables_and_keys()
    if existing:
        raise BackupError(f"The database is not empty ({len(existing)} tables): restore into a new, empty database.")
    media = media_root()
    if media.is_dir() and any(media.iterdir()):
        raise BackupError(f"The media directory {media} is not empty.")
    if vendor == "sqlite":
        connection.close()
        src = sqlite3.connect(source / SQLITE_FILE)
        try:
            src.backup(_raw_sqlite())
        finally:
            src.close()
        connection.close()
        restored = sqlite_fingerprints(_sqlite_name())
    else:
        env, args = _pg_env_and_args()
        done = subprocess.run(
            [
                _tool("pg_restore"),
                *args,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                settings.DATABASES["default"]["NAME"],
                str(source / PG_FILE),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        tables, keys = _django_tables_and_keys()
        with connection.cursor() as cursor:
            restored = table_fingerprints(cursor, tables, keys)
    if (source / MEDIA_DIR).is_dir():
        shutil.copytree(source / MEDIA_DIR, media, dirs_exist_ok=True)
    problems = compare(manifest, restored, file_hashes(media))
    if problems:
        raise BackupError("The restored data differs from the backup: " + "; ".join(problems[:10]))
    total = sum(t["rows"] for t in restored.values())
    return Summary(source, len(restored), total, len(manifest["files"]), 0)


def compare(manifest: dict, tables: dict[str, dict], files: dict[str, str]) -> list[str]:
    """What differs between the manifest and what is there now (empty: identical)."""
    problems = []
    for name in sorted(set(manifest["tables"]) | set(tables)):
        want, have = manifest["tables"].get(name), tables.get(name)
        if want is None or have is None:
            problems.append(f"table {name} {'missing' if have is None else 'unexpected'}")
        elif want != have:
            problems.append(f"table {name}: {want['rows']} rows saved, {have['rows']} restored or content differs")
    for name in sorted(set(manifest["files"]) | set(files)):
        if manifest["files"].get(name) != files.get(name):
            problems.append(f"file {name} differs")
    return problems
