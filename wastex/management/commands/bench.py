"""Load benchmark: PostgreSQL with 100,000 lots and 1,000,000 bids, gunicorn with DEBUG off, wrk; one JSON line
per endpoint.

    python manage.py bench [--lots N] [--bids N] [--seconds S] [--rounds N] [--rebuild] [--rebuild-bids]
                           [--only NAME ...] [--show-queries] [--explain] [--profile]

Settings are read from the environment at import, and this process may well be on SQLite: every step that
touches the benchmark database (migrate, building the data, signing in, counting queries, checking the bids
placed, the server) runs as a subprocess with the benchmark's environment. The steps that need Django run this
same command with the hidden `--stage` option. The JSON lines go to stdout, progress to stderr.

To benchmark another page, add a dict to ENDPOINTS: `path` may use the names the data build returns
(wastex/benchdata.py: {open_lot}, {bids_lot}, {place_lot}, ...); `auth` names who is signed in (None, or one
of AUTH_PEOPLE); `expect` is text the page must contain, `reject` text it must not, `rows` a text that must
appear exactly so many times; `small` the same page over little data, whose query count must be the same.

`bid-place` is measured differently: each of 16 verified processors posts bids on one lot over its own
connection (first placed, then revised), from threads in this process rather than from wrk, because wrk
abandons the requests in flight when its time is up; here every request sent is answered, so every 302 can
be matched with a bid revision in the database afterwards.
"""

import argparse
import collections
import http.client
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import environ
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

ENDPOINTS = [
    {"name": "floor", "path": "/robots.txt", "auth": None, "expect": ["User-agent: *"]},
    {"name": "lots", "path": "/lots/", "auth": "viewer", "expect": ['data-testid="lot-card"']},
    {
        "name": "lots-search",
        "path": "/lots/?category=steel-slag&quantity_min=10&q=slag",
        "auth": "viewer",
        "expect": ['data-testid="lot-card"', "Slag baja"],
        "reject": ['data-testid="filter-errors"'],
    },
    {
        "name": "lot-detail",
        "path": "/lots/{open_lot}/",
        "auth": "viewer",
        "expect": ["{open_lot}", 'data-testid="timeline"'],
    },
    {
        # The plant compares the 500 bids of its open lot (open bidding: the bids are visible as they come),
        # ranked, 50 to a page: the first page.
        "name": "bids-page",
        "path": "/lots/{bids_lot}/bids/",
        "auth": "plant",
        "expect": ['data-testid="bids-table"', "{bids_lot}"],
        "rows": ['data-testid="bid-row"', "50"],
        "small": {
            "path": "/lots/{bids_lot_small}/bids/",
            "auth": "plant",
            "rows": ['data-testid="bid-row"', "{bids_lot_small_bids}"],
        },
    },
    {
        # First page of a processor with 5,000 bids; it must show the latest one.
        "name": "my-bids",
        "path": "/my/bids/",
        "auth": "bidder",
        "expect": ["{bidder_latest_lot}"],
        "reject": ['data-testid="empty"'],
        "small": {"path": "/my/bids/", "auth": "few_bidder"},
    },
    {
        # The officials' dashboard for last year (12 of the 24 months of completed deals), everything.
        "name": "dashboard-year",
        "path": "/dashboard/?period=year&start={last_year}-01-01",
        "auth": "official",
        "expect": ['data-figure="tonnes_completed"', 'id="dashboard-data"', 'data-testid="table-categories"'],
        "reject": ['data-testid="filter-errors"', 'data-testid="empty-categories"'],
    },
    {
        # The same year for one category.
        "name": "dashboard-category",
        "path": "/dashboard/?period=year&start={last_year}-01-01&category=steel-slag",
        "auth": "official",
        "expect": ['data-figure="tonnes_completed"', "Slag baja"],
        "reject": ['data-testid="filter-errors"', 'data-testid="empty-categories"'],
    },
    {
        # 16 processors bid on one lot at once (see the module's docstring). Last: it writes.
        "name": "bid-place",
        "method": "POST",
        "path": "/lots/{place_lot}/bid/",
        "auth": "placers",
    },
]
FLOOR = "floor"
MIXED = "mixed"
# Who each `auth` signs in as: the e-mail address under this key in the data build's result.
AUTH_PEOPLE = {
    "viewer": "viewer",
    "plant": "plant",
    "bidder": "bidder",
    "few_bidder": "few_bidder",
    "official": "official",
}
# The CSV export of completed deals, streamed: memory measured over a month and over a year of them.
CSV_EXPORT = "/dashboard/export/deals.csv"
POST_TIMEOUT = 60
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
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# The mixed run: who asks for what. Each request is a random (page, person) line of a file of MIXED_URLS lines,
# drawn by wrk's Lua script below; the weights are the share of each page type per kind of person.
MIXED_URLS = 6000
MIXED_WEIGHTS = {
    "processor": {
        "browse": 30,
        "search": 10,
        "lot": 40,
        "my-bids": 7,
        "matches": 6,
        "notifications": 5,
        "catalogue": 2,
    },  # fmt: skip
    "plant": {"browse": 25, "search": 5, "lot": 35, "bids-page": 15, "my-lots": 10, "notifications": 10},
    "official": {"dashboard": 50, "browse": 20, "search": 5, "lot": 25},
}
# How many of each kind sign in (each with a session of their own), and how the requests split between kinds.
MIXED_SHARE = {"processor": 0.6, "plant": 0.27, "official": 0.13}
MIXED_BIDS_PER_SECOND = 3
PAIRED_FLOOR_SECONDS = 4
SEARCH_WORDS = ["slag", "oli", "bekas", "baja", "plastik", "debu", "kertas", "logam", "lumpur", "abu", "kaleng",
                "drum", "scrap", "karbon", "katalis", "pelarut", "kain", "kayu", "besi", "kabel"]  # fmt: skip
SORTS = ["", "newest", "closing", "quantity", "quantity-asc", "price", "price-asc", "distance"]
PERIODS = ["month", "quarter", "year", "custom"]

