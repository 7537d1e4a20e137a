"""The deals rollup follows the awards, handovers and completions, and the beat task's rebuild agrees."""

import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict

from dashboard.models import Deal, DealMonth
from dashboard.rollups import deal_months_rebuild
from dashboard.services import deals_refresh_all
from dashboard.tasks import refresh_deals
from listings.models import Award
from tests.factories import login_with_second_factor

from .conftest import at, make_contract, make_deal


def _snapshot():
    return [
        {k: v for k, v in model_to_dict(deal).items() if k != "refreshed_at"} for deal in Deal.objects.order_by("key")
    ]


def test_rows_follow_award_handover_and_completion(plant, banten_japnas):
    lot = make_deal(plant=plant, processor=banten_japnas, quantity="2500", unit="kg", price=-1234,
                    awarded=at(2025, 3, 11), completed=at(2025, 3, 20), sent="2500", received="2450.4")  # fmt: skip
    award, delivery = Deal.objects.filter(lot=lot).order_by("key")  # "award-…" before "period-…"
    assert award.kg_awarded == 2500 and award.completed_at is None and award.kg_completed is None
    assert delivery.kg_completed == 2450 and delivery.awarded_at is None and delivery.kg_awarded is None  # whole kg
    for deal in (award, delivery):
        assert deal.value_millions * 10**9 + deal.value_rest_milli == -1234 * 2500 * 1000
        assert deal.processor_banten and deal.processor_japnas
    assert delivery.completed_at == at(2025, 3, 20) and delivery.quantity_completed == Decimal("2450.400")


def test_an_award_not_yet_completed_has_no_completed_figures(plant, outside):
    lot = make_deal(plant=plant, processor=outside, awarded=at(2025, 5, 1))
    deal = Deal.objects.get(lot=lot)
    assert deal.completed_at is None and deal.kg_completed is None and deal.kg_awarded == 100_000
    assert not deal.processor_banten and not deal.processor_japnas


def test_deals_keep_the_status_the_processor_had_when_it_won(plant, outside, banten_japnas):
    """A processor that moves (or gains or loses a Japnas number) later does not move the city's figures,
    through the signals or the full rebuild."""
    make_deal(plant=plant, processor=outside, awarded=at(2025, 5, 1))
    make_deal(plant=plant, processor=banten_japnas, awarded=at(2025, 5, 2))
    outside.province, outside.japnas_number = "banten", "JPN-NEW"
    outside.save()
    banten_japnas.province, banten_japnas.japnas_number, banten_japnas.kecamatan = "jawa-barat", "", ""
    banten_japnas.save()
    expected = {outside.pk: (False, False), banten_japnas.pk: (True, True)}
    flags = {d.processor_id: (d.processor_banten, d.processor_japnas) for d in Deal.objects.all()}
    assert flags == expected
    deals_refresh_all()
    flags = {d.processor_id: (d.processor_banten, d.processor_japnas) for d in Deal.objects.all()}
    assert flags == expected


def test_the_beat_rebuild_agrees_with_the_signals(plant, banten_japnas, outside):
    for month in range(1, 7):
        make_deal(plant=plant, processor=banten_japnas if month % 2 else outside, quantity=f"{month}7.5",
                  awarded=at(2025, month, 3), completed=at(2025, month, 20) if month < 5 else None)  # fmt: skip
    incremental = _snapshot()
    Deal.objects.all().delete()
    assert refresh_deals() == 6 + 4  # the task runs the rebuild: six awards, four delivered
    assert _snapshot() == incremental
    assert deals_refresh_all() == 10 and _snapshot() == incremental  # idempotent


def _months():
    return {
        row.pk: {k: v for k, v in model_to_dict(row).items() if k != "id"} for row in DealMonth.objects.order_by("pk")
    }


@pytest.fixture
def three_deals(plant, banten_japnas, outside):
    for month in (2, 3, 4):
        make_deal(plant=plant, processor=banten_japnas if month % 2 else outside, quantity=f"{month}00",
                  awarded=at(2025, month, 3), completed=at(2025, month, 20))  # fmt: skip


