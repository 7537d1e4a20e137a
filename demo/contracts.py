"""A demo recurring stream shared between two processors: a monthly contract each, two months delivered by one,
one delivered and one missed by the other (made through the services, then dated back two months, as the
tests do: the services only accept pickups that have happened)."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core import uploads
from listings import services
from listings.models import Award, ContractPeriod, WasteCategory, WasteLot
from members.models import User

from .lots import DEMO_PDF

TITLE = "Fly ash PLTU bulanan, dibagi dua pengolah (demo)"
DAYS_BACK = 65


def load_demo_contracts() -> int:
    plant_person = User.objects.get(email="pltu@demo.test")
    organisation = plant_person.membership.organisation
    if WasteLot.objects.filter(plant=organisation, title=TITLE).exists():
        return 0
    category = WasteCategory.objects.get(code="fly-ash-pltu")
    now = timezone.now()
    lot = services.lot_create(
        acting_user=plant_person,
        fields={
            "title": TITLE,
            "category": category,
            "description": "Fly ash dari unit 1-4, diambil tiap bulan selama setahun. Data demo WasteX.",
            "physical_form": "powder",
            "packaging": "bulk",
            "quantity": Decimal("6000"),
            "unit": "t",
            "is_recurring": True,
            "frequency": WasteLot.Frequency.MONTHLY,
            "quantity_per_period": Decimal("500"),
            "contract_months": 12,
            "site_address": organisation.address,
            "site_kecamatan": organisation.kecamatan or "pulomerak",
            "latitude": organisation.latitude,
            "longitude": organisation.longitude,
            "available_from": timezone.localdate(),
            "closes_at": now + timedelta(days=1),
            "bidding_mode": "open",
            "reserve_price": 20_000,
        },
    )
    services.lot_publish(lot=lot, acting_user=plant_person)
    sharers = [("semenhijau@demo.test", 45_000, "300"), ("logam@demo.test", 38_000, "250")]
    bids = []
    for email, price, quantity in sharers:
        bids.append(
            services.bid_place(
                lot=lot,
                acting_user=User.objects.get(email=email),
                offer=services.BidOffer(
                    price_per_unit=price,
                    quantity=Decimal(quantity),
                    pickup_date=timezone.localdate() + timedelta(days=1),
                    route="recycling",
                ),
            )
        )
    services.lot_close_early(lot=lot, acting_user=plant_person)
    first = services.lot_award(lot=lot, bid=bids[0], acting_user=plant_person, quantity=Decimal("300"))
    second = services.lot_award(
        lot=lot, bid=bids[1], acting_user=plant_person, quantity=Decimal("200"), reason="capacity"
    )
    # Dated back: the contracts started two months ago.
    for award in (first, second):
        Award.objects.filter(pk=award.pk).update(
            awarded_at=award.awarded_at - timedelta(days=DAYS_BACK), notified_at=award.awarded_at
        )
        for period in ContractPeriod.objects.filter(award=award):
            period.starts_on -= timedelta(days=DAYS_BACK)
            period.ends_on -= timedelta(days=DAYS_BACK)
            period.save(update_fields=["starts_on", "ends_on"])
    deliveries = [(first, "semenhijau@demo.test", 1, "300", "298.5"), (first, "semenhijau@demo.test", 2, "301", "300")]
    deliveries.append((second, "logam@demo.test", 1, "200", "188"))  # 6 % short: flagged for staff
    for award, email, number, sent, received in deliveries:
        person = User.objects.get(email=email)
        period = ContractPeriod.objects.get(award=award, number=number)
        lot.refresh_from_db()
        services.pickup_record(
            lot=lot,
            acting_user=person,
            period=period,
            pickup_date=period.starts_on + timedelta(days=2),
            carrier="PT Angkut Banten (demo)",
            vehicle="A 9100 XY",
            manifest_number="",
            quantity_sent=Decimal(sent),
        )
        services.processing_record(
            lot=lot,
            acting_user=person,
            period=period,
            quantity_received=Decimal(received),
            route_used="recycling",
            proof=uploads.clean_document(SimpleUploadedFile("sertifikat.pdf", DEMO_PDF)),
            processing_date=period.starts_on + timedelta(days=4),
        )
    # The second sharer's second month went by without a pickup: flagged to both sides and staff.
    services.periods_flag_missed()
    return 2
