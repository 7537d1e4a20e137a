"""Recurring streams as contracts: shares of the quantity per period among several processors, a schedule of
periods each with its own pickup and processing, missed periods, ending early, and completion."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings import services
from listings.models import Award, Bid, ContractPeriod, Handover, WasteLot, add_months, schedule
from listings.services import BidOffer
from listings.tasks import flag_missed_periods
from members.models import Event, Notification
from tests.factories import LotFactory, OrganisationFactory, member_of
from tests.listings.test_handover import proof

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def stream(plant, **fields):
    """A monthly stream of 100 t per period over six months, open for bids."""
    values = {
        "plant": plant,
        "quantity": Decimal("600"),
        "is_recurring": True,
        "frequency": WasteLot.Frequency.MONTHLY,
        "quantity_per_period": Decimal("100"),
        "contract_months": 6,
        "bidding_mode": "open",
        "closes_at": timezone.now() + timedelta(hours=1),
        **fields,
    }
    return LotFactory(**values)


def place(lot, person, price, quantity="60", pickup=None):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal(quantity),
            pickup_date=pickup or timezone.localdate() + timedelta(days=1),
            route="recycling",
        ),
    )


def close(lot, by):
    services.lot_close_early(lot=lot, acting_user=by)
    lot.refresh_from_db()


@pytest.fixture
def processors(db):
    return [
        member_of(OrganisationFactory(name=name, processor=True), email=f"{name.split()[1].lower()}@stream.test")
        for name in ("CV Alfa", "CV Bravo", "CV Charlie")
    ]


@pytest.fixture
def bidding(plant, plant_admin, processors):
    lot = stream(plant)
    bids = [
        place(lot, person, price, quantity)
        for person, price, quantity in zip(processors, [300_000, 250_000, 200_000], ["60", "70", "100"], strict=True)
    ]
    close(lot, plant_admin)
    return lot, bids


def move_back(award, days):
    """The contract's schedule as if it had started `days` ago (periods in the past, without waiting)."""
    for period in award.periods.all():
        period.starts_on -= timedelta(days=days)
        period.ends_on = period.ends_on - timedelta(days=days) if period.ends_on else None
        period.save()
    Award.objects.filter(pk=award.pk).update(awarded_at=award.awarded_at - timedelta(days=days))
    award.refresh_from_db()


# ---- the schedule ----------------------------------------------------------------------------------------------


def test_schedules_by_frequency_and_month_ends():
    lot = WasteLot(is_recurring=True, frequency="monthly", contract_months=3, quantity=300, quantity_per_period=100)
    assert schedule(lot, date(2026, 1, 31)) == [
        (date(2026, 1, 31), date(2026, 2, 27)),
        (date(2026, 2, 28), date(2026, 3, 30)),
        (date(2026, 3, 31), date(2026, 4, 29)),
    ]
    lot.frequency, lot.contract_months = "quarterly", 12
    assert [start for start, _end in schedule(lot, date(2026, 1, 15))] == [
        date(2026, 1, 15), date(2026, 4, 15), date(2026, 7, 15), date(2026, 10, 15)
    ]  # fmt: skip
    lot.frequency, lot.contract_months = "weekly", 1
    weeks = schedule(lot, date(2026, 2, 1))
    assert len(weeks) == 4 and weeks[1] == (date(2026, 2, 8), date(2026, 2, 14))
    lot.contract_months, lot.quantity, lot.frequency = None, Decimal("250"), "monthly"
    assert len(schedule(lot, date(2026, 2, 1))) == 2  # no term: as many periods as the total holds
    one_off = WasteLot(is_recurring=False, quantity=5)
    assert schedule(one_off, date(2026, 2, 1)) == [(date(2026, 2, 1), None)]
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


# ---- shares ----------------------------------------------------------------------------------------------------


