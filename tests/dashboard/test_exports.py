"""Exports: CSV streams with the filters applied; Excel opens and holds the same rows (openpyxl reads it)."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from openpyxl import load_workbook

from dashboard.exports import TABLES

from .conftest import at, make_deal

QUERY = "?period=year&start=2025-01-01"


@pytest.fixture
def deals(plant, banten_japnas, outside):
    make_deal(plant=plant, processor=banten_japnas, quantity="100", price=-15_000, awarded=at(2025, 3, 11),
              completed=at(2025, 3, 20), sent="100", received="90")  # fmt: skip
    make_deal(plant=plant, processor=outside, code="ferrous-scrap", quantity="300", price=4_000_000,
              awarded=at(2025, 8, 1), completed=at(2025, 8, 9), kecamatan="grogol")  # fmt: skip
    make_deal(plant=plant, processor=outside, quantity="7", awarded=at(2024, 8, 1), completed=at(2024, 8, 9))


def rows_of(response):
    assert isinstance(response, StreamingHttpResponse)
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_deals_csv_holds_every_completed_deal_of_the_period(client, official, deals):
    client.force_login(official)
    response = client.get("/dashboard/export/deals.csv" + QUERY)
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="wastex-deals-2025-01-01-2025-12-31.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == TABLES["deals"].columns
    assert len(rows) == 3  # header and the two deals completed in 2025
    slag = next(row for row in rows if row[2] == "steel-slag")
    assert slag[5] == "CV Banten Japnas" and slag[6] == "true" and slag[7] == "true"
    assert slag[12] == "90" and slag[13] == "90"  # received; tonnes as counted (plain: no trailing zeros)
    assert slag[14] == "-15000" and slag[15] == "-1500000"
    assert slag[1].startswith("2025-03-20T12:00:00+07:00")  # Asia/Jakarta


def test_filters_apply_to_exports(client, official, deals):
    client.force_login(official)
    rows = rows_of(client.get("/dashboard/export/deals.csv" + QUERY + "&kecamatan=grogol"))
    assert [row[2] for row in rows[1:]] == ["ferrous-scrap"]
    rows = rows_of(client.get("/dashboard/export/deals.csv" + QUERY + "&group=slags-and-ashes"))
    assert [row[2] for row in rows[1:]] == ["steel-slag"]
    rows = rows_of(client.get("/dashboard/export/categories.csv?period=year&start=2024-03-01"))
    assert [(row[0], row[4]) for row in rows[1:]] == [("steel-slag", "7")]


def test_mismatches_csv(client, official, deals):
    client.force_login(official)
    rows = rows_of(client.get("/dashboard/export/mismatches.csv" + QUERY))
    assert rows[1][0].startswith("WX-") and rows[1][5:] == ["100", "90", "-10", "-10"]


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_table_as_excel_reads_back_like_its_csv(client, official, deals, table):
    client.force_login(official)
    csv_rows = rows_of(client.get(f"/dashboard/export/{table}.csv" + QUERY))
    response = client.get(f"/dashboard/export/{table}.xlsx" + QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook[table]
    width = len(csv_rows[0])
    # A read-only sheet drops the empty cells at the end of a row.
    excel_rows = [list(row) + [None] * (width - len(row)) for row in sheet.iter_rows(values_only=True)]
    assert excel_rows[0] == csv_rows[0]
    assert len(excel_rows) == len(csv_rows)
    for excel_row, csv_row in zip(excel_rows[1:], csv_rows[1:], strict=True):
        for excel_value, csv_value in zip(excel_row, csv_row, strict=True):
            if excel_value is None:
                assert csv_value == ""
            elif isinstance(excel_value, bool):
                assert csv_value == str(excel_value).lower()
            elif isinstance(excel_value, int | float):
                assert float(csv_value) == pytest.approx(excel_value)
            elif hasattr(excel_value, "isoformat"):
                assert csv_value.startswith(excel_value.isoformat()[:10])
            else:
                assert csv_value == excel_value
    filters = dict(workbook["filters"].iter_rows(values_only=True))
    assert filters["from"] == "2025-01-01" and filters["scope"] == "city"
