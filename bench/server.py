"""The benchmark's database and server: the PostgreSQL database (created when missing), the environment every
step runs in, `manage.py` steps run as subprocesses in it, and gunicorn started and stopped."""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import environ
from django.conf import settings
from django.core.management.base import CommandError

from bench.load import fetch, redis_answers

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wastex_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RESULT_PREFIX = "BENCH-RESULT "
GUNICORN_WORKERS = 2


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url and "postgres" in environ.Env.db_url_config(url)["ENGINE"]:
        return url
    return DEFAULT_DATABASE_URL


def ensure_database(url: str, *, drop_first: bool = False) -> bool:
    """Create the database when missing (after dropping it, with `drop_first`); True when it was created."""
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "connect_timeout": 5,
    }
    try:
        conn = psycopg2.connect(**{k: v for k, v in params.items() if v is not None})
    except psycopg2.OperationalError as exc:
        raise CommandError(f"PostgreSQL does not answer for {url}: {exc}") from exc
    try:
        conn.autocommit = True
        with conn.cursor() as cursor:
            if drop_first:
                cursor.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"]))
                )
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
            if cursor.fetchone():
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            return True
    finally:
        conn.close()


def bench_env(url: str, static_root: Path) -> dict:
    """The environment of every step and of the server: production settings (DEBUG off, so neither the bench nor
    the demo app is installed) over the benchmark's database; `run_stage` adds the bench app for its steps."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "wastex.settings",
            "DATABASE_URL": url,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "RATELIMIT_ENABLE": "false",
            "STATIC_ROOT": str(static_root),
            "PYTHONUNBUFFERED": "1",
            "DEV_APPS": "false",
        }
    )
    if not env.get("REDIS_URL"):
        env.pop("REDIS_URL", None)
        if redis_answers():
            env["REDIS_URL"] = DEFAULT_REDIS_URL
    return env


def manage(*args) -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]


def run_quietly(env: dict, *args) -> None:
    done = subprocess.run(  # noqa: S603 - our own manage.py
        manage(*args), env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}")


def run_stage(env: dict, stage: str, *args) -> dict:
    """`manage.py bench --stage` in the benchmark's environment, with the bench app installed (DEV_APPS); its
    stderr passes through, its result comes on stdout."""
    done = subprocess.run(  # noqa: S603 - our own manage.py
        manage("bench", "--stage", stage, *args),
        env={**env, "DEV_APPS": "true"},
        cwd=settings.BASE_DIR,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if done.returncode or not results:
        raise CommandError(f"The {stage} step failed (exit {done.returncode}); see above.\n{done.stdout[-3000:]}")
    return json.loads(results[-1].removeprefix(RESULT_PREFIX))


def start_server(env: dict, port: int, log_path: Path, log) -> subprocess.Popen:
    """gunicorn on the production settings (`bench_env`: without the bench and demo apps), once it answers."""
    output = open(log_path, "wb")  # noqa: SIM115 - gunicorn writes to it until it stops
    command = [
        sys.executable, "-m", "gunicorn", "wastex.wsgi",
        "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}",
    ]  # fmt: skip
    server = subprocess.Popen(  # noqa: S603 - fixed command
        command, env=env, cwd=settings.BASE_DIR, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )
    server.log_path = log_path
    output.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"gunicorn stopped (exit {server.returncode}):\n{log_path.read_text()[-5000:]}")
        try:
            status, _body = fetch(port, "/robots.txt", None, timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            log(f"gunicorn ({GUNICORN_WORKERS} workers) answers on 127.0.0.1:{port} (pid {server.pid})")
            return server
        stop_server(server, log)
        raise CommandError(f"/robots.txt answered {status}:\n{log_path.read_text()[-5000:]}")
    stop_server(server, log)
    raise CommandError(f"gunicorn did not answer within a minute:\n{log_path.read_text()[-5000:]}")


def stop_server(server: subprocess.Popen, log) -> None:
    if server.poll() is None:
        server.terminate()  # the master stops its workers on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)  # its own session: the master and its workers only
            server.wait()
    log(f"gunicorn stopped (pid {server.pid})")
    errors = [line for line in server.log_path.read_text(errors="replace").splitlines() if "Traceback" in line]
    if errors:
        log(f"gunicorn logged {len(errors)} traceback(s):\n{server.log_path.read_text()[-5000:]}")
