"""Private pages carry Cache-Control: private, no-store (core.middleware.PrivateCacheControlMiddleware), so no
shared proxy keeps a lot's bids, a handover, an inbox or an export; public pages for visitors stay cacheable."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from listings.models import Bid, Handover
from tests.dashboard.conftest import at, make_deal
from tests.factories import LicenceFactory, LotFactory, log_in, member_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def assert_private(response, url):
    directives = {part.strip() for part in response.get("Cache-Control", "").split(",")}
    assert "private" in directives, f"{url} ({response.status_code}): Cache-Control {response.get('Cache-Control')!r}"
    assert "public" not in directives
    if url.endswith(("/thumbnail/",)):
        return  # a private max-age chosen by the view is kept
    assert "no-store" in directives, f"{url}: Cache-Control {response.get('Cache-Control')!r}"


@pytest.fixture
def world(settings, tmp_path, plant, plant_admin, processor, processor_admin):
    settings.MEDIA_ROOT = tmp_path
    lot = make_deal(plant=plant, processor=processor, awarded=at(2025, 3, 1), completed=at(2025, 3, 10))
    handover = Handover.objects.get(lot=lot)
    handover.proof.save("proof.pdf", ContentFile(PDF))
    handover.proof_content_type = "application/pdf"
    handover.save()
    open_lot = LotFactory(plant=plant, bidding_mode="open")
    Bid.objects.create(lot=open_lot, bidder=processor, price_per_unit=1000, quantity=Decimal(5),
                       pickup_date=timezone.localdate(), route="recycling")  # fmt: skip
    licence = LicenceFactory(organisation=processor)
    return {"lot": lot, "open_lot": open_lot, "licence": licence}


def test_private_pages_are_never_kept_by_a_shared_cache(client, world, plant, plant_admin, processor_admin, staff):
    lot, open_lot, licence = world["lot"], world["open_lot"], world["licence"]
    visits = {
        plant_admin: [
            "/home/",
            "/lots/",
            open_lot.get_absolute_url(),
            f"/lots/{open_lot.reference}/bids/",
            f"/lots/{open_lot.reference}/bids/?format=csv",
            lot.get_absolute_url(),
            f"/lots/{lot.reference}/processing/proof/",
            "/my/lots/",
            "/notifications/",
            "/notifications/unread/",
            "/notifications/preferences/",
            "/dashboard/?period=year&start=2025-01-01",
            "/dashboard/export/deals.csv?period=year&start=2025-01-01",
            "/dashboard/export/deals.xlsx?period=year&start=2025-01-01",
            f"/org/{plant.slug}/",
            "/accounts/profile/",
            "/catalogue/",
        ],
        processor_admin: [
            "/my/bids/",
            lot.get_absolute_url(),
            f"/licences/{licence.pk}/document/",
            "/my/matches/",
            "/my/capabilities/",
            "/wanted/",
            f"/lots/{open_lot.reference}/bids/",  # a 403: refused pages are private too
        ],
        staff: ["/staff/handovers/", "/staff/licences/", "/staff/organisations/", "/dashboard/export/summary.xlsx"],
    }
    for person, urls in visits.items():
        log_in(client, person)
        for url in urls:
            response = client.get(url)
            assert response.status_code in (200, 403), (url, response.status_code)
            assert_private(response, url)
    log_in(client, processor_admin)
    response = client.post(f"/lots/{lot.reference}/pickup/", {})  # a form error, rendered for this person
    assert_private(response, "pickup")


def test_every_page_without_parameters_is_private_for_a_signed_in_person(client, staff):
    """Whatever page is added, a signed-in person's copy is private (a walk over the URL patterns)."""
    log_in(client, staff)

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and not any(mark in str(pattern.pattern) for mark in "<(^"):
                yield "/" + prefix + str(pattern.pattern)

    urls = [url for url in walk(get_resolver().url_patterns) if not url.startswith("/admin/")]
    assert len(urls) > 20
    for url in urls:
        response = client.get(url)
        assert_private(response, url)


def test_the_admin_is_private(client, staff):
    staff.is_superuser = True
    staff.save()
    log_in(client, staff)
    assert_private(client.get("/admin/"), "/admin/")


def test_a_view_s_own_private_policy_is_kept(client, plant, plant_admin, settings, tmp_path):
    from listings.models import LotAttachment

    settings.MEDIA_ROOT = tmp_path
    lot = LotFactory(plant=plant)
    attachment = LotAttachment(lot=lot, kind="photo", original_name="a.png", content_type="image/png", size=3)
    attachment.file.save("a.png", ContentFile(b"png"), save=False)
    attachment.thumbnail.save("t.png", ContentFile(b"png"), save=False)
    attachment.save()
    log_in(client, plant_admin)
    response = client.get(attachment.get_thumbnail_url())
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private, max-age=") and "no-store" not in response["Cache-Control"]


def test_public_pages_for_visitors_stay_cacheable(client):
    client.cookies["csrftoken"] = "x" * 32  # a returning visitor: no session, nothing new to set
    for url in ("/", "/robots.txt"):
        response = client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", ""), url
        assert "private" not in response.get("Cache-Control", ""), url
        assert "Cookie" in response.get("Vary", "") or url == "/robots.txt"


def test_a_response_that_sets_a_cookie_is_private(client):
    """A shared cache must never hand one visitor's cookie (CSRF, session, language) to another."""
    response = client.post("/i18n/setlang/", {"language": "id", "next": "/"})
    assert response.cookies and "no-store" in response["Cache-Control"]
    response = client.get("/")  # a first visit: a CSRF token is handed out
    assert "csrftoken" in response.cookies and "no-store" in response["Cache-Control"]


def test_signed_in_person_landing_is_private(client, plant_admin):
    log_in(client, plant_admin)
    assert_private(client.get("/"), "/")


def test_anonymous_visitor_with_a_session_cookie_is_private(client):
    client.cookies["sessionid"] = "anything"
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]


def test_member_without_organisation_sees_dashboard_refusal_privately(client):
    person = member_of()
    log_in(client, person)
    assert_private(client.get("/dashboard/"), "/dashboard/")
