"""Load benchmark: PostgreSQL with 100,000 lots, gunicorn with DEBUG off, wrk; one JSON line per endpoint.

    python manage.py bench [--lots N] [--seconds S] [--rebuild] [--only NAME ...] [--show-queries]

Settings are read from the environment at import, and this process may well be on SQLite: every step that
touches the benchmark database (migrate, building the data, signing in, counting queries, the server) runs
as a subprocess with the benchmark's environment. The steps that need Django run this same command with the
hidden `--stage` option. The JSON lines go to stdout, progress to stderr.

To benchmark another page, add a dict to ENDPOINTS: `path` may use {open_lot} (the reference of an open
lot), `auth` says whether the request is signed in (as a verified processor with coordinates), `expect` is
text the page must contain and `reject` text it must not.
"""

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ENDPOINTS = [
    {"name": "floor", "path": "/robots.txt", "auth": False, "expect": ["User-agent: *"]},
    {"name": "lots", "path": "/lots/", "auth": True, "expect": ['data-testid="lot-card"']},
    {
        "name": "lots-search",
        "path": "/lots/?category=steel-slag&quantity_min=10&q=slag",
        "auth": True,
        "expect": ['data-testid="lot-card"', "Slag baja"],
        "reject": ['data-testid="filter-errors"'],
    },
    {
        "name": "lot-detail",
        "path": "/lots/{open_lot}/",
        "auth": True,
        "expect": ["{open_lot}", 'data-testid="timeline"'],
    },
]
FLOOR = "floor"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/wastex_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
RESULT_PREFIX = "BENCH-RESULT "
WRK_THREADS, WRK_CONNECTIONS, WARMUP_SECONDS = 2, 16, 2
GUNICORN_WORKERS = 2
LANGUAGE = "id"

LATENCY_LINE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
TOTAL_REQUESTS = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> dict:
    """Requests per second, p50/p99 in ms, requests, non-2xx responses and socket errors from wrk --latency."""
    rps = REQUESTS_PER_SECOND.search(output)
    latencies = {int(p): float(v) * TO_MS[unit] for p, v, unit in LATENCY_LINE.findall(output)}
    total = TOTAL_REQUESTS.search(output)
    if not rps or 50 not in latencies or 99 not in latencies or not total:
        raise CommandError(f"Could not read wrk's output:\n{output}")
    non_2xx = NON_2XX.search(output)
    errors = SOCKET_ERRORS.search(output)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": round(latencies[50], 2),
        "p99_ms": round(latencies[99], 2),
        "requests": int(total.group(1)),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


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


