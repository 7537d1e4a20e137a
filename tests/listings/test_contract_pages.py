"""A recurring stream's pages: awarding shares, finishing the awarding, each contract's page (its schedule, the
per-period pickup and processing, the proof, ending early) and who may NOT see a contract."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.models import Award, Bid, ContractPeriod, Handover, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of, staff_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stream_lot(plant, **fields):
    """A monthly stream: 100 t a month over 12 months, open bidding."""
    values = {
        "plant": plant,
        "bidding_mode": "open",
        "is_recurring": True,
        "frequency": "monthly",
        "quantity": Decimal("1200"),
        "quantity_per_period": Decimal("100"),
        "contract_months": 12,
    }
    values.update(fields)
    return LotFactory(**values)


def place(lot, person, price, quantity):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal(quantity),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="recycling",
        ),
    )


def close(lot):
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    lot.refresh_from_db()
    return services.lot_close_if_overdue(lot)


@pytest.fixture
def market(plant, plant_admin):
    """A closed stream with three live bids: Alfa 60 t at the best price, Bravo 80 t, Charlie 50 t."""
    people = {
        name: member_of(OrganisationFactory(name=f"CV {name.title()}", processor=True), email=f"{name}@bid.test")
        for name in ("alfa", "bravo", "charlie")
    }
    lot = stream_lot(plant)
    bids = {
        "alfa": place(lot, people["alfa"], 300000, "60"),
        "bravo": place(lot, people["bravo"], 250000, "80"),
        "charlie": place(lot, people["charlie"], 200000, "50"),
    }
    close(lot)
    return lot, people, bids


def bids_url(lot):
    return reverse("listings:lot_bids", kwargs={"reference": lot.reference})


def contract_url(award, name="listings:contract_detail", **extra):
    return reverse(name, kwargs={"reference": award.lot.reference, "pk": award.pk, **extra})


def award_via_pages(client, lot, bid, quantity, **extra):
    return client.post(bids_url(lot), {"bid": bid.pk, "quantity": quantity, "note": "", **extra})


def shared(market, plant_admin):
    """Alfa takes 60 t a month and Bravo 40 t (through the service); Charlie is not chosen."""
    lot, people, bids = market
    alfa = services.lot_award(lot=lot, bid=bids["alfa"], acting_user=plant_admin, quantity=Decimal("60"))
    bravo = services.lot_award(lot=lot, bid=bids["bravo"], acting_user=plant_admin, quantity=Decimal("40"))
    return lot, people, alfa, bravo


def backdate(award, days):
    """Move a contract's schedule (and its award) `days` into the past: its first periods have started."""
    ContractPeriod.objects.filter(award=award).update(
        starts_on=F("starts_on") - timedelta(days=days), ends_on=F("ends_on") - timedelta(days=days)
    )
    Award.objects.filter(pk=award.pk).update(awarded_at=F("awarded_at") - timedelta(days=days + 3))
    award.refresh_from_db()


# --- Awarding shares ------------------------------------------------------------------------------------------


def test_award_two_shares_through_the_pages(client, market, plant_admin):
    lot, people, bids = market
    log_in(client, plant_admin)
    page = client.get(bids_url(lot), {"award": bids["alfa"].pk})
    assert page.status_code == 200
    form = page.context["form"]
    assert "quantity" in form.fields and form.fields["quantity"].initial == Decimal("60")
    assert page.context["shares_left"] == Decimal("100")
    response = award_via_pages(client, lot, bids["alfa"], "60")
    # A share is left and bids are live: back to the bids, which stay usable.
    assert response.status_code == 302 and response.url == bids_url(lot)
    lot.refresh_from_db()
    assert lot.status == "awarded" and lot.awarded_quantity == Decimal("60")
    page = client.get(bids_url(lot))
    assert page.context["can_decide"] and page.context["can_finish_awarding"]
    assert page.context["shares_awarded"] == Decimal("60") and page.context["shares_left"] == Decimal("40")
    html = page.content.decode()
    assert 'data-testid="shares-left"' in html and 'data-testid="finish-awarding"' in html
    assert html.count('data-testid="award-bid"') == 2  # Bravo and Charlie, still live
    assert "listings/lot_unawarded" not in html and f"/lots/{lot.reference}/unawarded/" not in html
    # The lot page sends the plant back to the bids while a share is left.
    html = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="more-shares"' in html and "40\u00a0t per period is left to award" in html

    # Bravo offered 80 t: the form offers what is left, 40 t.
    page = client.get(bids_url(lot), {"award": bids["bravo"].pk})
    assert page.context["form"].fields["quantity"].initial == Decimal("40")
    response = award_via_pages(client, lot, bids["bravo"], "40")
    assert response.status_code == 302 and response.url == lot.get_absolute_url()
    lot.refresh_from_db()
    assert lot.awarded_quantity == Decimal("100")
    assert {a.bid.bidder.name: a.quantity for a in lot.awards.select_related("bid__bidder")} == {
        "CV Alfa": Decimal("60"),
        "CV Bravo": Decimal("40"),
    }
    assert Bid.objects.get(pk=bids["charlie"].pk).status == "rejected"
    # Nothing is left to award: the bids page no longer offers to.
    page = client.get(bids_url(lot))
    assert not page.context["can_decide"] and not page.context["can_finish_awarding"]


