"""A recurring stream shared between two processors, built through the services as in production: the plant
awards processor A a share of 60 t per month and processor B 40 t (of the stream's 100 t), the third bidder is
not chosen. The schedule is then moved 40 days back, so that period 1 is over and period 2 runs today.
A's period 1 is picked up (by the plant) and processed (by A), A's period 2 picked up (by A); B's period 1 is
picked up (by B). Every quantity is distinctive, so a document or an answer can be searched for each of them.

Used by tests/api/test_contracts.py and tests/documents/test_contracts.py."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from core import uploads
from listings import services
from listings.models import Award, ContractPeriod
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of, staff_user

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PER_PERIOD = Decimal("100")
SHARE_A = Decimal("60")
SHARE_B = Decimal("40")
PRICE_A = 210_000
PRICE_B = 190_000
PRICE_C = 170_000
A_SENT_1 = Decimal("58.125")
A_RECEIVED_1 = Decimal("57.375")
A_SENT_2 = Decimal("61.625")
B_SENT_1 = Decimal("39.875")
A_NAME = "CV Pengolah Alfa Rahasia"
B_NAME = "CV Pengolah Beta Rahasia"
A_CARRIER = "PT Angkut Alfa"
B_CARRIER = "PT Angkut Beta"
SHIFT = timedelta(days=40)


@dataclass
class Stream:
    people: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    lot: object = None
    awards: dict = field(default_factory=dict)

    def period(self, side: str, number: int) -> ContractPeriod:
        return self.awards[side].periods.get(number=number)


def proof():
    return uploads.clean_document(SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf"))


def build_shared_stream() -> Stream:
    """Everything through the services; the outbox's documents and notifications run as after each commit."""
    stream = Stream()
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build(stream)
    stream.lot.refresh_from_db()
    return stream


def _build(stream: Stream) -> None:
    orgs, people = stream.organisations, stream.people
    orgs["plant"] = OrganisationFactory(name="PT Baja Aliran", slug="baja-aliran")
    orgs["a"] = OrganisationFactory(name=A_NAME, slug="pengolah-alfa", processor=True)
    orgs["b"] = OrganisationFactory(name=B_NAME, slug="pengolah-beta", processor=True)
    orgs["c"] = OrganisationFactory(name="CV Pengolah Gamma", slug="pengolah-gamma", processor=True)
    orgs["outsider"] = OrganisationFactory(name="CV Tidak Menawar", slug="tidak-menawar", processor=True)
    orgs["other_plant"] = OrganisationFactory(name="PT Pabrik Lain Aliran", slug="pabrik-lain-aliran")
    orgs["authority"] = OrganisationFactory(name="DLH Aliran", slug="dlh-aliran", authority=True)
    people["plant"] = member_of(orgs["plant"], email="admin@aliran.test")
    people["a"] = member_of(orgs["a"], email="alfa@alfa.test")
    people["b"] = member_of(orgs["b"], email="beta@beta.test")
    people["c"] = member_of(orgs["c"], email="gamma@gamma.test")
    people["outsider"] = member_of(orgs["outsider"], email="luar@luar.test")
    people["other_plant"] = member_of(orgs["other_plant"], email="lain@lain.test")
    people["official"] = member_of(orgs["authority"], email="pejabat@dlh.test")
    people["staff"] = staff_user(email="staf@wastex.test")

    lot = LotFactory(
        plant=orgs["plant"],
        title="Slag baja bulanan bersama",
        bidding_mode="open",
        is_recurring=True,
        frequency="monthly",
        quantity_per_period=PER_PERIOD,
        contract_months=6,
        quantity=PER_PERIOD * 6,
    )
    stream.lot = lot
    bids = {}
    offers = (("a", PRICE_A, SHARE_A), ("b", PRICE_B, Decimal("50")), ("c", PRICE_C, Decimal("30")))
    for side, price, quantity in offers:
        bids[side] = services.bid_place(
            lot=lot,
            acting_user=people[side],
            offer=BidOffer(
                price_per_unit=price, quantity=quantity, pickup_date=timezone.localdate(), route="recycling"
            ),
        )
    stream.awards["a"] = services.lot_award(lot=lot, bid=bids["a"], acting_user=people["plant"], quantity=SHARE_A)
    # B's share is what is left (40 of the 50 it offered): the stream is then fully awarded, C is not chosen.
    stream.awards["b"] = services.lot_award(lot=lot, bid=bids["b"], acting_user=people["plant"], quantity=SHARE_B)

    # The contracts started 40 days ago: period 1 is over, period 2 runs today.
    for award in stream.awards.values():
        Award.objects.filter(pk=award.pk).update(awarded_at=award.awarded_at - SHIFT)
        for period in award.periods.all():
            period.starts_on -= SHIFT
            period.ends_on -= SHIFT
            period.save(update_fields=["starts_on", "ends_on"])
        award.refresh_from_db()

    today = timezone.localdate()
    lot.refresh_from_db()
    services.pickup_record(
        lot=lot,
        acting_user=people["plant"],
        pickup_date=today - timedelta(days=35),
        carrier=A_CARRIER,
        vehicle="A 1111 AA",
        manifest_number="",
        quantity_sent=A_SENT_1,
        period=stream.period("a", 1),
    )
    lot.refresh_from_db()
    services.processing_record(
        lot=lot,
        acting_user=people["a"],
        quantity_received=A_RECEIVED_1,
        route_used="recycling",
        proof=proof(),
        processing_date=today - timedelta(days=33),
        period=stream.period("a", 1),
    )
    lot.refresh_from_db()
    services.pickup_record(
        lot=lot,
        acting_user=people["a"],
        pickup_date=today,
        carrier=A_CARRIER,
        vehicle="A 1111 AA",
        manifest_number="",
        quantity_sent=A_SENT_2,
        period=stream.period("a", 2),
    )
    lot.refresh_from_db()
    services.pickup_record(
        lot=lot,
        acting_user=people["b"],
        pickup_date=today - timedelta(days=30),
        carrier=B_CARRIER,
        vehicle="B 2222 BB",
        manifest_number="",
        quantity_sent=B_SENT_1,
        period=stream.period("b", 1),
    )
