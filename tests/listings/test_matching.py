"""Matching: who hears of a published lot, in what order, and why; backfill; saved searches; wanted notices."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from listings import scoring, services
from listings.models import Capability, Match, SavedSearch, WantedNotice
from listings.services import matching as matching_services
from members.models import Notification
from tests.factories import LicenceFactory, LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db

NEAR = (Decimal("-6.020"), Decimal("105.960"))  # about 1 km from the lots' site
FAR = (Decimal("-6.400"), Decimal("106.300"))  # about 55 km away


def capable(organisation, code="steel-slag", *, at=NEAR, radius=30, capacity="500", route="recycling"):
    return Capability.objects.create(
        organisation=organisation,
        category=category(code),
        route=route,
        capacity_tonnes_per_month=Decimal(capacity),
        latitude=at[0],
        longitude=at[1],
        radius_km=radius,
    )


def processor(name, **fields):
    organisation = OrganisationFactory(name=name, processor=True, **fields)
    member_of(organisation, email=f"{organisation.slug}@olah.test")
    return organisation


def matched(lot) -> set[str]:
    matching_services.match_lot(lot.pk)
    return set(Match.objects.filter(lot=lot).values_list("organisation__name", flat=True))


def test_capability_match_and_each_exclusion(plant):
    lot = LotFactory(plant=plant, quantity=Decimal("100"))
    capable(processor("Fits"))
    capable(processor("Too far"), at=FAR, radius=30)
    capable(processor("Reaches far"), at=FAR, radius=80)
    capable(processor("Too small"), capacity="50")
    capable(processor("Other category"), "fly-ash-pltu")
    capable(processor("Unverified", unverified=True))
    capable(processor("Plant itself"))  # a processor that is the lot's own plant cannot match
    lot.plant = Organisation_of("Plant itself")
    lot.save()
    assert matched(lot) == {"Fits", "Reaches far"}


def Organisation_of(name):  # noqa: N802 - reads as a noun in the test above
    from members.models import Organisation

    return Organisation.objects.get(name=name)


def test_hazardous_lot_needs_a_verified_licence_that_covers_it_with_the_capacity(plant):
    lot = LotFactory(plant=plant, category=category("used-lube-oil"), quantity=Decimal("40"))
    licensed = processor("Licensed")
    capable(licensed, "used-lube-oil")
    LicenceFactory(organisation=licensed, covers=[category("used-lube-oil")])
    by_code = processor("By waste code")
    capable(by_code, "used-lube-oil")
    LicenceFactory(organisation=by_code, waste_codes=f"A999, {category('used-lube-oil').indonesian_code}")
    capable(processor("No licence"), "used-lube-oil")
    pending = processor("Pending licence")
    capable(pending, "used-lube-oil")
    LicenceFactory(organisation=pending, status="pending", covers=[category("used-lube-oil")])
    expired = processor("Expired licence")
    capable(expired, "used-lube-oil")
    LicenceFactory(
        organisation=expired,
        valid_from=timezone.localdate() - timedelta(days=400),
        valid_until=timezone.localdate() - timedelta(days=1),
        covers=[category("used-lube-oil")],
    )
    small = processor("Licence too small")
    capable(small, "used-lube-oil")
    LicenceFactory(organisation=small, capacity_tonnes_per_month=Decimal("10"), covers=[category("used-lube-oil")])
    other = processor("Licence for another waste")
    capable(other, "used-lube-oil")
    LicenceFactory(organisation=other, covers=[category("spent-solvents")])
    assert matched(lot) == {"Licensed", "By waste code"}


def test_local_first_window_matches_banten_first_then_everyone(plant, django_capture_on_commit_callbacks):
    lot = LotFactory(plant=plant, local_first_days=3, local_first_until=timezone.now() + timedelta(days=3))
    capable(processor("Banten firm"))
    capable(processor("Jakarta firm", province="dki-jakarta"))
    assert matched(lot) == {"Banten firm"}
    lot.refresh_from_db()
    assert lot.matched_everyone_at is None
    assert matching_services.widen_local_first_matches() == 0  # the window is still on

    lot.local_first_until = timezone.now() - timedelta(minutes=1)
    lot.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert matching_services.widen_local_first_matches() == 1
    assert set(Match.objects.filter(lot=lot).values_list("organisation__name", flat=True)) == {
        "Banten firm",
        "Jakarta firm",
    }
    lot.refresh_from_db()
    assert lot.matched_everyone_at is not None
    # one notification each, the Banten firm's not repeated by the second pass
    assert Notification.objects.filter(key=f"new_match:{lot.pk}").count() == 2


def test_score_orders_by_fit_and_explains_itself(plant, settings):
    settings.LANGUAGE_CODE = "en"
    lot = LotFactory(plant=plant)
    capable(processor("Near Banten Japnas", japnas_number="JPN-9"), at=NEAR, route="reuse")
    capable(processor("Far outsider", province="dki-jakarta"), at=(Decimal("-6.2"), Decimal("106.1")), radius=60)
    matching_services.match_lot(lot.pk)
    ranked = list(Match.objects.filter(lot=lot).order_by("-score").values_list("organisation__name", "score"))
    assert [name for name, _score in ranked] == ["Near Banten Japnas", "Far outsider"]
    assert ranked[0][1] > ranked[1][1]
    best = Match.objects.get(lot=lot, organisation__name="Near Banten Japnas")
    from django.utils import translation

    with translation.override("en"):
        words = scoring.explain(best.reasons)
    assert "category match" in words and "Banten business" in words and "Japnas member" in words
    assert any(word.endswith("km away") for word in words)
    assert any(word.startswith("capacity fits") for word in words)


def test_wanted_notice_matches_in_its_area(plant):
    lot = LotFactory(plant=plant, site_kecamatan="ciwandan")
    anywhere = processor("Anywhere")
    WantedNotice.objects.create(organisation=anywhere, category=lot.category, quantity_tonnes_per_month=10)
    here = processor("Ciwandan only")
    WantedNotice.objects.create(
        organisation=here, category=lot.category, quantity_tonnes_per_month=10, kecamatan="ciwandan"
    )
    elsewhere = processor("Pulomerak only")
    WantedNotice.objects.create(
        organisation=elsewhere, category=lot.category, quantity_tonnes_per_month=10, kecamatan="pulomerak"
    )
    expired = processor("Expired notice")
    WantedNotice.objects.create(
        organisation=expired,
        category=lot.category,
        quantity_tonnes_per_month=10,
        valid_until=timezone.localdate() - timedelta(days=1),
    )
    assert matched(lot) == {"Anywhere", "Ciwandan only"}
    assert Match.objects.get(lot=lot, organisation=here).wanted_notice is not None


def test_saved_search_alerts_only_on_what_it_finds(plant):
    watcher = member_of(OrganisationFactory(processor=True), email="watcher@olah.test")
    matching_services.saved_search_create(acting_user=watcher, query="category=steel-slag&quantity_min=50&q=baja")
    words_only = member_of(OrganisationFactory(processor=True), email="words@olah.test")
    matching_services.saved_search_create(acting_user=words_only, query="q=aluminium")
    own = member_of(plant, email="own@plant.test", role="member")
    matching_services.saved_search_create(acting_user=own, query="category=steel-slag")

    small = LotFactory(plant=plant, title="Slag baja kecil", quantity=Decimal("10"))
    big = LotFactory(plant=plant, title="Slag baja besar", quantity=Decimal("100"))
    assert scoring.saved_search_recipients(small, banten_only=False) == []
    assert scoring.saved_search_recipients(big, banten_only=False) == [watcher.pk]


def test_saved_search_refuses_bad_or_empty_filters(processor_admin):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        matching_services.saved_search_create(acting_user=processor_admin, query="page=3&sort=newest")
    with pytest.raises(ValidationError) as error:
        matching_services.saved_search_create(acting_user=processor_admin, query="quantity_min=abc")
    assert "Quantity from" in str(error.value)
    search = matching_services.saved_search_create(acting_user=processor_admin, query="quantity_min=5&page=2")
    assert search.query == "quantity_min=5" and search.quantity_min == Decimal("5")


def test_alert_me_from_the_browse_page(client, processor_admin):
    client.force_login(processor_admin)
    response = client.get(reverse("listings:lot_list"), {"category": "steel-slag"})
    assert 'data-testid="alert-me"' in response.content.decode()
    response = client.post(reverse("listings:search_save"), {"query": "category=steel-slag", "name": ""})
    assert response.status_code == 302 and response.url == reverse("listings:my_searches")
    search = SavedSearch.objects.get(user=processor_admin)
    assert search.category.code == "steel-slag"
    assert search.name  # described from its filters
    # twice the same: a clear message, no second alert
    response = client.post(reverse("listings:search_save"), {"query": "category=steel-slag"}, follow=True)
    assert "already have an alert" in response.content.decode()
    assert SavedSearch.objects.filter(user=processor_admin).count() == 1


def test_new_capability_is_matched_against_open_lots(client, plant, processor, processor_admin):
    lot = LotFactory(plant=plant)
    LotFactory(plant=plant, category=category("fly-ash-pltu"))
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:capabilities"),
        {
            "category": category("steel-slag").pk,
            "route": "recycling",
            "capacity_tonnes_per_month": "200",
            "latitude": "-6,02",
            "longitude": "105.96",
            "radius_km": "25",
        },
    )
    assert response.status_code == 302
    assert list(Match.objects.filter(organisation=processor).values_list("lot", flat=True)) == [lot.pk]
    page = client.get(reverse("listings:my_matches")).content.decode()
    assert lot.reference in page and "category match" in page


def test_new_wanted_notice_is_matched_against_open_lots(client, plant, processor, processor_admin):
    lot = LotFactory(plant=plant)
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:wanted_new"),
        {"category": lot.category.pk, "quantity_tonnes_per_month": "30", "price_per_tonne": "-150000"},
    )
    assert response.status_code == 302
    match = Match.objects.get(organisation=processor, lot=lot)
    assert {"code": "wanted"} in match.reasons


def test_the_plant_sees_who_matched_its_lot_and_answers_a_notice(client, plant, plant_admin, processor):
    notice = WantedNotice.objects.create(
        organisation=processor, category=category("steel-slag"), quantity_tonnes_per_month=40
    )
    lot = LotFactory(plant=plant)
    matching_services.match_lot(lot.pk)
    client.force_login(plant_admin)
    page = client.get(lot.get_absolute_url()).content.decode()
    assert 'data-testid="lot-matches"' in page and processor.name in page
    form = client.get(reverse("listings:lot_create"), {"answers": notice.pk}).content.decode()
    assert 'data-testid="answering"' in form


@pytest.mark.parametrize(
    ("who", "url_name", "args"),
    [
        ("plant_admin", "listings:my_matches", []),
        ("plant_admin", "listings:capabilities", []),
        ("plant_admin", "listings:wanted_new", []),
        ("unverified_processor_admin", "listings:capabilities", []),
        ("unverified_processor_admin", "listings:my_matches", []),
    ],
)
def test_who_may_not(client, request, who, url_name, args):
    if who == "unverified_processor_admin":
        person = member_of(OrganisationFactory(processor=True, unverified=True), email="new@olah.test")
    else:
        person = request.getfixturevalue(who)
    client.force_login(person)
    assert client.get(reverse(url_name, args=args)).status_code == 403


def test_nobody_changes_another_organisations_capability_or_alert(client, processor_admin):
    other = processor("Other")
    theirs = capable(other)
    client.force_login(processor_admin)
    assert client.post(reverse("listings:capability_delete", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("listings:capability_edit", args=[theirs.pk])).status_code == 404
    someone = member_of(OrganisationFactory(processor=True), email="someone@olah.test")
    alert = matching_services.saved_search_create(acting_user=someone, query="q=slag")
    assert client.post(reverse("listings:search_delete", args=[alert.pk])).status_code == 404
    assert Capability.objects.filter(pk=theirs.pk).exists() and SavedSearch.objects.filter(pk=alert.pk).exists()


def test_capability_form_errors_are_clear(client, processor, processor_admin):
    capable(processor)
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:capabilities"),
        {"category": category("steel-slag").pk, "route": "x", "capacity_tonnes_per_month": "-1", "radius_km": "abc"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "already has a capability" in body


def test_my_matches_runs_a_constant_number_of_queries(
    client, plant, processor, processor_admin, django_assert_max_num_queries
):
    capable(processor)
    for _ in range(3):
        matching_services.match_lot(LotFactory(plant=plant).pk)
    client.force_login(processor_admin)
    with django_assert_max_num_queries(8):
        small = client.get(reverse("listings:my_matches"))
    for _ in range(20):
        matching_services.match_lot(LotFactory(plant=plant).pk)
    with django_assert_max_num_queries(8):
        big = client.get(reverse("listings:my_matches"))
    assert small.content.decode().count('data-testid="match"') == 3
    assert big.content.decode().count('data-testid="match"') == 23


def test_publishing_matches_and_notifies_through_the_outbox(
    plant, plant_admin, processor, processor_admin, mailoutbox, django_capture_on_commit_callbacks
):
    capable(processor)
    lot = LotFactory(plant=plant, status="draft", published_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_publish(lot=lot, acting_user=plant_admin)
    note = Notification.objects.get(recipient=processor_admin)
    assert note.event == "new_match" and note.url == lot.get_absolute_url()
    assert [m.to for m in mailoutbox] == [[processor_admin.email]]
    assert lot.reference in mailoutbox[0].subject
    # matching again (a re-run after a crash) doubles nothing
    matching_services.match_lot(lot.pk)
    assert Notification.objects.filter(recipient=processor_admin).count() == 1
    assert Match.objects.filter(lot=lot).count() == 1


def test_a_lot_answering_a_notice_matches_its_processor_even_outside_the_notices_area(
    client, plant, plant_admin, processor, django_capture_on_commit_callbacks
):
    notice = WantedNotice.objects.create(
        organisation=processor, category=category("steel-slag"), quantity_tonnes_per_month=40, kecamatan="pulomerak"
    )
    lot = LotFactory(plant=plant, status="draft", published_at=None, site_kecamatan="ciwandan")
    lot.answers_notice = notice
    lot.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.lot_publish(lot=lot, acting_user=plant_admin)
    match = Match.objects.get(lot=lot, organisation=processor)
    assert match.wanted_notice == notice
    client.force_login(plant_admin)
    # the notice's page lists the lot for its processor only
    assert lot.reference not in client.get(notice.get_absolute_url()).content.decode()


def test_saving_an_alert_says_how_many_open_lots_it_finds(client, plant, processor_admin):
    LotFactory(plant=plant)
    LotFactory(plant=plant, category=category("fly-ash-pltu"))
    client.force_login(processor_admin)
    response = client.post(reverse("listings:search_save"), {"query": "category=steel-slag"}, follow=True)
    assert "1 open lot matches it now" in response.content.decode()


def test_wanted_notice_bad_input_is_refused_with_reasons(client, processor_admin):
    client.force_login(processor_admin)
    response = client.post(
        reverse("listings:wanted_new"),
        {
            "category": "999999",
            "quantity_tonnes_per_month": "-3",
            "price_per_tonne": "abc",
            "valid_until": (timezone.localdate() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot end in the past" in body
    assert not WantedNotice.objects.exists()


def test_only_the_owner_withdraws_a_notice_and_a_withdrawn_one_is_not_shown_to_others(
    client, plant_admin, processor, processor_admin
):
    notice = WantedNotice.objects.create(organisation=processor, category=category(), quantity_tonnes_per_month=5)
    someone = member_of(OrganisationFactory(processor=True), email="lain@olah.test")
    client.force_login(someone)
    assert client.post(reverse("listings:wanted_withdraw", args=[notice.pk])).status_code == 404
    client.force_login(plant_admin)
    assert client.post(reverse("listings:wanted_withdraw", args=[notice.pk])).status_code == 403
    notice.refresh_from_db()
    assert notice.is_active
    client.force_login(processor_admin)
    assert client.post(reverse("listings:wanted_withdraw", args=[notice.pk])).status_code == 302
    notice.refresh_from_db()
    assert not notice.is_active
    assert client.get(notice.get_absolute_url()).status_code == 200  # its owner still reads it
    client.force_login(plant_admin)
    assert client.get(notice.get_absolute_url()).status_code == 403
    listing = client.get(reverse("listings:wanted_list")).content.decode()
    assert 'data-testid="notices"' not in listing and 'data-testid="empty"' in listing
