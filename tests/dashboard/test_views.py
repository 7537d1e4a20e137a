"""Who may see what, bad input, the page's query count, htmx, the cache."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listings.models import Bid
from tests.factories import LotFactory, OrganisationFactory, log_in, member_of

from .conftest import at, make_deal

YEAR_2025 = "?period=year&start=2025-01-01"


@pytest.fixture
def deals(plant, banten_japnas, outside):
    make_deal(plant=plant, processor=banten_japnas, quantity="100", price=-15_000, awarded=at(2025, 3, 11),
              completed=at(2025, 3, 20))  # fmt: skip
    other_plant = OrganisationFactory(name="PT Pabrik Lain", slug="pabrik-lain")
    make_deal(plant=other_plant, processor=outside, quantity="300", price=25_000, awarded=at(2025, 8, 1))


def figure(response, name):
    """The figure as read: its no-break spaces (which keep "400 t" on one line) read as spaces."""
    match = re.search(rf'data-figure="{name}">([^<]*)<', response.content.decode())
    return match.group(1).strip().replace("\u00a0", " ") if match else None


def test_visitor_is_sent_to_log_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/dashboard/export/deals.csv").status_code == 302


@pytest.mark.parametrize("who", ["official", "staff"])
def test_officials_and_staff_see_the_city(client, deals, who, request):
    log_in(client, request.getfixturevalue(who))
    response = client.get("/dashboard/" + YEAR_2025)
    assert response.status_code == 200
    assert figure(response, "tonnes_awarded") == "400 t"
    assert "PT Luar Banten" in response.content.decode()  # top processors: officials read every deal
    assert (
        'data-testid="table-gaps"' in response.content.decode()
        or 'data-testid="empty-gaps"' in response.content.decode()
    )


def test_plant_sees_only_its_own(client, deals, plant_admin):
    client.force_login(plant_admin)
    response = client.get("/dashboard/" + YEAR_2025)
    body = response.content.decode()
    assert response.status_code == 200
    assert figure(response, "tonnes_awarded") == "100 t"
    assert "PT Luar Banten" not in body and "PT Pabrik Lain" not in body
    assert "table-processors" not in body and "table-gaps" not in body
    assert client.get("/dashboard/export/processors.csv").status_code == 404
    rows = b"".join(client.get("/dashboard/export/deals.csv" + YEAR_2025).streaming_content).decode()
    assert "PT Baja Uji" in rows and "PT Pabrik Lain" not in rows


def test_processor_sees_only_its_own(client, deals, outside):
    client.force_login(member_of(outside, email="luar@test.test"))
    response = client.get("/dashboard/" + YEAR_2025)
    body = response.content.decode()
    assert figure(response, "tonnes_awarded") == "300 t"
    assert "PT Baja Uji" not in body and "CV Banten Japnas" not in body
    assert 'data-figure="tonnes_listed"' not in body  # a processor lists nothing
    assert client.get("/dashboard/export/no-bids.csv").status_code == 404


def test_a_non_staff_operator_sees_the_city(client, deals):
    """The platform's secretariat (a verified operator organisation) reads the city, like staff do."""
    person = member_of(OrganisationFactory(operator=True, slug="sekretariat"), email="sekretariat@test.test")
    assert not person.is_staff
    client.force_login(person)
    response = client.get("/dashboard/" + YEAR_2025)
    assert response.status_code == 200
    assert figure(response, "tonnes_awarded") == "400 t"
    assert 'data-testid="table-processors"' in response.content.decode()


@pytest.fixture
def flagged(plant, banten_japnas, outside):
    """Two flagged handovers of two plants with two processors: (ours, theirs)."""
    ours = make_deal(plant=plant, processor=banten_japnas, awarded=at(2025, 3, 11), completed=at(2025, 3, 20),
                     sent="100", received="90")  # fmt: skip
    other_plant = OrganisationFactory(name="PT Pabrik Lain", slug="pabrik-lain")
    theirs = make_deal(plant=other_plant, processor=outside, awarded=at(2025, 4, 11), completed=at(2025, 4, 20),
                       sent="100", received="110")  # fmt: skip
    return ours, theirs


def mismatch_table(response) -> str:
    body = response.content.decode()
    start = body.find('data-testid="table-mismatches"')
    assert start != -1, "no mismatch table"
    return body[start : body.find("</table>", start)]