def test_a_share_in_indonesian_is_read_the_indonesian_way(client, market, plant_admin):
    lot, _people, bids = market
    log_in(client, plant_admin)
    client.cookies["django_language"] = "id"
    response = award_via_pages(client, lot, bids["alfa"], "12,5")
    assert response.status_code == 302
    assert Award.objects.get(bid=bids["alfa"]).quantity == Decimal("12.5")


def test_over_share_is_refused_with_a_message(client, market, plant_admin):
    lot, _people, bids = market
    log_in(client, plant_admin)
    award_via_pages(client, lot, bids["alfa"], "60")
    response = award_via_pages(client, lot, bids["bravo"], "50")
    assert response.status_code == 400
    assert "Only 40\u00a0t per period is left to award." in response.content.decode()
    assert response.context["form"].errors["quantity"]
    response = award_via_pages(client, lot, bids["bravo"], "90")  # Bravo offered 80 t
    assert response.status_code == 400
    assert "This bid offered 80\u00a0t per period: a share cannot be more." in response.content.decode()
    response = award_via_pages(client, lot, bids["bravo"], "")
    assert response.status_code == 400 and response.context["form"].errors["quantity"]
    assert Award.objects.filter(lot=lot).count() == 1
    assert Bid.objects.get(pk=bids["bravo"].pk).status == "live"


def test_finish_awarding(client, market, plant_admin):
    lot, people, bids = market
    log_in(client, plant_admin)
    award_via_pages(client, lot, bids["alfa"], "60")
    finish = reverse("listings:lot_awarding_finish", kwargs={"reference": lot.reference})
    other = client.__class__()
    log_in(other, people["bravo"])
    assert other.post(finish).status_code == 403
    response = client.post(finish)
    assert response.status_code == 302 and response.url == lot.get_absolute_url()
    assert set(Bid.objects.filter(lot=lot).values_list("status", flat=True)) == {"accepted", "rejected"}
    page = client.get(bids_url(lot))
    assert not page.context["can_decide"] and not page.context["can_finish_awarding"]
    # Once more: nothing is waiting, said as a message, not an error page.
    response = client.post(finish, follow=True)
    assert "No bid is waiting: awarding is already finished." in response.content.decode()


def test_a_one_off_lot_is_awarded_as_before(client, plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant, bidding_mode="open")
    bid = place(lot, processor_admin, 1000, "100")
    close(lot)
    log_in(client, plant_admin)
    page = client.get(bids_url(lot), {"award": bid.pk})
    assert "quantity" not in page.context["form"].fields
    assert 'data-testid="shares"' not in page.content.decode()
    response = client.post(bids_url(lot), {"bid": bid.pk, "note": ""})
    assert response.status_code == 302 and response.url == lot.get_absolute_url()
    lot.refresh_from_db()
    assert lot.status == "awarded" and lot.award.quantity == Decimal("100")


# --- The lot page and the contract page -----------------------------------------------------------------------


