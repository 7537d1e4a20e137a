"""The pages `manage.py bench` measures, and how each is checked: add a dict to ENDPOINTS to benchmark another
page. `path` may use the names the data build returns (bench/data/build.py: {open_lot}, {bids_lot},
{place_lot}, ...); `auth` names who is signed in (None, or one of AUTH_PEOPLE); `expect` is text the page must
contain, `reject` text it must not, `rows` a text that must appear exactly so many times; `small` the same page
over little data, whose query count must be the same."""

from django.core.management.base import CommandError

ENDPOINTS = [
    {"name": "floor", "path": "/robots.txt", "auth": None, "expect": ["User-agent: *"]},
    {
        # The lightest signed-in page: the layout and a three-field form, one query (the person). No page of the
        # mixed run does less, so its ratio to the floor is the most any of them could reach.
        "name": "signed-in-form",
        "path": "/accounts/password_change/",
        "auth": "viewer",
        "expect": ['name="old_password"', 'name="new_password2"'],
    },
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
LANGUAGE = "id"


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


def selected_endpoints(only: list[str] | None) -> list[dict]:
    names = {e["name"] for e in ENDPOINTS}
    wanted = {name for value in only or [] for name in value.split(",") if name} - {MIXED}
    unknown = wanted - names
    if unknown:
        raise CommandError(f"Unknown endpoint {', '.join(sorted(unknown))}; known: {', '.join(sorted(names))}.")
    # The floor always runs first: every other result is also a ratio to it.
    if only and not wanted:
        return [dict(e) for e in ENDPOINTS if e["name"] == FLOOR]  # the mixed run alone
    return [dict(e) for e in ENDPOINTS if e["name"] == FLOOR or not wanted or e["name"] in wanted]


def wants_mixed(only) -> bool:
    return not only or any(MIXED in value.split(",") for value in only)
