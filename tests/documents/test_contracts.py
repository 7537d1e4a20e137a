"""Documents per contract on a recurring stream shared between two processors: each winner gets its own award
letter (its share per period and its schedule) and never sees the other's documents; each pickup gets its
handover record and each processed period its processing certificate, with that period's quantities."""

import re
import tempfile

import pytest
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import reverse

from core import numbers
from documents import services
from documents.models import Document
from listings import services as listing_services
from tests.contracts_world import (
    A_CARRIER,
    A_NAME,
    A_RECEIVED_1,
    A_SENT_1,
    A_SENT_2,
    B_CARRIER,
    B_NAME,
    B_SENT_1,
    PER_PERIOD,
    PRICE_A,
    PRICE_B,
    PRICE_C,
    SHARE_A,
    SHARE_B,
    build_shared_stream,
    proof,
)
from tests.documents.conftest import pdf_reader, pdf_text
from tests.factories import log_in

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def stream(django_db_setup, django_db_blocker):
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_shared_stream()
        transaction.set_rollback(True)


def id_quantity(value) -> str:
    return numbers.quantity(value, "t", language="id").replace("\u00a0", " ")


def documents_of(stream, side: str, kind: str) -> list[Document]:
    return list(
        Document.objects.filter(award=stream.awards[side], kind=kind, status="valid").order_by("period__number")
    )


def price_spellings() -> set[str]:
    spellings = set()
    for price in (PRICE_A, PRICE_B, PRICE_C):
        for language in ("id", "en"):
            spellings.add(numbers.rupiah(price, language=language).replace("\u00a0", " "))
            spellings.add(numbers.format_number(price, 0, language=language))
        spellings.add(str(price))
    return spellings


def no_price_in(text: str) -> bool:
    return not [s for s in price_spellings() if re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", text)]


def test_each_winner_of_the_shared_stream_gets_its_own_award_letter(stream):
    for side, name, other, share in (("a", A_NAME, B_NAME, SHARE_A), ("b", B_NAME, A_NAME, SHARE_B)):
        [letter] = documents_of(stream, side, "award-letter")
        assert letter.processor == stream.organisations[side] and letter.period is None
        assert letter.facts["award"]["quantity"] == numbers.plain(share)
        assert letter.facts["award"]["periods"] == 6 and letter.facts["award"]["per_period"] is True
        text = pdf_text(letter)
        assert name in text and other not in text
        # Its share per period, the stream's quantity per period, and the six periods of the schedule.
        assert f"Jumlah yang ditetapkan per periode / Awarded quantity per period {id_quantity(share)}" in text
        assert id_quantity(PER_PERIOD) in text
        assert "Periode kontrak / Contract periods 6 (" in text
        assert "setiap periode kontrak" in text and "in each period of the contract" in text
        assert no_price_in(text) and len(pdf_reader(letter).pages) == 1
    assert not Document.objects.filter(lot=stream.lot, processor=stream.organisations["c"]).exists()


def test_each_pickup_gets_its_handover_record_with_its_own_quantity(stream):
    records = {side: documents_of(stream, side, "handover-record") for side in ("a", "b")}
    assert [document.period.number for document in records["a"]] == [1, 2]
    assert [document.period.number for document in records["b"]] == [1]
    for document, sent, other_sent, carrier, number in (
        (records["a"][0], A_SENT_1, A_SENT_2, A_CARRIER, 1),
        (records["a"][1], A_SENT_2, A_SENT_1, A_CARRIER, 2),
        (records["b"][0], B_SENT_1, A_SENT_1, B_CARRIER, 1),
    ):
        assert document.facts["handover"]["quantity_sent"] == numbers.plain(sent)
        assert document.facts["period"]["number"] == number
        text = pdf_text(document)
        assert f"Jumlah ditimbang keluar / Quantity weighed out {id_quantity(sent)}" in text
        assert id_quantity(other_sent) not in text
        assert carrier in text and f"Periode kontrak / Contract period {number}: " in text
        assert no_price_in(text) and len(pdf_reader(document).pages) == 1


def test_a_processed_period_gets_its_certificate_and_a_period_only_picked_up_none(stream):
    [certificate] = documents_of(stream, "a", "processing-certificate")
    assert certificate.period == stream.period("a", 1)
    assert not documents_of(stream, "b", "processing-certificate")
    text = pdf_text(certificate)
    assert f"Jumlah diterima / Quantity received {id_quantity(A_RECEIVED_1)}" in text
    assert f"Jumlah ditimbang keluar / Quantity weighed out {id_quantity(A_SENT_1)}" in text
    assert id_quantity(A_SENT_2) not in text
    assert "Pengolahan dicatat / Processing recorded" in text and "Completion confirmed" not in text
    assert no_price_in(text) and len(pdf_reader(certificate).pages) == 1


def test_recording_a_periods_processing_issues_its_certificate(stream):
    lot = stream.lot
    lot.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):
        listing_services.processing_record(
            lot=lot,
            acting_user=stream.people["b"],
            quantity_received=B_SENT_1,
            route_used="recycling",
            proof=proof(),
            period=stream.period("b", 1),
        )
    [certificate] = documents_of(stream, "b", "processing-certificate")
    assert certificate.period == stream.period("b", 1) and certificate.processor == stream.organisations["b"]
    assert f"Jumlah diterima / Quantity received {id_quantity(B_SENT_1)}" in pdf_text(certificate)


