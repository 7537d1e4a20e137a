"""make bench's mixed run: thousands of distinct pages over every page type, each for a person who may open it."""

import random
from urllib.parse import parse_qs, urlsplit

from bench.traffic import MIXED_URLS, MIXED_WEIGHTS, mixed_plan

DATA = {
    "open": [f"WX-2026-{n:05d}" for n in range(1, 2001)],
    "closed": [f"WX-2026-{n:05d}" for n in range(2001, 3001)],
    "categories": ["steel-slag", "used-lube-oil", "hdpe-rigid"],
    "groups": ["metals", "plastics", "oils-and-solvents"],
    "kecamatan": ["ciwandan", "grogol"],
    "last_year": 2025,
}


def people(kind, n):
    return [{"cookie": f"sessionid={kind}{i}", "plant_lots": [f"WX-2026-{i + 1:05d}"]} for i in range(n)]


def test_the_plan_is_thousands_of_distinct_pages_of_every_type():
    plan = mixed_plan(
        random.Random(1), {"processor": people("p", 200), "plant": people("l", 80), "official": people("o", 20)}, DATA
    )
    lines = [line for kind in plan.values() for line in kind]
    assert len(lines) == MIXED_URLS
    assert len({path for path, _cookie in lines}) > 3000
    assert set(plan) == {page for weights in MIXED_WEIGHTS.values() for page in weights}
    assert len({cookie for _path, cookie in lines}) == 300
    for path, cookie in plan["dashboard"]:
        query = parse_qs(urlsplit(path).query)
        assert cookie.startswith("sessionid=o") and not ("group" in query and "category" in query)
    assert all(cookie.startswith("sessionid=l") for _path, cookie in plan["bids-page"])
    assert all(cookie.startswith("sessionid=p") for _path, cookie in plan["my-bids"] + plan["matches"])
    assert all("q=" in path for path, _cookie in plan["search"])
