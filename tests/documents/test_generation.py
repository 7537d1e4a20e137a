"""When documents are issued, that issuing twice never makes two, the command that fills in missing ones, and
the numbering (gap-free, unique), also under concurrency on PostgreSQL."""

import re
import threading
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from core import outbox
from core.models import OutboxEvent
from documents import services
from documents.models import Document
from listings import services as listing_services
from listings.services import BidOffer
from tests.documents.conftest import document_of
from tests.factories import LotFactory, OrganisationFactory, member_of

KINDS = [kind.value for kind in Document.Kind]
NUMBER = re.compile(r"^WX-(SP|BAST|SPL)-(\d{4})-(\d{6})$")


def target(world, kind: str) -> dict:
    """What a document of the deal is asked for by: its contract, and for the handover's documents its period."""
    award = world.lots["deal"].awards.get()
    return {"award_id": award.pk, "period_id": None if kind == "award-letter" else award.periods.get().pk}


@pytest.mark.django_db
def test_each_step_asked_for_its_document_through_the_outbox(world):
    award = world.lots["deal"].awards.get()
    events = OutboxEvent.objects.filter(kind="document", payload__award_id=award.pk)
    assert sorted(event.payload["kind"] for event in events) == sorted(KINDS)
    assert all(event.processed_at is not None for event in events)
    period = award.periods.get()
    assert {event.payload["period_id"] for event in events} == {None, period.pk}
    assert all(document_of(world, kind).award == award for kind in KINDS)
    assert document_of(world, "award-letter").period is None
    assert document_of(world, "handover-record").period == period == document_of(world, "processing-certificate").period


@pytest.mark.django_db
def test_generating_again_never_makes_a_second_document(world):
    lot = world.lots["deal"]
    before = {kind: document_of(world, kind).pk for kind in KINDS}
    for kind in KINDS:
        assert services.document_generate(kind=kind, **target(world, kind)).pk == before[kind]
        # A second event for the same contract and kind (e.g. published by a re-run) changes nothing either.
        event = outbox.publish("document", key=f"document:{kind}:again", payload={"kind": kind, **target(world, kind)})
        assert outbox.process(event.pk) is True
        assert outbox.process(event.pk) is False
        # An event asked for before documents were per contract names the lot only: still the same document.
        event = outbox.publish("document", key=f"document:{kind}:{lot.pk}", payload={"lot_id": lot.pk, "kind": kind})
        assert outbox.process(event.pk) is True
    assert Document.objects.filter(lot=lot).count() == 3


@pytest.mark.django_db
def test_no_document_before_its_step(world):
    open_lot = world.lots["open"]
    assert not open_lot.awards.exists() and not Document.objects.filter(lot=open_lot).exists()
    # An awarded lot has its award letter; its period's handover documents wait for the pickup.
    lot = LotFactory(plant=world.organisations["plant"], bidding_mode="open")
    bid = listing_services.bid_place(
        lot=lot,
        acting_user=world.people["winner"],
        offer=BidOffer(
            price_per_unit=1000, quantity=Decimal("10"), pickup_date=timezone.localdate(), route="recycling"
        ),
    )
    award = listing_services.lot_award(lot=lot, bid=bid, acting_user=world.people["plant_admin"], reason="best-price")
    period = award.periods.get()
    assert services.document_generate(award_id=award.pk, kind="award-letter").kind == "award-letter"
    for kind in ("handover-record", "processing-certificate"):
        assert services.document_generate(award_id=award.pk, kind=kind, period_id=period.pk) is None
    assert list(Document.objects.filter(lot=lot).values_list("kind", flat=True)) == ["award-letter"]


@pytest.mark.django_db
def test_the_command_issues_only_what_is_missing(world):
    lot = world.lots["deal"]
    out = StringIO()
    call_command("documents_generate", stdout=out)
    assert "0 document(s) issued." in out.getvalue()
    certificate = document_of(world, "processing-certificate")
    certificate.delete()  # as for a deal completed before documents existed
    out = StringIO()
    call_command("documents_generate", stdout=out)
    issued = Document.objects.get(lot=lot, kind="processing-certificate")
    assert f"{issued.number} processing-certificate {lot.reference}" in out.getvalue()
    assert "1 document(s) issued." in out.getvalue()
    assert Document.objects.filter(lot=lot).count() == 3


@pytest.mark.django_db
def test_numbers_follow_each_other_per_kind_and_year(world):
    award_letter = document_of(world, "award-letter")
    prefix, year, number = NUMBER.match(award_letter.number).groups()
    assert prefix == "SP" and int(year) == timezone.localdate(award_letter.created_at).year
    assert NUMBER.match(document_of(world, "handover-record").number).group(1) == "BAST"
    assert NUMBER.match(document_of(world, "processing-certificate").number).group(1) == "SPL"
    new = services.document_supersede(document=award_letter, acting_user=world.people["staff"], reason="Diganti")
    assert NUMBER.match(new.number).groups() == (prefix, year, f"{int(number) + 1:06d}")


@pytest.mark.django_db
def test_a_revoked_document_is_not_issued_again(world):
    revoked = services.document_revoke(
        document=document_of(world, "award-letter"), acting_user=world.people["staff"], reason="Salah terbit"
    )
    assert services.document_generate(kind="award-letter", **target(world, "award-letter")).pk == revoked.pk
    assert services.documents_generate_missing() == []


# --- PostgreSQL: real row locks, real concurrent transactions -------------------------------------------------


def run_together(count: int, action):
    barrier = threading.Barrier(count)
    results = [None] * count

    def worker(index):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as exc:  # the outcome under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_numbers_taken_at_once_are_unique_and_gap_free():
    def take_five():
        numbers = []
        for _i in range(5):
            with transaction.atomic():
                numbers.append(services._next_number("award-letter", 2099))
        return numbers

    results = run_together(8, take_five)
    assert not [r for r in results if isinstance(r, Exception)], results
    taken = sorted(number for numbers in results for number in numbers)
    assert taken == [f"WX-SP-2099-{n:06d}" for n in range(1, 41)]


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under concurrency: PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_generating_at_once_make_one_document(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    plant = OrganisationFactory()
    lot = LotFactory(plant=plant, bidding_mode="open")
    bidder = member_of(OrganisationFactory(processor=True))
    bid = listing_services.bid_place(
        lot=lot,
        acting_user=bidder,
        offer=BidOffer(
            price_per_unit=1000,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=1),
            route="recycling",
        ),
    )
    award = listing_services.lot_award(lot=lot, bid=bid, acting_user=member_of(plant), reason="best-price")
    # The award's commit issued the letter through the outbox; without it, four workers race to issue it.
    Document.objects.filter(lot=lot).delete()
    results = run_together(4, lambda: services.document_generate(award_id=award.pk, kind="award-letter"))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len({document.pk for document in results}) == 1
    assert Document.objects.filter(lot=lot, kind="award-letter").count() == 1