# wrk: each thread reads the (path, cookie) lines and sends a random one each time; any answer but a 2xx counts
# as an error (none of these pages redirects), summed over the threads at the end.
WRK_MIXED_LUA = """
local lines, threads, counter = {}, {}, 0
bad = 0 -- a global: done() reads each thread's with thread:get
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end
function init(args)
  for line in io.lines(args[1]) do
    local path, cookie = line:match("^([^\\t]+)\\t(.*)$")
    if path then lines[#lines + 1] = {path, cookie} end
  end
  math.randomseed(os.time() * 1000 + id)
end
function request()
  local line = lines[math.random(#lines)]
  return wrk.format("GET", line[1], {["Cookie"] = line[2]})
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if bad <= 3 then io.stderr:write("MIXED-BAD " .. status .. "\\n") end
  end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("bad") end
  io.write("MIXED-BAD-STATUS " .. total .. "\\n")
end
"""
MIXED_BAD = re.compile(r"^MIXED-BAD-STATUS (\d+)", re.MULTILINE)


def mixed_plan(rng, people: dict, data: dict, count: int = MIXED_URLS) -> dict[str, list[tuple[str, str]]]:
    """Lines (path, cookie) by page type: `count` of them over all types, each for a random person of the kind
    that opens such pages. `people`: kind -> [{"cookie", "plant_lots"}]; `data`: lot references ("open",
    "closed"), category codes, the year of the deals. Every line is an independent draw: thousands of distinct
    URLs, so no page is asked for often enough to be answered from anything but a fresh render."""
    plan: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    kinds = list(MIXED_SHARE)
    for _ in range(count):
        kind = rng.choices(kinds, weights=[MIXED_SHARE[k] for k in kinds])[0]
        person = rng.choice(people[kind])
        weights = MIXED_WEIGHTS[kind]
        page = rng.choices(list(weights), weights=list(weights.values()))[0]
        plan[page].append((mixed_path(rng, page, person, data), person["cookie"]))
    return dict(plan)


def mixed_path(rng, page: str, person: dict, data: dict) -> str:
    def pagination(query: dict) -> str:
        number = rng.choices([1, 2, 3, 4, 5, 10], weights=[50, 20, 10, 8, 7, 5])[0]
        if number > 1:
            query["page"] = number
        return urlencode(query)

    if page in ("browse", "search"):
        query = {}
        if page == "search":
            query["q"] = " ".join(rng.sample(SEARCH_WORDS, rng.choice([1, 1, 2])))
        for name, chance, values in (
            ("category", 0.35, data["categories"]),
            ("group", 0.15, data["groups"]),
            ("kecamatan", 0.2, data["kecamatan"]),
            ("hazardous", 0.1, ["true", "false"]),
            ("quantity_min", 0.15, ["1", "5", "10", "50"]),
            ("price_max", 0.1, ["100000", "1000000", "5000000"]),
            ("closing_within", 0.1, ["3", "7", "14"]),
            ("sort", 0.5, SORTS[1:] + (["relevance"] if page == "search" else [])),
        ):
            if rng.random() < chance:
                query[name] = rng.choice(values)
        return "/lots/?" + pagination(query) if query or rng.random() < 0.5 else "/lots/"
    if page == "lot":
        return f"/lots/{rng.choice(data['open'] if rng.random() < 0.67 else data['closed'])}/"
    if page == "bids-page":
        return f"/lots/{rng.choice(person['plant_lots'])}/bids/"
    if page in ("my-bids", "matches", "my-lots", "notifications"):
        base = {"my-bids": "/my/bids/", "matches": "/my/matches/", "my-lots": "/my/lots/"}.get(page, "/notifications/")
        query = pagination({})
        return base + (f"?{query}" if query else "")
    if page == "catalogue":
        return "/catalogue/"
    if page == "dashboard":
        period = rng.choice(PERIODS)
        year = data["last_year"] + rng.choice([-1, 0, 0, 1])
        month = rng.randint(1, 12)
        query = {"period": period, "start": f"{year}-{month:02d}-01"}
        if period == "custom":
            query["end"] = f"{year}-{month:02d}-{rng.randint(10, 28)}"
        narrowing = rng.random()
        if narrowing < 0.2:  # a group or a category (a category outside the chosen group is refused)
            query["group"] = rng.choice(data["groups"])
        elif narrowing < 0.45:
            query["category"] = rng.choice(data["categories"])
        if rng.random() < 0.2:
            query["kecamatan"] = rng.choice(data["kecamatan"])
        return "/dashboard/?" + urlencode(query)
    raise ValueError(page)


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
    if endpoint.get("rows"):
        text, wanted = endpoint["rows"]
        if body.count(text) != int(wanted):
            raise CommandError(f"{endpoint['path']} shows {body.count(text)} times {text}, not {wanted}.")


def resolve(endpoint: dict, context: dict) -> dict:
    """The endpoint with the data's references in its path and texts (also in its `small` variant)."""
    resolved = dict(endpoint)
    resolved["path"] = endpoint["path"].format(**context)
    for key in ("expect", "reject", "rows"):
        if key in endpoint:
            resolved[key] = [str(text).format(**context) for text in endpoint[key]]
    if "small" in endpoint:
        resolved["small"] = resolve(endpoint["small"], context)
    return resolved


