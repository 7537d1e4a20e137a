"""Queries per page are constant: every page type of the mixed benchmark (make bench) makes exactly the same
number of SQL queries over little and over more data, and that number is pinned here, so a page that starts
querying per row, or gains a query, fails."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api import services as api_services
from documents.services import document_supersede, documents_generate_missing
from listings import services
from listings.models import (
    Award,
    Bid,
    ContractPeriod,
    Handover,
    LotAddendum,
    LotQuestion,
    LotTransition,
    Match,
    VisitBooking,
    VisitSlot,
    WasteLot,
    Watch,
)
from listings.services import BidOffer
from members import notifications
from members.models import Event
from tests.factories import LotFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db


def count(client, url) -> int:
    client.get(url)  # the first request of a session warms what every later one reuses
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    # The session's own read is left out: a database read on SQLite, a cache read with Redis.
    return len([query for query in captured.captured_queries if "django_session" not in query["sql"]])


def bid(lot, person, price=50_000):
    return services.bid_place(
        lot=lot,
        acting_user=person,
        offer=BidOffer(
            price_per_unit=price,
            quantity=Decimal("10"),
            pickup_date=timezone.localdate() + timedelta(days=2),
            route="recycling",
        ),
    )


def decided(lot, processor, *, completed=False):
    """The lot awarded to `processor` (and completed, with a handover)."""
    now = timezone.now()
    won = Bid.objects.create(
        lot=lot, bidder=processor, price_per_unit=1000, quantity=lot.quantity, pickup_date=now.date(),
        route="recycling", status=Bid.Status.ACCEPTED,
    )  # fmt: skip
    award = Award.objects.create(
        lot=lot,
        bid=won,
        quantity=won.quantity,
        reason="best-price",
        best_price=1000,
        awarded_at=now,
        processor_banten=True,
        processor_japnas=True,
    )
    period = ContractPeriod.objects.create(award=award, number=1, starts_on=now.date())
    LotTransition.objects.create(lot=lot, from_status="closed", to_status="awarded")
    lot.status = WasteLot.Status.COMPLETED if completed else WasteLot.Status.AWARDED
    lot.save(update_fields=["status"])
    if completed:
        Handover.objects.create(
            lot=lot, period=period, pickup_date=now.date(), carrier="PT Angkut", vehicle="A 1 B",
            quantity_sent=lot.quantity, quantity_received=lot.quantity, processing_recorded_at=now,
        )  # fmt: skip
    return lot


def other_bidders(lot, n):
    for i in range(n):
        bid(lot, member_of(OrganisationFactory(processor=True)), 40_000 + i)


BROWSE = "/lots/"


@pytest.mark.parametrize(
    "query, pinned",
    [
        ("", 4),
        ("?category=steel-slag&quantity_min=1&sort=closing&page=1", 5),  # + the category asked for
        ("?q=slag&category=steel-slag", 6),  # + the ranked ids, then the page's rows
        ("?q=slag&sort=distance", 5),
    ],
)
def test_browse(client, processor_admin, plant, query, pinned):
    client.force_login(processor_admin)
    LotFactory(plant=plant, title="Slag one")
    small = count(client, BROWSE + query)
    for i in range(30):
        LotFactory(plant=plant, title=f"Slag {i}")
    assert count(client, BROWSE + query) == small == pinned


def test_lot_page_of_an_open_lot_for_a_bidder(client, processor_admin, plant):
    lot = LotFactory(plant=plant)
    bid(lot, processor_admin)
    client.force_login(processor_admin)
    small = count(client, lot.get_absolute_url())
    other_bidders(lot, 5)
    for i in range(5):
        LotTransition.objects.create(lot=lot, from_status="open", to_status="open")
        LotQuestion.objects.create(
            lot=lot, asked_by_organisation=processor_admin.membership.organisation, text=f"Q {i}"
        )
        LotAddendum.objects.create(lot=lot, text=f"Addendum {i}")
        slot = VisitSlot.objects.create(
            lot=lot,
            starts_at=timezone.now() + timedelta(days=1, hours=i),
            ends_at=timezone.now() + timedelta(days=1, hours=i + 1),
            capacity=10,
            meeting_point="Gerbang",
        )
        VisitBooking.objects.create(
            slot=slot,
            lot=lot,
            organisation=OrganisationFactory(processor=True),
            visitors=["A B"],
            people=1,
            plate="A 1",
        )
    # 9: whether the bidder follows the lot is asked; the bid form loads the bidder's licences only on a
    # hazardous lot; the addenda (page and timeline) in one query, the questions and the site visits' slots and
    # places left counted in the lot's own.
    assert count(client, lot.get_absolute_url()) == small == 9
    page = client.get(lot.get_absolute_url()).content.decode()
    assert page.count('data-testid="addendum"') == 5 and "(5)" in page
    assert "5 slots, 45 places left" in page


# The award (and, once collected, the handover) is read in a query of its own (listings.selectors.attach_outcome);
# and whether the winner follows the lot.
# The addenda: one query (the page's list and the timeline's steps).
@pytest.mark.parametrize("completed, pinned", [(False, 10), (True, 12)])
def test_lot_page_of_a_decided_lot_for_the_winner(client, processor_admin, plant, completed, pinned):
    lot = decided(LotFactory(plant=plant), processor_admin.membership.organisation, completed=completed)
    client.force_login(processor_admin)
    small = count(client, lot.get_absolute_url())
    for _ in range(5):
        LotTransition.objects.create(lot=lot, from_status="awarded", to_status="awarded")
    assert count(client, lot.get_absolute_url()) == small == pinned


def test_bids_page(client, plant_admin, plant):
    lot = LotFactory(plant=plant, bidding_mode=WasteLot.BiddingMode.OPEN)
    other_bidders(lot, 2)
    client.force_login(plant_admin)
    url = f"/lots/{lot.reference}/bids/"
    small = count(client, url)
    other_bidders(lot, 8)
    assert count(client, url) == small == 4
    assert client.get(url).content.decode().count('data-testid="bid-row"') == 10


def test_my_bids(client, processor_admin, plant):
    client.force_login(processor_admin)
    bid(LotFactory(plant=plant, bidding_mode=WasteLot.BiddingMode.OPEN), processor_admin)
    Watch.objects.create(user=processor_admin, lot=LotFactory(plant=plant))
    small = count(client, "/my/bids/")
    for i in range(10):
        # open and sealed lots, some where another firm offers more (leading or outbid is in the same query)
        mode = WasteLot.BiddingMode.OPEN if i % 2 else WasteLot.BiddingMode.SEALED
        lot = LotFactory(plant=plant, bidding_mode=mode)
        bid(lot, processor_admin)
        if i % 3 == 0:
            other_bidders(lot, 1)
        Watch.objects.create(user=processor_admin, lot=LotFactory(plant=plant))
    assert count(client, "/my/bids/") == small == 3  # the membership, the bids with their standing, the followed lots
    page = client.get("/my/bids/").content.decode()
    assert page.count('data-testid="my-bid-row"') == 11 and page.count('data-testid="watched-lot"') == 11


def test_visitor_pages(client, plant):
    """Visitors (no session): /lots/ and an open lot's page, constant in lots, photos and transitions."""
    lot = LotFactory(plant=plant)
    small_list, small_page = count(client, BROWSE), count(client, lot.get_absolute_url())
    for i in range(20):
        LotFactory(plant=plant, title=f"Slag {i}")
    for i in range(5):
        LotTransition.objects.create(lot=lot, from_status="open", to_status="open")
        LotAddendum.objects.create(lot=lot, text=f"Addendum {i}")
    assert count(client, BROWSE) == small_list == 3  # the categories (filter), the page of lots, their photos
    # the lot, its files, its timeline, its addenda (visitors read them too: they change what the lot is)
    assert count(client, lot.get_absolute_url()) == small_page == 4


