"""Pages cached per session (wastex.pagecache): served without a query, never stale after a change they show,
never to another session or person, with a working CSRF token and the headers of a fresh page."""

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.models import Rating
from listings.pagecache import lot_key, org_bids_key
from listings.services import BidOffer
from listings.views import _seconds_before_deadline
from members.models import Membership
from tests.factories import LicenceFactory, LotFactory, OrganisationFactory, member_of
from wastex import pagecache

pytestmark = pytest.mark.django_db

BROWSE = reverse("listings:lot_list")
MY_BIDS = reverse("listings:my_bids")
SAME_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Vary",
    "X-Frame-Options",
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
)


@pytest.fixture(autouse=True)
def page_cache(settings, tmp_path):
    settings.PAGE_CACHE_SECONDS = 60
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a change as if its transaction committed (the versions are bumped on commit)."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


def get(client, url, **params):
    """(response, number of queries): a page served by the middleware makes none."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    return response, len(queries.captured_queries)


def cached(client, url, **params) -> str:
    response, queries = get(client, url, **params)
    assert response.status_code == 200
    assert queries == 0, "expected the cached page"
    return response.content.decode()


def fresh(client, url, **params) -> str:
    response, queries = get(client, url, **params)
    assert response.status_code == 200
    assert queries > 0, "expected a freshly rendered page"
    return response.content.decode()


def offer(**overrides):
    values = {
        "price_per_unit": 150000,
        "quantity": Decimal("50"),
        "pickup_date": timezone.localdate() + timedelta(days=3),
        "route": "recycling",
        "note": "",
        "licence": None,
    }
    return BidOffer(**{**values, **overrides})


@pytest.fixture
def viewer(client):
    person = member_of(OrganisationFactory(processor=True), full_name="Budi Penonton")
    client.force_login(person)
    return person


@pytest.fixture
def lot(plant):
    return LotFactory(plant=plant, title="Slag untuk tawaran", quantity=Decimal("100"), bidding_mode="open")


@pytest.fixture
def bids_url(lot):
    return reverse("listings:lot_bids", args=[lot.reference])


# Served from the cache, as a fresh page would be


def test_browse_is_served_without_a_query_and_as_fresh(client, viewer, commit):
    commit(LotFactory, title="Slag tercache")
    first, _queries = get(client, BROWSE)
    assert "Slag tercache" in first.content.decode()
    second, queries = get(client, BROWSE)
    assert queries == 0
    assert second.content.decode().replace(*_tokens(second, first)) == first.content.decode()
    for header in SAME_HEADERS:
        assert second.get(header) == first.get(header), header


def _tokens(second, first):
    def token(response):
        return response.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    return token(second), token(first)


def test_the_bids_page_and_my_bids_are_served_from_the_cache(client, plant_admin, processor_admin, lot, bids_url):
    services.bid_place(lot=lot, acting_user=processor_admin, offer=offer())
    client.force_login(plant_admin)
    assert "CV Olah Uji" in fresh(client, bids_url)
    assert "CV Olah Uji" in cached(client, bids_url)
    client.force_login(processor_admin)
    assert lot.reference in fresh(client, MY_BIDS)
    assert lot.reference in cached(client, MY_BIDS)


def test_the_browse_view_cache_feeds_the_session_cache(client, viewer, settings, commit):
    """With the per-viewer /lots/ cache on (as in production), a page it serves is kept for the session too."""
    settings.LOTS_PAGE_CACHE_SECONDS = 60
    commit(LotFactory, title="Dua lapis")
    other_session = Client()
    other_session.cookies["django_language"] = "en"
    other_session.force_login(viewer)
    assert "Dua lapis" in fresh(other_session, BROWSE)
    assert "Dua lapis" in fresh(client, BROWSE)  # the view's cache: the person and membership are loaded
    assert "Dua lapis" in cached(client, BROWSE)


def test_a_cached_page_carries_a_working_csrf_token(viewer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(viewer)
    fresh(browser, BROWSE)
    page = cached(browser, BROWSE)
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert pagecache.CSRF_PLACEHOLDER not in page
    assert f'"X-CSRFToken": "{token}"' in page
    assert _unmask_cipher_token(token) == browser.cookies["csrftoken"].value
    assert browser.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_a_cached_page_without_a_csrf_cookie_sets_one_that_works(viewer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(viewer)
    fresh(browser, BROWSE)
    del browser.cookies["csrftoken"]
    response, queries = get(browser, BROWSE)
    assert queries == 0
    secret = response.cookies["csrftoken"].value
    token = response.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert _unmask_cipher_token(token) == secret
    assert browser.post(reverse("logout"), {"csrfmiddlewaretoken": token}).status_code == 302


def test_each_response_masks_the_token_afresh(client, viewer):
    fresh(client, BROWSE)
    first, second = cached(client, BROWSE), cached(client, BROWSE)
    assert first != second  # the masked token differs, the secret is the same


def test_the_quick_token_is_djangos_token():
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = "a" * 16 + "Z9" * 8
    tokens = {pagecache.csrf_token(request) for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(token) == 64 and _unmask_cipher_token(token) == "a" * 16 + "Z9" * 8 for token in tokens)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


# Never another session's or person's page


def test_people_never_get_each_others_page(client, viewer):
    fresh(client, BROWSE)
    other = member_of(OrganisationFactory(processor=True, name="CV Lain Sekali"), full_name="Siti Lain")
    client.force_login(other)
    page = fresh(client, BROWSE)
    assert "Siti" in page and "Budi" not in page
    assert "Siti" in cached(client, BROWSE)


def test_a_session_never_gets_another_sessions_page(viewer):
    first, second = Client(), Client()
    for browser in (first, second):
        browser.force_login(viewer)
    fresh(first, BROWSE)
    fresh(second, BROWSE)  # its own session: its own page


def test_after_logging_out_the_page_is_gone(client, viewer):
    fresh(client, BROWSE)
    session_key = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = session_key  # an old cookie replayed
    response, _queries = get(client, BROWSE)
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_password_changed_elsewhere_ends_the_cached_session(client, viewer, commit):
    fresh(client, BROWSE)
    viewer.set_password("another-long-password")
    commit(viewer.save)
    response, _queries = get(client, BROWSE)
    assert response.status_code == 302


def test_a_session_whose_hash_no_longer_matches_is_not_served(client, viewer):
    """The page is kept with the session's password hash: a session holding another one never gets it."""
    from django.contrib.sessions.backends.cached_db import SessionStore

    fresh(client, BROWSE)
    session = SessionStore(client.cookies["sessionid"].value)
    session[HASH_SESSION_KEY] = "not-the-same"
    session.save()
    response, queries = get(client, BROWSE)
    assert queries > 0