def test_the_lot_page_shows_each_party_its_contracts(client, market, plant_admin):
    lot, people, alfa, bravo = shared(market, plant_admin)
    log_in(client, plant_admin)
    html = client.get(lot.get_absolute_url()).content.decode()
    assert contract_url(alfa) in html and contract_url(bravo) in html
    assert 'data-testid="award"' not in html and 'data-testid="pickup-form"' not in html
    for name, own, others in (("alfa", alfa, bravo), ("bravo", bravo, alfa)):
        log_in(client, people[name])
        html = client.get(lot.get_absolute_url()).content.decode()
        assert contract_url(own) in html and contract_url(others) not in html
    log_in(client, people["charlie"])
    html = client.get(lot.get_absolute_url()).content.decode()
    assert "/contracts/" not in html and 'data-testid="contracts"' not in html
    assert 'data-testid="parties-hidden"' in html
    # Charlie learns the winning prices, never who offered them.
    assert 'data-testid="lost"' in html and "processor pays Rp\u00a0300,000\u00a0/\u00a0t" in html
    assert "CV Alfa" not in html and "CV Bravo" not in html


def test_who_may_not_see_a_contract(client, market, plant_admin, official):
    lot, people, alfa, bravo = shared(market, plant_admin)
    colleague = member_of(lot.plant, role="member", email="colleague@baja-uji.test")
    allowed = [plant_admin, colleague, people["alfa"], official, staff_user(email="staff@contracts.test")]
    refused = [
        people["bravo"],  # shares the stream, but this contract is Alfa's
        people["charlie"],  # a losing bidder
        member_of(OrganisationFactory(), email="other-plant@test.test"),
        member_of(OrganisationFactory(processor=True), email="other-processor@test.test"),
        member_of(OrganisationFactory(processor=True, unverified=True), email="unverified@test.test"),
    ]
    for person in allowed:
        log_in(client, person)
        assert client.get(contract_url(alfa)).status_code == 200, person.email
    for person in refused:
        log_in(client, person)
        assert client.get(contract_url(alfa)).status_code == 404, person.email
    client.logout()
    response = client.get(contract_url(alfa))
    assert response.status_code == 302 and "/accounts/login/" in response.url
    # An award of another lot, or none, under this lot's reference: 404 even for the plant.
    log_in(client, plant_admin)
    unknown = reverse("listings:contract_detail", kwargs={"reference": lot.reference, "pk": 99999})
    assert client.get(unknown).status_code == 404