def test_matches(client, processor_admin, plant):
    organisation = processor_admin.membership.organisation
    client.force_login(processor_admin)
    reasons = [{"code": "category"}]
    Match.objects.create(lot=LotFactory(plant=plant), organisation=organisation, score=50, reasons=reasons)
    small = count(client, "/my/matches/")
    for _ in range(10):
        Match.objects.create(
            lot=LotFactory(plant=plant), organisation=organisation, score=60, reasons=[{"code": "distance", "km": 3}]
        )
    assert count(client, "/my/matches/") == small == 3


def test_notifications_and_the_unread_count(client, processor_admin):
    client.force_login(processor_admin)

    def tell(n):
        notifications.deliver(Event.NEW_MATCH, f"k{n}", [processor_admin.pk], {"reference": "WX-1", "title": "S"}, "/")

    tell(0)
    small, badge = count(client, "/notifications/"), count(client, "/notifications/unread/")
    for n in range(1, 20):
        tell(n)
    assert count(client, "/notifications/") == small == 3
    assert count(client, "/notifications/unread/") == badge == 2


def test_my_lots(client, plant_admin, plant):
    client.force_login(plant_admin)
    LotFactory(plant=plant)
    small = count(client, "/my/lots/")
    for _ in range(10):
        LotFactory(plant=plant)
    assert count(client, "/my/lots/") == small == 4