def test_two_shares_add_up_and_the_rest_learn_the_prices_never_the_winners(
    bidding, plant_admin, processors, django_capture_on_commit_callbacks
):
    lot, (alfa, bravo, charlie) = bidding
    with django_capture_on_commit_callbacks(execute=True):
        first = services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("60"))
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.AWARDED and lot.awarded_quantity == Decimal("60")
    assert first.periods.count() == 6 and first.quantity == Decimal("60")
    # Charlie's bid is still live: the plant may award it a share of what is left.
    assert Bid.objects.get(pk=charlie.pk).status == Bid.Status.LIVE
    with django_capture_on_commit_callbacks(execute=True):
        second = services.lot_award(
            lot=lot, bid=bravo, acting_user=plant_admin, quantity=Decimal("40"), reason="capacity"
        )
    lot.refresh_from_db()
    assert lot.awarded_quantity == Decimal("100") and second.quantity == Decimal("40")
    assert Bid.objects.get(pk=charlie.pk).status == Bid.Status.REJECTED  # all of it is awarded
    told = Notification.objects.get(recipient=processors[2], event=Event.BID_REJECTED)
    assert told.params["winning_prices"] == [300_000, 250_000]
    text = str(told.params) + told.url
    assert "Alfa" not in text and "Bravo" not in text
    for winner in processors[:2]:
        assert Notification.objects.filter(recipient=winner, event=Event.BID_ACCEPTED).count() == 1


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("70", "a share cannot be more"),  # Alfa offered 60 per period
        ("0", "more than zero"),
        ("-5", "more than zero"),
    ],
)
def test_a_share_is_within_the_bid_and_more_than_zero(bidding, plant_admin, quantity, message):
    lot, (alfa, _bravo, _charlie) = bidding
    with pytest.raises(ValidationError, match=message):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal(quantity))
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.CLOSED and lot.awarded_quantity == 0 and not Award.objects.exists()


def test_shares_never_exceed_the_quantity_per_period(bidding, plant_admin):
    lot, (alfa, bravo, charlie) = bidding
    services.lot_award(lot=lot, bid=charlie, acting_user=plant_admin, quantity=Decimal("70"), reason="capacity")
    with pytest.raises(ValidationError, match="Only 30"):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("31"))
    services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin)  # default: what is left (30 of its 60)
    lot.refresh_from_db()
    assert lot.awarded_quantity == Decimal("100")
    assert Award.objects.get(bid=alfa).quantity == Decimal("30")
    with pytest.raises(ValidationError, match="decided already"):
        services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin, quantity=Decimal("1"), reason="capacity")


def test_each_bid_is_awarded_at_most_once(bidding, plant_admin):
    lot, (alfa, _bravo, _charlie) = bidding
    services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("30"))
    with pytest.raises(ValidationError, match="no longer live"):
        services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("30"))


def test_the_database_refuses_shares_over_the_quantity_per_period(bidding, plant_admin):
    from django.db import IntegrityError, transaction

    lot, (alfa, _bravo, _charlie) = bidding
    services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("60"))
    with pytest.raises(IntegrityError), transaction.atomic():
        WasteLot.objects.filter(pk=lot.pk).update(awarded_quantity=Decimal("100.001"))


def test_bids_on_a_stream_are_per_period(plant, processors):
    lot = stream(plant)
    with pytest.raises(ValidationError, match="100 t per period"):
        place(lot, processors[0], 1000, quantity="101")


def test_finishing_the_awarding_tells_the_rest(bidding, plant_admin, processors, django_capture_on_commit_callbacks):
    lot, (alfa, bravo, charlie) = bidding
    services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("50"))
    with pytest.raises(PermissionDenied):
        services.lot_awarding_finish(lot=lot, acting_user=processors[0])
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_awarding_finish(lot=lot, acting_user=plant_admin)
    assert set(Bid.objects.filter(lot=lot).values_list("status", flat=True)) == {"accepted", "rejected"}
    told = Notification.objects.get(recipient=processors[1], event=Event.BID_REJECTED)
    assert told.params["winning_price"] == 300_000 and "winning_prices" not in told.params
    with pytest.raises(ValidationError):
        services.lot_awarding_finish(lot=lot, acting_user=plant_admin)


def test_who_may_not_award_a_share(bidding, processors, staff, official):
    lot, (alfa, _bravo, _charlie) = bidding
    for person in (processors[0], staff, official, member_of(OrganisationFactory())):
        with pytest.raises(PermissionDenied):
            services.lot_award(lot=lot, bid=alfa, acting_user=person, quantity=Decimal("10"))


# ---- periods: pickups, processing, mismatches -------------------------------------------------------------------


