"""/lots/: every filter and sort alone and combined, search, bad parameters, constant queries."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import LotFactory, OrganisationFactory, category, member_of

pytestmark = pytest.mark.django_db

BROWSE = reverse("listings:lot_list")


@pytest.fixture
def viewer(db):
    """A processor in Cibeber with coordinates, for the distance sort."""
    return member_of(
        OrganisationFactory(
            processor=True, kecamatan="cibeber", latitude=Decimal("-6.034"), longitude=Decimal("106.060")
        )
    )


@pytest.fixture
def lots(db):
    now = timezone.now()
    return {
        "slag": LotFactory(
            title="Slag baja EAF",
            category=category("steel-slag"),
            quantity=Decimal("1200"),
            reserve_price=-15000,
            site_kecamatan="ciwandan",
            latitude=Decimal("-6.029"),
            longitude=Decimal("105.956"),
            closes_at=now + timedelta(days=9),
            published_at=now - timedelta(days=3),
        ),
        "oil": LotFactory(
            title="Oli bekas",
            description="Minyak pelumas bekas dari bengkel",
            category=category("used-lube-oil"),
            quantity=Decimal("6000"),
            unit="L",
            reserve_price=2500,
            site_kecamatan="grogol",
            latitude=Decimal("-6.0"),
            longitude=Decimal("106.05"),
            closes_at=now + timedelta(days=2),
            published_at=now - timedelta(days=1),
        ),
        "scrap": LotFactory(
            title="Skrap besi bulanan",
            category=category("ferrous-scrap"),
            quantity=Decimal("100"),
            reserve_price=4200000,
            is_recurring=True,
            frequency="monthly",
            quantity_per_period=Decimal("10"),
            site_kecamatan="ciwandan",
            latitude=None,
            longitude=None,
            closes_at=now + timedelta(days=20),
            published_at=now - timedelta(days=5),
            local_first_days=7,
            local_first_until=now + timedelta(days=2),
        ),
        "ash": LotFactory(
            title="Fly ash PLTU",
            category=category("fly-ash-pltu"),
            quantity=Decimal("5000"),
            reserve_price=None,
            site_kecamatan="pulomerak",
            latitude=Decimal("-5.892"),
            longitude=Decimal("106.033"),
            closes_at=now + timedelta(days=5),
            published_at=now - timedelta(hours=2),
        ),
    }


def titles(client, **params):
    response = client.get(BROWSE, params)
    assert response.status_code == 200
    return [lot.title for lot in response.context["lots"]]


@pytest.fixture
def browse(client, viewer, lots):
    client.force_login(viewer)
    return lambda **params: titles(client, **params)


def test_only_open_lots_are_listed_newest_first(browse, lots):
    LotFactory(title="Draft", status="draft")
    LotFactory(title="Closed", status="closed")
    LotFactory(title="Overdue", closes_at=timezone.now() - timedelta(minutes=1))
    assert browse() == ["Fly ash PLTU", "Oli bekas", "Slag baja EAF", "Skrap besi bulanan"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"group": "metals"}, {"Skrap besi bulanan"}),
        ({"group": "slags-and-ashes"}, {"Slag baja EAF", "Fly ash PLTU"}),
        ({"category": "used-lube-oil"}, {"Oli bekas"}),
        ({"hazardous": "true"}, {"Oli bekas"}),
        ({"hazardous": "false"}, {"Slag baja EAF", "Skrap besi bulanan", "Fly ash PLTU"}),
        ({"kecamatan": "ciwandan"}, {"Slag baja EAF", "Skrap besi bulanan"}),
        ({"quantity_min": "1000"}, {"Slag baja EAF", "Oli bekas", "Fly ash PLTU"}),
        ({"quantity_max": "1200"}, {"Slag baja EAF", "Skrap besi bulanan"}),
        ({"quantity_min": "1000", "quantity_max": "5000"}, {"Slag baja EAF", "Fly ash PLTU"}),
        ({"price_min": "0"}, {"Oli bekas", "Skrap besi bulanan"}),
        ({"price_max": "0"}, {"Slag baja EAF"}),
        ({"price_min": "-20000", "price_max": "3000"}, {"Slag baja EAF", "Oli bekas"}),
        ({"recurring": "true"}, {"Skrap besi bulanan"}),
        ({"recurring": "false"}, {"Slag baja EAF", "Oli bekas", "Fly ash PLTU"}),
        ({"closing_within": "3"}, {"Oli bekas"}),
        ({"closing_within": "6"}, {"Oli bekas", "Fly ash PLTU"}),
        ({"local_first": "true"}, {"Skrap besi bulanan"}),
        ({"q": "oli"}, {"Oli bekas"}),
        ({"q": "pelumas"}, {"Oli bekas"}),  # description
        ({"q": "coal power"}, {"Fly ash PLTU"}),  # the category's English name
        ({"q": "N101"}, {"Slag baja EAF"}),  # the Indonesian code
        ({"group": "slags-and-ashes", "kecamatan": "pulomerak", "quantity_min": "100"}, {"Fly ash PLTU"}),
        ({"category": "steel-slag", "quantity_min": "10", "q": "slag"}, {"Slag baja EAF"}),
        ({"hazardous": "false", "recurring": "true", "closing_within": "30"}, {"Skrap besi bulanan"}),
    ],
)
def test_filters_alone_and_combined(browse, params, expected):
    assert set(browse(**params)) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("closing", ["Oli bekas", "Fly ash PLTU", "Slag baja EAF", "Skrap besi bulanan"]),
        ("quantity", ["Oli bekas", "Fly ash PLTU", "Slag baja EAF", "Skrap besi bulanan"]),
        ("quantity-asc", ["Skrap besi bulanan", "Slag baja EAF", "Fly ash PLTU", "Oli bekas"]),
        ("price", ["Skrap besi bulanan", "Oli bekas", "Slag baja EAF", "Fly ash PLTU"]),
        ("price-asc", ["Slag baja EAF", "Oli bekas", "Skrap besi bulanan", "Fly ash PLTU"]),
        # Cibeber (-6.034, 106.060): Grogol lot ~4 km, Pulomerak ~16 km, Ciwandan ~11.5 km; no coordinates last.
        ("distance", ["Oli bekas", "Slag baja EAF", "Fly ash PLTU", "Skrap besi bulanan"]),
    ],
)
def test_sorts(browse, sort, expected):
    assert browse(sort=sort) == expected


def test_distance_is_shown_in_km(client, viewer, lots):
    client.force_login(viewer)
    response = client.get(BROWSE, {"sort": "distance"})
    nearest = response.context["lots"][0]
    assert 3 < nearest.distance_km < 6
    assert "km away" in response.content.decode()


def test_nearest_first_pages_continue_one_another(client, viewer):
    """The nearest lots are chosen over their ids before their rows are loaded: page two starts where page one
    ended, in the same order, with the lots without coordinates last."""
    for number in range(30):
        LotFactory(
            title=f"Lot {number:02d}",
            latitude=Decimal("-6.034") + Decimal(number) / 100,
            longitude=Decimal("106.060"),
            closes_at=timezone.now() + timedelta(days=1 + number % 5),
        )
    LotFactory(title="Nowhere", latitude=None, longitude=None)
    client.force_login(viewer)
    first = client.get(BROWSE, {"sort": "distance"})
    second = client.get(BROWSE, {"sort": "distance", "page": 2})
    shown = [lot.title for lot in first.context["lots"]] + [lot.title for lot in second.context["lots"]]
    assert shown == [f"Lot {number:02d}" for number in range(30)] + ["Nowhere"]
    assert first.context["has_next"] and not second.context["has_next"]
    distances = [lot.distance_km for lot in first.context["lots"]]
    assert distances == sorted(distances) and distances[1] == pytest.approx(1.1057, abs=0.001)


def test_distance_sort_without_coordinates_explains(client, lots):
    client.force_login(member_of(OrganisationFactory(processor=True)))  # the factory has no coordinates
    response = client.get(BROWSE, {"sort": "distance"})
    assert response.status_code == 200
    assert response.context["distance_unavailable"]
    assert len(response.context["lots"]) == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking is PostgreSQL full-text search")
def test_search_ranks_better_matches_first(browse):
    LotFactory(title="Slag slag slag granulasi", description="slag untuk semen", category=category("bf-slag"))
    result = browse(q="slag")
    assert result[0] == "Slag slag slag granulasi"
    assert set(result) == {"Slag slag slag granulasi", "Slag baja EAF"}


def plan_without(queryset, *settings) -> str:
    """PostgreSQL's plan for the queryset with these planner methods turned off (a tiny table's plan is otherwise
    whatever is cheapest on a few rows, not what the index is for)."""
    with connection.cursor() as cursor:
        for setting in settings:
            cursor.execute(f"SET {setting} = off")
        try:
            return queryset.explain()
        finally:
            for setting in settings:
                cursor.execute(f"SET {setting} = on")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the index exists on PostgreSQL only")
def test_highest_price_first_reads_its_index_in_order(viewer, lots):
    """The "highest price first" sort (lots without a reserve last) is read in order from its own index: the (status,
    price) index read backwards would put those lots first, so without it every open lot was sorted."""
    from listings.filters import LotFilter
    from listings.selectors import browsable_lots

    queryset = LotFilter({"sort": "price"}, queryset=browsable_lots()).qs[:25]
    plan = plan_without(queryset, "enable_seqscan", "enable_sort", "enable_bitmapscan")
    assert "lot_status_price_desc_idx" in plan and "Sort" not in plan, plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="autovacuum is PostgreSQL's")
@pytest.mark.django_db
def test_tables_read_by_index_only_scans_are_vacuumed_sooner():
    """Index-only scans skip the table only for pages a vacuum marked all-visible: the tables the covering
    indexes answer from are vacuumed after a fiftieth of their rows change, not the default fifth."""
    tables = ["dashboard_deal", "dashboard_dealmonth", "listings_bid", "listings_wastelot"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s) ORDER BY relname", [tables])
        found = dict(cursor.fetchall())
    assert sorted(found) == tables
    for options in found.values():
        assert "autovacuum_vacuum_scale_factor=0.02" in options
        assert "autovacuum_vacuum_insert_scale_factor=0.02" in options


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only")
def test_search_uses_the_full_text_index(viewer):
    """The search expression is the index's expression, so PostgreSQL can use it (forced on a tiny table)."""
    from listings.filters import apply_search
    from listings.models import WasteLot

    queryset = apply_search(WasteLot.objects.all(), "slag")
    # Forced: no sequential scan, and no plain index scan either (on a tiny table the planner may walk another
    # btree index whole, filtering each row, which failed this test now and then): what is left is a bitmap
    # scan of an index whose condition is the search's, which only the GIN index has.
    plan = plan_without(queryset, "enable_seqscan", "enable_indexscan", "enable_indexonlyscan")
    assert "listings_wastelot_search_vector_gin" in plan, plan