def test_catalogue(client, processor_admin):
    client.force_login(processor_admin)
    assert count(client, "/catalogue/") == 3


def test_documents_of_a_lot(client, processor_admin, plant, staff):
    lot = decided(LotFactory(plant=plant), processor_admin.membership.organisation, completed=True)
    documents_generate_missing(lots=WasteLot.objects.filter(pk=lot.pk))
    client.force_login(processor_admin)
    url = f"/lots/{lot.reference}/documents/"
    small = count(client, url)
    for _ in range(3):  # more rows: each replaced document stays, naming its successor
        for document in lot.documents.filter(status="valid"):
            document_supersede(document=document, acting_user=staff, reason="again")
    assert lot.documents.count() == 12
    # the person, the lot, its awards (who may see the documents, and which: a processor its own contract's),
    # the documents with their successors, periods and processors
    assert count(client, url) == small == 4


def test_api_tokens_page(client, plant_admin, plant):
    client.force_login(plant_admin)

    def token(n):
        api_services.token_create(organisation=plant, acting_user=plant_admin, name=f"ERP {n}", scopes=["read"])

    token(0)
    small = count(client, f"/org/{plant.slug}/tokens/")
    for n in range(1, 8):
        token(n)
    assert count(client, f"/org/{plant.slug}/tokens/") == small == 2


def test_api_webhooks_page(client, plant_admin, plant):
    """Subscriptions and their recent deliveries in two queries, however many of each."""
    from api import webhooks
    from api.models import WebhookDelivery

    client.force_login(plant_admin)

    def webhook(n):
        subscription = webhooks.subscription_create(
            organisation=plant, acting_user=plant_admin, url=f"http://127.0.0.1:9/{n}", events=["new_bid"]
        ).subscription
        for k in range(3):
            WebhookDelivery.objects.create(
                subscription=subscription, key=f"k{k}", event="new_bid", last_error="HTTP 500"
            )

    webhook(0)
    small = count(client, f"/org/{plant.slug}/webhooks/")
    for n in range(1, 6):
        webhook(n)
    assert count(client, f"/org/{plant.slug}/webhooks/") == small == 3


@pytest.mark.parametrize("who", ["processor", "plant"])
def test_questions_page(client, processor_admin, plant_admin, plant, who):
    """The questions and answers: one query for all of them, whoever reads (the plant's answer forms too)."""
    lot = LotFactory(plant=plant)
    url = f"/lots/{lot.reference}/questions/"

    def asked(n):
        for i in range(n):
            question = services.question_ask(lot=lot, acting_user=processor_admin, text=f"Pertanyaan nomor {i}")
            services.question_answer(question=question, acting_user=plant_admin, answer=f"Jawaban {i}")

    asked(1)
    client.force_login(processor_admin if who == "processor" else plant_admin)
    small = count(client, url)
    asked(10)
    # the membership, the lot, its questions
    assert count(client, url) == small == 3
    assert client.get(url).content.decode().count('data-testid="question"') == 11