@pytest.fixture
def shared(bidding, plant_admin):
    lot, (alfa, bravo, _charlie) = bidding
    first = services.lot_award(lot=lot, bid=alfa, acting_user=plant_admin, quantity=Decimal("60"))
    second = services.lot_award(lot=lot, bid=bravo, acting_user=plant_admin, quantity=Decimal("40"), reason="capacity")
    move_back(first, 70)
    move_back(second, 70)
    lot.refresh_from_db()
    return lot, first, second


def pickup(lot, person, period, quantity="60", day=None):
    return services.pickup_record(
        lot=lot,
        acting_user=person,
        period=period,
        pickup_date=day or period.starts_on,
        carrier="PT Angkut",
        vehicle="A 1234 BC",
        manifest_number="",
        quantity_sent=Decimal(quantity),
    )


def process(lot, person, period, quantity="60", day=None):
    return services.processing_record(
        lot=lot,
        acting_user=person,
        period=period,
        quantity_received=Decimal(quantity),
        route_used="recycling",
        proof=proof(),
        processing_date=day or period.starts_on + timedelta(days=1),
    )


def test_each_period_has_its_own_pickup_processing_and_flag(shared, processors, plant_admin):
    lot, first, second = shared
    alfa, bravo = processors[0], processors[1]
    january, february, march = first.periods.order_by("number")[:3]
    pickup(lot, alfa, january, "60")
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.COLLECTED
    process(lot, alfa, january, "59.5")  # within 2 %
    pickup(lot, plant_admin, february, "60")
    handover = process(lot, alfa, february, "55")  # 8 % short
    assert handover.mismatch and not Handover.objects.get(period=january).mismatch
    # Bravo's own contract, its own first period
    bravo_first = second.periods.get(number=1)
    pickup(lot, bravo, bravo_first, "40")
    assert Handover.objects.filter(lot=lot).count() == 3
    with pytest.raises(ValidationError, match="once"):
        pickup(lot, alfa, january, "60")
    with pytest.raises(ValidationError, match="recorded already"):
        process(lot, alfa, january, "60")
    # A period not yet started: its pickup waits.
    future = first.periods.order_by("-number").first()
    with pytest.raises(ValidationError, match="record its pickup once it has happened"):
        pickup(lot, alfa, future, "60", day=timezone.localdate())
    assert not Handover.objects.filter(period=march).exists()


def test_who_may_not_record_a_period(shared, processors, staff, official):
    lot, first, second = shared
    alfa, bravo, charlie = processors
    january = first.periods.get(number=1)
    for person in (bravo, charlie, staff, official):  # the other sharer, a loser, staff, an official
        with pytest.raises(PermissionDenied):
            pickup(lot, person, january)
    pickup(lot, alfa, january)
    for person in (bravo, charlie, staff):
        with pytest.raises(PermissionDenied):
            process(lot, person, january)
    # A period of another lot's contract is not this lot's.
    with pytest.raises(ValidationError, match="Choose a period"):
        pickup(lot, alfa, None, day=timezone.localdate())


# ---- missed periods, ending early, completion -------------------------------------------------------------------


def test_missed_periods_are_flagged_once_to_both_sides_and_staff(
    shared, processors, plant_admin, staff, django_capture_on_commit_callbacks
):
    lot, first, second = shared
    alfa, bravo, charlie = processors
    pickup(lot, alfa, first.periods.get(number=1))
    with django_capture_on_commit_callbacks(execute=True):
        flagged = flag_missed_periods()  # the hourly beat task
    # 70 days back: two periods of each contract are over; Alfa picked up its first.
    assert flagged == 3
    assert set(ContractPeriod.objects.filter(missed_at__isnull=False).values_list("award_id", "number")) == {
        (first.pk, 2),
        (second.pk, 1),
        (second.pk, 2),
    }
    missed = Notification.objects.filter(event=Event.PERIOD_MISSED)
    assert set(missed.filter(recipient=plant_admin).values_list("params__period", flat=True)) == {1, 2}
    assert missed.filter(recipient=alfa).count() == 1 and missed.filter(recipient=bravo).count() == 2
    assert missed.filter(recipient=staff).count() == 3
    assert missed.filter(recipient=bravo).first().url == f"/lots/{lot.reference}/contracts/{second.pk}/"
    assert not missed.filter(recipient=charlie).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.periods_flag_missed() == 0  # idempotent
    # A late pickup is still recorded; the flag stays on record.
    pickup(lot, alfa, first.periods.get(number=2))
    assert first.periods.get(number=2).missed_at is not None