def test_per_period_pickup_and_processing_through_the_pages(client, market, plant_admin):
    lot, people, alfa, bravo = shared(market, plant_admin)
    backdate(alfa, 62)
    first, second = list(alfa.periods.order_by("number"))[:2]
    assert first.starts_on < second.starts_on <= timezone.localdate()
    log_in(client, plant_admin)
    page = client.get(contract_url(alfa))
    assert [p.number for p in page.context["actionable"]] == [1, 2, 3][: len(page.context["actionable"])]
    assert page.context["progress"].contracted >= Decimal("120")
    # The started periods and the next one in the table; the later ones folded away.
    shown, later = page.context["periods"], page.context["later_periods"]
    assert len(shown) + len(later) == 12 and [p.started for p in shown].count(False) == 1
    assert later and not any(p.started for p in later)
    assert 'data-testid="later-periods"' in page.content.decode()
    assert shown[0].overdue and 'data-testid="period-overdue"' in page.content.decode()  # month 1 is over

    pickup = {
        "pickup_date": (first.starts_on + timedelta(days=2)).isoformat(),
        "carrier": "PT Angkut Banten",
        "vehicle": "A 1234 BC",
        "manifest_number": "",
        "quantity_sent": "60",
    }
    response = client.post(contract_url(alfa, "listings:period_pickup", number=1), pickup)
    assert response.status_code == 302 and response.url == contract_url(alfa)
    # The processor of the contract records the second month's pickup.
    log_in(client, people["alfa"])
    response = client.post(
        contract_url(alfa, "listings:period_pickup", number=2),
        {**pickup, "pickup_date": second.starts_on.isoformat(), "quantity_sent": "59.5"},
    )
    assert response.status_code == 302 and response.url == contract_url(alfa)
    handovers = {h.period.number: h for h in Handover.objects.filter(period__award=alfa).select_related("period")}
    assert set(handovers) == {1, 2} and handovers[1].lot_id == lot.pk

    # A period that has not started: refused, with the service's reason on the page.
    future = alfa.periods.filter(starts_on__gt=timezone.localdate()).order_by("number").first()
    response = client.post(contract_url(alfa, "listings:period_pickup", number=future.number), pickup)
    assert response.status_code == 400
    assert "record its pickup once it has happened" in response.content.decode()

    # Processing of the first month, with its proof.
    processing = {
        "processing_date": (first.starts_on + timedelta(days=3)).isoformat(),
        "quantity_received": "55",
        "route_used": "recycling",
        "proof": SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf"),
    }
    response = client.post(contract_url(alfa, "listings:period_processing", number=1), processing)
    assert response.status_code == 302
    handover = Handover.objects.get(period__award=alfa, period__number=1)
    assert handover.quantity_received == Decimal("55") and handover.mismatch  # 60 out, 55 in
    page = client.get(contract_url(alfa))
    html = page.content.decode()
    assert 'data-testid="period-mismatch"' in html
    proof = contract_url(alfa, "listings:period_proof", number=1)
    assert proof in html
    # Delivered: 55 received (month 1) + 59.5 sent (month 2, not yet received).
    assert page.context["progress"].delivered == Decimal("114.5")

    # The plant records no processing; the processor sharing the stream sees nothing of this contract.
    log_in(client, plant_admin)
    processing["proof"] = SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf")
    assert client.post(contract_url(alfa, "listings:period_processing", number=2), processing).status_code == 403
    assert client.get(proof).status_code == 200
    log_in(client, people["bravo"])
    assert client.get(proof).status_code == 404
    assert client.post(contract_url(alfa, "listings:period_pickup", number=3), pickup).status_code == 404
    # A period that does not exist.
    log_in(client, people["alfa"])
    assert client.get(contract_url(alfa, "listings:period_proof", number=2)).status_code == 404  # no proof yet
    assert client.get(contract_url(alfa, "listings:period_proof", number=999)).status_code == 404
    # Staff follow the mismatch up from their list, to the contract's period.
    log_in(client, staff_user(email="staff@mismatch.test"))
    html = client.get(reverse("listings:staff_handovers")).content.decode()
    assert 'data-testid="mismatch-period"' in html and contract_url(alfa) in html


def test_a_pickup_form_with_errors_comes_back_on_its_period(client, market, plant_admin):
    lot, _people, alfa, _bravo = shared(market, plant_admin)
    backdate(alfa, 62)
    log_in(client, plant_admin)
    response = client.post(
        contract_url(alfa, "listings:period_pickup", number=1),
        {"pickup_date": "", "carrier": "", "vehicle": "", "quantity_sent": "banyak"},
    )
    assert response.status_code == 400
    shown = [p for p in response.context["actionable"] if p.number == 1][0]
    assert shown.pickup_form.errors and shown.pickup_form.is_bound
    html = response.content.decode()
    assert 'id="id_p1_carrier"' in html and 'id="id_p2_carrier"' in html  # one form per period, unique ids
    assert not Handover.objects.exists()


def test_ending_a_contract_early_needs_a_reason(client, market, plant_admin):
    lot, people, alfa, bravo = shared(market, plant_admin)
    end = contract_url(alfa, "listings:contract_end")
    log_in(client, people["bravo"])
    assert client.post(end, {"reason": "Bukan kontrak kami"}).status_code == 404
    log_in(client, people["alfa"])
    response = client.post(end, {"reason": "   "})
    assert response.status_code == 400
    assert "Say why the contract ends early" in response.content.decode()
    alfa.refresh_from_db()
    assert alfa.ended_at is None
    response = client.post(end, {"reason": "Kapasitas pabrik kami berkurang"})
    assert response.status_code == 302
    alfa.refresh_from_db()
    assert alfa.ended_at is not None and alfa.ended_by == people["alfa"]
    log_in(client, plant_admin)
    page = client.get(contract_url(alfa))
    html = page.content.decode()
    assert 'data-testid="contract-ended"' in html and "Kapasitas pabrik kami berkurang" in html
    assert not page.context["can_end"] and 'data-testid="contract-end-form"' not in html
    # Bravo's contract goes on; the plant may end it too.
    assert client.get(contract_url(bravo)).context["can_end"]
    # Staff and officials read, never end.
    staff = staff_user(email="staff@ends.test")
    log_in(client, staff)
    assert not client.get(contract_url(bravo)).context["can_end"]
    assert client.post(contract_url(bravo, "listings:contract_end"), {"reason": "x"}).status_code == 403