def fetch_form(port: int, path: str, cookie: str) -> tuple[int, str, dict[str, str]]:
    """A page with the cookies it sets (name: value), to sign a form's POST as a browser would."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie})
        response = conn.getresponse()
        cookies = {}
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.read().decode("utf-8", "replace"), cookies
    finally:
        conn.close()


def percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))]


def post_load(port: int, path: str, clients: list[dict], seconds: float) -> dict:
    """Each client (its own headers and form fields) in its own thread with its own connection posts the form
    over and over for `seconds`, changing the price each time. The request in flight when the time is up is
    waited for, never abandoned: every request sent gets its answer counted (or its error)."""
    barrier = threading.Barrier(len(clients) + 1)
    outcomes: list[dict | None] = [None] * len(clients)
    routes = ["recycling", "material-recovery", "reuse", "energy-recovery"]

    def work(index: int, client: dict) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=POST_TIMEOUT)
        statuses, latencies, errors, samples = collections.Counter(), [], 0, {}
        barrier.wait()
        deadline = time.monotonic() + seconds
        number = 0
        try:
            while time.monotonic() < deadline:
                number += 1
                fields = dict(client["fields"])
                fields["price_per_unit"] = int(fields["price_per_unit"]) + 100 * ((index * 7 + number) % 50)
                fields["route"] = routes[number % len(routes)]
                started = time.perf_counter()
                try:
                    conn.request("POST", path, body=urlencode(fields), headers=client["headers"])
                    response = conn.getresponse()
                    body = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    errors += 1
                    samples.setdefault("error", repr(exc))
                    conn.close()
                    continue
                latencies.append(time.perf_counter() - started)
                statuses[response.status] += 1
                if response.status != 302:
                    samples.setdefault(str(response.status), body[:3000].decode("utf-8", "replace"))
                if response.will_close:
                    conn.close()
        finally:
            conn.close()
        outcomes[index] = {"statuses": statuses, "latencies": latencies, "errors": errors, "samples": samples}

    threads = [threading.Thread(target=work, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    barrier.wait()
    started = time.monotonic()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    cpu = time.process_time() - cpu
    if any(outcome is None for outcome in outcomes):
        raise CommandError("A load generator thread failed; see the traceback above.")
    statuses = sum((o["statuses"] for o in outcomes), collections.Counter())
    latencies = sorted(latency for o in outcomes for latency in o["latencies"])
    samples = {}
    for outcome in outcomes:
        for key, text in outcome["samples"].items():
            samples.setdefault(key, text)
    answered = sum(statuses.values())
    return {
        "rps": answered / elapsed if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "requests": answered,
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "socket_errors": sum(o["errors"] for o in outcomes),
        # Which clients (by index) got at least one 302: each must have its live bid in the database.
        "placed_by": [i for i, o in enumerate(outcomes) if o["statuses"][302]],
        "samples": samples,
        "seconds": elapsed,
        # This process's CPU time per second of the run (1.0 = one core): what the load generator takes away
        # from the server on a 2-core machine.
        "client_cpu": cpu / elapsed if elapsed else 0.0,
    }


def worker_memory(master_pid: int) -> list[float]:
    """Resident memory (MiB) of each gunicorn worker: the master's children (Linux /proc)."""
    sizes = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(stat[1]) != master_pid:
                continue
            status = (entry / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        if found:
            sizes.append(round(int(found.group(1)) / 1024, 1))
    return sorted(sizes)


class BidPlacer(threading.Thread):
    """Bids on random open lots as random processors, `rate` a second, for as long as the mixed run lasts: each
    processor's session signs its POSTs with the CSRF cookie and token of one GET of a lot page."""

    def __init__(self, port: int, prepared: dict, rate: float):
        super().__init__(daemon=True)
        import random

        self.port, self.rate = port, rate
        self.rng = random.Random(2)  # noqa: S311 - a reproducible sample
        self.lots = prepared["bid_lots"]
        self.clients = []
        for cookie in prepared["placer_cookies"]:
            status, body, set_cookies = fetch_form(port, f"/lots/{self.lots[0]['reference']}/", cookie)
            token, csrf = CSRF_INPUT.search(body), set_cookies.get(prepared["csrf_cookie"])
            if status != 200 or not token or not csrf:
                raise CommandError(f"A placer gets no bid form (status {status}):\n{body[:2000]}")
            self.clients.append(
                {
                    "token": token.group(1),
                    "headers": {
                        "Cookie": f"{cookie}; {prepared['csrf_cookie']}={csrf}",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                }
            )
        self.stopping = threading.Event()
        self.posted = self.placed = self.errors = self.skipped = 0
        self.lock = threading.Lock()
        self.senders = []
        self.samples: dict[str, str] = {}

    def run(self):
        """One POST every 1/rate seconds, each in a thread of its own (at most 8 in flight), so that the rate holds
        however long an answer takes under load; a tick with 8 still in flight is skipped and counted."""
        number, in_flight = 0, threading.BoundedSemaphore(8)
        while not self.stopping.wait(1 / self.rate):
            number += 1
            if not in_flight.acquire(blocking=False):
                self.skipped += 1
                continue
            client, lot = self.rng.choice(self.clients), self.rng.choice(self.lots)
            fields = {**lot["fields"], "csrfmiddlewaretoken": client["token"]}
            fields["price_per_unit"] = int(fields["price_per_unit"]) + 100 * number
            sender = threading.Thread(target=self.post, args=(client, lot, fields, in_flight), daemon=True)
            sender.start()
            self.senders.append(sender)

    def post(self, client: dict, lot: dict, fields: dict, in_flight) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=POST_TIMEOUT)
        try:
            path = f"/lots/{lot['reference']}/bid/"
            conn.request("POST", path, body=urlencode(fields), headers=client["headers"])
            response = conn.getresponse()
            body = response.read()
            with self.lock:
                self.posted += 1
                if response.status == 302:
                    self.placed += 1
                else:
                    self.errors += 1
                    text = body.decode("utf-8", "replace")
                    found = re.search(r"(invalid-feedback|alert-danger|alert-warning)[^>]*>(.{0,400})", text, re.S)
                    self.samples.setdefault(str(response.status), found.group(2) if found else text[:1500])
        except (OSError, http.client.HTTPException) as exc:
            with self.lock:
                self.errors += 1
                self.samples.setdefault("error", repr(exc))
        finally:
            conn.close()
            in_flight.release()

    def stop(self) -> dict:
        self.stopping.set()
        self.join()
        for sender in self.senders:
            sender.join()  # every POST sent is answered and counted
        return {
            "posted": self.posted,
            "placed": self.placed,
            "errors": self.errors,
            "skipped": self.skipped,
            "samples": self.samples,
        }


class Command(BaseCommand):
    help = (
        "Load benchmark: builds a PostgreSQL database of lots and bids, serves it with gunicorn (DEBUG off) and "
        "measures endpoints with wrk (bid placing with 16 threads). Prints one JSON line per endpoint. Needs wrk "
        "(apt-get install wrk)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lots", type=int, default=100_000, help="Lots in the database (default 100000).")
        parser.add_argument("--bids", type=int, default=1_000_000, help="Bids in the database (default 1000000).")
        parser.add_argument("--seconds", type=int, default=10, help="Length of each measurement (default 10).")
        parser.add_argument(
            "--rounds",
            type=int,
            default=1,
            help="Measure each endpoint this many times, each right after a floor measurement of its own, and "
            "report the round with the median ratio (default 1: one floor for all). On a machine shared with "
            "other work the floor moves from minute to minute; paired rounds keep the ratio meaningful.",
        )
        parser.add_argument("--rebuild", action="store_true", help="Delete the benchmark data and build it again.")
        parser.add_argument("--rebuild-bids", action="store_true", help="Build the bids again (not the lots).")
        parser.add_argument(
            "--only",
            action="append",
            metavar="NAME",
            help=f"Measure only this endpoint (repeatable; the floor is always measured). Names: "
            f"{', '.join(e['name'] for e in ENDPOINTS)}, {MIXED} (the mixed run and its page types).",
        )
        parser.add_argument(
            "--mixed-seconds",
            type=int,
            default=30,
            help="Length of the mixed-traffic run (default 30); each page type is then measured --seconds.",
        )
        parser.add_argument("--show-queries", action="store_true", help="Print the SQL of each counted request.")
        parser.add_argument(
            "--explain", action="store_true", help="Print EXPLAIN ANALYZE of each query of each counted request."
        )
        parser.add_argument(
            "--profile", action="store_true", help="Print a cProfile of one request per endpoint (in-process)."
        )
        # Internal: the steps that run inside the benchmark's environment.
        parser.add_argument(
            "--stage",
            choices=["build", "prepare", "place-check", "csv-memory", "mixed-prepare", "mixed-cleanup"],
            help=argparse.SUPPRESS,
        )
        parser.add_argument("--context", default="{}", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["stage"] == "build":
            return self.stage_build(options)
        if options["stage"] == "prepare":
            return self.stage_prepare(options)
        if options["stage"] == "place-check":
            return self.stage_place_check(options)
        if options["stage"] == "csv-memory":
            return self.stage_csv_memory(options)
        if options["stage"] == "mixed-prepare":
            return self.stage_mixed_prepare(options)
        if options["stage"] == "mixed-cleanup":
            return self.stage_mixed_cleanup(options)
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

            build_args = ["--lots", str(options["lots"]), "--bids", str(options["bids"])]
            build_args += ["--rebuild"] if options["rebuild"] else []
            build_args += ["--rebuild-bids"] if options["rebuild_bids"] else []
            built = self.run_stage(env, "build", *build_args)
            if not built["open_lot"]:
                raise CommandError("The benchmark data has no open lot closing in more than a week: use --rebuild.")
            self.log(
                f"data: {built['lots']} bench lots ({built['open_lots']} open), {built['bids']} bids, "
                + (f"built in {built['build_seconds']}s" if built["built"] or built["bids_built"] else "already there")
            )
            self.log(
                f"bids page: {built['bids_lot']} ({built['bids_lot_bids']} bids) and {built['bids_lot_small']} "
                f"({built['bids_lot_small_bids']}) of {built['plant']}; my bids: {built['bidder']} "
                f"({built['bidder_bids']} bids) and {built['few_bidder']} ({built['few_bidder_bids']}); "
                f"placing on {built['place_lot']} as {len(built['placers'])} processors"
            )
            endpoints = [resolve(endpoint, built) for endpoint in endpoints]

            started = time.monotonic()
            self.run_quietly(env, "collectstatic", "--noinput")
            self.log(f"collectstatic: {time.monotonic() - started:.1f}s")

            prepare_args = ["--context", json.dumps(built), *[f"--only={e['name']}" for e in endpoints]]
            for flag in ("show_queries", "explain", "profile"):
                if options[flag]:
                    prepare_args.append("--" + flag.replace("_", "-"))
            prepared = self.run_stage(env, "prepare", *prepare_args)
            cookies = {
                auth: self.cookie(prepared, key) for auth, key in prepared["sessions"].items() if auth != "placers"
            }

            busy = cpu_busy()
            if busy is not None and busy > 0.2:
                self.log(f"warning: the CPUs are {busy:.0%} busy before the server starts: other work skews results")
            port = free_port()
            server = self.start_server(env, port, workdir / "gunicorn.log")
            gets = [e for e in endpoints if e.get("method", "GET") == "GET"]
            for endpoint in gets:
                check_page(endpoint, *fetch(port, endpoint["path"], cookies.get(endpoint["auth"])))

            results, failures = [], []
            paired = options["rounds"] > 1
            for endpoint in endpoints:
                if endpoint["name"] == "bid-place":
                    floor_before = self.measure(wrk, port, endpoints[0], None, options["seconds"]) if paired else None
                    measured = self.measure_bid_placing(env, port, endpoint, built, prepared, options, failures)
                    if floor_before:
                        measured["paired_floor"] = floor_before["rps"]
                else:
                    cookie = cookies.get(endpoint["auth"])
                    if paired and endpoint["name"] != FLOOR:
                        measured = self.measure_paired(wrk, port, endpoints[0], endpoint, cookie, options)
                    else:
                        measured = self.measure(wrk, port, endpoint, cookie, options["seconds"])
                    check_page(endpoint, *fetch(port, endpoint["path"], cookie))
                name = endpoint["name"]
                measured.update(
                    queries=prepared["queries"][name],
                    queries_first=prepared["queries_first"][name],
                    queries_small=prepared["queries_small"].get(name),
                )
                results.append(measured)
            floor = results[0]["rps"]
            for endpoint, result in zip(endpoints, results, strict=True):
                line = {
                    "endpoint": endpoint["path"],
                    "name": endpoint["name"],
                    "rps": round(result["rps"], 1),
                    "p50_ms": result["p50_ms"],
                    "p99_ms": result["p99_ms"],
                    "ratio_to_floor": round(result["rps"] / result.get("paired_floor", floor), 3) if floor else None,
                    "queries": result["queries"],
                    "queries_first_request": result["queries_first"],
                    "requests": result["requests"],
                    "socket_errors": result["socket_errors"],
                }
                if result["queries_small"] is not None:
                    line["queries_small_data"] = result["queries_small"]
                    line["queries_constant"] = result["queries_small"] == result["queries"]
                    if not line["queries_constant"]:
                        self.log(
                            f"warning: {endpoint['name']} makes {result['queries']} queries on the big data and "
                            f"{result['queries_small']} on {endpoint['small']['path']}: not constant"
                        )
                if "paired_floor" in result:
                    line["paired_floor_rps"] = round(result["paired_floor"], 1)
                if "round_ratios" in result:
                    line["round_ratios"] = result["round_ratios"]
                line.update(result.get("extra", {}))
                self.stdout.write(json.dumps(line))
            if self.wants_mixed(options["only"]):
                for line in self.measure_mixed(wrk, env, port, server, built, floor, options, workdir, failures):
                    self.stdout.write(json.dumps(line))
            if not options["only"] or any("dashboard" in name for name in options["only"]):
                csv_line = self.run_stage(env, "csv-memory", "--context", json.dumps(built))
                self.stdout.write(json.dumps(csv_line))
                if not csv_line["flat"]:
                    failures.append(f"The CSV export's memory grows with its rows: {csv_line}")
            if failures:
                raise CommandError("\n".join(failures))
        except KeyboardInterrupt:
            raise CommandError("Interrupted.") from None
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            if server is not None:
                self.stop_server(server)
            shutil.rmtree(workdir, ignore_errors=True)

    def cookie(self, prepared: dict, session_key: str) -> str:
        return f"{prepared['session_cookie']}={session_key}; {prepared['language_cookie']}={LANGUAGE}"

    def terminated(self, signum, frame):
        raise SystemExit(128 + signum)  # runs the `finally` that stops gunicorn

    def selected_endpoints(self, only: list[str] | None) -> list[dict]:
        names = {e["name"] for e in ENDPOINTS}
        wanted = {name for value in only or [] for name in value.split(",") if name} - {MIXED}
        unknown = wanted - names
        if unknown:
            raise CommandError(f"Unknown endpoint {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}.")
        # The floor always runs first: every other result is also a ratio to it.
        if only and not wanted:
            return [dict(e) for e in ENDPOINTS if e["name"] == FLOOR]  # the mixed run alone
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

    def measure(self, wrk: str, port: int, endpoint: dict, cookie: str | None, seconds: int, warmup=True) -> dict:
        url = f"http://127.0.0.1:{port}{endpoint['path']}"
        headers = ["-H", f"Cookie: {cookie}"] if cookie else []

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
                    f"{result['non_2xx']} responses of {endpoint['path']} were not 2xx/3xx: the measurement is "
                    f"wrong.\n{done.stdout}"
                )
            if result["socket_errors"]:
                self.log(f"warning: socket errors on {endpoint['path']}:\n{done.stdout}")
            self.drain(port)
            return result

        if warmup:
            self.log(f"{endpoint['name']}: warm-up {WARMUP_SECONDS}s, then {seconds}s on {endpoint['path']}")
            run(WARMUP_SECONDS)
        return run(seconds)

    def measure_paired(self, wrk: str, port: int, floor: dict, endpoint: dict, cookie: str | None, options) -> dict:
        """`--rounds` measurements of the endpoint, each right after one of the floor: the round with the median
        ratio, with the floor it was paired with and every round's ratio."""
        rounds = []
        for number in range(options["rounds"]):
            self.log(f"{endpoint['name']}: round {number + 1} of {options['rounds']}, the floor then the endpoint")
            floor_result = self.measure(wrk, port, floor, None, options["seconds"], warmup=number == 0)
            result = self.measure(wrk, port, endpoint, cookie, options["seconds"], warmup=number == 0)
            rounds.append((result["rps"] / floor_result["rps"], result, floor_result["rps"]))
        rounds.sort(key=lambda item: item[0])
        _ratio, result, floor_rps = rounds[(len(rounds) - 1) // 2]  # the lower median when even
        return {**result, "paired_floor": floor_rps, "round_ratios": [round(item[0], 3) for item in rounds]}

    def wants_mixed(self, only) -> bool:
        return not only or any(MIXED in value.split(",") for value in only)

    def run_wrk_script(self, wrk: str, port: int, script: Path, lines: Path, seconds: int) -> dict:
        command = [
            wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s",
            "-s", str(script), f"http://127.0.0.1:{port}/", "--", str(lines),
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            raise CommandError(f"wrk failed:\n{done.stdout}{done.stderr}")
        result = parse_wrk(done.stdout)
        bad = MIXED_BAD.search(done.stdout)
        result["bad_status"] = int(bad.group(1)) if bad else None
        if done.stderr.strip():
            self.log(f"wrk: {done.stderr.strip()[:500]}")
        self.drain(port)
        return result

    def measure_mixed(self, wrk, env, port, server, built, floor, options, workdir: Path, failures: list[str]):
        """Real traffic: MIXED_URLS random (page, person) lines for a few hundred signed-in people, sent at random
        by wrk for --mixed-seconds while bids are placed on random open lots MIXED_BIDS_PER_SECOND times a second;
        then each page type alone over its own lines (fresh pages: no cache in front). Lines of JSON."""
        import random

        prepared = self.run_stage(env, "mixed-prepare", "--context", json.dumps(built))
        plan = {name: [tuple(line) for line in lines] for name, lines in prepared["plan"].items()}
        script = workdir / "mixed.lua"
        script.write_text(WRK_MIXED_LUA)
        every = [line for lines in plan.values() for line in lines]
        random.Random(1).shuffle(every)  # noqa: S311 - a reproducible sample
        files = {}
        for name, lines in [(MIXED, every), *sorted(plan.items())]:
            files[name] = workdir / f"{name}.tsv"
            files[name].write_text("".join(f"{path}\t{cookie}\n" for path, cookie in lines))
        distinct = len(set(every))
        self.log(
            f"mixed: {sum(prepared['people'].values())} people {prepared['people']}, {len(every)} lines "
            f"({distinct} distinct (page, person), {len({path for path, _c in every})} distinct URLs)"
        )
        # One of each page type first: a page that does not answer 200 would measure the wrong thing.
        for name, lines in plan.items():
            status, body = fetch(port, lines[0][0], lines[0][1])
            if status != 200:
                raise CommandError(f"mixed {name}: {lines[0][0]} answered {status}:\n{body[:2000]}")

        # The floor moves with whatever else the machine runs: each measurement below gets a floor of its own,
        # measured right before it (PAIRED_FLOOR_SECONDS), and its ratio is to that one.
        floor_endpoint = {"name": FLOOR, "path": "/robots.txt"}

        def paired_floor() -> float:
            return self.measure(wrk, port, floor_endpoint, None, PAIRED_FLOOR_SECONDS, warmup=False)["rps"]

        floor = paired_floor()
        placing = BidPlacer(port, prepared, MIXED_BIDS_PER_SECOND)
        placing.start()
        self.log(f"mixed: {options['mixed_seconds']}s of wrk, bids placed {MIXED_BIDS_PER_SECOND}/s meanwhile")
        try:
            result = self.run_wrk_script(wrk, port, script, files[MIXED], options["mixed_seconds"])
        finally:
            bids = placing.stop()
            cleanup = {"references": [lot["reference"] for lot in prepared["bid_lots"]], "placers": built["placers"]}
            removed = self.run_stage(env, "mixed-cleanup", "--context", json.dumps(cleanup))["deleted"]
            self.log(f"mixed: the {removed} rows of bids it placed deleted again (the data stays as built)")
        memory = worker_memory(server.pid)
        errors = result["non_2xx"] + result["socket_errors"] + (result["bad_status"] or 0) + bids["errors"]
        lines = [
            {
                "endpoint": "mixed traffic",
                "name": MIXED,
                "rps": round(result["rps"], 1),
                "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"],
                "errors": errors,
                "ratio_to_floor": round(result["rps"] / floor, 3) if floor else None,
                "floor_rps": round(floor, 1),
                "requests": result["requests"],
                "people": prepared["people"],
                "lines": len(every),
                "distinct_urls": len({path for path, _cookie in every}),
                "bids_posted": bids["posted"],
                "bids_302": bids["placed"],
                "bid_errors": bids["errors"],
                "bid_ticks_skipped": bids["skipped"],
                "bid_samples": bids["samples"],
                "worker_rss_mib": memory,
            }
        ]
        if errors:
            failures.append(f"The mixed run had {errors} errors: {lines[0]}")
        for name in sorted(plan):
            self.log(f"fresh {name}: {options['seconds']}s over {len(plan[name])} lines")
            floor = paired_floor()
            measured = self.run_wrk_script(wrk, port, script, files[name], options["seconds"])
            errors = measured["non_2xx"] + measured["socket_errors"] + (measured["bad_status"] or 0)
            if errors:
                failures.append(f"fresh {name}: {errors} errors")
            lines.append(
                {
                    "endpoint": f"mixed lines: {name}",
                    "name": f"fresh:{name}",
                    "rps": round(measured["rps"], 1),
                    "p50_ms": measured["p50_ms"],
                    "p99_ms": measured["p99_ms"],
                    "errors": errors,
                    "ratio_to_floor": round(measured["rps"] / floor, 3) if floor else None,
                    "floor_rps": round(floor, 1),
                    "requests": measured["requests"],
                    "lines": len(plan[name]),
                    "distinct_urls": len({path for path, _cookie in plan[name]}),
                }
            )
        lines[0]["worker_rss_mib_after_all"] = worker_memory(server.pid)
        return lines

    def drain(self, port: int) -> None:
        """Wait until the server has worked off what wrk left behind: wrk drops its requests in flight when its
        time is up, but gunicorn's sync workers still serve each of them (16 × 0.6 s on the 500-bid page), and
        that backlog would eat into the next measurement. A request queued behind them returns once they are
        done."""
        started = time.monotonic()
        fetch(port, "/robots.txt", None, timeout=120)
        waited = time.monotonic() - started
        if waited > 0.5:
            self.log(f"waited {waited:.1f}s for the server to finish the requests wrk left behind")

    def measure_bid_placing(self, env, port, endpoint, built, prepared, options, failures: list[str]) -> dict:
        """POST bids at WRK_CONNECTIONS connections, each its own processor, then compare every 302 answer with
        what the database holds: one bid revision per 302, one live bid per processor that got a 302."""
        path, lot_path = endpoint["path"], f"/lots/{built['place_lot']}/"
        clients = []
        for email, key in zip(built["placers"], prepared["sessions"]["placers"], strict=True):
            cookie = self.cookie(prepared, key)
            status, body, set_cookies = fetch_form(port, lot_path, cookie)
            token = CSRF_INPUT.search(body)
            csrf = set_cookies.get(prepared["csrf_cookie"])
            if status != 200 or 'name="price_per_unit"' not in body or not token or not csrf:
                raise CommandError(f"{email} gets no bid form on {lot_path} (status {status}):\n{body[:2000]}")
            clients.append(
                {
                    "email": email,
                    "fields": {**prepared["place_fields"], "csrfmiddlewaretoken": token.group(1)},
                    "headers": {
                        "Cookie": f"{cookie}; {prepared['csrf_cookie']}={csrf}",
                        "Content-Type": "application/x-www-form-urlencoded",
                    },
                }
            )
        before = prepared["place_before"]
        self.log(
            f"bid-place: {len(clients)} processors, one connection each; warm-up {WARMUP_SECONDS}s, then "
            f"{options['seconds']}s of POST {path} (before: {before['revisions']} revisions, {before['bids']} bids)"
        )
        warmup = post_load(port, path, clients, WARMUP_SECONDS)
        measured = post_load(port, path, clients, options["seconds"])
        after = self.run_stage(env, "place-check", "--context", json.dumps(built))

        ok = sum(run["statuses"].get("302", 0) for run in (warmup, measured))
        answered = sum(run["requests"] for run in (warmup, measured))
        errors = sum(run["socket_errors"] for run in (warmup, measured))
        added = after["revisions"] - before["revisions"]
        placed = sorted({clients[i]["email"] for run in (warmup, measured) for i in run["placed_by"]})
        lost = max(ok - added, 0)
        extra = {
            "method": "POST",
            "load_generator": "python threads, http.client, one processor per connection",
            "connections": len(clients),
            "client_cpu": round(measured["client_cpu"], 3),
            "statuses": measured["statuses"],
            "posts_with_warmup": answered,
            "posts_302_with_warmup": ok,
            "non_302_with_warmup": answered - ok,
            "revisions_added": added,
            "live_bids": after["live_bids"],
            "processors_with_302": len(placed),
            "lost_bids": lost,
        }
        for run in (warmup, measured):
            for status, text in run["samples"].items():
                self.log(f"warning: bid-place got {status}:\n{text[:1500]}")
        if errors:
            self.log(f"warning: {errors} POSTs failed at the socket: each may or may not have been placed")
        if lost:
            failures.append(f"{lost} bids answered 302 are not in the database ({ok} × 302, {added} revisions).")
        elif added > ok:
            self.log(f"warning: {added - ok} revisions more than 302 answers (from the {errors} socket errors?)")
        if after["live_bidders"] != placed:
            failures.append(
                f"The live bids on {built['place_lot']} are {after['live_bidders']}, but these processors got a "
                f"302: {placed}."
            )
        if after["revision_sum"] != added + before["revision_sum"] or after["inconsistent_bids"]:
            failures.append(
                f"Bid revision numbers do not match their history on {built['place_lot']}: revision sum "
                f"{after['revision_sum']}, {added} revisions added, bids out of step {after['inconsistent_bids']}."
            )
        self.log(
            f"bid-place: {ok} × 302 of {answered} POSTs, {added} revisions added, {after['live_bids']} live bids "
            f"of {len(placed)} processors: {lost or 'no'} lost bids"
        )
        return {**measured, "extra": extra}

    # ---- stages, in a subprocess with the benchmark's environment --------------------------------------------

    def result(self, data: dict) -> None:
        self.stdout.write(RESULT_PREFIX + json.dumps(data))

    def stage_build(self, options):
        from wastex import benchdata

        self.result(
            benchdata.build(
                options["lots"],
                options["bids"],
                rebuild=options["rebuild"],
                rebuild_bids=options["rebuild_bids"],
                log=self.log,
            )
        )

    def stage_prepare(self, options):
        """Sessions for wrk and the load generator, and the SQL queries of one request per endpoint (the second,
        after a warm-up; and one over little data for the pages that have a `small` variant)."""
        from django.contrib.auth import get_user_model
        from django.test import Client

        from listings.models import WasteLot
        from wastex import benchdata

        context = json.loads(options["context"])
        users = {user.email: user for user in get_user_model().objects.filter(email__in=self.emails(context))}
        queries, queries_first, queries_small = {}, {}, {}
        place_lot = WasteLot.objects.get(reference=context["place_lot"])
        for endpoint in self.selected_endpoints(options["only"]):
            endpoint = resolve(endpoint, context)
            name = endpoint["name"]
            if name == "bid-place":
                user = users[context["placers"][0]]
                fields = benchdata.place_fields(place_lot)
                benchdata.reset_place_lot(place_lot)
                queries_first[name], response = self.count_queries(user, endpoint, options, data=fields)
                queries[name], second = self.count_queries(user, endpoint, options, data=fields, profile=True)
                for answer in (response, second):
                    if answer.status_code != 302:
                        raise CommandError(f"POST {endpoint['path']} answered {answer.status_code}, not 302.")
                continue
            user = users[context[AUTH_PEOPLE[endpoint["auth"]]]] if endpoint["auth"] else None
            queries_first[name], _response = self.count_queries(user, endpoint, options, show=False)
            detail = name != FLOOR  # no SQL to explain or time to profile there
            queries[name], response = self.count_queries(user, endpoint, options, show=detail, profile=detail)
            check_page(endpoint, response.status_code, response.content.decode())
            if "small" in endpoint:
                small = endpoint["small"]
                small_user = users[context[AUTH_PEOPLE[small["auth"]]]]
                self.count_queries(small_user, small, options, show=False)
                queries_small[name], response = self.count_queries(small_user, small, options)
                check_page(small, response.status_code, response.content.decode())
        # The placing lot starts empty whether or not it was measured above.
        benchdata.reset_place_lot(place_lot)
        sessions = {}
        for auth, key in AUTH_PEOPLE.items():
            session = Client(HTTP_HOST="127.0.0.1")
            session.force_login(users[context[key]])
            sessions[auth] = session.cookies[settings.SESSION_COOKIE_NAME].value
        sessions["placers"] = []
        for email in context["placers"]:
            session = Client(HTTP_HOST="127.0.0.1")
            session.force_login(users[email])
            sessions["placers"].append(session.cookies[settings.SESSION_COOKIE_NAME].value)
        self.result(
            {
                "queries": queries,
                "queries_first": queries_first,
                "queries_small": queries_small,
                "sessions": sessions,
                "session_cookie": settings.SESSION_COOKIE_NAME,
                "language_cookie": settings.LANGUAGE_COOKIE_NAME,
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
                "place_fields": benchdata.place_fields(place_lot),
                "place_before": benchdata.place_check(place_lot),
            }
        )

    def emails(self, context: dict) -> list[str]:
        return [context[key] for key in AUTH_PEOPLE.values()] + context["placers"]

    def count_queries(self, user, endpoint: dict, options, *, data=None, show=True, profile=False):
        """One request as `user` through the test client: (number of queries, response). With --show-queries
        and --explain the queries are printed (with EXPLAIN ANALYZE); with --profile, the request is made once
        more under cProfile."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = LANGUAGE
        if user is not None:
            client.force_login(user)

        def request():
            if data is None:
                return client.get(endpoint["path"])
            return client.post(endpoint["path"], data)

        with CaptureQueriesContext(connection) as captured:
            response = request()
        count = len(captured.captured_queries)
        if show and (options["show_queries"] or options["explain"]):
            self.log(f"{endpoint['path']} as {getattr(user, 'email', 'nobody')}: {count} queries")
            for number, query in enumerate(captured.captured_queries, 1):
                self.log(f"  {number}. ({query['time']}s) {query['sql']}")
                if options["explain"] and query["sql"].lstrip().upper().startswith("SELECT"):
                    with connection.cursor() as cursor:
                        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                        self.log("\n".join("      " + row[0] for row in cursor.fetchall()))
        if profile and options["profile"]:
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            request()
            profiler.disable()
            elapsed = time.perf_counter() - started
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(35)
            stats.sort_stats("tottime").print_stats(20)
            self.log(f"profile of {endpoint['path']} ({elapsed * 1000:.0f} ms under the profiler):\n{out.getvalue()}")
        return count, response

    def stage_mixed_prepare(self, options):
        """The mixed run's people (each with a session of their own, made in the session store as a sign-in
        would), its thousands of (page, person) lines, the lots bids are placed on and the placers' sessions."""
        import random
        from importlib import import_module

        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
        from django.utils import timezone

        from listings.models import WasteCategory, WasteLot
        from members.choices import Kecamatan
        from wastex import benchdata

        context = json.loads(options["context"])
        rng = random.Random(benchdata.SEED)  # noqa: S311 - a reproducible sample
        store = import_module(settings.SESSION_ENGINE).SessionStore
        backend = settings.AUTHENTICATION_BACKENDS[0]

        def cookie(user, language="id") -> str:
            session = store()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = backend
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.LANGUAGE_COOKIE_NAME}={language}"

        found = benchdata.mixed_people()
        plant_ids = [user.membership.organisation_id for user in found["plant"]]
        plant_lots = collections.defaultdict(list)
        lots = WasteLot.objects.filter(plant_id__in=plant_ids).filter(
            status__in=[WasteLot.Status.CLOSED, WasteLot.Status.AWARDED, WasteLot.Status.COMPLETED]
        ) | WasteLot.objects.filter(
            plant_id__in=plant_ids, status=WasteLot.Status.OPEN, closes_at__gt=timezone.now() + timezone.timedelta(1)
        )
        for plant_id, reference in lots.order_by("-id").values_list("plant_id", "reference"):
            if len(plant_lots[plant_id]) < 20:
                plant_lots[plant_id].append(reference)
        people = {
            kind: [
                {
                    # One person in five reads the site in English.
                    "cookie": cookie(user, "en" if rng.random() < 0.2 else "id"),
                    "plant_lots": plant_lots.get(user.membership.organisation_id, []) if kind == "plant" else [],
                }
                for user in users
                if kind != "plant" or plant_lots.get(user.membership.organisation_id)
            ]
            for kind, users in found.items()
        }
        data = {
            **benchdata.mixed_lots(),
            "categories": list(
                WasteCategory.objects.filter(lots__isnull=False).distinct().values_list("code", flat=True)
            ),
            "groups": list(WasteCategory.Group.values),
            "kecamatan": list(Kecamatan.values),
            "last_year": context["last_year"],
        }
        plan = mixed_plan(rng, people, data)
        placers = get_user_model().objects.filter(email__in=context["placers"])
        self.result(
            {
                "plan": plan,
                "people": {kind: len(entries) for kind, entries in people.items()},
                "bid_lots": benchdata.mixed_bid_lots(context["placers"]),
                "placer_cookies": [cookie(user) for user in placers],
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
            }
        )

    def stage_mixed_cleanup(self, options):
        from wastex import benchdata

        context = json.loads(options["context"])
        self.result({"deleted": benchdata.mixed_cleanup(context["references"], context["placers"])})

    def stage_place_check(self, options):
        from listings.models import WasteLot
        from wastex import benchdata

        context = json.loads(options["context"])
        self.result(benchdata.place_check(WasteLot.objects.get(reference=context["place_lot"])))

    def stage_csv_memory(self, options):
        """The completed deals of a month, a year and the whole 24 months as CSV, through the view, read as a
        client reads the stream: rows, bytes, seconds and the peak of Python memory allocated while streaming
        (tracemalloc). The rows are read from the database 2,000 at a time, so the peak grows up to one chunk
        (a month has fewer rows) and then stays: flat when the 24 months (twice the rows of the year) peak
        within 25 % of the year."""
        import tracemalloc
        from datetime import timedelta

        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        context = json.loads(options["context"])
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(get_user_model().objects.get(email=context["official"]))
        year, today = context["last_year"], timezone.localdate()
        queries = {
            "month": f"period=month&start={year}-06-01",
            "year": f"period=year&start={year}-01-01",
            "all_24_months": f"period=custom&start={today - timedelta(days=731)}&end={today}",
        }
        runs = {}
        for name, query in queries.items():
            client.get(f"{CSV_EXPORT}?{query}")  # warm: imports, caches, plans
            tracemalloc.start()
            started = time.perf_counter()
            response = client.get(f"{CSV_EXPORT}?{query}")
            rows = size = 0
            first_byte = None
            for chunk in response.streaming_content:
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                rows += chunk.count(b"\n")
                size += len(chunk)
            seconds = time.perf_counter() - started
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            runs[name] = {
                "rows": rows - 1,
                "bytes": size,
                "seconds": round(seconds, 2),
                "first_byte_ms": round((first_byte or 0) * 1000, 1),
                "peak_kib": round(peak / 1024),
                "streaming": response.streaming,
            }
        whole, one_year = runs["all_24_months"], runs["year"]
        self.result(
            {
                "endpoint": f"{CSV_EXPORT}?{queries['year']}",
                "name": "dashboard-csv",
                **runs,
                "rows_ratio_24_months_to_year": round(whole["rows"] / max(one_year["rows"], 1), 2),
                "peak_ratio_24_months_to_year": round(whole["peak_kib"] / max(one_year["peak_kib"], 1), 2),
                "flat": whole["streaming"] and whole["peak_kib"] <= 1.25 * max(one_year["peak_kib"], 1),
            }
        )
