"""Spreadsheet formula injection: hostile text through every export the site has (CSV and Excel).

Every URL whose name or path says export/csv/xlsx, or whose view speaks of CSV or Excel, must be in EXPORTS
below with a way to fetch it: a new export that is not listed fails test_every_export_is_listed, and once
listed its cells are checked like the others. No module but core/exports.py may open a csv writer itself.
"""

import csv
import inspect
import io
import re
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from core.exports import FORMULA_TRIGGERS, SafeCsvWriter, safe_cell, safe_excel_row
from dashboard.exports import TABLES
from listings.models import Bid
from members.models import AuditEntry, Organisation
from tests.dashboard.conftest import at, make_deal
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of, staff_user

HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
# Numbers are not text: a negative price or difference may start with "-".
NUMBER = re.compile(r"-?\d+(\.\d+)?")
PROJECT = Path(__file__).resolve().parent.parent
APPS = ["core", "members", "listings", "dashboard", "wastex"]


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}", pattern.callback


def _source(callback) -> str:
    target = getattr(callback, "view_class", None) or inspect.unwrap(callback)
    try:
        return inspect.getsource(target)
    except (OSError, TypeError):
        return ""


def discovered_exports() -> set[str]:
    """URL names that export a spreadsheet: by name or path, or by what their view says."""
    found = set()
    words = re.compile(r"export|csv|xlsx", re.IGNORECASE)
    for route, name, callback in _walk(get_resolver().url_patterns):
        if route.startswith("admin/"):
            continue  # Django's admin exports nothing
        source = _source(callback)
        if words.search(route) or words.search(name) or re.search(r"csv|xlsx|openpyxl|spreadsheet", source, re.I):
            found.add(name)
    return found


@pytest.fixture
def hostile_world(db):
    """Plants and processors named with formulas, with completed deals (one short-weighed), and a lot whose
    open bids come from them."""
    plants = [OrganisationFactory(name=text) for text in HOSTILE]
    processors = [OrganisationFactory(name=text, processor=True, japnas_number="JPN-7") for text in HOSTILE]
    for plant, processor in zip(plants, processors, strict=True):
        make_deal(plant=plant, processor=processor, awarded=at(2025, 3, 1), completed=at(2025, 3, 10),
                  sent="100", received="80", price=-15_000)  # fmt: skip
    LotFactory(plant=plants[0], title=HOSTILE[0], description=HOSTILE[1])  # open, no bids: the no-bids table
    lot = LotFactory(plant=plants[0], bidding_mode="open", title=HOSTILE[2])
    for processor in processors:
        Bid.objects.create(lot=lot, bidder=processor, price_per_unit=-1000, quantity=10, pickup_date=lot.available_from,
                           route="recycling", note=HOSTILE[3])  # fmt: skip
    return {"plant_admin": member_of(plants[0]), "staff": staff_user(), "lot": lot}


def _csv_cells(response) -> list:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8"))) for cell in row]


def _xlsx_cells(response) -> list:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"a formula in {sheet.title}!{cell.coordinate}: {cell.value!r}"
                cells.append(cell.value)
    return cells


def fetch_dashboard_exports(client, world):
    log_in(client, world["staff"])
    for table in TABLES:
        for fmt, read in (("csv", _csv_cells), ("xlsx", _xlsx_cells)):
            response = client.get(f"/dashboard/export/{table}.{fmt}?period=year&start=2025-01-01")
            assert response.status_code == 200, (table, fmt)
            yield f"{table}.{fmt}", read(response)


def fetch_lot_bids_csv(client, world):
    log_in(client, world["plant_admin"])
    response = client.get(f"/lots/{world['lot'].reference}/bids/?format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    yield "bids.csv", _csv_cells(response)


def fetch_staff_audit_csv(client, world):
    """Staff's decisions on the hostile organisations, exported from the audit log."""
    for organisation in Organisation.objects.filter(name__in=HOSTILE):
        AuditEntry.objects.create(
            kind=AuditEntry.Kind.ORGANISATION_REJECTED, actor=world["staff"], organisation=organisation,
            reason=organisation.name,
        )  # fmt: skip
    log_in(client, world["staff"])
    response = client.get("/staff/audit/export.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    yield "audit.csv", _csv_cells(response)


# Every export of the site, and how to fetch it with the hostile data in it.
EXPORTS = {
    "dashboard:export": fetch_dashboard_exports,
    "listings:lot_bids": fetch_lot_bids_csv,
    "members:staff_audit_export": fetch_staff_audit_csv,
}
# The exports whose rows carry an organisation's name: each hostile name must reach them (neutralised).
CARRY_NAMES = {"deals.csv", "deals.xlsx", "mismatches.csv", "mismatches.xlsx", "processors.csv"}
CARRY_NAMES |= {"processors.xlsx", "bids.csv", "audit.csv"}


# Views that speak of CSV but send none: each with the reason.
NOT_EXPORTS = {"members:staff_japnas_list": "staff upload Japnas's member list as CSV; nothing is sent back"}


def test_every_export_is_listed():
    unknown = discovered_exports() - set(EXPORTS) - set(NOT_EXPORTS)
    assert not unknown, (
        f"New exports {sorted(unknown)}: write their cells with core.exports (SafeCsvWriter, safe_excel_row) "
        "and add them to EXPORTS in this test."
    )
    assert set(EXPORTS) <= discovered_exports()  # the table names real views


def test_no_module_writes_csv_around_the_helper():
    offenders = []
    for app in APPS:
        for path in (PROJECT / app).rglob("*.py"):
            if path.relative_to(PROJECT).as_posix() == "core/exports.py":
                continue
            text = path.read_text()
            if re.search(r"csv\.(writer|DictWriter)\(", text) or ("Workbook(" in text and "safe_excel_row" not in text):
                offenders.append(str(path.relative_to(PROJECT)))
    assert not offenders, f"spreadsheets written without core.exports: {offenders}"


def test_hostile_text_is_neutralised_in_every_export(client, hostile_world):
    seen = set()
    for name, fetch in EXPORTS.items():
        for label, cells in fetch(client, hostile_world):
            for value in cells:
                if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                    assert NUMBER.fullmatch(value), f"{name} {label}: a live formula {value!r}"
            # XML reads a carriage return as a line feed: compare the xlsx text so.
            texts = {value.replace("\r", "\n") for value in cells if isinstance(value, str)}
            if label in CARRY_NAMES:
                missing = [text for text in HOSTILE if ("'" + text).replace("\r", "\n") not in texts]
                assert not missing, f"{label} lacks the neutralised names {missing}"
            seen.add(label)
    assert {"bids.csv", "deals.csv", "deals.xlsx", "summary.xlsx", "no-bids.csv"} <= seen


@pytest.mark.parametrize("text", HOSTILE)
def test_safe_cell_quotes_text_that_starts_a_formula(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("PT " + text) == "PT " + text  # only the first character matters
    assert safe_cell(-5) == -5  # a number stays a number


def test_safe_csv_writer_spells_numbers_after_neutralising():
    stream = io.StringIO()
    SafeCsvWriter(stream, spell=str).writerow(["=1", -150000, "-2"])
    assert stream.getvalue() == "'=1,-150000,'-2\r\n"


def test_excel_text_is_typed_as_text():
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet()
    cells = safe_excel_row(sheet, ["=1+1", "plain", 7])
    assert [(cell.value, cell.data_type) for cell in cells] == [("'=1+1", "s"), ("plain", "s"), (7, "n")]