def test_ending_early_needs_a_reason_and_tells_the_other_side(
    shared, processors, plant_admin, staff, django_capture_on_commit_callbacks
):
    lot, first, second = shared
    alfa, bravo, charlie = processors
    with pytest.raises(ValidationError, match="Say why"):
        services.contract_end(award=first, acting_user=alfa, reason="  ")
    for person in (bravo, charlie, staff):
        with pytest.raises(PermissionDenied):
            services.contract_end(award=first, acting_user=person, reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        services.contract_end(award=first, acting_user=alfa, reason="Our kiln is down for a year.")
    first.refresh_from_db()
    assert first.ended_by == alfa and first.end_reason == "Our kiln is down for a year."
    told = Notification.objects.filter(event=Event.CONTRACT_ENDED)
    assert set(told.values_list("recipient", flat=True)) == {plant_admin.pk, staff.pk}
    assert lot.transitions.filter(note__contains="Our kiln is down", step="contract-ended").exists()
    assert told.first().url == f"/lots/{lot.reference}/contracts/{first.pk}/"
    with pytest.raises(ValidationError, match="ended already"):
        services.contract_end(award=first, acting_user=plant_admin, reason="again")
    # The periods after the end are not due: no pickup, and never flagged as missed.
    later = first.periods.filter(starts_on__gt=timezone.localdate()).first()
    ContractPeriod.objects.filter(pk=later.pk).update(starts_on=timezone.localdate() - timedelta(days=1))
    later.refresh_from_db()
    Award.objects.filter(pk=first.pk).update(ended_at=timezone.now() - timedelta(days=3))
    with pytest.raises(ValidationError, match="ended early"):
        pickup(lot, alfa, later)
    services.periods_flag_missed()
    assert not first.periods.filter(missed_at__isnull=False).exists()


def test_a_stream_completes_when_every_contract_is_finished(shared, processors, plant_admin):
    lot, first, second = shared
    alfa, bravo, _charlie = processors
    services.contract_end(award=second, acting_user=plant_admin, reason="Bravo's permit lapsed.")
    Award.objects.filter(pk=first.pk).update(awarded_at=timezone.now() - timedelta(days=400))
    for period in first.periods.order_by("number"):
        ContractPeriod.objects.filter(pk=period.pk).update(
            starts_on=timezone.localdate() - timedelta(days=200 - 30 * period.number),
            ends_on=timezone.localdate() - timedelta(days=171 - 30 * period.number),
        )
    for period in first.periods.order_by("number"):
        pickup(lot, alfa, period)
        lot.refresh_from_db()
        assert lot.status == WasteLot.Status.COLLECTED
        process(lot, alfa, period)
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.COMPLETED
    assert lot.transitions.filter(to_status="completed", note__contains="Every contract").exists()


def test_a_one_off_lot_stays_as_it_was(plant, plant_admin, processors):
    lot = LotFactory(plant=plant, bidding_mode="open", quantity=Decimal("10"))
    bid = place(lot, processors[0], 5000, quantity="10")
    award = services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    lot.refresh_from_db()
    assert lot.award == award and lot.awarded_quantity == lot.quantity
    assert [(p.number, p.ends_on) for p in award.periods.all()] == [(1, None)]
    pickup(lot, processors[0], None, "10", day=timezone.localdate())
    process(lot, processors[0], None, "10", day=timezone.localdate())
    services.lot_confirm_completion(lot=lot, acting_user=plant_admin)
    lot.refresh_from_db()
    assert lot.status == WasteLot.Status.COMPLETED and lot.handover.quantity_received == Decimal("10")
    with pytest.raises(ValidationError):
        services.contract_end(award=award, acting_user=plant_admin, reason="no")


def test_the_timeline_names_steps_that_change_no_status(shared, processors, plant_admin):
    from listings.selectors import timeline_for_viewer

    lot, first, _second = shared
    pickup(lot, processors[0], first.periods.get(number=1))
    pickup(lot, plant_admin, first.periods.get(number=2))
    labels = [step.status_label for step in timeline_for_viewer(plant_admin, lot)]
    assert "Share awarded" in labels  # the second share, on an awarded lot
    assert labels[-2:] == ["Collected", "Pickup recorded"]  # the first pickup moves the status, the next does not
    assert "Processing recorded" not in labels
