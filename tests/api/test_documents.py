"""A deal's documents through the API: the list the web's documents page shows, each PDF as issued, for exactly
the deal's parties; never a price."""

import json

import pytest

from documents import services as document_services
from documents.models import Document
from tests.api.conftest import api_client, token_for
from tests.visibility_world import LOSING_PRICE, WINNING_PRICE


def documents_url(lot) -> str:
    return f"/api/v1/lots/{lot.reference}/documents/"


@pytest.mark.django_db
def test_the_parties_get_the_deals_documents_with_working_links(world):
    deal = world.lots["deal"]
    client = api_client(token_for(world.person("winner")))
    response = client.get(documents_url(deal))
    assert response.status_code == 200
    listed = response.json()
    stored = list(deal.documents.order_by("created_at", "id"))
    assert [item["number"] for item in listed] == [document.number for document in stored]
    assert {item["kind"] for item in listed} == {"award-letter", "handover-record", "processing-certificate"}
    for item, document in zip(listed, stored, strict=True):
        assert item["status"] == "valid" and item["sha256"] == document.sha256 and item["size"] == document.size
        assert item["verification_url"] == f"http://testserver/verify/{document.code}/"
        pdf = client.get(item["download_url"].removeprefix("http://testserver"), HTTP_ACCEPT="application/pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        content = b"".join(pdf.streaming_content)
        document.file.open("rb")
        assert content == document.file.read()
        document.file.close()
        assert f'filename="{document.number}.pdf"' in pdf["Content-Disposition"]
    body = response.content.decode()
    for price in (WINNING_PRICE, LOSING_PRICE):
        assert str(price) not in body and f"{price:,}".replace(",", ".") not in body


@pytest.mark.django_db
def test_a_replaced_document_says_so_and_names_its_successor(world):
    deal = world.lots["deal"]
    letter = deal.documents.get(kind="award-letter")
    new = document_services.document_supersede(
        document=letter, acting_user=world.person("staff"), reason="Nama pabrik salah eja."
    )
    listed = {
        item["number"]: item
        for item in api_client(token_for(world.person("plant_admin"))).get(documents_url(deal)).json()
    }
    assert listed[letter.number]["status"] == "superseded"
    assert listed[letter.number]["superseded_by"] == new.number
    assert listed[letter.number]["status_reason"] == "Nama pabrik salah eja."
    assert listed[new.number]["status"] == "valid" and listed[new.number]["superseded_by"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["loser", "processor", "other_plant", "unverified"])
def test_others_get_neither_the_list_nor_a_pdf(world, role):
    deal = world.lots["deal"]
    document = deal.documents.get(kind="handover-record")
    client = api_client(token_for(world.person(role)))
    for url, accept in (
        (documents_url(deal), "application/json"),
        (f"{documents_url(deal)}{document.number}/pdf/", "application/pdf"),
    ):
        response = client.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 403, (role, url)
        assert response["Content-Type"] == "application/problem+json"
        assert json.loads(response.content)["detail"].startswith("The documents of a deal are only for the plant")
        assert document.number.encode() not in response.content


@pytest.mark.django_db
def test_a_number_under_another_lot_or_unknown_is_not_found(world):
    document = world.lots["deal"].documents.get(kind="award-letter")
    client = api_client(token_for(world.person("plant_admin")))
    # The plant sees its open lot's documents (none): the deal's number is not one of them.
    assert client.get(f"{documents_url(world.lots['open'])}{document.number}/pdf/").status_code == 404
    assert client.get(f"{documents_url(world.lots['deal'])}WX-SP-1999-99999/pdf/").status_code == 404
    assert Document.objects.filter(number=document.number).exists()