def mismatch_csv_references(client) -> list[str]:
    response = client.get("/dashboard/export/mismatches.csv" + YEAR_2025)
    assert response.status_code == 200
    rows = b"".join(response.streaming_content).decode().splitlines()[1:]
    return sorted(row.split(",")[0] for row in rows)


@pytest.mark.parametrize("who", ["plant", "banten_japnas", "outside"])
def test_flagged_handovers_of_others_never_show(client, flagged, who, request):
    ours, theirs = flagged
    mine, not_mine = (theirs, ours) if who == "outside" else (ours, theirs)
    client.force_login(member_of(request.getfixturevalue(who), email=f"{who}@flag.test"))
    table = mismatch_table(client.get("/dashboard/" + YEAR_2025))
    assert mine.reference in table and not_mine.reference not in table
    assert mismatch_csv_references(client) == [mine.reference]


def test_officials_see_every_flagged_handover(client, flagged, official):
    client.force_login(official)
    table = mismatch_table(client.get("/dashboard/" + YEAR_2025))
    assert all(lot.reference in table for lot in flagged)
    assert mismatch_csv_references(client) == sorted(lot.reference for lot in flagged)


def test_the_mismatch_count_is_the_periods_in_the_scope(client, flagged, official, plant, outside):
    """The count above the latest mismatched pickups: every one of the period (counted over the partial index,
    not only the rows shown), in the scope; one of the year before is not counted."""
    make_deal(plant=plant, processor=outside, awarded=at(2024, 6, 1), completed=at(2024, 6, 9),
              sent="100", received="80")  # fmt: skip
    client.force_login(official)
    assert "2 pickups in the period" in client.get("/dashboard/" + YEAR_2025).content.decode()
    assert "1 pickup in the period" in client.get("/dashboard/?period=year&start=2024-01-01").content.decode()
    client.force_login(member_of(plant, email="plant@count.test"))
    assert "1 pickup in the period" in client.get("/dashboard/" + YEAR_2025).content.decode()


@pytest.mark.parametrize("kind", ["plant", "processor", "authority"])
def test_unverified_organisations_see_nothing(client, deals, kind):
    organisation = OrganisationFactory(
        unverified=True, processor=kind == "processor", authority=kind == "authority", slug=f"unv-{kind}"
    )
    client.force_login(member_of(organisation, email=f"unv-{kind}@test.test"))
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export/summary.csv").status_code == 403


def test_a_person_without_organisation_sees_nothing(client, django_user_model):
    person = django_user_model.objects.create_user("alone@test.test", "a-Long-test-password-7", full_name="Alone")
    client.force_login(person)
    assert client.get("/dashboard/").status_code == 403


def test_sealed_bids_of_open_lots_never_show(client, official, plant, outside):
    lot = LotFactory(plant=plant, bidding_mode="sealed", closes_at=timezone.now() + timedelta(days=3))
    Bid.objects.create(
        lot=lot, bidder=outside, price_per_unit=987_654, quantity=5, pickup_date=timezone.localdate(), route="reuse"
    )
    client.force_login(official)
    body = client.get("/dashboard/").content.decode()
    assert "987" not in body and "PT Luar Banten" not in body
    for table in ("summary", "routes", "categories", "processors", "deals", "no-bids"):
        content = b"".join(client.get(f"/dashboard/export/{table}.csv").streaming_content).decode()
        assert "987654" not in content and "PT Luar Banten" not in content
    assert figure(client.get("/dashboard/"), "bids_per_lot") == "—"  # no lot whose bidding has closed


@pytest.mark.parametrize(
    "query",
    [
        "?period=decade",
        "?period=custom&start=2025-01-01",
        "?period=custom&start=2025-02-01&end=2025-01-01",
        "?period=custom&start=2015-01-01&end=2025-01-01",
        "?start=2025-13-45",
        "?start=99999-01-01",
        "?period=year&start=9999-12-31",
        "?period=month&start=0001-01-01",
        "?period=custom&start=2025-01-01&end=9999-12-31",
        "?category=no-such-thing",
        "?group=metals&category=steel-slag",
        "?kecamatan=jakarta",
        "?start=%00",
    ],
)
def test_bad_parameters_get_a_clear_message(client, official, query):
    client.force_login(official)
    response = client.get("/dashboard/" + query)
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    export = client.get("/dashboard/export/summary.csv" + query)
    assert export.status_code == 400 and "not understood" in export.content.decode()


