"""Who may list and download a lot's documents, staff's revoke and replace, and the public verification page:
its facts, never a price, its verdict when revoked or superseded, and a clear 404 for an unknown code."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from documents.models import Document
from tests.documents.conftest import document_of
from tests.documents.test_pdf import prices_in
from tests.factories import log_in
from tests.visibility_world import OUTSIDERS, PARTIES, RECEIVED, ROLES, SENT, WINNER_ORGANISATION, number_spellings

pytestmark = pytest.mark.django_db

PARTIES_ONLY = "The documents of a deal are only for the plant, the winning processor, platform staff and officials."
ONLY_STAFF = "Only platform staff revoke or replace documents."
KINDS = [kind.value for kind in Document.Kind]


def client_for(world, role: str, language: str = "en") -> Client:
    client = Client()
    client.cookies["django_language"] = language
    if world.person(role) is not None:
        log_in(client, world.person(role))
    return client


def text_of(response) -> str:
    body = b"".join(response) if response.streaming else response.content
    return body.decode(errors="replace")


@pytest.mark.parametrize("role", ROLES)
def test_only_the_parties_list_and_download_the_documents(world, role):
    lot = world.lots["deal"]
    client = client_for(world, role)
    listing = client.get(reverse("documents:lot_documents", kwargs={"reference": lot.reference}))
    downloads = [client.get(document_of(world, kind).get_absolute_url()) for kind in KINDS]
    if role in PARTIES:
        assert listing.status_code == 200
        for kind in KINDS:
            assert document_of(world, kind).number in listing.content.decode()
        for response in downloads:
            assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
            assert text_of(response).startswith("%PDF-")
            assert response["Cache-Control"] == "private, no-store"
    elif role == "visitor":
        assert listing.status_code == 302 and all(response.status_code == 302 for response in downloads)
    else:
        assert role in OUTSIDERS
        for response in (listing, *downloads):
            assert response.status_code == 403
            assert escape(PARTIES_ONLY) in response.content.decode()
            assert WINNER_ORGANISATION not in response.content.decode()


def test_the_lot_page_links_to_the_documents_for_the_parties_only(world):
    lot = world.lots["deal"]
    link = reverse("documents:lot_documents", kwargs={"reference": lot.reference})
    for role in ("plant_member", "winner", "official", "staff", "loser", "processor", "other_plant"):
        body = client_for(world, role).get(lot.get_absolute_url()).content.decode()
        assert (link in body) == (role in PARTIES), role


def test_a_document_of_another_lot_is_not_found_under_this_one(world):
    document = document_of(world, "award-letter")
    url = reverse("documents:download", kwargs={"reference": world.lots["open"].reference, "number": document.number})
    assert client_for(world, "staff").get(url).status_code == 404


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["id", "en"])
def test_anyone_verifies_a_document_and_sees_its_facts_but_no_price(world, kind, language):
    document = document_of(world, kind)
    client = Client()
    client.cookies["django_language"] = language
    response = client.get(document.get_verify_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert document.number in body and escape(world.organisations["plant"].name) in body
    assert WINNER_ORGANISATION in body and world.lots["deal"].reference in body
    assert 'data-testid="verdict"' in body and "alert-success" in body
    if kind != "award-letter":
        assert any(spelling in body for spelling in number_spellings(SENT))
    if kind == "processing-certificate":
        assert any(spelling in body for spelling in number_spellings(RECEIVED))
    page_text = re.sub(r"<[^>]+>", " ", body).replace("\u00a0", " ")
    assert not prices_in(page_text, world.lots["deal"])
    # The random verification code (shown on the page) may hold the letters "Rp": not a rupiah mark.
    assert not re.search(r"\bRp\b", page_text.replace(document.code, ""))


def test_an_unknown_code_gets_a_clear_404(world):
    response = client_for(world, "visitor").get(reverse("documents:verify", kwargs={"code": "x" * 32}))
    assert response.status_code == 404
    assert "No document issued by WasteX has this code." in response.content.decode()


def test_the_code_is_long_and_random_enough_that_guessing_is_hopeless(world):
    codes = set(Document.objects.values_list("code", flat=True))
    assert len(codes) == Document.objects.count() >= 3
    assert all(len(code) >= 32 and re.fullmatch(r"[A-Za-z0-9_-]+", code) for code in codes)


def test_the_lookup_form_leads_to_the_verification_page(world):
    document = document_of(world, "processing-certificate")
    response = Client().get(reverse("documents:verify_lookup"), {"code": f"  {document.code} "})
    assert response.status_code == 302 and response["Location"] == document.get_verify_url()


def test_staff_revoke_a_document_and_the_verification_page_says_so(world):
    document = document_of(world, "handover-record")
    staff = client_for(world, "staff")
    url = reverse("documents:revoke", kwargs={"reference": world.lots["deal"].reference})
    assert staff.post(url, {"document": document.number, "reason": ""}).status_code == 302
    document.refresh_from_db()
    assert document.status == "valid"  # no reason, no revocation
    response = staff.post(url, {"document": document.number, "reason": "Berat salah ditulis"}, follow=True)
    assert f"Document {document.number} is revoked." in response.content.decode()
    document.refresh_from_db()
    assert document.status == "revoked" and document.status_changed_by == world.people["staff"]
    body = client_for(world, "visitor").get(document.get_verify_url()).content.decode()
    assert "Revoked: document" in body and "is no longer valid" in body and "Berat salah ditulis" in body
    assert "alert-success" not in body


def test_staff_replace_a_document_and_the_old_one_names_its_successor(world):
    old = document_of(world, "award-letter")
    staff = client_for(world, "staff")
    url = reverse("documents:supersede", kwargs={"reference": world.lots["deal"].reference})
    response = staff.post(url, {"document": old.number, "reason": "Alamat diperbaiki"}, follow=True)
    old.refresh_from_db()
    new = old.superseded_by
    assert old.status == "superseded" and new is not None and new.status == "valid" and new.number != old.number
    assert f"Document {old.number} is replaced by {new.number}." in response.content.decode()
    body = client_for(world, "visitor").get(old.get_verify_url()).content.decode()
    assert "Superseded: document" in body and f"The valid document is {new.number}." in body
    assert (
        Document.objects.filter(lot=world.lots["deal"], kind="award-letter").exclude(status="superseded").count() == 1
    )


@pytest.mark.parametrize("role", ["plant_admin", "plant_member", "winner", "official", "loser", "processor"])
@pytest.mark.parametrize("action", ["revoke", "supersede"])
def test_no_one_but_staff_revokes_or_replaces_a_document(world, role, action):
    document = document_of(world, "award-letter")
    url = reverse(f"documents:{action}", kwargs={"reference": world.lots["deal"].reference})
    response = client_for(world, role).post(url, {"document": document.number, "reason": "palsu"})
    assert response.status_code == 403 and escape(ONLY_STAFF) in response.content.decode()
    assert Document.objects.filter(lot=world.lots["deal"]).count() == 3
    document.refresh_from_db()
    assert document.status == "valid"


def test_the_verification_page_is_rate_limited_per_address(world, frozen_ratelimit_clock):
    """Codes are unguessable anyway (192 bits); the limit keeps a bot from trying them at speed."""
    client = client_for(world, "visitor")
    unknown = reverse("documents:verify", kwargs={"code": "y" * 32})
    statuses = [client.get(unknown).status_code for _ in range(60)]
    assert statuses == [404] * 60
    response = client.get(document_of(world, "award-letter").get_verify_url())
    assert response.status_code == 429
    assert "Too many attempts from your address." in response.content.decode()
