"""After the award: pickup with manifest, processing with proof, mismatch flag, completion, ratings."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core import uploads
from listings import services
from listings.models import Handover, Rating, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, category, login_with_second_factor, member_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def proof():
    return uploads.clean_document(SimpleUploadedFile("sertifikat.pdf", PDF))


def awarded_lot(plant, plant_admin, winner, *, code="steel-slag", unit="t"):
    lot = LotFactory(plant=plant, bidding_mode="open", category=category(code), unit=unit)
    bid = services.bid_place(
        lot=lot,
        acting_user=winner,
        offer=BidOffer(
            price_per_unit=1000,
            quantity=Decimal("100"),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="recycling",
        ),
    )
    services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    return lot


def record_pickup(lot, person, **overrides):
    values = {
        "pickup_date": timezone.localdate(),
        "carrier": "PT Angkut Banten",
        "vehicle": "A 1234 BC",
        "manifest_number": "FESTRONIK-0001",
        "quantity_sent": Decimal("100"),
    }
    values.update(overrides)
    return services.pickup_record(lot=lot, acting_user=person, **values)


def test_full_handover(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    handover = record_pickup(lot, processor_admin)
    lot.refresh_from_db()
    assert lot.status == "collected" and handover.manifest_number == "FESTRONIK-0001"
    services.processing_record(
        lot=lot, acting_user=processor_admin, quantity_received=Decimal("99"), route_used="recycling", proof=proof()
    )
    handover.refresh_from_db()
    assert not handover.mismatch and handover.proof.name.endswith(".pdf")
    services.lot_confirm_completion(lot=lot, acting_user=plant_admin)
    assert lot.status == "completed"
    services.rating_give(lot=lot, acting_user=plant_admin, stars=5, comment="Tepat waktu")
    services.rating_give(lot=lot, acting_user=processor_admin, stars=4)
    assert set(Rating.objects.values_list("rater__name", "rated__name", "stars")) == {
        ("PT Baja Uji", "CV Olah Uji", 5),
        ("CV Olah Uji", "PT Baja Uji", 4),
    }
    with pytest.raises(ValidationError, match="rated this deal already"):
        services.rating_give(lot=lot, acting_user=plant_admin, stars=1)
    steps = list(lot.transitions.values_list("to_status", flat=True))
    assert steps[-3:] == ["collected", "collected", "completed"]


def test_more_than_two_percent_difference_is_flagged(client, plant, plant_admin, processor_admin, staff):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    record_pickup(lot, plant_admin, quantity_sent=Decimal("100"))
    services.processing_record(
        lot=lot, acting_user=processor_admin, quantity_received=Decimal("97.9"), route_used="recycling", proof=proof()
    )
    handover = Handover.objects.get(lot=lot)
    assert handover.mismatch
    assert "flagged for staff" in lot.transitions.last().note
    login_with_second_factor(client, staff)
    page = client.get(reverse("listings:staff_handovers"))
    assert lot.reference in page.content.decode()
    client.force_login(plant_admin)
    assert 'data-testid="mismatch"' in client.get(lot.get_absolute_url()).content.decode()
    assert client.get(reverse("listings:staff_handovers")).status_code == 403


def test_exactly_two_percent_is_within_tolerance(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    record_pickup(lot, processor_admin, quantity_sent=Decimal("100"))
    services.processing_record(
        lot=lot, acting_user=processor_admin, quantity_received=Decimal("98"), route_used="recycling", proof=proof()
    )
    assert not Handover.objects.get(lot=lot).mismatch


@pytest.mark.parametrize(
    ("received", "flagged"),
    [("102.1", True), ("102", False), ("97.9", True), ("98", False)],
    ids=["over-by-2.1pc", "over-by-2pc", "under-by-2.1pc", "under-by-2pc"],
)
def test_the_two_percent_flag_works_both_ways(plant, plant_admin, processor_admin, received, flagged):
    """Receiving more than was sent is as suspicious as receiving less."""
    lot = awarded_lot(plant, plant_admin, processor_admin)
    record_pickup(lot, processor_admin, quantity_sent=Decimal("100"))
    services.processing_record(
        lot=lot, acting_user=processor_admin, quantity_received=Decimal(received), route_used="recycling", proof=proof()
    )
    assert Handover.objects.get(lot=lot).mismatch is flagged


def test_hazardous_pickup_needs_the_manifest(plant, plant_admin, processor, processor_admin):
    from tests.factories import LicenceFactory

    licence = LicenceFactory(organisation=processor, covers=[category("used-lube-oil")])
    lot = LotFactory(plant=plant, bidding_mode="open", category=category("used-lube-oil"), unit="L")
    bid = services.bid_place(
        lot=lot,
        acting_user=processor_admin,
        offer=BidOffer(
            price_per_unit=100,
            quantity=Decimal("100"),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="recycling",
            licence=licence,
        ),
    )
    services.lot_award(lot=lot, bid=bid, acting_user=plant_admin)
    with pytest.raises(ValidationError) as caught:
        record_pickup(lot, processor_admin, manifest_number="")
    assert "manifest_number" in caught.value.message_dict


def test_who_may_not_record(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    loser = member_of(OrganisationFactory(processor=True))
    with pytest.raises(PermissionDenied):
        record_pickup(lot, loser)
    record_pickup(lot, processor_admin)
    with pytest.raises(PermissionDenied):  # the plant does not record the processor's processing
        services.processing_record(
            lot=lot, acting_user=plant_admin, quantity_received=Decimal("100"), route_used="reuse", proof=proof()
        )
    with pytest.raises(ValidationError, match="not recorded the processing"):
        services.lot_confirm_completion(lot=lot, acting_user=plant_admin)
    with pytest.raises(PermissionDenied):
        services.lot_confirm_completion(lot=lot, acting_user=processor_admin)


def test_steps_happen_in_order(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    with pytest.raises(ValidationError):
        services.processing_record(
            lot=lot, acting_user=processor_admin, quantity_received=Decimal("1"), route_used="reuse", proof=proof()
        )
    record_pickup(lot, processor_admin)
    with pytest.raises(ValidationError, match="once"):
        record_pickup(lot, processor_admin)
    with pytest.raises(ValidationError, match="completed"):
        services.rating_give(lot=lot, acting_user=plant_admin, stars=5)


def test_pickup_in_the_future_or_zero_is_refused(plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    with pytest.raises(ValidationError) as caught:
        record_pickup(
            lot, processor_admin, pickup_date=timezone.localdate() + timedelta(days=2), quantity_sent=Decimal("0")
        )
    assert {"pickup_date", "quantity_sent"} <= set(caught.value.message_dict)
    assert WasteLot.objects.get(pk=lot.pk).status == "awarded"


def test_handover_through_the_pages(client, plant, plant_admin, processor_admin):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    client.force_login(processor_admin)
    ref = {"reference": lot.reference}
    bad = client.post(reverse("listings:pickup", kwargs=ref), {"carrier": "", "quantity_sent": "abc"})
    assert bad.status_code == 400
    client.post(
        reverse("listings:pickup", kwargs=ref),
        {
            "pickup_date": timezone.localdate().isoformat(),
            "carrier": "PT Angkut",
            "vehicle": "A 1 B",
            "manifest_number": "",
            "quantity_sent": "100",
        },
    )
    not_pdf = SimpleUploadedFile("bukti.pdf", b"not a pdf at all")
    refused = client.post(
        reverse("listings:processing", kwargs=ref),
        {"quantity_received": "100", "route_used": "recycling", "proof": not_pdf},
    )
    assert refused.status_code == 400 and "proof" in refused.context["processing_form"].errors
    buffer = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (50, 50)).save(buffer, "JPEG")
    photo = SimpleUploadedFile("bukti.jpg", buffer.getvalue())
    client.post(
        reverse("listings:processing", kwargs=ref),
        {"quantity_received": "100", "route_used": "recycling", "proof": photo},
    )
    assert client.get(reverse("listings:proof", kwargs=ref))["Content-Type"] == "image/jpeg"
    client.force_login(plant_admin)
    client.post(reverse("listings:complete", kwargs=ref))
    client.post(reverse("listings:rate", kwargs=ref), {"stars": "5", "comment": "Baik"})
    lot.refresh_from_db()
    assert lot.status == "completed" and Rating.objects.count() == 1
    client.force_login(member_of(OrganisationFactory(processor=True)))
    refused = client.get(reverse("listings:proof", kwargs=ref))
    assert refused.status_code == 403 and "only for the plant, the winning processor" in refused.content.decode()
