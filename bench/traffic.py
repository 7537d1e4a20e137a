"""The mixed run: real traffic of a few hundred signed-in people over every page type, each a random (page,
person) line of a plan drawn here, sent at random by wrk's Lua script while bids are placed; then each page type
alone over its own lines."""

import collections
import json
import random
import re
from pathlib import Path
from urllib.parse import urlencode

from django.core.management.base import CommandError

from bench.endpoints import FLOOR, MIXED
from bench.load import BidPlacer, fetch, worker_memory
from bench.server import run_stage

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


def mixed_order(plan: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str, str]]:
    """The mixed run's lines in the order it sends them: (page type, path, Cookie header), every page type's
    lines together, shuffled the same way each time (the wrk run and the in-process replay share it)."""
    lines = [(page, path, cookie) for page, entries in plan.items() for path, cookie in entries]
    random.Random(1).shuffle(lines)  # noqa: S311 - a reproducible sample
    return lines


def measure_mixed(benchmark, wrk, env, port, server, built, options, workdir: Path, failures: list[str]) -> list[dict]:
    """Real traffic: MIXED_URLS random (page, person) lines for a few hundred signed-in people, sent at random
    by wrk for --mixed-seconds while bids are placed on random open lots MIXED_BIDS_PER_SECOND times a second;
    then each page type alone over its own lines (fresh pages: no cache in front). Lines of JSON. `benchmark`: the
    bench.runner.Benchmark that measures."""
    prepared = run_stage(env, "mixed-prepare", "--context", json.dumps(built))
    plan = {name: [tuple(line) for line in lines] for name, lines in prepared["plan"].items()}
    script = workdir / "mixed.lua"
    script.write_text(WRK_MIXED_LUA)
    every = [(path, cookie) for _page, path, cookie in mixed_order(plan)]
    files = {}
    for name, lines in [(MIXED, every), *sorted(plan.items())]:
        files[name] = workdir / f"{name}.tsv"
        files[name].write_text("".join(f"{path}\t{cookie}\n" for path, cookie in lines))
    distinct = len(set(every))
    benchmark.log(
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
        return benchmark.measure(wrk, port, floor_endpoint, None, PAIRED_FLOOR_SECONDS, warmup=False)["rps"]

    floor = paired_floor()
    placing = BidPlacer(port, prepared, MIXED_BIDS_PER_SECOND)
    placing.start()
    benchmark.log(f"mixed: {options['mixed_seconds']}s of wrk, bids placed {MIXED_BIDS_PER_SECOND}/s meanwhile")
    try:
        result = benchmark.run_wrk_script(wrk, port, script, files[MIXED], options["mixed_seconds"])
    finally:
        bids = placing.stop()
        cleanup = {"references": [lot["reference"] for lot in prepared["bid_lots"]], "placers": built["placers"]}
        removed = run_stage(env, "mixed-cleanup", "--context", json.dumps(cleanup))["deleted"]
        benchmark.log(f"mixed: the {removed} rows of bids it placed deleted again (the data stays as built)")
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
        benchmark.log(f"fresh {name}: {options['seconds']}s over {len(plan[name])} lines")
        floor = paired_floor()
        measured = benchmark.run_wrk_script(wrk, port, script, files[name], options["seconds"])
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
