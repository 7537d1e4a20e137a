"""make bench's bids: a valid bid's fields, as a person's browser would send them."""

from decimal import Decimal

import pytest
from django.utils import translation

from bench.data.placing import place_fields
from listings.forms import BidForm
from tests.factories import LotFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("quantity", ["2.588", "120", "1250.5", "0.5"])
def test_the_bench_bid_is_valid_for_the_whole_lot(quantity):
    """The quantity is written the way the form reads it: "2.588" sent plainly meant 2,588 t in Indonesian, over
    a 2.588 t lot, and the mixed run's bids were refused (400) one in two."""
    lot = LotFactory(quantity=Decimal(quantity), reserve_price=None)
    processor = OrganisationFactory(processor=True)
    with translation.override("id"):  # the bench's people read and post in the default language
        form = BidForm(data=place_fields(lot), lot=lot, organisation=processor)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity"] == lot.quantity


def test_the_bench_bid_on_a_stream_offers_the_quantity_per_period():
    """A stream's bids are per period: the bench sent the stream's total over its term, refused with 400 (11
    errors in a mixed run)."""
    lot = LotFactory(
        quantity=Decimal("375.888"), is_recurring=True, frequency="monthly", quantity_per_period=Decimal("31.324"),
        contract_months=12, reserve_price=None,
    )  # fmt: skip
    processor = OrganisationFactory(processor=True)
    with translation.override("id"):
        form = BidForm(data=place_fields(lot), lot=lot, organisation=processor)
        assert form.is_valid(), form.errors
    assert form.cleaned_data["quantity"] == Decimal("31.324")