def test_a_deactivated_person_is_signed_out(client, viewer, commit):
    fresh(client, BROWSE)
    viewer.is_active = False
    commit(viewer.save)
    assert get(client, BROWSE)[0].status_code == 302


def test_languages_fragments_and_queries_get_their_own_pages(client, viewer, commit):
    commit(LotFactory, title="Slag bahasa")
    fresh(client, BROWSE)
    client.cookies["django_language"] = "id"
    assert 'lang="id"' in fresh(client, BROWSE)
    assert 'lang="id"' in cached(client, BROWSE)
    response, queries = get(client, BROWSE)
    assert response["Content-Language"] == "id"
    fragment = client.get(BROWSE, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert "<html" in cached(client, BROWSE)
    fresh(client, BROWSE, q="slag")


def test_a_pending_message_is_shown_once_and_not_cached(client, viewer):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage

    fresh(client, BROWSE)
    storage = CookieStorage(None)
    storage.add(constants.SUCCESS, "Pesan sekali lewat")
    client.cookies["messages"] = storage._encode(storage._queued_messages)
    assert "Pesan sekali lewat" in fresh(client, BROWSE)
    assert "Pesan sekali lewat" not in client.get(BROWSE).content.decode()


def test_only_get_requests_of_registered_pages_are_cached(client, plant_admin, lot):
    client.force_login(plant_admin)
    detail = reverse("listings:lot_detail", args=[lot.reference])
    fresh(client, detail)
    fresh(client, detail)
    csv = reverse("listings:lot_bids", args=[lot.reference])
    assert client.get(csv, {"format": "csv"})["Content-Type"].startswith("text/csv")
    assert client.get(csv, {"format": "csv"})["Content-Type"].startswith("text/csv")


def test_off_when_the_setting_is_zero(client, viewer, settings):
    settings.PAGE_CACHE_SECONDS = 0
    fresh(client, BROWSE)
    fresh(client, BROWSE)


# Every change a page shows invalidates it at once


def test_browse_shows_a_new_lot_and_a_cancellation_at_once(client, viewer, plant, plant_admin, commit):
    lot = commit(LotFactory, plant=plant, title="Lot lama")
    fresh(client, BROWSE)
    assert "Lot lama" in cached(client, BROWSE)
    commit(LotFactory, plant=plant, title="Lot baru")
    assert "Lot baru" in fresh(client, BROWSE)
    commit(services.lot_cancel, lot=lot, acting_user=plant_admin, reason="Dijual")
    assert "Lot lama" not in fresh(client, BROWSE)


def test_bids_page_shows_a_new_a_revised_and_a_withdrawn_bid(
    client, plant_admin, processor_admin, lot, bids_url, commit
):
    client.force_login(plant_admin)
    assert 'data-testid="empty"' in fresh(client, bids_url)
    cached(client, bids_url)
    bid = commit(services.bid_place, lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=150000))
    assert "150.000" in fresh(client, bids_url)
    assert "150.000" in cached(client, bids_url)
    commit(services.bid_revise, bid=bid, acting_user=processor_admin, offer=offer(price_per_unit=175000))
    page = fresh(client, bids_url)
    assert "175.000" in page and "150.000" not in page
    commit(services.bid_withdraw, bid=bid, acting_user=processor_admin)
    assert 'data-testid="empty"' in fresh(client, bids_url)