def redis_answers(host="127.0.0.1", port=6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of CPU time spent working over a short sample (Linux /proc/stat), None elsewhere."""

    def sample():
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(total1 - total0, 1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, cookie: str | None, timeout: float = 30) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def check_page(endpoint: dict, status: int, body: str) -> None:
    """Loud failure unless the page is a 200 with what it should show: anything else measures the wrong thing."""
    if status != 200:
        raise CommandError(f"{endpoint['path']} answered {status}, not 200:\n{body[:2000]}")
    missing = [text for text in endpoint.get("expect", []) if text not in body]
    present = [text for text in endpoint.get("reject", []) if text in body]
    if missing or present:
        raise CommandError(
            f"{endpoint['path']} does not show what it should (missing {missing}, unexpected {present})."
        )


class Command(BaseCommand):
    help = (
        "Load benchmark: builds a PostgreSQL database of lots, serves it with gunicorn (DEBUG off) and measures "
        "endpoints with wrk. Prints one JSON line per endpoint. Needs wrk (apt-get install wrk)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lots", type=int, default=100_000, help="Lots in the database (default 100000).")
        parser.add_argument("--seconds", type=int, default=10, help="Length of each measurement (default 10).")
        parser.add_argument("--rebuild", action="store_true", help="Delete the benchmark data and build it again.")
        parser.add_argument(
            "--only",
            action="append",
            metavar="NAME",
            help=f"Measure only this endpoint (repeatable; the floor is always measured). Names: "
            f"{', '.join(e['name'] for e in ENDPOINTS)}.",
        )
        parser.add_argument("--show-queries", action="store_true", help="Print the SQL of each counted request.")
        # Internal: the steps that run inside the benchmark's environment.
        parser.add_argument("--stage", choices=["build", "prepare"], help=argparse.SUPPRESS)
        parser.add_argument("--open-lot", default="", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["stage"] == "build":
            return self.stage_build(options)
        if options["stage"] == "prepare":
            return self.stage_prepare(options)
        return self.benchmark(options)

    # ---- the benchmark, in this process ---------------------------------------------------------------------

    def log(self, message: str) -> None:
        self.stderr.write(f"[bench] {message}")
        self.stderr.flush()

    def benchmark(self, options):
        wrk = shutil.which("wrk")
        if not wrk:
            raise CommandError("wrk is not installed: apt-get install wrk")
        endpoints = self.selected_endpoints(options["only"])
        url = database_url()
        if ensure_database(url):
            self.log(f"created database {environ.Env.db_url_config(url)['NAME']}")
        workdir = Path(tempfile.mkdtemp(prefix="wastex-bench-"))
        env = self.bench_env(url, workdir / "static")
        self.log(
            f"database {environ.Env.db_url_config(url)['NAME']}, "
            f"cache {env.get('REDIS_URL') or 'local memory (no Redis)'}"
        )
        server = None
        previous_sigterm = signal.signal(signal.SIGTERM, self.terminated)
        try:
            started = time.monotonic()
            try:
                self.run_quietly(env, "migrate", "--noinput")
            except CommandError as exc:
                if url != DEFAULT_DATABASE_URL:
                    raise
                # The benchmark's own database (not one named by DATABASE_URL) is disposable: while migrations
                # are renamed or squashed its history can stop matching the code. Start it afresh once.
                last_line = str(exc).strip().splitlines()[-1]
                self.log(f"migrate failed ({last_line}); dropping and recreating the benchmark database")
                ensure_database(url, drop_first=True)
                self.run_quietly(env, "migrate", "--noinput")
            self.log(f"migrate: {time.monotonic() - started:.1f}s")

            build_args = ["--lots", str(options["lots"])] + (["--rebuild"] if options["rebuild"] else [])
            built = self.run_stage(env, "build", *build_args)
            if not built["open_lot"]:
                raise CommandError("The benchmark data has no open lot closing in more than a week: use --rebuild.")
            self.log(
                f"data: {built['lots']} bench lots ({built['open_lots']} open), "
                + (f"built in {built['build_seconds']}s" if built["built"] else "already there")
            )
            context = {"open_lot": built["open_lot"]}
            for endpoint in endpoints:
                endpoint["url_path"] = endpoint["path"].format(**context)
                endpoint["expect"] = [text.format(**context) for text in endpoint.get("expect", [])]

            started = time.monotonic()
            self.run_quietly(env, "collectstatic", "--noinput")
            self.log(f"collectstatic: {time.monotonic() - started:.1f}s")

            prepare_args = ["--open-lot", built["open_lot"]] + (["--show-queries"] if options["show_queries"] else [])
            prepared = self.run_stage(env, "prepare", *prepare_args, *[f"--only={e['name']}" for e in endpoints])
            cookie = f"{prepared['session_cookie']}={prepared['session_key']}; {prepared['language_cookie']}={LANGUAGE}"

            busy = cpu_busy()
            if busy is not None and busy > 0.2:
                self.log(f"warning: the CPUs are {busy:.0%} busy before the server starts: other work skews results")
            port = free_port()
            server = self.start_server(env, port, workdir / "gunicorn.log")
            for endpoint in endpoints:
                check_page(endpoint, *fetch(port, endpoint["url_path"], cookie if endpoint["auth"] else None))

            results = []
            for endpoint in endpoints:
                measured = self.measure(wrk, port, endpoint, cookie, options["seconds"])
                check_page(endpoint, *fetch(port, endpoint["url_path"], cookie if endpoint["auth"] else None))
                results.append(
                    {
                        **measured,
                        "queries": prepared["queries"][endpoint["name"]],
                        "queries_first": prepared["queries_first"][endpoint["name"]],
                    }
                )
            floor = results[0]["rps"]
            for endpoint, result in zip(endpoints, results, strict=True):
                line = {
                    "endpoint": endpoint["url_path"],
                    "name": endpoint["name"],
                    "rps": round(result["rps"], 1),
                    "p50_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"],
                    "ratio_to_floor": round(result["rps"] / floor, 3) if floor else None,
                    "queries": result["queries"],
                    "queries_first_request": result["queries_first"],
                    "requests": result["requests"],
                    "socket_errors": result["socket_errors"],
                }
                self.stdout.write(json.dumps(line))
        except KeyboardInterrupt:
            raise CommandError("Interrupted.") from None
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            if server is not None:
                self.stop_server(server)
            shutil.rmtree(workdir, ignore_errors=True)

    def terminated(self, signum, frame):
        raise SystemExit(128 + signum)  # runs the `finally` that stops gunicorn

    def selected_endpoints(self, only: list[str] | None) -> list[dict]:
        names = {e["name"] for e in ENDPOINTS}
        wanted = {name for value in only or [] for name in value.split(",") if name}
        unknown = wanted - names
        if unknown:
            raise CommandError(f"Unknown endpoint {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}.")
        # The floor always runs first: every other result is also a ratio to it.
        return [dict(e) for e in ENDPOINTS if e["name"] == FLOOR or not wanted or e["name"] in wanted]

    def bench_env(self, url: str, static_root: Path) -> dict:
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
            }
        )
        if not env.get("REDIS_URL"):
            env.pop("REDIS_URL", None)
            if redis_answers():
                env["REDIS_URL"] = DEFAULT_REDIS_URL
        return env

    def manage(self, *args) -> list[str]:
        return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]

    def run_quietly(self, env: dict, *args) -> None:
        done = subprocess.run(  # noqa: S603 - our own manage.py
            self.manage(*args), env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, check=False
        )
        if done.returncode:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{done.stdout[-3000:]}{done.stderr[-5000:]}")

    def run_stage(self, env: dict, stage: str, *args) -> dict:
        """This command in the benchmark's environment; its stderr passes through, its result comes on stdout."""
        done = subprocess.run(  # noqa: S603 - our own manage.py
            self.manage("bench", "--stage", stage, *args),
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        results = [line for line in done.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if done.returncode or not results:
            raise CommandError(f"The {stage} step failed (exit {done.returncode}); see above.\n{done.stdout[-3000:]}")
        return json.loads(results[-1].removeprefix(RESULT_PREFIX))

    def start_server(self, env: dict, port: int, log_path: Path) -> subprocess.Popen:
        log = open(log_path, "wb")  # noqa: SIM115 - gunicorn writes to it until it stops
        command = [
            sys.executable, "-m", "gunicorn", "wastex.wsgi",
            "--workers", str(GUNICORN_WORKERS), "--bind", f"127.0.0.1:{port}",
        ]  # fmt: skip
        server = subprocess.Popen(  # noqa: S603 - fixed command
            command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        server.log_path = log_path
        log.close()
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
                self.log(f"gunicorn ({GUNICORN_WORKERS} workers) answers on 127.0.0.1:{port} (pid {server.pid})")
                return server
            self.stop_server(server)
            raise CommandError(f"/robots.txt answered {status}:\n{log_path.read_text()[-5000:]}")
        self.stop_server(server)
        raise CommandError(f"gunicorn did not answer within a minute:\n{log_path.read_text()[-5000:]}")

    def stop_server(self, server: subprocess.Popen) -> None:
        if server.poll() is None:
            server.terminate()  # the master stops its workers on SIGTERM
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)  # its own session: the master and its workers only
                server.wait()
        self.log(f"gunicorn stopped (pid {server.pid})")
        errors = [line for line in server.log_path.read_text(errors="replace").splitlines() if "Traceback" in line]
        if errors:
            self.log(f"gunicorn logged {len(errors)} traceback(s):\n{server.log_path.read_text()[-5000:]}")

    def measure(self, wrk: str, port: int, endpoint: dict, cookie: str, seconds: int) -> dict:
        url = f"http://127.0.0.1:{port}{endpoint['url_path']}"
        headers = ["-H", f"Cookie: {cookie}"] if endpoint["auth"] else []

        def run(duration: int) -> dict:
            command = [
                wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency", "--timeout", "30s",
                *headers, url,
            ]  # fmt: skip
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
            if done.returncode:
                raise CommandError(f"wrk failed on {url}:\n{done.stdout}{done.stderr}")
            result = parse_wrk(done.stdout)
            if result["non_2xx"]:
                raise CommandError(
                    f"{result['non_2xx']} responses of {endpoint['url_path']} were not 2xx/3xx: the measurement is "
                    f"wrong.\n{done.stdout}"
                )
            if result["socket_errors"]:
                self.log(f"warning: socket errors on {endpoint['url_path']}:\n{done.stdout}")
            return result

        self.log(f"{endpoint['name']}: warm-up {WARMUP_SECONDS}s, then {seconds}s on {endpoint['url_path']}")
        run(WARMUP_SECONDS)
        return run(seconds)

    # ---- stages, in a subprocess with the benchmark's environment --------------------------------------------

    def result(self, data: dict) -> None:
        self.stdout.write(RESULT_PREFIX + json.dumps(data))

    def stage_build(self, options):
        from wastex import benchdata

        self.result(benchdata.build(options["lots"], rebuild=options["rebuild"], log=self.log))

    def stage_prepare(self, options):
        """A session for wrk, and the SQL queries of one request per endpoint (the second, after a warm-up)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        from members.models import User
        from wastex import benchdata

        user = User.objects.get(email=benchdata.VIEWER_EMAIL)
        # The first request of each endpoint then renders afresh (a page cache miss), the second as served
        # at steady state.
        benchdata.invalidate_page_cache()
        queries, queries_first = {}, {}
        for endpoint in self.selected_endpoints(options["only"]):
            path = endpoint["path"].format(open_lot=options["open_lot"])
            client = Client(HTTP_HOST="127.0.0.1")
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = LANGUAGE
            if endpoint["auth"]:
                client.force_login(user)
            with CaptureQueriesContext(connection) as first:
                client.get(path)
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            endpoint["expect"] = [text.format(open_lot=options["open_lot"]) for text in endpoint.get("expect", [])]
            check_page({**endpoint, "path": path}, response.status_code, response.content.decode())
            queries[endpoint["name"]] = len(captured.captured_queries)
            queries_first[endpoint["name"]] = len(first.captured_queries)
            if options["show_queries"]:
                self.log(f"{path}: {len(captured.captured_queries)} queries")
                for number, query in enumerate(captured.captured_queries, 1):
                    self.log(f"  {number}. ({query['time']}s) {query['sql']}")
        session = Client(HTTP_HOST="127.0.0.1")
        session.force_login(user)
        self.result(
            {
                "queries": queries,
                "queries_first": queries_first,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "session_key": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "language_cookie": settings.LANGUAGE_COOKIE_NAME,
            }
        )
