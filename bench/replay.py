"""`manage.py bench --replay N`: where the time goes under real traffic. N lines of the mixed run's plan (the same
people, page weights and random URLs) are replayed in-process through one Django handler, as a gunicorn worker
has one, and each page type's share of the time, Python CPU, SQL time and queries per request are printed. No
server, no wrk: a profile to read before optimising, not a measurement of requests/s. With --profile, each page
type's requests also run under cProfile, and its busiest functions are printed (by own time and cumulative)."""

import collections
import cProfile
import io
import pstats
import time
from http.cookies import SimpleCookie

from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

WARM_UP = 20


def replay(lines: list[tuple[str, str, str]], *, log=None) -> list[dict]:
    """`lines`: (page type, path, Cookie header). Each is requested once, after WARM_UP of them unmeasured; a
    page that does not answer 200 stops the replay. Returns one dict per page type, most time first. `log`: the
    cProfile of each page type's requests goes there (none without it; the profiler slows the requests and the
    figures returned)."""
    client = Client(HTTP_HOST="127.0.0.1")  # the bench server's ALLOWED_HOSTS

    def get(path: str, cookie: str) -> None:
        client.cookies = SimpleCookie(cookie)
        response = client.get(path)
        if response.status_code != 200:
            raise CommandError(f"replay: {path} answered {response.status_code}")

    for _page, path, cookie in lines[:WARM_UP]:
        get(path, cookie)
    totals = collections.defaultdict(lambda: {"requests": 0, "cpu": 0.0, "sql": 0.0, "queries": 0})
    profilers = collections.defaultdict(cProfile.Profile)
    for page, path, cookie in lines:
        with CaptureQueriesContext(connection) as queries:
            started = time.process_time()
            if log is None:
                get(path, cookie)
            else:
                profilers[page].runcall(get, path, cookie)
            cpu = time.process_time() - started
        total = totals[page]
        total["requests"] += 1
        total["cpu"] += cpu
        total["sql"] += sum(float(query["time"]) for query in queries.captured_queries)
        total["queries"] += len(queries.captured_queries)
    for page, profiler in profilers.items():
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        log(f"profile of {totals[page]['requests']} requests of {page}:\n{out.getvalue()}")
    spent = sum(total["cpu"] + total["sql"] for total in totals.values()) or 1.0
    rows = [
        {
            "name": f"replay:{page}",
            "requests": total["requests"],
            "share": round((total["cpu"] + total["sql"]) / spent, 3),
            "cpu_ms": round(1000 * total["cpu"] / total["requests"], 1),
            "sql_ms": round(1000 * total["sql"] / total["requests"], 1),
            "queries": round(total["queries"] / total["requests"], 1),
        }
        for page, total in totals.items()
    ]
    return sorted(rows, key=lambda row: -row["share"])