def test_bids_page_shows_the_award_and_the_lot_closing(client, plant_admin, processor_admin, lot, bids_url, commit):
    bid = commit(services.bid_place, lot=lot, acting_user=processor_admin, offer=offer())
    client.force_login(plant_admin)
    assert 'data-testid="award"' in fresh(client, bids_url)
    cached(client, bids_url)
    commit(services.lot_award, lot=lot, bid=bid, acting_user=plant_admin)
    page = fresh(client, bids_url)
    assert 'data-testid="award"' not in page and "Accepted" in page


def test_a_sealed_lot_stays_sealed_and_counts_new_bids(client, plant, plant_admin, processor_admin, commit):
    lot = commit(LotFactory, plant=plant, bidding_mode="sealed", closes_at=timezone.now() + timedelta(hours=3))
    url = reverse("listings:lot_bids", args=[lot.reference])
    client.force_login(plant_admin)
    assert 'data-testid="sealed"' in fresh(client, url)
    cached(client, url)
    commit(services.bid_place, lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=987000))
    page = fresh(client, url)
    assert "1 sealed bid" in page and "987" not in page and "CV Olah Uji" not in page
    page = cached(client, url)
    assert "987" not in page and "CV Olah Uji" not in page
    commit(services.lot_close_early, lot=lot, acting_user=plant_admin)
    page = fresh(client, url)
    assert "987.000" in page and "CV Olah Uji" in page


def test_a_bidders_rating_licence_and_name_show_at_once(
    client, plant_admin, processor, processor_admin, lot, bids_url, commit
):
    commit(services.bid_place, lot=lot, acting_user=processor_admin, offer=offer())
    client.force_login(plant_admin)
    fresh(client, bids_url)
    cached(client, bids_url)
    processor.name = "CV Olah Baru"
    commit(processor.save)
    assert "CV Olah Baru" in fresh(client, bids_url)
    cached(client, bids_url)
    commit(LicenceFactory, organisation=processor)
    fresh(client, bids_url)


