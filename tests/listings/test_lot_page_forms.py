"""The lot page puts the facts before the forms; the bid form shows every error in one round and chooses nothing
for the bidder; the award is confirmed on a page that shows the bid; the lot form sums its errors up at the top."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.models import Award, Bid, WasteLot
from listings.services import BidOffer
from tests.factories import LicenceFactory, LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db


def place(lot, person, price, quantity="10"):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal(quantity),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )


def body_of(response) -> str:
    return response.content.decode()


def wib(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


# The lot page: facts first


def test_facts_come_before_the_bid_form(client, plant, processor_admin):
    lot = LotFactory(
        plant=plant,
        quantity=Decimal("120"),
        reserve_price=150000,
        category=category("steel-slag"),
        site_kecamatan="ciwandan",
        local_first_days=3,
        inspection_from=timezone.now() + timedelta(days=1),
        inspection_until=timezone.now() + timedelta(days=1, hours=3),
    )
    client.force_login(processor_admin)
    body = body_of(client.get(lot.get_absolute_url()))
    facts = body.index('data-testid="lot-facts"')
    form = body.index('data-testid="bid-form"')
    details = body.index('data-testid="lot-details"')
    assert facts < form < details
    facts_html = body[facts:form]
    for fact in ("quantity", "price", "deadline", "category", "site", "mode", "local-first", "inspection"):
        assert f'data-testid="fact-{fact}"' in facts_html, fact
    assert "120\u00a0t" in facts_html
    assert "processor pays Rp\u00a0150,000\u00a0/\u00a0t" in facts_html
    # The deadline as an absolute date and time in WIB, and the countdown beside it.
    closes = timezone.localtime(lot.closes_at)
    assert f"{closes.day} {closes.strftime('%B %Y')} {wib(lot.closes_at)} WIB" in facts_html
    assert "data-countdown=" in facts_html
    assert lot.category.name in facts_html and lot.category.indonesian_code in facts_html
    assert "Ciwandan" in facts_html


def test_an_early_closed_lot_shows_when_it_closed_not_its_old_deadline(client, plant, plant_admin, processor_admin):
    deadline = timezone.now() + timedelta(days=3, hours=5)
    lot = LotFactory(plant=plant, bidding_mode="open", closes_at=deadline)
    place(lot, processor_admin, 120000)
    services.lot_close_early(lot=lot, acting_user=plant_admin)
    lot.refresh_from_db()
    client.force_login(processor_admin)
    body = body_of(client.get(lot.get_absolute_url()))
    facts = body[body.index('data-testid="lot-facts"') : body.index('data-testid="lot-actions"')]
    assert "Bidding closed" in facts and "Bid deadline" not in facts
    closed = timezone.localtime(lot.bids_opened_at)
    assert f"{closed.day} {closed.strftime('%B %Y')} {wib(lot.bids_opened_at)} WIB" in facts
    assert 'data-testid="closed-early"' in facts
    old = timezone.localtime(deadline)  # three days on: another date
    assert f"{old.day} {old.strftime('%B %Y')}" not in facts


def test_a_lot_closed_at_its_deadline_is_not_called_early(client, plant, processor_admin):
    lot = LotFactory(plant=plant, bidding_mode="open")
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    client.force_login(processor_admin)
    body = body_of(client.get(lot.get_absolute_url()))
    assert "Bidding closed" in body and 'data-testid="closed-early"' not in body


def test_an_early_award_shows_the_lot_closed_early(client, plant, plant_admin, processor_admin):
    lot = LotFactory(plant=plant, bidding_mode="open", closes_at=timezone.now() + timedelta(days=4))
    bid = place(lot, processor_admin, 120000)
    services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    client.force_login(plant_admin)
    body = body_of(client.get(lot.get_absolute_url()))
    assert 'data-testid="closed-early"' in body and "Bid deadline" not in body


# The bid form


def test_every_bid_error_in_one_round(client, plant, processor_admin):
    lot = LotFactory(plant=plant, quantity=Decimal("100"), available_until=timezone.localdate() + timedelta(days=10))
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": lot.reference}),
        {
            "price_per_unit": "abc",  # the form's own error
            "quantity": "150",  # the lot's rule: more than the lot
            "pickup_date": (timezone.localdate() + timedelta(days=30)).isoformat(),  # outside availability
            "route": "",
        },
    )
    assert response.status_code == 400
    errors = response.context["bid_form"].errors
    assert set(errors) == {"price_per_unit", "quantity", "pickup_date", "route"}, errors
    assert "more than the lot's 100 t" in errors["quantity"][0]
    body = body_of(response)
    assert 'data-testid="error-summary"' in body and "4 fields to correct" in body
    assert not Bid.objects.exists()


def test_the_bid_form_chooses_no_route_and_prefills_the_lot_quantity_plainly(client, plant, processor_admin):
    lot = LotFactory(plant=plant, quantity=Decimal("120.000"))
    client.force_login(processor_admin)
    form = client.get(lot.get_absolute_url()).context["bid_form"]
    html = str(form["route"])
    assert not re.search(r'<option value="[a-z-]+" selected', html)
    assert re.search(r'<option value="" selected', html)
    assert 'value="120"' in str(form["quantity"])


def test_licence_only_on_hazardous_lots(client, plant, processor, processor_admin):
    plain_lot = LotFactory(plant=plant)
    hazardous = LotFactory(plant=plant, category=category("used-lube-oil"), unit="L", quantity=Decimal("6000"))
    licence = LicenceFactory(organisation=processor, covers=[category("used-lube-oil")])
    client.force_login(processor_admin)
    plain_body = body_of(client.get(plain_lot.get_absolute_url()))
    assert 'name="licence"' not in plain_body
    hazardous_body = body_of(client.get(hazardous.get_absolute_url()))
    assert 'name="licence"' in hazardous_body and licence.number in hazardous_body
    # Without a licence the hazardous lot's bid says so, together with every other error.
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": hazardous.reference}),
        {"price_per_unit": "-50000", "quantity": "99999", "pickup_date": timezone.localdate().isoformat()},
    )
    assert set(response.context["bid_form"].errors) == {"quantity", "route", "licence"}


def test_no_reserve_price_line_under_an_empty_bid_price(client, plant, processor_admin):
    lot = LotFactory(plant=plant, reserve_price=None)
    client.force_login(processor_admin)
    body = body_of(client.get(lot.get_absolute_url()))
    form = body[body.index('data-testid="bid-form"') :]
    words = re.search(r"<p[^>]*data-price-words[^>]*>(.*?)</p>", form, re.S)
    assert words and words.group(1).strip() == ""
    assert 'data-none=""' in words.group(0)
    assert "no reserve price" not in form
    # The lot's own facts still say there is none.
    assert "no reserve price" in body[: body.index('data-testid="bid-form"')]


def test_a_good_bid_still_places(client, plant, processor_admin):
    lot = LotFactory(plant=plant)
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": lot.reference}),
        {
            "price_per_unit": "125,000",  # English grouping
            "quantity": "100",
            "pickup_date": timezone.localdate().isoformat(),
            "route": "recycling",
        },
    )
    assert response.status_code == 302
    assert Bid.objects.get().price_per_unit == 125000


# The award page


@pytest.fixture
def decided_lot(plant, db):
    lot = LotFactory(plant=plant, bidding_mode="open", quantity=Decimal("100"))
    alfa = member_of(OrganisationFactory(name="CV Alfa", processor=True), email="alfa@award.test")
    bravo = member_of(OrganisationFactory(name="CV Bravo", processor=True), email="bravo@award.test")
    low = place(lot, alfa, 300000, quantity="40")
    best = place(lot, bravo, 450000, quantity="20")
    return lot, low, best


def bids_url(lot):
    return reverse("listings:lot_bids", kwargs={"reference": lot.reference})


def test_each_live_bid_has_an_award_button_and_rows_stack_on_a_phone(client, decided_lot, plant_admin):
    lot, low, best = decided_lot
    client.force_login(plant_admin)
    body = body_of(client.get(bids_url(lot)))
    assert body.count('data-testid="award-bid"') == 2
    assert f'href="?award={low.pk}"' in body and f'href="?award={best.pk}"' in body
    assert 'class="table align-middle table-stack"' in body
    for label in ("Distance", "Rating", "Licence", "Status"):
        assert f'data-label="{label}"' in body
    assert 'data-testid="award-form"' not in body  # nothing is asked before a bid is chosen


def test_award_asks_to_confirm_showing_the_bid(client, decided_lot, plant_admin):
    lot, low, _best = decided_lot
    client.force_login(plant_admin)
    response = client.get(bids_url(lot), {"award": low.pk})
    assert response.status_code == 200
    body = body_of(response)
    confirm = body[body.index('data-testid="award-confirm"') :]
    assert "CV Alfa" in confirm
    assert "processor pays Rp\u00a0300,000\u00a0/\u00a0t" in confirm
    assert "40\u00a0t" in confirm
    assert "processor pays Rp\u00a012,000,000" in confirm  # 300,000 × 40
    # Not the best price: a reason is asked for, none is chosen, and "best price" is not among them.
    reason = str(response.context["form"]["reason"])
    assert 'value="best-price"' not in reason
    assert re.search(r'<option value="" selected', reason)
    assert not Award.objects.exists()
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.OPEN  # looking is not deciding


def test_the_best_price_needs_no_reason(client, decided_lot, plant_admin, django_capture_on_commit_callbacks):
    lot, _low, best = decided_lot
    client.force_login(plant_admin)
    response = client.get(bids_url(lot), {"award": best.pk})
    assert "reason" not in response.context["form"].fields
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(bids_url(lot), {"bid": best.pk, "note": ""})
    assert done.status_code == 302
    award = Award.objects.get()
    assert award.bid == best and award.reason == Award.Reason.BEST_PRICE


def test_another_bid_needs_a_reason(client, decided_lot, plant_admin, django_capture_on_commit_callbacks):
    lot, low, _best = decided_lot
    client.force_login(plant_admin)
    refused = client.post(bids_url(lot), {"bid": low.pk, "reason": "", "note": ""})
    assert refused.status_code == 400
    assert "not the best price" in body_of(refused) and 'data-testid="award-confirm"' in body_of(refused)
    other = client.post(bids_url(lot), {"bid": low.pk, "reason": "other", "note": " "})
    assert other.status_code == 400 and "note" in other.context["form"].errors
    assert not Award.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(bids_url(lot), {"bid": low.pk, "reason": "local-business", "note": ""})
    assert done.status_code == 302
    assert Award.objects.get().reason == Award.Reason.LOCAL_BUSINESS


def test_a_bid_not_live_or_of_another_lot_is_not_offered(client, decided_lot, plant, plant_admin):
    lot, low, _best = decided_lot
    other_lot = LotFactory(plant=plant, bidding_mode="open")
    stranger = place(other_lot, member_of(OrganisationFactory(processor=True)), 999000)
    services.bid_withdraw(bid=low, acting_user=low.placed_by)
    client.force_login(plant_admin)
    for chosen in (low.pk, stranger.pk, "abc"):
        response = client.get(bids_url(lot), {"award": chosen})
        assert response.status_code == 200
        assert 'data-testid="award-confirm"' not in body_of(response)
        assert "no longer live" in body_of(response)
    refused = client.post(bids_url(lot), {"bid": stranger.pk})
    assert refused.status_code == 400 and not Award.objects.exists()


def test_sealed_bids_show_nothing_before_opening_even_when_asked(client, plant, plant_admin):
    lot = LotFactory(plant=plant, bidding_mode="sealed")
    secret = place(lot, member_of(OrganisationFactory(name="CV Rahasia", processor=True)), 777000)
    client.force_login(plant_admin)
    response = client.get(bids_url(lot), {"award": secret.pk})
    body = body_of(response)
    assert "CV Rahasia" not in body and "777" not in body and 'data-testid="award-confirm"' not in body
    refused = client.post(bids_url(lot), {"bid": secret.pk})
    assert refused.status_code == 400 and not Award.objects.exists()
    assert "CV Rahasia" not in body_of(refused)


def test_staff_read_the_bids_but_get_no_award_step(client, decided_lot, staff):
    from tests.factories import log_in

    lot, low, _best = decided_lot
    log_in(client, staff)
    body = body_of(client.get(bids_url(lot), {"award": low.pk}))
    assert 'data-testid="award-confirm"' not in body and 'data-testid="award-bid"' not in body


def test_bidders_and_other_plants_never_reach_the_award_step(client, decided_lot):
    lot, low, best = decided_lot
    for person in (best.placed_by, member_of(OrganisationFactory(name="PT Lain"))):
        client.force_login(person)
        assert client.get(bids_url(lot), {"award": low.pk}).status_code == 403
        assert client.post(bids_url(lot), {"bid": low.pk, "reason": "capacity"}).status_code == 403
    assert not Award.objects.exists()


# The lot form


def test_lot_form_errors_are_summed_up_with_links_to_their_fields(client, plant_admin):
    from tests.listings.test_views import form_data

    client.force_login(plant_admin)
    response = client.post(
        reverse("listings:lot_create"), form_data(title="", quantity="abc", is_recurring="on", bidding_mode="")
    )
    body = body_of(response)
    summary = body[body.index('data-testid="error-summary"') : body.index('data-testid="lot-form"')]
    for field_id in ("id_title", "id_quantity", "id_frequency", "id_quantity_per_period", "id_bidding_mode_0"):
        assert f'href="#{field_id}"' in summary, field_id
        assert f'id="{field_id}"' in body
    assert re.search(r'<div[^>]*tabindex="-1"[^>]*data-error-summary[^>]*data-testid="error-summary"', body)
    assert not WasteLot.objects.exists()


def test_recurring_fields_are_marked_to_show_only_when_recurring(client, plant_admin):
    client.force_login(plant_admin)
    body = body_of(client.get(reverse("listings:lot_create")))
    group = re.search(r'<div[^>]*data-show-when="id_is_recurring"[^>]*>', body)
    assert group, "the recurring fields are not grouped"
    rest = body[group.end() :]
    assert rest.index('name="frequency"') < rest.index('name="site_address"')
    assert "js/forms.js" in body


def test_no_template_comment_spans_lines():
    """Django's {# #} comments are one line only: one that spans lines is printed on the page as it is."""
    from pathlib import Path

    broken = [
        str(path)
        for path in Path("templates").rglob("*.html")
        if any("{#" in line and "#}" not in line for line in path.read_text().splitlines())
    ]
    assert not broken, broken
