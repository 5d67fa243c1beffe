"""InvestDesk served for real, for the tests that need it (test_load.py, test_faults.py): a database of
its own (a SQLite file, or a PostgreSQL database beside the suite's, dropped afterwards), migrated and
seeded by the real commands, and gunicorn started by `investdesk serve` in a subprocess that is always
stopped, workers included. On whichever database the suite runs against."""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager, suppress
from pathlib import Path

import dj_database_url
from django.conf import settings

POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
VENDOR = "postgresql" if POSTGRES else "sqlite"
# The load-test accounts' password (loadtest.create_accounts): passes the password validators.
PASSWORD = "Fuzai-Ceshi-2026!"
SECRET_KEY = "served-test-key-0123456789-not-for-production"


def investdesk(env: dict, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if check and result.returncode:
        raise AssertionError(f"investdesk {' '.join(args)[:200]} failed:\n{result.stdout}\n{result.stderr}")
    return result


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the database -------------------------------------------------------------------------------


def _suite_database() -> dict:
    """The database the suite was configured with (before pytest-django renamed it test_…)."""
    return dj_database_url.parse(settings.DATABASE_URL)


def postgres_url(name: str, *, host: str | None = None, port: int | None = None, **options: str) -> str:
    db = _suite_database()
    auth = urllib.parse.quote(db["USER"] or "postgres", safe="")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"], safe="")
    query = f"?{urllib.parse.urlencode(options)}" if options else ""
    return f"postgres://{auth}@{host or db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{name}{query}"


def postgres_address() -> tuple[str, int]:
    db = _suite_database()
    return db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)


def _admin_connection():
    import psycopg

    db = _suite_database()
    host, port = postgres_address()
    return psycopg.connect(
        host=host, port=port, user=db["USER"], password=db.get("PASSWORD") or None, dbname=db["NAME"], autocommit=True
    )


@contextmanager
def fresh_database(purpose: str, tmp: Path):
    """Yields the URL of a new, empty database; drops it afterwards. On PostgreSQL it is named after
    the suite's database: investdesk_load → investdesk_load_<purpose>."""
    if not POSTGRES:
        yield f"sqlite:///{tmp / f'{purpose}.sqlite3'}"
        return
    name = f"{_suite_database()['NAME']}_{purpose}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # left by an interrupted run
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield postgres_url(name)
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(database_url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows straight from the database (not through the app): what was really written."""
    if database_url.startswith("sqlite:"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()
    import psycopg

    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as db:
        return db.execute(sql, params).fetchall()


def server_env(var_dir: Path, database_url: str, **extra: str) -> dict:
    """The environment of a production-like installation on loopback over plain HTTP."""
    var_dir.mkdir(parents=True, exist_ok=True)
    static = Path(settings.STATIC_ROOT)
    assert (static / "staticfiles.json").exists(), "run `investdesk collectstatic` first (make test does)"
    if not (var_dir / "static").exists():
        (var_dir / "static").symlink_to(static)  # the collected files of the suite's installation
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "DEBUG": "0",
        "USE_HTTPS": "0",
        "VAR_DIR": str(var_dir),
        "EMAIL_URL": "memory://",
        "DB_CONN_MAX_AGE": "60",  # production's persistent connections
        "LOG_LEVEL": "WARNING",
        **extra,
    }
    env.pop("SECRET_KEY_FILE", None)
    return env


# --- the server ---------------------------------------------------------------------------------


@contextmanager
def served(env: dict, log: Path, *, workers: int = 1, threads: int = 1):
    """Yields the base URL of `investdesk serve` (gunicorn) once /healthz answers; stops it after."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = ["serve", "--port", str(port), "--workers", str(workers), "--threads", str(threads)]
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "investdesk.cli", *command],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping it stops the workers too
        )
        try:
            _wait_until_healthy(base, server, log)
            yield base
        finally:
            _stop(server)


def _wait_until_healthy(base: str, server: subprocess.Popen, log: Path, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"investdesk serve exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"investdesk serve did not answer /healthz in {limit} s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        with suppress(ProcessLookupError):
            os.killpg(server.pid, sig)
        try:
            server.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        with suppress(ProcessLookupError):  # the master is gone; no worker may outlive it
            os.killpg(server.pid, signal.SIGKILL)
        return