def test_my_bids_shows_new_bids_and_what_happens_to_them(
    client, plant, plant_admin, processor_admin, lot, commit, settings
):
    client.force_login(processor_admin)
    assert 'data-testid="empty"' in fresh(client, MY_BIDS)
    cached(client, MY_BIDS)
    bid = commit(services.bid_place, lot=lot, acting_user=processor_admin, offer=offer(price_per_unit=150000))
    assert lot.reference in fresh(client, MY_BIDS)
    assert "150.000" in cached(client, MY_BIDS)
    commit(services.bid_revise, bid=bid, acting_user=processor_admin, offer=offer(price_per_unit=175000))
    assert "175.000" in fresh(client, MY_BIDS)
    cached(client, MY_BIDS)
    # Cancelling ends the live bids in one UPDATE (no signal per bid): the lot's change invalidates the page.
    commit(services.lot_cancel, lot=lot, acting_user=plant_admin, reason="Tidak jadi")
    page = fresh(client, MY_BIDS)
    assert "Not chosen" in page and "Cancelled" in page


def test_another_organisations_bid_leaves_my_bids_cached(client, processor_admin, lot, commit):
    other = member_of(OrganisationFactory(processor=True, name="CV Pesaing"))
    client.force_login(processor_admin)
    fresh(client, MY_BIDS)
    commit(services.bid_place, lot=lot, acting_user=other, offer=offer())
    cached(client, MY_BIDS)


def test_the_navigation_follows_the_person_and_their_organisation(client, viewer, commit):
    fresh(client, BROWSE)
    viewer.full_name = "Budi Berganti Nama"
    commit(viewer.save)
    assert "Budi" in fresh(client, BROWSE)
    assert 'data-testid="verification-banner"' not in cached(client, BROWSE)
    organisation = viewer.membership.organisation
    organisation.verification_status = "unverified"
    commit(organisation.save)
    assert 'data-testid="verification-banner"' in fresh(client, BROWSE)


def test_losing_the_membership_shows_at_once(client, plant_admin, lot, bids_url, commit):
    client.force_login(plant_admin)
    fresh(client, bids_url)
    commit(Membership.objects.filter(user=plant_admin).delete)
    assert client.get(bids_url).status_code == 403


def test_signing_in_again_keeps_the_pages(viewer):
    """A last-login-only save changes nothing a page shows: it must not throw every cached page away."""
    from django.contrib.auth.models import update_last_login

    before = pagecache._versions([pagecache.PEOPLE_KEY])
    update_last_login(None, viewer)
    assert pagecache._versions([pagecache.PEOPLE_KEY]) == before


def test_each_change_bumps_its_versions(plant, plant_admin, processor_admin, lot, commit):
    keys = [pagecache.PEOPLE_KEY, lot_key(lot.reference), org_bids_key(processor_admin.membership.organisation_id)]

    def changed(change, *args, **kwargs):
        before = pagecache._versions(keys)
        commit(change, *args, **kwargs)
        after = pagecache._versions(keys)
        return {key for key in keys if before[key] != after[key]}

    bid_kwargs = {"lot": lot, "acting_user": processor_admin, "offer": offer()}
    assert changed(services.bid_place, **bid_kwargs) == {keys[1], keys[2]}
    edit = {"lot": lot, "acting_user": plant_admin, "fields": {"quantity": Decimal("987")}}
    assert changed(services.lot_update, **edit) == {keys[1]}
    assert changed(plant.save) == {keys[0]}
    rating = {"lot": lot, "rater": plant, "rated": processor_admin.membership.organisation, "stars": 4}
    assert changed(Rating.objects.create, **rating) == {keys[0], keys[1]}


def test_pages_never_outlive_an_open_lots_deadline(lot):
    lot.closes_at = timezone.now() + timedelta(seconds=30)
    assert 25 <= _seconds_before_deadline([lot]) <= 30
    lot.status = "closed"
    assert _seconds_before_deadline([lot]) == 60
    assert _seconds_before_deadline([]) == 60