def test_htmx_gets_the_reasons_with_a_200_so_that_it_swaps_them_in(client, official):
    client.force_login(official)
    response = client.get("/dashboard/?period=custom&start=2025-01-01", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode() and "<html" not in response.content.decode()


def test_unknown_table_or_format_is_404(client, official):
    client.force_login(official)
    assert client.get("/dashboard/export/secrets.csv").status_code == 404
    assert client.get("/dashboard/export/summary.pdf").status_code == 404


def test_htmx_gets_the_body_only(client, official, deals):
    client.force_login(official)
    response = client.get("/dashboard/" + YEAR_2025, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'data-figure="tonnes_awarded"' in body
    assert 'id="dashboard-data"' in body  # the charts' numbers travel with the swapped body


def test_no_inline_script_but_json_data(client, official, deals):
    client.force_login(official)
    body = client.get("/dashboard/" + YEAR_2025).content.decode()
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", body)
    assert scripts and all('type="application/json"' in attributes for attributes in scripts)


@pytest.mark.parametrize(
    "query",
    [
        YEAR_2025,
        YEAR_2025 + "&category=ferrous-scrap",
        "?period=custom&start=2025-01-10&end=2025-11-20",  # partial months: rollup and lots
        "?period=custom&start=2025-03-05&end=2025-03-25",  # within a month: the lots alone
    ],
)
def test_query_count_does_not_grow_with_data(
    client, official, plant, banten_japnas, django_assert_max_num_queries, django_assert_num_queries, query
):
    client.force_login(official)
    for code in ("steel-slag", "ferrous-scrap"):  # some data of each kind first: no query skipped for lack of it
        make_deal(plant=plant, processor=banten_japnas, code=code, awarded=at(2025, 3, 11), completed=at(2025, 3, 20))
    with django_assert_max_num_queries(30) as few:
        assert client.get("/dashboard/" + query).status_code == 200
    for month in range(1, 13):
        make_deal(plant=plant, processor=banten_japnas, code="ferrous-scrap", awarded=at(2025, month, 11),
                  completed=at(2025, month, 20), sent="10", received="9")  # fmt: skip
        LotFactory(plant=plant, published_at=at(2025, month, 15))
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/dashboard/" + query).status_code == 200


def test_nav_shows_the_dashboard_to_those_who_may_open_it(client, official, unverified_admin):
    client.force_login(official)
    assert 'data-nav="dashboard"' in client.get("/home/").content.decode()
    client.force_login(unverified_admin)
    assert 'data-nav="dashboard"' not in client.get("/home/").content.decode()


def test_landing_shows_public_aggregates_without_names_or_prices(client, plant, banten_japnas, outside):
    now = timezone.now()
    make_deal(plant=plant, processor=banten_japnas, quantity="100", price=-15_000, awarded=now - timedelta(days=30),
              completed=now - timedelta(days=20))  # fmt: skip
    make_deal(plant=plant, processor=outside, quantity="300", price=987_654, awarded=now - timedelta(days=10))
    client.logout()
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert figure(response, "awarded_tonnes") == "400 t"
    assert figure(response, "banten_share") == "25,0 %"
    assert figure(response, "completed_tonnes") == "100 t"
    for secret in ("CV Banten Japnas", "PT Luar Banten", "PT Baja Uji", "987.654", "15.000"):
        assert secret not in body
    # No amount at all; a word of its own, as "Rp" inside a random CSRF token is no price.
    assert not re.search(r"\bRp\b", body)


def test_open_lots_without_bids_show_the_first_twenty_and_the_export_all(client, official, plant):
    now = timezone.now()
    for hours in range(1, 23):
        LotFactory(plant=plant, closes_at=now + timedelta(hours=hours))
    client.force_login(official)
    body = client.get("/dashboard/").content.decode()
    assert body.count("WX-2026-") >= 20 and "The first 20 to close" in body
    rows = b"".join(client.get("/dashboard/export/no-bids.csv").streaming_content).decode().splitlines()
    assert len(rows) == 23


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
nasty = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        ["", "0", "-1", "month", "custom", "2025-02-30", "0001-01-01", "9999-12-31", "\x00", "' OR 1=1 --", "metals"]
    ),
)


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["period", "start", "end", "group", "category", "kecamatan"]), nasty))
def test_fuzzed_filters_answer_200_or_400_never_500(client, official, params):
    client.force_login(official)
    assert client.get("/dashboard/", params).status_code in (200, 400)
    assert client.get("/dashboard/export/summary.csv", params).status_code in (200, 400)