def test_search_matches_word_prefixes(browse):
    assert browse(q="sla") == ["Slag baja EAF"]
    assert browse(q="fly pltu") == ["Fly ash PLTU"]


@pytest.mark.parametrize(
    "params",
    [
        {"quantity_min": "abc"},
        {"quantity_min": "-5"},
        {"quantity_max": "1e400"},
        {"price_min": "NaN"},
        {"category": "unobtainium"},
        {"group": "lava"},
        {"kecamatan": "atlantis"},
        {"hazardous": "perhaps"},
        {"closing_within": "0"},
        {"closing_within": "99999999999999999999"},
        {"sort": "chaos"},
        {"page": "abc"},
        {"page": "-3"},
        {"page": "99999999999999999999999"},
        {"q": "'; DROP TABLE listings_wastelot; --"},
        {"q": "&|!():*<>"},
        {"q": "x" * 5000},
    ],
)
def test_bad_parameters_never_500(client, viewer, lots, params):
    client.force_login(viewer)
    response = client.get(BROWSE, params)
    assert response.status_code == 200


def test_not_understood_filters_are_said_and_ignored(client, viewer, lots):
    client.force_login(viewer)
    response = client.get(BROWSE, {"quantity_min": "abc", "kecamatan": "ciwandan"})
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert {lot.title for lot in response.context["lots"]} == {"Slag baja EAF", "Skrap besi bulanan"}