def client_for(person) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    log_in(client, person)
    return client


def test_a_processor_lists_and_downloads_only_its_own_contracts_documents(stream):
    url = reverse("documents:lot_documents", kwargs={"reference": stream.lot.reference})
    everything = set(Document.objects.filter(lot=stream.lot).values_list("number", flat=True))
    for side, other in (("a", "b"), ("b", "a")):
        client = client_for(stream.people[side])
        page = client.get(url)
        assert page.status_code == 200
        body = page.content.decode()
        own = set(Document.objects.filter(award=stream.awards[side]).values_list("number", flat=True))
        assert own and all(number in body for number in own)
        for number in everything - own:
            assert number not in body
            assert client.get(f"/lots/{stream.lot.reference}/documents/{number}.pdf").status_code == 404
        assert (A_NAME if other == "a" else B_NAME) not in body
    # The plant sees every contract's documents.
    body = client_for(stream.people["plant"]).get(url).content.decode()
    assert all(number in body for number in everything) and A_NAME in body and B_NAME in body


@pytest.mark.parametrize("side", ["c", "outsider", "other_plant"])
def test_others_get_no_documents_of_the_stream(stream, side):
    url = reverse("documents:lot_documents", kwargs={"reference": stream.lot.reference})
    assert client_for(stream.people[side]).get(url).status_code == 403


def test_the_verification_page_states_the_period_and_no_price(stream):
    [certificate] = documents_of(stream, "a", "processing-certificate")
    client = Client()
    client.cookies["django_language"] = "en"
    body = client.get(certificate.get_verify_url()).content.decode()
    page = re.sub(r"<[^>]+>", " ", body).replace("\u00a0", " ")
    assert certificate.number in page and A_NAME in page and B_NAME not in page
    assert "Awarded quantity per period" in page and "Contract period" in page and "Processing recorded" in page
    assert no_price_in(page) and not re.search(r"\bRp\b", page.replace(certificate.code, ""))


def test_generating_again_or_the_missing_documents_command_changes_nothing(stream):
    before = Document.objects.filter(lot=stream.lot).count()
    for side in ("a", "b"):
        award = stream.awards[side]
        assert services.document_generate(award_id=award.pk, kind="award-letter").award == award
        for period in award.periods.filter(handover__isnull=False):
            assert services.document_generate(award_id=award.pk, kind="handover-record", period_id=period.pk)
    assert services.documents_generate_missing() == []
    assert Document.objects.filter(lot=stream.lot).count() == before
    # A period's document under another contract's id is no document at all.
    assert (
        services.document_generate(
            award_id=stream.awards["b"].pk, kind="handover-record", period_id=stream.period("a", 2).pk
        )
        is None
    )


def test_a_replaced_period_document_keeps_its_contract_and_period(stream):
    [old, _second] = documents_of(stream, "a", "handover-record")
    new = services.document_supersede(document=old, acting_user=stream.people["staff"], reason="Nomor salah")
    assert (new.award, new.period, new.kind) == (old.award, old.period, old.kind)
    assert new.facts["handover"]["quantity_sent"] == numbers.plain(A_SENT_1)
