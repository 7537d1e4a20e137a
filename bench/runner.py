"""The benchmark, in the process that runs `manage.py bench`: the database migrated and built, static files
collected, sessions and query counts prepared (subprocesses in the benchmark's environment), gunicorn started,
each endpoint measured with wrk (bid placing with threads) and one JSON line written per endpoint."""

import json
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import environ
from django.core.management.base import CommandError

from bench.endpoints import FLOOR, LANGUAGE, check_page, resolve, selected_endpoints, wants_mixed
from bench.load import (
    CSRF_INPUT,
    WARMUP_SECONDS,
    WRK_CONNECTIONS,
    WRK_THREADS,
    cpu_busy,
    fetch,
    fetch_form,
    free_port,
    parse_wrk,
    post_load,
)
from bench.server import (
    DEFAULT_DATABASE_URL,
    bench_env,
    database_url,
    ensure_database,
    run_quietly,
    run_stage,
    start_server,
    stop_server,
)
from bench.traffic import MIXED_BAD, measure_mixed


class Benchmark:
    """One run of the benchmark: `log` takes progress (stderr), `write` the JSON lines (stdout)."""

    def __init__(self, *, log, write):
        self.log, self.write = log, write

    def run(self, options) -> None:
        wrk = shutil.which("wrk")
        if not wrk and not options["replay"]:
            raise CommandError("wrk is not installed: apt-get install wrk")
        endpoints = selected_endpoints(options["only"])
        url = database_url()
        if ensure_database(url):
            self.log(f"created database {environ.Env.db_url_config(url)['NAME']}")
        workdir = Path(tempfile.mkdtemp(prefix="wastex-bench-"))
        env = bench_env(url, workdir / "static")
        self.log(
            f"database {environ.Env.db_url_config(url)['NAME']}, "
            f"cache {env.get('REDIS_URL') or 'local memory (no Redis)'}"
        )
        server = None
        previous_sigterm = signal.signal(signal.SIGTERM, self.terminated)
        try:
            started = time.monotonic()
            try:
                run_quietly(env, "migrate", "--noinput")
            except CommandError as exc:
                if url != DEFAULT_DATABASE_URL:
                    raise
                # The benchmark's own database (not one named by DATABASE_URL) is disposable: while migrations
                # are renamed or squashed its history can stop matching the code. Start it afresh once.
                last_line = str(exc).strip().splitlines()[-1]
                self.log(f"migrate failed ({last_line}); dropping and recreating the benchmark database")
                ensure_database(url, drop_first=True)
                run_quietly(env, "migrate", "--noinput")
            self.log(f"migrate: {time.monotonic() - started:.1f}s")

            build_args = ["--lots", str(options["lots"]), "--bids", str(options["bids"])]
            build_args += ["--rebuild"] if options["rebuild"] else []
            build_args += ["--rebuild-bids"] if options["rebuild_bids"] else []
            built = run_stage(env, "build", *build_args)
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
            run_quietly(env, "collectstatic", "--noinput")
            self.log(f"collectstatic: {time.monotonic() - started:.1f}s")
            if options["replay"]:
                replay_args = ["--context", json.dumps(built), f"--replay={options['replay']}"]
                if options["profile"]:
                    replay_args.append("--profile")
                for line in run_stage(env, "mixed-replay", *replay_args)["lines"]:
                    self.write(json.dumps(line))
                return

            prepare_args = ["--context", json.dumps(built), *[f"--only={e['name']}" for e in endpoints]]
            for flag in ("show_queries", "explain", "profile"):
                if options[flag]:
                    prepare_args.append("--" + flag.replace("_", "-"))
            prepared = run_stage(env, "prepare", *prepare_args)
            cookies = {
                auth: self.cookie(prepared, key) for auth, key in prepared["sessions"].items() if auth != "placers"
            }

            busy = cpu_busy()
            if busy is not None and busy > 0.2:
                self.log(f"warning: the CPUs are {busy:.0%} busy before the server starts: other work skews results")
            port = free_port()
            server = start_server(env, port, workdir / "gunicorn.log", self.log)
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
                self.write(json.dumps(line))
            if wants_mixed(options["only"]):
                for line in measure_mixed(self, wrk, env, port, server, built, options, workdir, failures):
                    self.write(json.dumps(line))
            if not options["only"] or any("dashboard" in name for name in options["only"]):
                csv_line = run_stage(env, "csv-memory", "--context", json.dumps(built))
                self.write(json.dumps(csv_line))
                if not csv_line["flat"]:
                    failures.append(f"The CSV export's memory grows with its rows: {csv_line}")
            if failures:
                raise CommandError("\n".join(failures))
        except KeyboardInterrupt:
            raise CommandError("Interrupted.") from None
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            if server is not None:
                stop_server(server, self.log)
            shutil.rmtree(workdir, ignore_errors=True)

    def cookie(self, prepared: dict, session_key: str) -> str:
        return f"{prepared['session_cookie']}={session_key}; {prepared['language_cookie']}={LANGUAGE}"

    def terminated(self, signum, frame):
        raise SystemExit(128 + signum)  # runs the `finally` that stops gunicorn

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
        after = run_stage(env, "place-check", "--context", json.dumps(built))

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
