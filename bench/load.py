"""Load and its measurement: wrk's output read, pages fetched, bids posted from threads (every request sent is
answered and counted), the CPU and the gunicorn workers' memory sampled."""

import collections
import http.client
import math
import random
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import CommandError

POST_TIMEOUT = 60
WRK_THREADS, WRK_CONNECTIONS, WARMUP_SECONDS = 2, 16, 2

LATENCY_LINE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
TOTAL_REQUESTS = re.compile(r"^\s+(\d+) requests in ", re.MULTILINE)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


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
