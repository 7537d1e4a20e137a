from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from listings import services
from listings.models import LotTransition, WasteLot
from listings.tasks import close_overdue_lots
from tests.factories import LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db


def lot_fields(**overrides):
    fields = {
        "title": "Mill scale dari rolling mill",
        "category": category("mill-scale"),
        "description": "Kerak oksida, kering.",
        "physical_form": "solid",
        "packaging": "bulk",
        "quantity": Decimal("350"),
        "unit": "t",
        "site_address": "Jl. Industri Baja 1",
        "site_kecamatan": "ciwandan",
        "available_from": timezone.localdate(),
        "closes_at": timezone.now() + timedelta(days=5),
        "bidding_mode": "sealed",
        "reserve_price": 450000,
    }
    fields.update(overrides)
    return fields


def test_create_makes_a_draft_with_a_reference_and_a_timeline(plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields())
    year = timezone.localdate().year
    assert lot.reference == f"WX-{year}-00001"
    assert lot.status == WasteLot.Status.DRAFT
    assert lot.plant == plant_admin.membership.organisation
    assert "Mill scale" in lot.search_document and "N103" in lot.search_document
    assert list(lot.transitions.values_list("from_status", "to_status")) == [("", "draft")]
    second = services.lot_create(acting_user=plant_admin, fields=lot_fields())
    assert second.reference == f"WX-{year}-00002"


def test_publish_opens_and_records(plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields(local_first_days=3))
    services.lot_publish(lot=lot, acting_user=plant_admin)
    assert lot.status == WasteLot.Status.OPEN
    assert lot.published_at is not None
    assert lot.local_first_until == lot.published_at + timedelta(days=3)
    assert lot.is_local_first_now
    step = lot.transitions.last()
    assert (step.from_status, step.to_status, step.actor) == ("draft", "open", plant_admin)


def test_publish_with_a_past_deadline_is_refused(plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields())
    WasteLot.objects.filter(pk=lot.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="future"):
        services.lot_publish(lot=lot, acting_user=plant_admin)
    assert WasteLot.objects.get(pk=lot.pk).status == "draft"


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("draft", "closed"),
        ("draft", "awarded"),
        ("open", "draft"),
        ("open", "awarded"),
        ("closed", "open"),
        ("cancelled", "open"),
        ("cancelled", "draft"),
        ("awarded", "cancelled"),
        ("completed", "open"),
        ("unawarded", "open"),
    ],
)
def test_illegal_transitions_are_refused_and_leave_no_trace(start, to):
    lot = LotFactory(status=start)
    with pytest.raises(ValidationError, match="cannot become"):
        services.lot_transition(lot=lot, to_status=to, acting_user=None)
    assert WasteLot.objects.get(pk=lot.pk).status == start
    assert not LotTransition.objects.filter(lot=lot).exists()


def test_cancel_needs_a_reason_and_is_recorded(plant, plant_admin):
    lot = LotFactory(plant=plant)
    with pytest.raises(ValidationError):
        services.lot_cancel(lot=lot, acting_user=plant_admin, reason=" ")
    services.lot_cancel(lot=lot, acting_user=plant_admin, reason="Sold elsewhere")
    assert lot.status == "cancelled"
    assert lot.transitions.last().note == "Sold elsewhere"


def test_cannot_cancel_after_award(plant, plant_admin):
    lot = LotFactory(plant=plant, status="awarded")
    with pytest.raises(ValidationError):
        services.lot_cancel(lot=lot, acting_user=plant_admin, reason="x")


def test_close_overdue_task_closes_only_overdue_open_lots_once():
    overdue = LotFactory(closes_at=timezone.now() - timedelta(minutes=1))
    future = LotFactory()
    draft = LotFactory(status="draft", closes_at=timezone.now() - timedelta(days=1))
    assert close_overdue_lots() == 1
    assert close_overdue_lots() == 0  # idempotent
    overdue.refresh_from_db()
    assert overdue.status == "closed"
    assert overdue.transitions.get().actor is None
    assert WasteLot.objects.get(pk=future.pk).status == "open"
    assert WasteLot.objects.get(pk=draft.pk).status == "draft"


def test_open_queryset_never_includes_a_lot_past_its_deadline():
    LotFactory(closes_at=timezone.now() - timedelta(seconds=1))
    live = LotFactory()
    assert list(WasteLot.objects.open()) == [live]