def test_the_hourly_rebuild_writes_nothing_when_nothing_drifted(three_deals, caplog):
    deals, months = _snapshot(), _months()
    with caplog.at_level(logging.INFO, logger="dashboard.services"):
        assert deals_refresh_all() == 6
    assert "6 rows, 0 written (new or changed), 0 removed" in caplog.text
    assert deal_months_rebuild() == len(months)
    assert _snapshot() == deals and _months() == months  # the same rows, under the same ids: none rewritten


def test_the_hourly_rebuild_mends_exactly_what_drifted(three_deals, plant, caplog):
    deals, months = _snapshot(), _months()
    # Drift the signals cannot see: writes around the models' save.
    Deal.objects.filter(key=deals[0]["key"]).update(kg_awarded=1)
    first, second, *untouched = months
    DealMonth.objects.filter(pk=first).update(kg_total=999)
    DealMonth.objects.filter(pk=second).delete()
    bogus = DealMonth.objects.create(
        on="awarded",
        month=date(2024, 1, 1),
        category_id=months[first]["category"],
        kecamatan="",
        processor_banten=False,
        processor_japnas=False,
        kg_total=5,
    )
    with caplog.at_level(logging.INFO, logger="dashboard.services"):
        assert refresh_deals() == 6  # the beat task: the deal rows, then their months
    assert "6 rows, 1 written (new or changed), 0 removed" in caplog.text
    assert _snapshot() == deals
    mended = _months()
    assert mended[first] == months[first] and bogus.pk not in mended and second not in mended
    assert sorted(mended.values(), key=str) == sorted(months.values(), key=str)  # the deleted bucket is back
    assert all(mended[pk] == months[pk] for pk in untouched)  # kept under their ids


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row versions (xmin) are PostgreSQL's")
def test_the_hourly_rebuild_leaves_unchanged_rows_untouched_on_postgresql(three_deals):
    """An update writes a new row version even when no value changes; the rebuild writes only changed rows, so
    the rows' versions stay and the visibility map the covering indexes rely on stays set."""

    def versions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT key, xmin::text FROM dashboard_deal ORDER BY key")
            return dict(cursor.fetchall())

    before = versions()
    changed = next(iter(before))
    Deal.objects.filter(key=changed).update(kg_awarded=1)
    drifted = versions()
    deals_refresh_all()
    after = versions()
    assert after[changed] != drifted[changed]
    assert {key: value for key, value in after.items() if key != changed} == {
        key: value for key, value in before.items() if key != changed
    }


def test_deals_made_through_the_services_are_in_the_rollup(db):
    call_command("load_demo")
    assert Deal.objects.filter(awarded_at__isnull=False).count() == Award.objects.count() > 36
    before = _snapshot()
    deals_refresh_all()
    assert _snapshot() == before


def test_a_shared_stream_counts_each_share_and_each_delivery_in_its_month(plant, banten_japnas, outside):
    lot = make_contract(
        plant=plant,
        shares=[(banten_japnas, "60", 1000), (outside, "40", -500)],
        per_period="100",
        months=6,
        awarded=at(2025, 1, 10),
        deliveries=[(0, 1, at(2025, 1, 20), "59.5"), (0, 2, at(2025, 2, 15), "60"), (1, 1, at(2025, 1, 25), "40")],
    )
    awards = {d.processor_id: d for d in Deal.objects.filter(lot=lot, awarded_at__isnull=False)}
    assert awards[banten_japnas.pk].kg_awarded == 60 * 6 * 1000 and awards[outside.pk].kg_awarded == 40 * 6 * 1000
    assert awards[banten_japnas.pk].value_millions * 10**9 + awards[banten_japnas.pk].value_rest_milli == (
        1000 * 360 * 1000
    )
    deliveries = Deal.objects.filter(lot=lot, completed_at__isnull=False).order_by("completed_at")
    assert [(d.processor_id, d.completed_at.month, d.kg_completed) for d in deliveries] == [
        (banten_japnas.pk, 1, 59_500),
        (outside.pk, 1, 40_000),
        (banten_japnas.pk, 2, 60_000),
    ]
    before = _snapshot()
    deals_refresh_all()
    assert _snapshot() == before


def test_staff_read_the_rollup_in_the_admin(client, staff, plant, outside):
    lot = make_deal(plant=plant, processor=outside, awarded=at(2025, 5, 1))
    login_with_second_factor(client, staff)
    assert lot.reference in client.get("/admin/dashboard/deal/").content.decode()
    assert client.get("/admin/dashboard/deal/add/").status_code == 403