def test_a_cached_bids_page_expires_at_the_lots_deadline(client, plant, plant_admin, commit):
    import time

    from django.core.cache import cache

    lot = commit(LotFactory, plant=plant, bidding_mode="open", closes_at=timezone.now() + timedelta(seconds=20))
    client.force_login(plant_admin)
    fresh(client, reverse("listings:lot_bids", args=[lot.reference]))
    expiries = [at for key, at in cache._expire_info.items() if pagecache.PAGE_PREFIX in key]
    assert len(expiries) == 1 and 15 <= expiries[0] - time.time() <= 20


def test_a_browse_page_kept_before_expiries_were_kept_is_rendered_afresh():
    from django.core.cache import cache

    from listings import cache as lots_cache

    version = lots_cache.current_version()
    cache.set("listings:lots-page:old", (version, "<p>old</p>"), 60)
    assert lots_cache.get_page("listings:lots-page:old") is None
    lots_cache.set_page("listings:lots-page:new", version, "<p>new</p>", 60)
    html, seconds = lots_cache.get_page("listings:lots-page:new")
    assert html == "<p>new</p>" and 58 <= seconds <= 60


def test_the_benchmark_invalidates_every_session_page(commit):
    from wastex import benchdata

    before = pagecache._versions([pagecache.PEOPLE_KEY])
    assert commit(benchdata.invalidate_page_cache)
    assert pagecache._versions([pagecache.PEOPLE_KEY]) != before


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no Redis to read from")
def test_the_redis_backends_quick_get_many_reads_what_get_many_reads():
    from wastex.cache import RedisCache

    cache = RedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": f"wastex-test-{os.getpid()}"})
    values = {"page": {"parts": [b"<p>", b"</p>"], "user": "7"}, "version": "1795848442363765612", "count": 12}
    cache.set_many(values, 30)
    try:
        keys = [*values, "missing"]
        assert cache.get_many_prevalidated(keys) == cache.get_many(keys) == values
    finally:
        cache.delete_many(list(values))


def test_my_bids_takes_one_round_trip_once_this_process_knows_its_versions(client, processor_admin, monkeypatch):
    calls = []
    real = pagecache._get_many
    monkeypatch.setattr(pagecache, "_get_many", lambda keys: calls.append(list(keys)) or real(keys))
    client.force_login(processor_admin)
    fresh(client, MY_BIDS)
    calls.clear()
    cached(client, MY_BIDS)
    assert len(calls) == 1
    hints = pagecache._EXTRA_VERSION_HINTS
    hints.clear()  # another process: a second round trip for the organisation's version
    calls.clear()
    cached(client, MY_BIDS)
    assert len(calls) == 2
    for key in hints:
        hints[key] = (org_bids_key(0),)  # a wrong hint costs the second round trip, nothing else
    calls.clear()
    cached(client, MY_BIDS)
    assert len(calls) == 2


def test_the_dashboard_is_kept_for_the_session_until_a_deal_moves(client, official, plant, processor, settings, commit):
    from tests.dashboard.conftest import make_deal
    from tests.dashboard.test_views import figure

    settings.DASHBOARD_CACHE_SECONDS = 300
    client.force_login(official)
    url = reverse("dashboard:dashboard")
    first, queries = get(client, url, period="year")
    assert queries > 0 and figure(first, "tonnes_awarded") == "0 t"
    second, queries = get(client, url, period="year")
    assert queries == 0 and figure(second, "tonnes_awarded") == "0 t"
    commit(make_deal, plant=plant, processor=processor, quantity="250", awarded=timezone.now() - timedelta(days=2))
    after, queries = get(client, url, period="year")
    assert queries > 0 and figure(after, "tonnes_awarded") == "250 t"
    again, queries = get(client, url, period="year")
    assert queries == 0 and figure(again, "tonnes_awarded") == "250 t"
    # another official's session never gets this one's page
    other = Client()
    other.force_login(member_of(official.membership.organisation, email="kedua@dlh.test", role="member"))
    response, queries = get(other, url, period="year")
    assert response.status_code == 200 and queries > 0
