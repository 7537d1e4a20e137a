"""Bidding rules: who may bid on what, revising with history, withdrawing, open mode and sniping."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings import selectors, services
from listings.models import Bid, WasteLot
from listings.services import BidOffer
from tests.factories import LicenceFactory, LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def offer(**overrides):
    values = {
        "price_per_unit": 150000,
        "quantity": Decimal("50"),
        "pickup_date": timezone.localdate() + timedelta(days=3),
        "route": "recycling",
        "note": "",
        "licence": None,
    }
    values.update(overrides)
    return BidOffer(**values)


@pytest.fixture
def lot(plant):
    return LotFactory(plant=plant, quantity=Decimal("100"), available_from=timezone.localdate())


@pytest.fixture
def hazardous_lot(plant):
    return LotFactory(plant=plant, category=category("used-lube-oil"), unit="L", quantity=Decimal("6000"))


def test_verified_processor_places_a_bid_with_history(lot, processor_admin):
    bid = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=-400000))
    assert bid.status == "live" and bid.price_per_unit == -400000
    assert bid.bidder == processor_admin.membership.organisation
    assert list(bid.revisions.values_list("number", "price_per_unit")) == [(1, -400000)]
    assert bid.total == Decimal("-20000000")


def test_one_live_bid_per_processor_and_revisions_keep_history(lot, processor, processor_admin):
    bid = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    colleague = member_of(processor, role="member")
    with pytest.raises(ValidationError, match="already has a live bid"):
        services.bid_place(lot=lot, acting_user=colleague, offer=offer(price_per_unit=1))
    services.bid_revise(bid=bid, acting_user=colleague, offer=offer(price_per_unit=175000))
    bid.refresh_from_db()
    assert bid.price_per_unit == 175000 and bid.revision == 2
    assert list(bid.revisions.values_list("price_per_unit", flat=True)) == [150000, 175000]
    assert Bid.objects.filter(lot=lot).count() == 1


def test_the_database_refuses_two_live_bids_of_one_bidder(lot, processor):
    from django.db import IntegrityError, transaction

    Bid.objects.create(
        lot=lot, bidder=processor, price_per_unit=1, quantity=1, pickup_date=timezone.localdate(), route="reuse"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Bid.objects.create(
            lot=lot, bidder=processor, price_per_unit=2, quantity=1, pickup_date=timezone.localdate(), route="reuse"
        )


def test_withdraw_then_bid_again(lot, processor_admin):
    bid = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    services.bid_withdraw(bid=bid, acting_user=processor_admin)
    bid.refresh_from_db()
    assert bid.status == "withdrawn"
    with pytest.raises(ValidationError, match="no longer live"):
        services.bid_revise(bid=bid, acting_user=processor_admin, offer=offer())
    again = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=1))
    assert again.pk != bid.pk


@pytest.mark.parametrize(
    ("who", "message"),
    [
        ("plant_admin", "Only processing businesses"),
        ("official", "Only processing businesses"),
        ("unverified_processor", "must be verified"),
    ],
)
def test_who_may_not_bid(request, lot, who, message):
    if who == "unverified_processor":
        person = member_of(OrganisationFactory(processor=True, unverified=True))
    else:
        person = request.getfixturevalue(who)
    with pytest.raises(ValidationError, match=message):
        services.bid_place(lot=lot, acting_user=person, offer=offer())
    assert not Bid.objects.exists()


@pytest.mark.parametrize("status", ["draft", "closed", "cancelled", "awarded", "unawarded"])
def test_no_bids_on_lots_that_are_not_open(plant, processor_admin, status):
    lot = LotFactory(plant=plant, status=status)
    with pytest.raises(ValidationError, match="not open"):
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())


def test_no_bids_after_the_deadline(plant, processor_admin):
    lot = LotFactory(plant=plant, closes_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="not open"):
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": Decimal("0")}, "quantity"),
        ({"quantity": Decimal("101")}, "quantity"),
        ({"pickup_date": timezone.localdate() - timedelta(days=1)}, "pickup_date"),
        ({"route": "landfill-in-the-sea"}, "route"),
    ],
)
def test_bad_offers_are_explained(lot, processor_admin, overrides, field):
    with pytest.raises(ValidationError) as caught:
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(**overrides))
    assert field in caught.value.message_dict


def test_pickup_must_be_within_availability(plant, processor_admin):
    lot = LotFactory(plant=plant, available_until=timezone.localdate() + timedelta(days=2))
    with pytest.raises(ValidationError, match="availability"):
        services.bid_place(
            lot=lot, acting_user=processor_admin, offer=offer(pickup_date=timezone.localdate() + timedelta(days=5))
        )


def test_local_first_window_admits_only_banten_businesses(plant):
    lot = LotFactory(plant=plant, local_first_days=3, local_first_until=timezone.now() + timedelta(days=2))
    outsider = member_of(OrganisationFactory(processor=True, province="jawa-barat", kecamatan=""))
    local = member_of(OrganisationFactory(processor=True))
    with pytest.raises(ValidationError, match="only Banten businesses"):
        services.bid_place(lot=lot, acting_user=outsider, offer=offer())
    services.bid_place(lot=lot, acting_user=local, offer=offer())
    WasteLot.objects.filter(pk=lot.pk).update(local_first_until=timezone.now() - timedelta(seconds=1))
    lot.refresh_from_db()
    services.bid_place(lot=lot, acting_user=outsider, offer=offer())
    assert lot.bids.count() == 2


def test_a_lot_owned_by_a_processor_cannot_be_bid_on_by_that_processor(processor, processor_admin):
    """Whoever owns a lot (normally a plant) never bids on it, whatever kind of organisation it is."""
    lot = LotFactory(plant=processor)
    with pytest.raises(ValidationError, match="your own organisation's lot"):
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    assert not lot.bids.exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": "closed"},
        {"status": "cancelled"},
        {"closes_at": timezone.now() - timedelta(seconds=1)},  # the deadline passed, not yet closed by the task
    ],
    ids=["closed", "cancelled", "past-deadline"],
)
def test_a_bid_on_a_lot_that_ended_after_the_page_loaded_is_refused(lot, processor_admin, change):
    """The checks run on the locked row, not on the object the page loaded before."""
    loaded = WasteLot.objects.get(pk=lot.pk)
    WasteLot.objects.filter(pk=lot.pk).update(**change)
    with pytest.raises(ValidationError, match="not open for bids"):
        services.bid_place(lot=loaded, acting_user=processor_admin, offer=offer())
    assert not Bid.objects.filter(lot=lot).exists()


def test_a_revision_on_a_lot_closed_after_the_page_loaded_is_refused(lot, processor_admin):
    bid = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    loaded = Bid.objects.select_related("lot").get(pk=bid.pk)
    services.lot_close_early(lot=lot, acting_user=member_of(lot.plant))
    with pytest.raises(ValidationError, match="not open for bids"):
        services.bid_revise(bid=loaded, acting_user=processor_admin, offer=offer(price_per_unit=1))
    assert Bid.objects.get(pk=bid.pk).price_per_unit == 150000


class TestHazardousLots:
    def test_needs_a_licence(self, hazardous_lot, processor_admin):
        with pytest.raises(ValidationError, match="needs a licence"):
            services.bid_place(lot=hazardous_lot, acting_user=processor_admin, offer=offer(quantity=Decimal("10")))

    def test_licence_by_category_or_by_code(self, hazardous_lot, processor, processor_admin):
        by_category = LicenceFactory(organisation=processor, covers=[category("used-lube-oil")])
        services.bid_place(
            lot=hazardous_lot, acting_user=processor_admin, offer=offer(quantity=Decimal("10"), licence=by_category)
        )
        other = member_of(OrganisationFactory(processor=True))
        by_code = LicenceFactory(organisation=other.membership.organisation, waste_codes="b105d, B104d")
        services.bid_place(lot=hazardous_lot, acting_user=other, offer=offer(quantity=Decimal("10"), licence=by_code))
        assert hazardous_lot.bids.count() == 2

    @pytest.mark.parametrize(
        ("licence_fields", "message"),
        [
            ({"status": "pending"}, "not been verified"),
            ({"status": "rejected"}, "not been verified"),
            ({"covers": ["spent-catalyst"]}, "does not cover"),
            ({"valid_until_days": 1}, "not valid on the pickup date"),
            ({"valid_from_days": 4}, "not valid on the pickup date"),  # starts the day after the pickup
            ({"capacity": Decimal("0.5")}, None),
        ],
    )
    def test_licence_must_be_verified_covering_and_valid(
        self, hazardous_lot, processor, processor_admin, licence_fields, message
    ):
        covers = [category(code) for code in licence_fields.pop("covers", ["used-lube-oil"])]
        days = licence_fields.pop("valid_until_days", 365)
        if "valid_from_days" in licence_fields:
            licence_fields["valid_from"] = timezone.localdate() + timedelta(days=licence_fields.pop("valid_from_days"))
        capacity = licence_fields.pop("capacity", None)
        licence = LicenceFactory(
            organisation=processor,
            covers=covers,
            valid_until=timezone.localdate() + timedelta(days=days),
            capacity_tonnes_per_month=capacity,
            **licence_fields,
        )
        if capacity is not None:  # capacity is checked in tonnes: a litre lot is not limited by it
            services.bid_place(
                lot=hazardous_lot, acting_user=processor_admin, offer=offer(quantity=Decimal("10"), licence=licence)
            )
            return
        with pytest.raises(ValidationError, match=message):
            services.bid_place(
                lot=hazardous_lot, acting_user=processor_admin, offer=offer(quantity=Decimal("10"), licence=licence)
            )

    def test_capacity_must_fit(self, plant, processor, processor_admin):
        lot = LotFactory(plant=plant, category=category("spent-catalyst"), unit="t", quantity=Decimal("25"))
        licence = LicenceFactory(
            organisation=processor, covers=[category("spent-catalyst")], capacity_tonnes_per_month=Decimal("5")
        )
        with pytest.raises(ValidationError, match="capacity"):
            services.bid_place(
                lot=lot, acting_user=processor_admin, offer=offer(quantity=Decimal("20"), licence=licence)
            )
        services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(quantity=Decimal("5"), licence=licence))

    def test_another_firms_licence_is_refused(self, hazardous_lot, processor_admin):
        foreign = LicenceFactory(covers=[category("used-lube-oil")])
        with pytest.raises(ValidationError, match="your own"):
            services.bid_place(
                lot=hazardous_lot, acting_user=processor_admin, offer=offer(quantity=Decimal("10"), licence=foreign)
            )


def test_only_the_bidder_changes_its_bid(lot, processor_admin):
    bid = services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    stranger = member_of(OrganisationFactory(processor=True))
    with pytest.raises(PermissionDenied):
        services.bid_withdraw(bid=bid, acting_user=stranger)
    with pytest.raises(PermissionDenied):
        services.bid_revise(bid=bid, acting_user=stranger, offer=offer(price_per_unit=1))
    bid.refresh_from_db()
    assert bid.status == "live" and bid.price_per_unit == 150000


def test_open_mode_late_bid_extends_the_deadline(plant, processor_admin):
    closes = timezone.now() + timedelta(minutes=3)
    lot = LotFactory(plant=plant, bidding_mode="open", closes_at=closes)
    services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    lot.refresh_from_db()
    assert lot.closes_at == closes + timedelta(minutes=5)
    assert "five minutes" in lot.transitions.last().note
    assert lot.transitions.last().get_step_display() == "Deadline moved"  # not "Processing recorded"


def test_sealed_mode_and_early_bids_leave_the_deadline(plant, processor_admin):
    closes = timezone.now() + timedelta(minutes=3)
    sealed = LotFactory(plant=plant, bidding_mode="sealed", closes_at=closes)
    services.bid_place(lot=sealed, acting_user=processor_admin, offer=offer())
    sealed.refresh_from_db()
    assert sealed.closes_at == closes
    early = LotFactory(plant=plant, bidding_mode="open", closes_at=timezone.now() + timedelta(hours=2))
    before = early.closes_at
    services.bid_place(lot=early, acting_user=processor_admin, offer=offer())
    early.refresh_from_db()
    assert early.closes_at == before


def test_best_live_price_ignores_withdrawn_bids(lot, processor_admin):
    other = member_of(OrganisationFactory(processor=True))
    high = services.bid_place(lot=lot, acting_user=other, offer=offer(price_per_unit=900))
    services.bid_place(lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=-50))
    assert selectors.best_live_price(lot) == 900
    services.bid_withdraw(bid=high, acting_user=other)
    assert selectors.best_live_price(lot) == -50
