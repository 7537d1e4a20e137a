"""Visitors (not signed in): what they see of open lots — and never see: bids, drafts, documents, the plant's
name unless the plant shows it, who won and the handover. Meta and Open Graph tags, the sitemap, robots.txt."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import uploads
from listings import services
from listings.models import Award, Bid, LotTransition, WasteLot
from listings.services import BidOffer
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db

BROWSE = reverse("listings:lot_list")
SECRET_BIDDER = "CV Penawar Rahasia"
SECRET_PRICE = 987_654


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def attach(lot, person, *, photo: bool):
    if photo:
        clean = uploads.clean_photo(SimpleUploadedFile("foto.png", png(), content_type="image/png"))
    else:
        clean = uploads.clean_document(SimpleUploadedFile("lab.pdf", PDF, content_type="application/pdf"))
    return services.attachment_add(
        lot=lot,
        acting_user=person,
        kind="photo" if photo else "document",
        original_name=f"lampiran-rahasia.{clean.extension}",
        clean=clean,
    )


def place_bid(lot, price=SECRET_PRICE):
    bidder = member_of(OrganisationFactory(processor=True, name=SECRET_BIDDER))
    return services.bid_place(
        lot=lot,
        acting_user=bidder,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )


def meta(html: str, attribute: str, name: str) -> str | None:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', html)
    return unescape(found.group(1)).replace("\xa0", " ") if found else None


@pytest.fixture
def open_lot(plant, plant_admin):
    lot = LotFactory(plant=plant, title="Mill scale kering", bidding_mode=WasteLot.BiddingMode.OPEN)
    return lot


def test_a_visitor_browses_open_lots_but_never_drafts_or_closed_ones(client, plant, open_lot):
    draft = LotFactory(plant=plant, title="Draf rahasia", status="draft", published_at=None)
    closed = LotFactory(plant=plant, title="Sudah ditutup", status="closed")
    cancelled = LotFactory(plant=plant, title="Dibatalkan", status="cancelled")
    response = client.get(BROWSE)
    assert response.status_code == 200
    html = response.content.decode()
    assert open_lot.title in html and open_lot.get_absolute_url() in html
    for hidden in (draft, closed, cancelled):
        assert hidden.title not in html
    assert 'data-testid="visitor-intro"' in html
    assert f"{reverse('login')}?next=" in html
    assert 'data-testid="alert-me"' not in html  # saved searches are for members
    assert plant.name not in html


def test_a_visitor_sees_the_facts_of_an_open_lot_and_is_asked_to_sign_in_to_bid(client, plant, plant_admin, open_lot):
    photo = attach(open_lot, plant_admin, photo=True)
    document = attach(open_lot, plant_admin, photo=False)
    place_bid(open_lot)
    response = client.get(open_lot.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert open_lot.title in html
    assert open_lot.category.name in html
    assert "Ciwandan" in html  # the kecamatan
    assert "processor pays Rp" in html  # the price in words
    assert photo.get_thumbnail_url() in html
    # asked to sign in, coming back to the lot
    login_link = f'{reverse("login")}?next={open_lot.get_absolute_url()}"'
    assert login_link in html and 'data-testid="sign-in-link"' in html
    # never: the bids, the bid form, the documents, the plant's name or site address
    for secret in (SECRET_BIDDER, "987.654", "987,654", 'data-testid="bid-form"', 'data-testid="best-price"'):
        assert secret not in html, secret
    assert document.get_absolute_url() not in html and "lampiran-rahasia.pdf" not in html
    assert plant.name not in html and open_lot.site_address not in html
    assert str(open_lot.latitude) not in html and "openstreetmap" not in html  # the site would name the plant
    assert 'data-testid="follow"' not in html


def test_the_plant_name_shows_only_when_the_plant_chooses(client, plant, open_lot):
    assert plant.name not in client.get(open_lot.get_absolute_url()).content.decode()
    plant.show_name_to_visitors = True
    plant.save(update_fields=["show_name_to_visitors"])
    html = client.get(open_lot.get_absolute_url()).content.decode()
    assert 'data-testid="plant-name"' in html and plant.name in html
    assert open_lot.site_address in html
    assert plant.get_absolute_url() not in html  # the organisation page is for members


def test_signed_in_people_always_see_the_plant_name(client, plant, processor_admin, open_lot):
    client.force_login(processor_admin)
    html = client.get(open_lot.get_absolute_url()).content.decode()
    assert plant.name in html and plant.get_absolute_url() in html


def test_a_visitor_never_opens_a_draft_a_decided_lot_its_bids_or_its_documents(client, plant, plant_admin, open_lot):
    draft = LotFactory(plant=plant, status="draft", published_at=None)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get("/lots/WX-2099-99999/").status_code == 404
    # an awarded lot: the visitor is asked to sign in; nothing of the deal is on that answer
    awarded = LotFactory(plant=plant, title="Slag yang sudah dimenangkan", bidding_mode=WasteLot.BiddingMode.OPEN)
    bid = place_bid(awarded)
    Bid.objects.filter(pk=bid.pk).update(status=Bid.Status.ACCEPTED)
    Award.objects.create(
        lot=awarded, bid=bid, quantity=bid.quantity, reason="best-price", best_price=SECRET_PRICE,
        awarded_at=timezone.now(), processor_banten=True, processor_japnas=False,
    )  # fmt: skip
    WasteLot.objects.filter(pk=awarded.pk).update(status=WasteLot.Status.AWARDED)
    LotTransition.objects.create(lot=awarded, from_status="closed", to_status="awarded")
    response = client.get(awarded.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert SECRET_BIDDER not in response.content.decode()
    # an open lot past its deadline: sign in too (and the visitor's request closes nothing)
    overdue = LotFactory(plant=plant, closes_at=timezone.now() - timedelta(minutes=1))
    assert client.get(overdue.get_absolute_url()).status_code == 302
    overdue.refresh_from_db()
    assert overdue.status == WasteLot.Status.OPEN
    # the bids page, a document, a full-size photo: sign in
    document = attach(open_lot, plant_admin, photo=False)
    photo = attach(open_lot, plant_admin, photo=True)
    for url in (reverse("listings:lot_bids", args=[open_lot.reference]), document.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    assert client.get(photo.get_absolute_url()).status_code == 302
    # a thumbnail of an open lot's photo: yes; of a document, or of a lot no longer open: no
    thumbnail = client.get(photo.get_thumbnail_url())
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert client.get(document.get_thumbnail_url()).status_code == 404
    WasteLot.objects.filter(pk=open_lot.pk).update(status=WasteLot.Status.CLOSED)
    assert client.get(photo.get_thumbnail_url()).status_code == 302


def test_a_visitor_cannot_bid_or_follow(client, open_lot):
    for name in ("listings:bid_submit", "listings:lot_watch"):
        response = client.post(reverse(name, args=[open_lot.reference]), {"price_per_unit": "1", "follow": "1"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not open_lot.bids.exists() and not open_lot.watches.exists()


def test_sealed_rules_hold_for_visitors(client, plant):
    sealed = LotFactory(plant=plant, bidding_mode=WasteLot.BiddingMode.SEALED)
    place_bid(sealed)
    html = client.get(sealed.get_absolute_url()).content.decode()
    assert SECRET_BIDDER not in html and "987.654" not in html and "987,654" not in html


# --- Meta and Open Graph ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_each_lot_page_has_a_description_and_open_graph_tags(client, plant, plant_admin, processor_admin, signed_in):
    lot = LotFactory(plant=plant, title='Slag "baja" <b>kering</b>', quantity=Decimal("120"), site_kecamatan="ciwandan")
    photo = attach(lot, plant_admin, photo=True)
    if signed_in:
        client.force_login(processor_admin)
    html = client.get(lot.get_absolute_url()).content.decode()
    title = meta(html, "property", "og:title")
    description = meta(html, "property", "og:description")
    assert title.startswith(f"120 t of {lot.category.name}") and lot.title in title
    assert "Ciwandan" in description and timezone.localtime(lot.closes_at).strftime("%Y") in description
    assert "WIB" in description
    assert meta(html, "property", "og:image") == f"http://testserver{photo.get_thumbnail_url()}"
    assert meta(html, "property", "og:url") == f"http://testserver{lot.get_absolute_url()}"
    assert "Ciwandan" in meta(html, "name", "description")
    # everything escaped: the title's markup never reaches the page as markup
    assert "<b>kering</b>" not in html and "&lt;b&gt;kering&lt;/b&gt;" in html
    assert plant.name not in meta(html, "name", "description") + title + description


def test_a_lot_without_photos_has_no_og_image(client, open_lot):
    html = client.get(open_lot.get_absolute_url()).content.decode()
    assert meta(html, "property", "og:image") is None and meta(html, "property", "og:title")


@pytest.mark.parametrize("url", ["/", BROWSE, "/accounts/login/", "/accounts/signup/", "/catalogue/"])
def test_public_pages_have_a_meta_description(client, url):
    html = client.get(url).content.decode()
    description = meta(html, "name", "description")
    assert description and len(description) > 50


def test_the_meta_description_is_translated(client):
    client.cookies["django_language"] = "id"
    html = client.get(BROWSE).content.decode()
    assert "Lot limbah" in meta(html, "name", "description")


# --- sitemap.xml and robots.txt --------------------------------------------------------------------------------


def test_the_sitemap_lists_the_public_pages_and_only_open_lots(client, plant, open_lot):
    draft = LotFactory(plant=plant, status="draft", published_at=None)
    closed = LotFactory(plant=plant, status="closed")
    overdue = LotFactory(plant=plant, closes_at=timezone.now() - timedelta(minutes=1))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    xml = response.content.decode()
    assert f"<loc>http://testserver{open_lot.get_absolute_url()}</loc>" in xml
    for hidden in (draft, closed, overdue):
        assert hidden.reference not in xml
    for page in ("/", BROWSE, "/accounts/login/", "/accounts/signup/", "/catalogue/"):
        assert f"<loc>http://testserver{page}</loc>" in xml
    assert "/my/" not in xml and "/bids/" not in xml


def test_robots_txt_lets_crawlers_reach_sign_up_and_points_to_the_sitemap(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/robots.txt")
    assert response.status_code == 200 and len(queries) == 0
    assert not response.cookies  # no session, no CSRF cookie
    text = response.content.decode()
    assert "Sitemap: http://testserver/sitemap.xml" in text
    disallowed = [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Disallow:")]
    for public in ("/accounts/signup/", "/accounts/login/", "/lots/", "/"):
        assert not any(public.startswith(rule) for rule in disallowed), public
    assert "/my/" in disallowed and "/admin/" in disallowed


def test_a_visitor_asking_for_distance_is_told_to_sign_in(client, open_lot):
    html = client.get(BROWSE + "?sort=distance").content.decode()
    assert "Sign in to sort lots by their distance from your organisation." in html
    assert open_lot.title in html
