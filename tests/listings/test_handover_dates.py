"""Dates in a lot's life: the pickup is not before the award (its day in Asia/Jakarta) nor in the future; the
processing is not before the pickup nor in the future. Clear form errors, and a database rule behind them."""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from listings import services
from listings.models import Award, Handover
from tests.factories import log_in

from .test_handover import awarded_lot, proof, record_pickup

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def award_on(lot, day, hour=10):
    """Move the lot's award to `day` at `hour` WIB."""
    when = timezone.make_aware(datetime.combine(day, time(hour)))
    Award.objects.filter(lot=lot).update(awarded_at=when)
    lot.refresh_from_db()
    return when


def test_the_pickup_cannot_be_before_the_award(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    with pytest.raises(ValidationError) as caught:
        record_pickup(lot, processor_admin, pickup_date=timezone.localdate() - timedelta(days=1))
    assert caught.value.message_dict["pickup_date"] == [
        f"The pickup cannot be before the award ({timezone.localdate():%-d %B %Y})."
    ]
    with pytest.raises(ValidationError, match="cannot be before the award"):
        record_pickup(lot, plant_admin, pickup_date=datetime(2020, 1, 1).date())  # the plant neither
    assert not Handover.objects.filter(lot=lot).exists()
    record_pickup(lot, processor_admin, pickup_date=timezone.localdate())  # the award's own day is fine


def test_the_award_day_is_counted_in_jakarta(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    day = timezone.localdate() - timedelta(days=3)
    when = award_on(lot, day, hour=1)  # 01:00 WIB is 18:00 UTC of the day before
    assert when.astimezone(UTC).date() == day - timedelta(days=1)
    with pytest.raises(ValidationError, match="cannot be before the award"):
        record_pickup(lot, processor_admin, pickup_date=day - timedelta(days=1))
    assert record_pickup(lot, processor_admin, pickup_date=day).pickup_date == day


def test_the_pickup_cannot_be_in_the_future(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    with pytest.raises(ValidationError) as caught:
        record_pickup(lot, processor_admin, pickup_date=timezone.localdate() + timedelta(days=1))
    assert caught.value.message_dict["pickup_date"] == [
        "Record a pickup once it has happened: the date cannot be in the future."
    ]


def process(lot, person, day):
    return services.processing_record(
        lot=lot,
        acting_user=person,
        quantity_received=Decimal("100"),
        route_used="recycling",
        proof=proof(),
        processing_date=day,
    )


def test_processing_not_before_the_pickup_nor_in_the_future(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    today = timezone.localdate()
    award_on(lot, today - timedelta(days=10))
    pickup_day = today - timedelta(days=5)
    record_pickup(lot, processor_admin, pickup_date=pickup_day)
    lot.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        process(lot, processor_admin, pickup_day - timedelta(days=1))
    assert caught.value.message_dict["processing_date"] == [
        f"Processing cannot be before the pickup ({pickup_day:%-d %B %Y})."
    ]
    with pytest.raises(ValidationError) as caught:
        process(lot, processor_admin, today + timedelta(days=1))
    assert caught.value.message_dict["processing_date"] == [
        "Record processing once it has happened: the date cannot be in the future."
    ]
    assert Handover.objects.get(lot=lot).processing_recorded_at is None
    assert process(lot, processor_admin, pickup_day).processing_date == pickup_day


def test_the_database_refuses_processing_before_the_pickup(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    handover = record_pickup(lot, processor_admin)
    handover.processing_date = handover.pickup_date - timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        handover.save()


def test_the_forms_say_why(client, plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    log_in(client, processor_admin)
    data = {"carrier": "PT Angkut", "vehicle": "A 1 B", "quantity_sent": "100", "pickup_date": "2020-01-01"}
    response = client.post(f"/lots/{lot.reference}/pickup/", data)
    assert response.status_code == 400
    assert "The pickup cannot be before the award" in response.content.decode()
    data["pickup_date"] = timezone.localdate().isoformat()
    assert client.post(f"/lots/{lot.reference}/pickup/", data).status_code == 302
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(
        f"/lots/{lot.reference}/processing/",
        {"processing_date": tomorrow, "quantity_received": "100", "route_used": "recycling", "proof": proof_file()},
    )
    assert response.status_code == 400
    assert "the date cannot be in the future" in response.content.decode()
    assert Handover.objects.get(lot=lot).processing_date is None


def proof_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_handover import PDF

    return SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf")


def test_who_may_not_record_dates(client, plant, plant_admin, processor_admin):
    """A losing bidder or a stranger is refused with the reason, whatever the date (a 403, never a 500)."""
    from tests.factories import OrganisationFactory, log_in, member_of

    lot = awarded_lot(plant, plant_admin, processor_admin)
    stranger = member_of(OrganisationFactory(processor=True))
    log_in(client, stranger)
    data = {"carrier": "PT Angkut", "vehicle": "A 1 B", "quantity_sent": "100", "pickup_date": "2020-01-01"}
    response = client.post(f"/lots/{lot.reference}/pickup/", data)
    assert response.status_code == 403
    assert "Only the plant or the winning processor records the pickup." in response.content.decode()
    assert not Handover.objects.filter(lot=lot).exists()
