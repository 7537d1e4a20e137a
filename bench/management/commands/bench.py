"""Load benchmark: PostgreSQL with 100,000 lots and 1,000,000 bids, gunicorn with DEBUG off, wrk; one JSON line
per endpoint.

    python manage.py bench [--lots N] [--bids N] [--seconds S] [--rounds N] [--rebuild] [--rebuild-bids]
                           [--only NAME ...] [--show-queries] [--explain] [--profile] [--replay N]

Settings are read from the environment at import, and this process may well be on SQLite: every step that
touches the benchmark database (migrate, building the data, signing in, counting queries, checking the bids
placed, the server) runs as a subprocess with the benchmark's environment. The steps that need Django run this
same command with the hidden `--stage` option. The JSON lines go to stdout, progress to stderr.

To benchmark another page, add a dict to ENDPOINTS in bench/endpoints.py (its docstring says how).

`bid-place` is measured differently: each of 16 verified processors posts bids on one lot over its own
connection (first placed, then revised), from threads in this process rather than from wrk, because wrk
abandons the requests in flight when its time is up; here every request sent is answered, so every 302 can
be matched with a bid revision in the database afterwards.

The command only reads its options: bench/runner.py runs the benchmark, bench/stages.py the steps, bench/traffic.py
the mixed run, bench/replay.py its in-process replay (--replay), bench/load.py generates the load and
bench/server.py starts gunicorn; bench/data/ builds the data.
"""

import argparse

from django.core.management.base import BaseCommand

from bench.endpoints import ENDPOINTS, MIXED
from bench.runner import Benchmark
from bench.stages import STAGES, Stages


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
            "--profile",
            action="store_true",
            help="Print a cProfile of one request per endpoint (in-process); with --replay, of each page type's "
            "replayed requests.",
        )
        parser.add_argument(
            "--replay",
            type=int,
            default=0,
            metavar="N",
            help="Instead of measuring: replay N lines of the mixed run in-process (one Django handler, no server) "
            "and print each page type's share of the time, Python CPU, SQL time and queries per request.",
        )
        # Internal: the steps that run inside the benchmark's environment.
        parser.add_argument(
            "--stage",
            choices=STAGES,
            help=argparse.SUPPRESS,
        )
        parser.add_argument("--context", default="{}", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["stage"]:
            Stages(log=self.log, write=self.stdout.write).run(options["stage"], options)
        else:
            Benchmark(log=self.log, write=self.stdout.write).run(options)

    def log(self, message: str) -> None:
        self.stderr.write(f"[bench] {message}")
        self.stderr.flush()