def test_the_pages_are_well_formed_html_with_every_form(client, market, plant_admin):
    """The contract page with a form for each period (one sent back with errors), the bids page while shares are
    left and the award's confirmation: well-formed, no id twice, every label names its field."""
    from tests.test_html_valid import problems

    lot, people, bids = market
    log_in(client, plant_admin)
    award_via_pages(client, lot, bids["alfa"], "60")
    pages = [client.get(bids_url(lot)), client.get(bids_url(lot), {"award": bids["bravo"].pk})]
    award_via_pages(client, lot, bids["bravo"], "40")
    alfa = Award.objects.get(bid=bids["alfa"])
    backdate(alfa, 62)
    log_in(client, people["alfa"])
    client.post(
        contract_url(alfa, "listings:period_pickup", number=1),
        {
            "pickup_date": alfa.periods.get(number=1).starts_on.isoformat(),
            "carrier": "PT A",
            "vehicle": "A 1",
            "quantity_sent": "60",
        },
    )
    pages.append(client.get(contract_url(alfa)))
    pages.append(client.post(contract_url(alfa, "listings:period_pickup", number=2), {"carrier": ""}))
    pages.append(client.post(contract_url(alfa, "listings:contract_end"), {"reason": ""}))
    for language in ("en", "id"):
        client.cookies["django_language"] = language
        pages.append(client.get(contract_url(alfa)))
        pages.append(client.get(lot.get_absolute_url()))
    for response in pages:
        assert response.status_code in (200, 400)
        assert problems(response.content.decode()) == [], response.request["PATH_INFO"]


def test_the_contract_page_reads_a_constant_number_of_queries(client, market, plant_admin):
    """However many periods have a pickup: the periods are read with their handovers in one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lot, people, alfa, _bravo = shared(market, plant_admin)
    backdate(alfa, 100)
    log_in(client, plant_admin)

    def count():
        client.get(contract_url(alfa))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(contract_url(alfa)).status_code == 200
        return len([q for q in captured.captured_queries if "django_session" not in q["sql"]])

    def pickup(number):
        period = alfa.periods.get(number=number)
        services.pickup_record(
            lot=lot,
            acting_user=plant_admin,
            period=period,
            pickup_date=period.starts_on,
            carrier="PT A",
            vehicle="A 1",
            manifest_number="",
            quantity_sent=Decimal("60"),
        )

    pickup(1)
    small = count()
    pickup(2)
    pickup(3)
    assert count() == small


def test_each_side_rates_the_other_on_the_contract_page(client, market, plant_admin):
    lot, people, alfa, bravo = shared(market, plant_admin)
    for award in (alfa, bravo):
        services.contract_end(award=award, acting_user=plant_admin, reason="Pabrik berhenti produksi")
    lot.refresh_from_db()
    assert lot.status == "completed"
    log_in(client, plant_admin)
    html = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="rate-on-contract"' in html and 'data-testid="rating-form"' not in html
    for award, stars in ((alfa, "4"), (bravo, "2")):
        page = client.get(contract_url(award))
        assert page.context["can_rate"] and 'data-testid="contract-rating-form"' in page.content.decode()
        response = client.post(contract_url(award, "listings:contract_rate"), {"stars": stars, "comment": "Oke"})
        assert response.status_code == 302
    again = client.post(contract_url(alfa, "listings:contract_rate"), {"stars": "5"})
    assert again.status_code == 400 and "Your organisation has rated this deal already." in again.content.decode()
    assert 'data-testid="rated"' in client.get(contract_url(alfa)).content.decode()
    log_in(client, people["bravo"])
    assert client.post(contract_url(alfa, "listings:contract_rate"), {"stars": "1"}).status_code == 404
    assert client.post(contract_url(bravo, "listings:contract_rate"), {"stars": "5"}).status_code == 302
    ratings = {(r.rater.name, r.rated.name): r.stars for r in lot.ratings.select_related("rater", "rated")}
    assert ratings == {
        (lot.plant.name, "CV Alfa"): 4,
        (lot.plant.name, "CV Bravo"): 2,
        ("CV Bravo", lot.plant.name): 5,
    }
