"""Backup and restore, end to end with the real commands: a database is migrated and given data and an
uploaded file, backed up, restored into a fresh empty database, and every table's row count and
checksum and every file must match; the audit chain still verifies. On SQLite or on PostgreSQL,
whichever the suite runs against."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from investdesk.core.backup import compare


def _investdesk(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", *args], env=env, capture_output=True, text=True, check=False
    )
    if check and result.returncode:
        raise AssertionError(f"investdesk {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture
def databases(tmp_path):
    """Environments for a source and a target installation, each with its own database and VAR_DIR."""
    base = {**os.environ, "SECRET_KEY": "backup-test-key-0123456789", "USE_HTTPS": "0", "DEBUG": "0"}
    base.pop("DATABASE_URL", None)
    made = []
    envs = []
    for name in ("source", "target"):
        env = {**base, "VAR_DIR": str(tmp_path / name)}
        if connection.vendor == "postgresql":
            db = settings.DATABASES["default"]
            dbname = f"investdesk_backup_{name}_{uuid.uuid4().hex[:8]}"
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{dbname}"')
            made.append(dbname)
            auth = f"{db['USER']}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{db['USER']}@"
            env["DATABASE_URL"] = f"postgres://{auth}{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{dbname}"
        envs.append(env)
    yield envs
    if made:
        connection.close()
        with connection.cursor() as cursor:
            for dbname in made:
                cursor.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_every_table_and_file_identical(databases, tmp_path):
    source, target = databases
    _investdesk(source, "migrate", "--noinput", "-v0")
    _investdesk({**source, "INVESTDESK_ADMIN_PASSWORD": "Shu-Dao-2022-nan"}, "createadmin", "--username", "root")
    _investdesk(source, "token", "create", "--user", "root")
    uploads = Path(source["VAR_DIR"]) / "media" / "cases" / "2026"
    uploads.mkdir(parents=True)
    (uploads / "诉求附件.pdf").write_bytes(b"%PDF-1.4 attachment")

    backup_dir = tmp_path / "backup-20261129"
    out = _investdesk(source, "backup", str(backup_dir)).stdout
    assert "Backup in" in out
    manifest = json.loads((backup_dir / "manifest.json").read_text())
    assert manifest["tables"]["core_user"]["rows"] == 1 and manifest["tables"]["core_auditentry"]["rows"] >= 2
    assert list(manifest["files"]) == ["cases/2026/诉求附件.pdf"]

    restored = _investdesk(target, "restore", str(backup_dir))
    assert "matches the backup" in restored.stdout
    assert (
        Path(target["VAR_DIR"]) / "media" / "cases" / "2026" / "诉求附件.pdf"
    ).read_bytes() == b"%PDF-1.4 attachment"
    assert "OK" in _investdesk(target, "audit", "verify").stdout  # the chain came back intact
    assert "No migrations to apply" in _investdesk(target, "migrate", "--noinput").stdout

    # Restoring again over the data is refused: restore goes into an empty database only.
    again = _investdesk(target, "restore", str(backup_dir), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr


def test_a_difference_between_manifest_and_restored_data_is_reported():
    manifest = {"tables": {"core_user": {"rows": 2, "sha256": "a"}}, "files": {"x.pdf": "1"}}
    assert compare(manifest, {"core_user": {"rows": 2, "sha256": "a"}}, {"x.pdf": "1"}) == []
    problems = compare(manifest, {"core_user": {"rows": 2, "sha256": "b"}, "extra": {}}, {})
    assert problems == [
        "table core_user: 2 rows saved, 2 restored or content differs",
        "table extra unexpected",
        "file x.pdf differs",
    ]
