"""The cached /lots/ page: served from the cache, and never stale after any change to a lot."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from listings import services
from listings.cache import seconds_to_keep
from tests.factories import LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db

BROWSE = reverse("listings:lot_list")


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.LOTS_PAGE_CACHE_SECONDS = 60


@pytest.fixture
def viewer(client):
    person = member_of(OrganisationFactory(processor=True))
    client.force_login(person)
    return person


def body(client, **params):
    return client.get(BROWSE, params).content.decode()


def test_second_request_is_served_from_the_cache(client, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        LotFactory(title="Slag tercache")
    client.get(BROWSE)
    with CaptureQueriesContext(connection) as second:
        assert "Slag tercache" in body(client)
    assert not any("listings_wastelot" in q["sql"] for q in second.captured_queries)


@pytest.mark.parametrize(
    "change",
    [
        lambda lot, plant_admin: services.lot_cancel(lot=lot, acting_user=plant_admin, reason="Dijual"),
        lambda lot, plant_admin: services.lot_close_early(lot=lot, acting_user=plant_admin),
        lambda lot, plant_admin: lot.delete(),
    ],
)
def test_any_change_to_a_lot_shows_at_once(
    client, viewer, plant, plant_admin, change, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lot = LotFactory(plant=plant, title="Lot lama")
    assert "Lot lama" in body(client)
    with django_capture_on_commit_callbacks(execute=True):
        change(lot, plant_admin)
    assert "Lot lama" not in body(client)


def test_an_edit_shows_at_once(client, viewer, plant, plant_admin, django_capture_on_commit_callbacks):
    from decimal import Decimal

    with django_capture_on_commit_callbacks(execute=True):
        lot = LotFactory(plant=plant, quantity=Decimal("100"))
    assert "100 t" in body(client)
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_update(lot=lot, acting_user=plant_admin, fields={"quantity": Decimal("987")})
    page = body(client)
    assert "987 t" in page and "100 t" not in page


def test_a_new_published_lot_shows_at_once(client, viewer, plant, plant_admin, django_capture_on_commit_callbacks):
    assert "Lot baru" not in body(client)
    with django_capture_on_commit_callbacks(execute=True):
        lot = LotFactory(plant=plant, title="Lot baru", status="draft")
        services.lot_publish(lot=lot, acting_user=plant_admin)
    assert "Lot baru" in body(client)


def test_a_catalogue_correction_shows_at_once(client, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        LotFactory(category=category("steel-slag"))
    assert "Steel slag (EAF/BOF)" in body(client)
    with django_capture_on_commit_callbacks(execute=True):
        steel = category("steel-slag")
        steel.name_en = "Steel slag, corrected"
        steel.save()
    assert "Steel slag, corrected" in body(client)


def test_languages_and_places_get_their_own_pages(client, viewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        LotFactory(category=category("steel-slag"))
    assert "Steel slag (EAF/BOF)" in body(client)
    client.cookies["django_language"] = "id"
    assert "Slag baja (EAF/BOF)" in body(client)


def test_a_cached_page_expires_before_its_first_deadline():
    soon = LotFactory(closes_at=timezone.now() + timedelta(seconds=20))
    later = LotFactory(closes_at=timezone.now() + timedelta(days=2))
    assert 15 <= seconds_to_keep([later, soon]) <= 20
    assert seconds_to_keep([later]) == 60
    assert seconds_to_keep([]) == 60
