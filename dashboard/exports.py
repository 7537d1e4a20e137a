"""Every dashboard table as CSV (streamed, memory flat) or as an Excel workbook (openpyxl, write-only).

A table is a list of columns (CSV header, how to read the value) and the rows the page shows, computed by
the same selectors, so the CSV holds exactly the page's numbers, unformatted in the machine form of
core.numbers.plain (a point before the decimals, no grouping, no trailing zeros: "119.5", whatever the page's
language — what every spreadsheet reads as a number); a workbook holds them as numbers.
The long lists (completed deals, open lots without bids, handover mismatches) are read from the database in
chunks while the response streams.
"""

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext_lazy as _

from core import numbers
from core.exports import SafeCsvWriter, safe_excel_row

from . import selectors
from .expressions import kilograms, rupiah, tonnes
from .filters import Selection
from .selectors import Scope

CHUNK = 2000


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[str]
    rows: Callable[[Selection, Scope], Iterable[list]]
    scopes: tuple[str, ...] = ("city", "plant", "processor")


def _plain(value):
    """The CSV spelling of a value: Decimal without exponent, dates ISO, booleans as true/false, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return numbers.plain(value, places=None)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def summary_rows(selection: Selection, scope: Scope) -> list[list]:
    """The headline figures, one per row: what the cards at the top of the page say."""
    return headline_rows(selectors.headline_figures(selection, scope))


# The headline figures' names in the summary export, and on the page (its table of headline figures).
HEADLINE_LABELS = {
    "lots_listed": _("Lots listed"),
    "tonnes_listed": _("Tonnes listed"),
    "lots_listed_in_other_units": _("Lots listed in litres, m³ or units (not in tonnages)"),
    "bids_per_lot": _("Bids per lot (lots whose bidding has closed)"),
    "deals_awarded": _("Deals awarded"),
    "tonnes_awarded": _("Tonnes awarded"),
    "median_days_to_award": _("Median days from publication to award"),
    "processors_paid_plants": _("Processors paid plants"),
    "plants_paid_processors": _("Plants paid processors (gate fees)"),
    "awarded_banten_share": _("Share of awarded tonnage to Banten businesses"),
    "awarded_japnas_share": _("Share of awarded tonnage to Japnas members"),
    "awarded_tonnes_leaving_banten": _("Awarded tonnes leaving Banten"),
    "deals_completed": _("Deals completed"),
    "tonnes_completed": _("Tonnes completed"),
    "completed_banten_share": _("Share of completed tonnage processed by Banten businesses"),
    "completed_japnas_share": _("Share of completed tonnage processed by Japnas members"),
    "completed_tonnes_leaving_banten": _("Completed tonnes processed outside Banten"),
    "co2e_avoided": _("CO2e avoided (t)"),
}


def headline_rows(figures: dict) -> list[list]:
    """[name, value, unit] of each headline figure (a processor lists nothing: no listing figures)."""
    rows = []
    listed = figures["listed"]
    if listed is not None:
        rows += [
            ["lots_listed", listed["lots"], "lots"],
            ["tonnes_listed", listed["tonnes"], "t"],
            ["lots_listed_in_other_units", listed["other_unit_lots"], "lots"],
            ["bids_per_lot", figures["bids_per_lot"], "bids"],
        ]
    awarded, completed = figures["awarded"], figures["completed"]
    rows += [
        ["deals_awarded", awarded["deals"], "deals"],
        ["tonnes_awarded", awarded["tonnes"], "t"],
        ["median_days_to_award", figures["median_days_to_award"], "days"],
        ["processors_paid_plants", awarded["processors_paid"], "Rp"],
        ["plants_paid_processors", awarded["plants_paid"], "Rp"],
        ["awarded_banten_share", awarded["banten_share"], "%"],
        ["awarded_japnas_share", awarded["japnas_share"], "%"],
        ["awarded_tonnes_leaving_banten", awarded["leaving_tonnes"], "t"],
        ["deals_completed", completed["deals"], "deals"],
        ["tonnes_completed", completed["tonnes"], "t"],
        ["completed_banten_share", completed["banten_share"], "%"],
        ["completed_japnas_share", completed["japnas_share"], "%"],
        ["completed_tonnes_leaving_banten", completed["leaving_tonnes"], "t"],
        ["co2e_avoided", completed["co2e_tonnes"], "t CO2e"],
    ]
    return rows


def trend_rows(selection, scope):
    return [
        [
            row["month"].strftime("%Y-%m"),
            row["awarded_tonnes"],
            row["awarded_banten_share"],
            row["awarded_japnas_share"],
            row["completed_tonnes"],
            row["completed_banten_share"],
            row["completed_japnas_share"],
        ]
        for row in selectors.monthly_trend(selection, scope)
    ]


def route_rows(selection, scope):
    return [
        [row["route"], row["deals"], row["awarded_tonnes"], row["value"]]
        for row in selectors.by_route(selection, scope)
    ]


def category_rows(selection, scope):
    return [
        [
            row["code"],
            row["lots"],
            row["listed_tonnes"],
            row["deals"],
            row["awarded_tonnes"],
            row["value"],
            row["completed_tonnes"],
            row["co2e_factor"],
            row["co2e_source"],
            row["co2e_tonnes"],
        ]
        for row in selectors.by_category(selection, scope)
    ]


def processor_rows(selection, scope):
    return [
        [row["name"], row["banten"], row["japnas"], row["deals"], row["awarded_tonnes"], row["value"]]
        for row in selectors.top_processors(selection, scope)
    ]


def gap_rows(selection, scope):
    return [
        [
            row["code"],
            row["lots"],
            row["monthly_tonnes"],
            row["processors"],
            row["capacity_tonnes"],
            row["gap_tonnes"],
        ]
        for row in selectors.supply_gaps(selection)
    ]


def no_bid_rows(selection, scope) -> Iterator[list]:
    lots = (
        selectors.open_lots_without_bids(selection, scope, limit=None)
        .annotate(kg=kilograms("quantity", "unit"))
        .values_list(
            "reference", "category__code", "site_kecamatan", "quantity", "unit", "kg", "published_at", "closes_at"
        )
    )
    for reference, code, kecamatan, quantity, unit, kg_count, published, closes in lots.iterator(CHUNK):
        yield [
            reference,
            code,
            kecamatan,
            quantity,
            unit,
            tonnes(kg_count) if kg_count is not None else None,
            timezone.localtime(published) if published else None,
            timezone.localtime(closes),
        ]


def mismatch_rows(selection, scope) -> Iterator[list]:
    handovers = selectors.handover_mismatches(selection, scope, limit=None).values_list(
        "lot__reference",
        "pickup_date",
        "lot__plant__name",
        "period__award__bid__bidder__name",
        "lot__unit",
        "quantity_sent",
        "quantity_received",
    )
    for reference, day, plant, processor, unit, sent, received in handovers.iterator(CHUNK):
        difference = received - sent if received is not None else None
        share = (difference * 100 / sent).quantize(Decimal("0.1")) if difference is not None else None
        yield [reference, day, plant, processor, unit, sent, received, difference, share]


def deal_rows(selection, scope) -> Iterator[list]:
    """Every completed deal of the period: what officials may read, and each firm its own."""
    deals = (
        selectors.period_deals(selection, scope, on="completed_at")
        .order_by("completed_at", "pk")
        .values_list(
            "lot__reference",
            "completed_at",
            "category__code",
            "kecamatan",
            "lot__plant__name",
            "processor__name",
            "processor_banten",
            "processor_japnas",
            "route_used",
            "unit",
            "quantity",
            "period__handover__quantity_sent",
            "period__handover__quantity_received",
            "kg_completed",
            "price_per_unit",
            "value_millions",
            "value_rest_milli",
        )
    )
    for row in deals.iterator(CHUNK):
        (reference, when, code, kecamatan, plant, processor, banten, japnas, route, unit) = row[:10]
        awarded, sent, received, kg_count, price, millions, rest = row[10:]
        yield [
            reference,
            timezone.localtime(when),
            code,
            kecamatan,
            plant,
            processor,
            banten,
            japnas,
            route,
            unit,
            awarded,
            sent,
            received,
            tonnes(kg_count) if kg_count is not None else None,
            price,
            rupiah(millions, rest),
        ]


TABLES = {
    table.name: table
    for table in [
        Table("summary", ["figure", "value", "unit"], summary_rows),
        Table(
            "trend",
            [
                "month",
                "awarded_tonnes",
                "awarded_banten_share_pct",
                "awarded_japnas_share_pct",
                "completed_tonnes",
                "completed_banten_share_pct",
                "completed_japnas_share_pct",
            ],
            trend_rows,
        ),
        Table("routes", ["route", "deals", "awarded_tonnes", "value_rp"], route_rows),
        Table(
            "categories",
            [
                "category",
                "lots_listed",
                "listed_tonnes",
                "deals_awarded",
                "awarded_tonnes",
                "value_rp",
                "completed_tonnes",
                "co2e_factor_t_per_t",
                "co2e_source",
                "co2e_avoided_t",
            ],
            category_rows,
        ),
        Table(
            "processors",
            ["processor", "banten", "japnas", "deals_awarded", "awarded_tonnes", "value_rp"],
            processor_rows,
            scopes=("city",),
        ),
        Table(
            "gaps",
            [
                "category",
                "recurring_lots",
                "monthly_tonnes",
                "banten_processors",
                "banten_capacity_tonnes_per_month",
                "gap_tonnes_per_month",
            ],
            gap_rows,
            scopes=("city",),
        ),
        Table(
            "no-bids",
            ["reference", "category", "kecamatan", "quantity", "unit", "tonnes", "published_at", "closes_at"],
            no_bid_rows,
            scopes=("city", "plant"),
        ),
        Table(
            "mismatches",
            [
                "reference",
                "pickup_date",
                "plant",
                "processor",
                "unit",
                "quantity_sent",
                "quantity_received",
                "difference",
                "difference_pct",
            ],
            mismatch_rows,
        ),
        Table(
            "deals",
            [
                "reference",
                "completed_at",
                "category",
                "kecamatan",
                "plant",
                "processor",
                "processor_banten",
                "processor_japnas",
                "route",
                "unit",
                "quantity_awarded",
                "quantity_sent",
                "quantity_received",
                "tonnes_completed",
                "price_per_unit_rp",
                "value_rp",
            ],
            deal_rows,
        ),
    ]
}


class _Echo:
    def write(self, value):
        return value


def _filename(table: Table, selection: Selection, extension: str) -> str:
    parts = ["wastex", table.name, selection.first.isoformat(), selection.last.isoformat()]
    parts += [
        part for part in (selection.group, selection.category and selection.category.code, selection.kecamatan) if part
    ]
    return "-".join(parts) + f".{extension}"


def csv_response(table: Table, selection: Selection, scope: Scope) -> StreamingHttpResponse:
    writer = SafeCsvWriter(_Echo(), spell=_plain)

    def lines():
        yield writer.writerow(table.columns)
        for row in table.rows(selection, scope):
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, _filename(table, selection, "csv"))
    return response


def _excel_value(value):
    if isinstance(value, Decimal):
        # A spreadsheet number keeps 15 significant digits: exact for tonnages and for rupiah below 10^15.
        return float(value) if abs(value) < 10**12 else str(value)
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # already Asia/Jakarta; Excel has no time zones
    return value


def excel_response(table: Table, selection: Selection, scope: Scope) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=table.name[:31])
    sheet.append(safe_excel_row(sheet, table.columns))
    for row in table.rows(selection, scope):
        sheet.append(safe_excel_row(sheet, row, _excel_value))
    filters = workbook.create_sheet(title="filters")
    for key, value in selection.describe().items():
        filters.append(safe_excel_row(filters, [key, value]))
    filters.append(safe_excel_row(filters, ["scope", scope.kind]))
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=_filename(table, selection, "xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