@pytest.mark.parametrize("who", ["processor_admin", "unverified_admin", "official", "staff"])
def test_only_verified_plant_people_create_lots(request, who):
    with pytest.raises(PermissionDenied):
        services.lot_create(acting_user=request.getfixturevalue(who), fields=lot_fields())
    assert not WasteLot.objects.exists()


def test_other_plant_cannot_manage(plant):
    lot = LotFactory(plant=plant, status="draft")
    other = member_of(OrganisationFactory())
    for action in (
        lambda: services.lot_publish(lot=lot, acting_user=other),
        lambda: services.lot_cancel(lot=lot, acting_user=other, reason="x"),
        lambda: services.lot_update(lot=lot, acting_user=other, fields={"title": "x"}),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert WasteLot.objects.get(pk=lot.pk).status == "draft"


def test_plant_that_lost_its_verification_cannot_publish(plant, plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields())
    plant.verification_status = "rejected"
    plant.save()
    plant_admin.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.lot_publish(lot=lot, acting_user=plant_admin)


def test_draft_is_editable_freely(plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields())
    services.lot_update(
        lot=lot, acting_user=plant_admin, fields={"quantity": Decimal("10"), "category": category("steel-slag")}
    )
    assert lot.quantity == Decimal("10") and lot.category.code == "steel-slag"


def test_open_lot_edits_are_only_fair_ones(plant, plant_admin):
    lot = LotFactory(plant=plant, quantity=Decimal("100"))
    later = lot.closes_at + timedelta(days=2)
    services.lot_update(
        lot=lot,
        acting_user=plant_admin,
        fields={"closes_at": later, "quantity": Decimal("120"), "description": "Lebih"},
    )
    assert (lot.closes_at, lot.quantity, lot.description) == (later, Decimal("120"), "Lebih")

    with pytest.raises(ValidationError, match="only be extended"):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"closes_at": later - timedelta(days=1)})
    with pytest.raises(ValidationError, match="only go up"):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"quantity": Decimal("50")})
    with pytest.raises(ValidationError, match="cannot change"):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"reserve_price": 1})
    with pytest.raises(ValidationError, match="cannot change"):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"category": category("fly-ash-pltu")})
    lot.refresh_from_db()
    assert lot.reserve_price == 100000 and lot.quantity == Decimal("120")


@pytest.mark.parametrize(("before", "after"), [("sealed", "open"), ("open", "sealed")])
def test_open_lots_bidding_mode_cannot_change(plant, plant_admin, before, after):
    """Switching a sealed lot to open would show every bid placed in confidence."""
    lot = LotFactory(plant=plant, bidding_mode=before)
    with pytest.raises(ValidationError, match="cannot change any more: bidding"):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"bidding_mode": after})
    assert WasteLot.objects.get(pk=lot.pk).bidding_mode == before


def test_closed_or_cancelled_lot_cannot_be_edited(plant, plant_admin):
    for status in ("closed", "cancelled", "awarded"):
        lot = LotFactory(plant=plant, status=status)
        with pytest.raises(ValidationError, match="Only draft and open"):
            services.lot_update(lot=lot, acting_user=plant_admin, fields={"description": "x"})


def test_recurring_needs_frequency_and_quantity_per_period(plant_admin):
    with pytest.raises(ValidationError):
        services.lot_create(acting_user=plant_admin, fields=lot_fields(is_recurring=True))
    lot = services.lot_create(
        acting_user=plant_admin,
        fields=lot_fields(
            is_recurring=True, frequency="monthly", quantity_per_period=Decimal("30"), contract_months=12
        ),
    )
    assert lot.is_recurring and lot.frequency == "monthly"


def test_one_off_lot_drops_recurring_details(plant_admin):
    lot = services.lot_create(
        acting_user=plant_admin, fields=lot_fields(frequency="monthly", quantity_per_period=Decimal("30"))
    )
    assert (lot.frequency, lot.quantity_per_period) == ("", None)


def test_inspection_window_must_make_sense(plant_admin):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError):
        services.lot_create(
            acting_user=plant_admin,
            fields=lot_fields(inspection_from=start, inspection_until=start - timedelta(hours=1)),
        )
    with pytest.raises(ValidationError):
        services.lot_create(acting_user=plant_admin, fields=lot_fields(inspection_from=start))


def test_negative_reserve_price_is_a_gate_fee(plant_admin):
    lot = services.lot_create(acting_user=plant_admin, fields=lot_fields(reserve_price=-400000))
    assert lot.reserve_price == -400000
