import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from listings.models import LotAttachment, WasteLot
from tests.factories import LotFactory, OrganisationFactory, category, log_in, member_of

pytestmark = pytest.mark.django_db

NEW = reverse("listings:lot_create")
BROWSE = reverse("listings:lot_list")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(name="foto.jpg", size=(640, 480)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 110, 100)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def pdf(name="lab.pdf"):
    return SimpleUploadedFile(
        name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf"
    )


def form_data(**overrides):
    data = {
        "title": "Mill scale kering",
        "category": "mill-scale",
        "description": "Dari rolling mill.",
        "physical_form": "solid",
        "packaging": "bulk",
        "quantity": "350",
        "unit": "t",
        "site_address": "Jl. Industri 1",
        "site_kecamatan": "ciwandan",
        "latitude": "-6,029",
        "longitude": "105,956",
        "available_from": timezone.localdate().isoformat(),
        "closes_at": (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"),
        "bidding_mode": "sealed",
        "reserve_price": "-400000",
        "local_first_days": "3",
    }
    data.update(overrides)
    return data


def test_plant_posts_a_draft_with_files_previews_and_publishes(client, plant_admin):
    client.force_login(plant_admin)
    response = client.post(NEW, {**form_data(), "photos": [jpeg(), jpeg("b.jpg")], "documents": [pdf()]})
    assert response.status_code == 302
    lot = WasteLot.objects.get()
    assert response["Location"] == lot.get_absolute_url()
    assert lot.status == "draft" and lot.reserve_price == -400000
    assert lot.latitude == Decimal("-6.029")
    assert lot.attachments.filter(kind="photo").count() == 2
    assert lot.attachments.filter(kind="document").count() == 1

    preview = client.get(lot.get_absolute_url())
    body = preview.content.decode()
    assert "plant pays Rp\u00a0400,000\u00a0/\u00a0t" in body
    assert 'data-testid="publish"' in body

    client.post(reverse("listings:lot_publish", kwargs={"reference": lot.reference}))
    lot.refresh_from_db()
    assert lot.status == "open"
    assert lot in client.get(BROWSE).context["lots"]


def test_bad_file_gives_a_form_error_and_keeps_the_rest(client, plant_admin):
    client.force_login(plant_admin)
    fake = SimpleUploadedFile("foto.jpg", b"this is not an image", content_type="image/jpeg")
    response = client.post(NEW, {**form_data(), "photos": [fake]})
    assert response.status_code == 200
    assert "photos" in response.context["form"].errors
    assert "foto.jpg" in " ".join(response.context["form"].errors["photos"])
    assert 'value="Mill scale kering"' in response.content.decode()
    assert not WasteLot.objects.exists()


def test_svg_and_fake_pdf_are_refused(client, plant_admin):
    client.force_login(plant_admin)
    svg = SimpleUploadedFile("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', content_type="image/svg+xml")
    fake_pdf = SimpleUploadedFile("lab.pdf", b"PK\x03\x04 zip", content_type="application/pdf")
    response = client.post(NEW, {**form_data(), "photos": [svg], "documents": [fake_pdf]})
    assert {"photos", "documents"} <= set(response.context["form"].errors)
    assert not WasteLot.objects.exists() and not LotAttachment.objects.exists()


def test_oversized_request_is_refused_before_reading(client, plant_admin):
    from listings.views.lots import MAX_LOT_FORM_BYTES

    client.force_login(plant_admin)
    response = client.post(NEW, form_data(), CONTENT_LENGTH=str(MAX_LOT_FORM_BYTES + 1))
    assert response.status_code == 413
    assert not WasteLot.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-5"}, "quantity"),
        ({"quantity": "abc"}, "quantity"),
        ({"category": "unobtainium"}, "category"),
        ({"closes_at": "tomorrow"}, "closes_at"),
        ({"reserve_price": "1.5e3x"}, "reserve_price"),
        ({"local_first_days": "400"}, "local_first_days"),
        ({"is_recurring": "on"}, "frequency"),
        ({"available_until": "2000-01-01"}, None),
        ({"latitude": "-6.1", "longitude": ""}, "longitude"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_lot_input_is_explained(client, plant_admin, overrides, field):
    client.force_login(plant_admin)
    response = client.post(NEW, form_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors
    if field:
        assert field in errors, errors
    assert not WasteLot.objects.exists()


@pytest.mark.parametrize("who", ["processor_admin", "unverified_admin", "official", "staff"])
def test_who_may_not_post(client, request, who):
    log_in(client, request.getfixturevalue(who))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data()).status_code == 403
    assert not WasteLot.objects.exists()


def test_anonymous_is_sent_to_login(client):
    for url in (NEW, reverse("listings:my_lots"), reverse("listings:my_bids")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get(BROWSE).status_code == 200  # visitors browse the open lots (tests/listings/test_visitors.py)


def test_drafts_and_cancelled_lots_are_private(client, plant, plant_admin, processor_admin, staff):
    draft = LotFactory(plant=plant, status="draft")
    cancelled = LotFactory(plant=plant, status="cancelled")
    other_plant = member_of(OrganisationFactory())
    for lot in (draft, cancelled):
        for outsider in (processor_admin, other_plant):
            log_in(client, outsider)
            assert client.get(lot.get_absolute_url()).status_code == 404
        for insider in (plant_admin, staff):
            log_in(client, insider)
            assert client.get(lot.get_absolute_url()).status_code == 200


def test_documents_of_a_cancelled_lot_are_not_downloadable_by_others(client, plant, plant_admin, processor_admin):
    client.force_login(plant_admin)
    client.post(NEW, {**form_data(), "documents": [pdf()]})
    lot = WasteLot.objects.get()
    document = lot.attachments.get()
    client.post(reverse("listings:lot_publish", kwargs={"reference": lot.reference}))
    client.force_login(processor_admin)
    assert client.get(document.get_absolute_url()).status_code == 200
    client.force_login(plant_admin)
    client.post(reverse("listings:lot_cancel", kwargs={"reference": lot.reference}), {"reason": "Dijual"})
    client.force_login(processor_admin)
    assert client.get(document.get_absolute_url()).status_code == 404
    client.logout()
    # A visitor: the cancelled lot does not exist for them either.
    assert client.get(document.get_absolute_url()).status_code == 404


def test_files_are_served_with_safe_headers(client, plant_admin):
    client.force_login(plant_admin)
    client.post(NEW, {**form_data(), "photos": [jpeg("<script>.jpg")], "documents": [pdf('"evil".pdf')]})
    lot = WasteLot.objects.get()
    photo = lot.attachments.get(kind="photo")
    document = lot.attachments.get(kind="document")
    image = client.get(photo.get_absolute_url())
    assert image["Content-Type"] == "image/jpeg"
    assert image["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in image["Content-Security-Policy"]
    assert image["Content-Disposition"].startswith("inline")
    download = client.get(document.get_absolute_url())
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    thumb = client.get(photo.get_thumbnail_url())
    assert thumb["Content-Type"] == "image/jpeg"
    # Stored under a random name, nothing of the uploaded name in the path.
    assert "script" not in photo.file.name and photo.file.name.endswith(".jpg")


@pytest.mark.parametrize("who", ["processor_admin", "staff"])
def test_others_cannot_edit_publish_or_cancel(client, request, plant, who):
    lot = LotFactory(plant=plant, status="draft")
    outsider = request.getfixturevalue(who)
    log_in(client, outsider)
    ref = {"reference": lot.reference}
    expected = 403 if outsider.is_staff else 404  # staff may see drafts, but not act for the plant
    assert client.get(reverse("listings:lot_edit", kwargs=ref)).status_code == expected
    assert client.post(reverse("listings:lot_publish", kwargs=ref)).status_code == expected
    assert client.post(reverse("listings:lot_cancel", kwargs=ref), {"reason": "x"}).status_code == expected
    assert WasteLot.objects.get(pk=lot.pk).status == "draft"


def test_plain_member_of_the_plant_may_manage_its_lots(client, plant):
    member = member_of(plant, role="member")
    lot = LotFactory(plant=plant, status="draft", closes_at=timezone.now() + timedelta(days=3))
    client.force_login(member)
    client.post(reverse("listings:lot_publish", kwargs={"reference": lot.reference}))
    assert WasteLot.objects.get(pk=lot.pk).status == "open"


def test_edit_open_lot_shows_only_fair_fields(client, plant, plant_admin):
    lot = LotFactory(plant=plant)
    client.force_login(plant_admin)
    url = reverse("listings:lot_edit", kwargs={"reference": lot.reference})
    form = client.get(url).context["form"]
    assert form.fields["reserve_price"].disabled and form.fields["category"].disabled
    assert not form.fields["closes_at"].disabled
    later = (timezone.localtime(lot.closes_at) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url, {**form_data(closes_at=later, quantity="150", reserve_price="1"), "description": "Baru"}
    )
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.quantity == Decimal("150") and lot.reserve_price == 100000  # a posted price is ignored
    earlier = (timezone.localtime(lot.closes_at) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, form_data(closes_at=earlier, quantity="150"))
    assert "closes_at" in response.context["form"].errors


def test_edit_form_of_an_open_sealed_lot_cannot_open_its_bids(client, plant, plant_admin):
    lot = LotFactory(plant=plant, bidding_mode="sealed")
    client.force_login(plant_admin)
    url = reverse("listings:lot_edit", kwargs={"reference": lot.reference})
    assert client.get(url).context["form"].fields["bidding_mode"].disabled
    later = (timezone.localtime(lot.closes_at) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(url, form_data(bidding_mode="open", closes_at=later, quantity="100"))
    lot.refresh_from_db()
    assert lot.bidding_mode == "sealed" and lot.closes_at > timezone.now() + timedelta(days=7)


def test_lot_past_its_deadline_never_shows_open(client, plant_admin, processor_admin):
    lot = LotFactory(closes_at=timezone.now() - timedelta(seconds=5))
    client.force_login(processor_admin)
    response = client.get(lot.get_absolute_url())
    assert response.context["lot"].status == "closed"
    assert "Open for bids" not in response.content.decode()
    assert lot not in client.get(BROWSE).context["lots"]


def test_detail_shows_timeline_price_words_and_sources(client, processor_admin):
    lot = LotFactory(category=category("fly-ash-pltu"), reserve_price=150000)
    client.force_login(processor_admin)
    body = client.get(lot.get_absolute_url()).content.decode()
    assert "processor pays Rp\u00a0150,000\u00a0/\u00a0t" in body
    assert "N106" in body and "#source-klhk-faba-2021" in body
    assert "WIB" in body


def test_my_lots_lists_own_lots_by_status(client, plant, plant_admin):
    LotFactory(plant=plant, status="draft")
    LotFactory(plant=plant, status="open")
    LotFactory(status="open")  # another plant's
    client.force_login(plant_admin)
    response = client.get(reverse("listings:my_lots"))
    assert len(response.context["lots"]) == 2
    assert response.context["counts"] == {"draft": 1, "open": 1}
    drafts = client.get(reverse("listings:my_lots"), {"status": "draft"})
    assert [lot.status for lot in drafts.context["lots"]] == ["draft"]
    assert client.get(reverse("listings:my_lots"), {"status": "bogus"}).status_code == 200


def test_my_lots_is_for_plants(client, processor_admin):
    client.force_login(processor_admin)
    assert client.get(reverse("listings:my_lots")).status_code == 403


def test_catalogue_shows_codes_factors_and_sources(client):
    body = client.get(reverse("listings:catalogue")).content.decode()
    assert "N101" in body and "B409" in body and "0.828" in body
    assert 'id="source-gnr-2011-news"' in body
    assert "Unverified" in body