@pytest.mark.parametrize("who", ["processor", "plant"])
def test_site_visits_page(client, processor_admin, plant_admin, plant, who):
    """The site visits: the slots with their places in one query; the plant's bookings in one more; a
    processor's own booking in one."""
    lot = LotFactory(plant=plant)
    url = f"/lots/{lot.reference}/visits/"

    def offered(n, start):
        for i in range(start, start + n):
            slot = VisitSlot.objects.create(
                lot=lot,
                starts_at=timezone.now() + timedelta(days=1, hours=i),
                ends_at=timezone.now() + timedelta(days=1, hours=i + 1),
                capacity=10,
                meeting_point="Gerbang",
            )
            VisitBooking.objects.create(
                slot=slot,
                lot=lot,
                organisation=OrganisationFactory(processor=True),
                visitors=["A B"],
                people=1,
                plate="A 1",
            )

    offered(1, 0)
    client.force_login(processor_admin if who == "processor" else plant_admin)
    small = count(client, url)
    offered(5, 1)
    # the membership, the lot, its slots, and the processor's own booking or the plant's bookings
    assert count(client, url) == small == 4
    assert client.get(url).content.decode().count('data-testid="slot"') == 6


def test_gate_list_page(client, plant_admin, plant):
    lot = LotFactory(plant=plant)
    slot = VisitSlot.objects.create(
        lot=lot,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=1, hours=1),
        capacity=50,
        meeting_point="Gerbang",
    )
    url = f"/lots/{lot.reference}/visits/{slot.pk}/gate-list/"

    def booked(n):
        for _ in range(n):
            VisitBooking.objects.create(
                slot=slot,
                lot=lot,
                organisation=OrganisationFactory(processor=True),
                visitors=["A B"],
                people=1,
                plate="A 1",
            )

    booked(1)
    client.force_login(plant_admin)
    small = count(client, url)
    booked(5)
    # the membership, the lot, the slot, its bookings with their organisations
    assert count(client, url) == small == 4


TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT")


def posted(client, url, data) -> list[str]:
    """The SQL of one POST that must redirect, without the session's read and the transaction's own statements
    (a savepoint inside the test's transaction, BEGIN and COMMIT outside it)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url, data)
    assert response.status_code == 302, url
    return [
        query["sql"]
        for query in captured.captured_queries
        if "django_session" not in query["sql"] and not query["sql"].startswith(TRANSACTION)
    ]


# The person; the lot; the organisation's live bid; then under the lot's lock: the lot again (locked); to place,
# whether one is live already, to revise, the bid locked; in open bidding the best live price (who is
# overtaken); the bid written; its revision; then who is told (the plant's people of a new bid, the bidders
# overtaken in open bidding: who they are, and the outbox row, read and written). Never the bid's lot or bidder
# again.
@pytest.mark.parametrize("mode, pinned", [("open", (13, 9)), ("sealed", (8, 7))])
def test_placing_and_revising_a_bid(client, processor_admin, plant, mode, pinned):
    """The bid form's POST, which 16 processors send at once on one lot in the benchmark: while the lot is
    locked, the bid's lot and bidder are at hand (no query for either, from the offer's checks or the dashboard
    rollup's signal)."""
    lot = LotFactory(plant=plant, bidding_mode=mode)
    other_bidders(lot, 5)
    client.force_login(processor_admin)
    client.get(lot.get_absolute_url())
    offer = {
        "price_per_unit": "60000",
        "quantity": "10",
        "pickup_date": (timezone.localdate() + timedelta(days=2)).isoformat(),
        "route": "recycling",
        "note": "",
    }
    url = f"{lot.get_absolute_url()}bid/"
    placed = posted(client, url, offer)
    revised = posted(client, url, {**offer, "price_per_unit": "61000"})
    assert Bid.objects.get(lot=lot, bidder=processor_admin.membership.organisation).revision == 2
    assert (len(placed), len(revised)) == pinned, "\n".join(placed + ["--"] + revised)
