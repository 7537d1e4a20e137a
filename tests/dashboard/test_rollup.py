"""The deals rollup follows the awards, handovers and completions, and the beat task's rebuild agrees."""

from decimal import Decimal

from django.core.management import call_command
from django.forms.models import model_to_dict

from dashboard.models import Deal
from dashboard.services import deals_refresh_all
from dashboard.tasks import refresh_deals
from listings.models import Award
from tests.factories import login_with_second_factor

from .conftest import at, make_deal


def _snapshot():
    return [
        {k: v for k, v in model_to_dict(deal).items() if k != "refreshed_at"}
        for deal in Deal.objects.order_by("lot_id")
    ]


def test_rows_follow_award_handover_and_completion(plant, banten_japnas):
    lot = make_deal(plant=plant, processor=banten_japnas, quantity="2500", unit="kg", price=-1234,
                    awarded=at(2025, 3, 11), completed=at(2025, 3, 20), sent="2500", received="2450.4")  # fmt: skip
    deal = Deal.objects.get(lot=lot)
    assert deal.kg_awarded == 2500 and deal.kg_completed == 2450  # whole kilograms
    assert deal.value_millions * 10**9 + deal.value_rest_milli == -1234 * 2500 * 1000
    assert deal.completed_at == at(2025, 3, 20) and deal.quantity_completed == Decimal("2450.400")
    assert deal.processor_banten and deal.processor_japnas


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
    assert refresh_deals() == 6  # the task runs the rebuild
    assert _snapshot() == incremental
    assert deals_refresh_all() == 6 and _snapshot() == incremental  # idempotent


def test_deals_made_through_the_services_are_in_the_rollup(db):
    call_command("load_demo")
    assert Deal.objects.count() == Award.objects.count() > 36
    before = _snapshot()
    deals_refresh_all()
    assert _snapshot() == before


def test_staff_read_the_rollup_in_the_admin(client, staff, plant, outside):
    lot = make_deal(plant=plant, processor=outside, awarded=at(2025, 5, 1))
    login_with_second_factor(client, staff)
    assert lot.reference in client.get("/admin/dashboard/deal/").content.decode()
    assert client.get("/admin/dashboard/deal/add/").status_code == 403