def test_huge_page_number_gives_an_empty_page_with_a_way_back(client, viewer, lots):
    client.force_login(viewer)
    response = client.get(BROWSE, {"page": "300", "kecamatan": "ciwandan"})
    assert response.context["lots"] == []
    body = response.content.decode()
    assert "Back to the first page" in body and "kecamatan=ciwandan" in body


def test_pagination_without_count(client, viewer):
    from core.pagination import PAGE_SIZE

    for _ in range(PAGE_SIZE + 3):
        LotFactory()
    client.force_login(viewer)
    first = client.get(BROWSE)
    assert len(first.context["lots"]) == PAGE_SIZE and first.context["has_next"]
    second = client.get(BROWSE, {"page": "2"})
    assert len(second.context["lots"]) == 3 and not second.context["has_next"]
    assert not {lot.pk for lot in first.context["lots"]} & {lot.pk for lot in second.context["lots"]}


def test_htmx_request_gets_only_the_results(client, viewer, lots):
    client.force_login(viewer)
    response = client.get(BROWSE, {"q": "oli"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Oli bekas" in body and "<html" not in body and 'id="lot-filters"' not in body


def test_filters_work_without_javascript(client, viewer, lots):
    """The filter form is a plain GET form: the same URL renders the filtered full page."""
    client.force_login(viewer)
    body = client.get(BROWSE, {"q": "oli"}).content.decode()
    assert '<form method="get" action="/lots/"' in body and "Oli bekas" in body and "<html" in body


@pytest.mark.parametrize(
    "params", [{}, {"q": "slag", "category": "steel-slag", "quantity_min": "1"}, {"sort": "distance"}]
)
def test_query_count_is_constant_whatever_the_data_size(client, viewer, params, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    client.force_login(viewer)
    LotFactory()
    client.get(BROWSE, params)
    with CaptureQueriesContext(connection) as few:
        client.get(BROWSE, params)
    for _ in range(40):
        LotFactory(title=f"Slag {_}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(BROWSE, params)
    assert len(few.captured_queries) <= 7


def test_lot_page_query_count_is_constant(client, viewer, django_assert_max_num_queries):
    from django.test.utils import CaptureQueriesContext

    lot = LotFactory()
    client.force_login(viewer)
    client.get(lot.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        client.get(lot.get_absolute_url())
    for _ in range(5):
        from listings.models import LotTransition

        LotTransition.objects.create(lot=lot, from_status="open", to_status="open")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(lot.get_absolute_url())


FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
nasty = st.one_of(
    st.text(max_size=200),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "inf", "true", "\x00", "%00", "' OR 1=1 --", ":*", "９"]),
)


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            [
                "q",
                "group",
                "category",
                "hazardous",
                "kecamatan",
                "quantity_min",
                "quantity_max",
                "price_min",
                "price_max",
                "recurring",
                "closing_within",
                "local_first",
                "sort",
                "page",
            ]
        ),
        nasty,
    )
)
def test_fuzzed_filters_never_500(client, viewer, params):
    client.force_login(viewer)
    assert client.get(BROWSE, params).status_code == 200
