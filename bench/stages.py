"""The steps of `manage.py bench` that run inside the benchmark's environment (`--stage`, in a subprocess): build
the data, prepare sessions and count queries, check the bids placed, measure the CSV export's memory, prepare
and clean up the mixed run. Each writes its result as one line on stdout (RESULT_PREFIX, then JSON)."""

import collections
import cProfile
import io
import json
import pstats
import random
import time
import tracemalloc
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.data import build, mixed, placing
from bench.data.common import SEED
from bench.endpoints import AUTH_PEOPLE, CSV_EXPORT, FLOOR, LANGUAGE, check_page, resolve, selected_endpoints
from bench.replay import replay
from bench.server import RESULT_PREFIX
from bench.traffic import mixed_order, mixed_plan
from listings.models import WasteCategory, WasteLot
from members.choices import Kecamatan

STAGES = ["build", "prepare", "place-check", "csv-memory", "mixed-prepare", "mixed-replay", "mixed-cleanup"]


class Stages:
    """The steps, each a method named after its stage; `log` takes progress (stderr), `write` the result (stdout)."""

    def __init__(self, *, log, write):
        self.log, self.write = log, write

    def run(self, stage: str, options) -> None:
        getattr(self, "stage_" + stage.replace("-", "_"))(options)

    def result(self, data: dict) -> None:
        self.write(RESULT_PREFIX + json.dumps(data))

    def stage_build(self, options):
        self.result(
            build.build(
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
        context = json.loads(options["context"])
        users = {user.email: user for user in get_user_model().objects.filter(email__in=self.emails(context))}
        queries, queries_first, queries_small = {}, {}, {}
        place_lot = WasteLot.objects.get(reference=context["place_lot"])
        for endpoint in selected_endpoints(options["only"]):
            endpoint = resolve(endpoint, context)
            name = endpoint["name"]
            if name == "bid-place":
                user = users[context["placers"][0]]
                fields = placing.place_fields(place_lot)
                placing.reset_place_lot(place_lot)
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
        placing.reset_place_lot(place_lot)
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
                "place_fields": placing.place_fields(place_lot),
                "place_before": placing.place_check(place_lot),
            }
        )

    def emails(self, context: dict) -> list[str]:
        return [context[key] for key in AUTH_PEOPLE.values()] + context["placers"]

    def count_queries(self, user, endpoint: dict, options, *, data=None, show=True, profile=False):
        """One request as `user` through the test client: (number of queries, response). With --show-queries
        and --explain the queries are printed (with EXPLAIN ANALYZE); with --profile, the request is made once
        more under cProfile."""
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

    def session_cookie(self, user, language: str = "id") -> str:
        """A session of its own for this person, made in the session store as a sign-in would: the Cookie
        header of their requests."""
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.LANGUAGE_COOKIE_NAME}={language}"

    def mixed_lines(self, context: dict, rng) -> tuple[dict, dict]:
        """The mixed run's people, each signed in, and its thousands of (page, person) lines:
        ({kind: count}, {page type: [(path, cookie)]})."""
        found = mixed.mixed_people()
        plant_ids = [user.membership.organisation_id for user in found["plant"]]
        plant_lots = collections.defaultdict(list)
        lots = WasteLot.objects.filter(plant_id__in=plant_ids).filter(
            status__in=[WasteLot.Status.CLOSED, WasteLot.Status.AWARDED, WasteLot.Status.COMPLETED]
        ) | WasteLot.objects.filter(
            plant_id__in=plant_ids, status=WasteLot.Status.OPEN, closes_at__gt=timezone.now() + timedelta(1)
        )
        for plant_id, reference in lots.order_by("-id").values_list("plant_id", "reference"):
            if len(plant_lots[plant_id]) < 20:
                plant_lots[plant_id].append(reference)
        people = {
            kind: [
                {
                    # One person in five reads the site in English.
                    "cookie": self.session_cookie(user, "en" if rng.random() < 0.2 else "id"),
                    "plant_lots": plant_lots.get(user.membership.organisation_id, []) if kind == "plant" else [],
                }
                for user in users
                if kind != "plant" or plant_lots.get(user.membership.organisation_id)
            ]
            for kind, users in found.items()
        }
        data = {
            **mixed.mixed_lots(),
            "categories": list(
                WasteCategory.objects.filter(lots__isnull=False).distinct().values_list("code", flat=True)
            ),
            "groups": list(WasteCategory.Group.values),
            "kecamatan": list(Kecamatan.values),
            "last_year": context["last_year"],
        }
        return {kind: len(entries) for kind, entries in people.items()}, mixed_plan(rng, people, data)

    def stage_mixed_prepare(self, options):
        """The mixed run's people and lines (mixed_lines), the lots bids are placed on and the placers'
        sessions."""
        context = json.loads(options["context"])
        people, plan = self.mixed_lines(context, random.Random(SEED))  # noqa: S311 - a reproducible sample
        placers = get_user_model().objects.filter(email__in=context["placers"])
        self.result(
            {
                "plan": plan,
                "people": people,
                "bid_lots": mixed.mixed_bid_lots(context["placers"]),
                "placer_cookies": [self.session_cookie(user) for user in placers],
                "csrf_cookie": settings.CSRF_COOKIE_NAME,
            }
        )

    def stage_mixed_replay(self, options):
        """--replay N: N lines of the mixed plan, in the mixed run's order, replayed in-process (bench/replay.py)."""
        context = json.loads(options["context"])
        _people, plan = self.mixed_lines(context, random.Random(SEED))  # noqa: S311 - a reproducible sample
        lines = mixed_order(plan)[: options["replay"]]
        self.result({"lines": replay(lines, log=self.log if options["profile"] else None)})

    def stage_mixed_cleanup(self, options):

        context = json.loads(options["context"])
        self.result({"deleted": mixed.mixed_cleanup(context["references"], context["placers"])})

    def stage_place_check(self, options):

        context = json.loads(options["context"])
        self.result(placing.place_check(WasteLot.objects.get(reference=context["place_lot"])))

    def stage_csv_memory(self, options):
        """The completed deals of a month, a year and the whole 24 months as CSV, through the view, read as a
        client reads the stream: rows, bytes, seconds and the peak of Python memory allocated while streaming
        (tracemalloc). The rows are read from the database 2,000 at a time, so the peak grows up to one chunk
        (a month has fewer rows) and then stays: flat when the 24 months (twice the rows of the year) peak
        within 25 % of the year."""
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
