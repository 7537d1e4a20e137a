"""Who won a lot and how it was handed over: only the plant, the winner, staff and officials see it.

Losing bidders learn the winning price, never the winner; everyone else sees the status. Swept after the award,
the pickup, the processing and the completion, over the lot's pages, fragments and exports, the lists that show
it, the inbox and every e-mail. (tests/test_visibility_matrix.py sweeps every URL of the project once the deal
is completed.)"""

import re

import pytest
from django.core import mail
from django.urls import reverse

from listings import selectors
from members import notifications
from members.models import Notification
from tests.factories import OrganisationFactory, log_in, member_of
from tests.visibility_world import (
    AWARD_NOTE,
    CARRIER,
    MANIFEST,
    MISMATCH_TEXT,
    NAMES,
    OUTSIDERS,
    PARTIES,
    RECEIVED,
    SENT,
    STAGES,
    VEHICLE,
    WINNER_LICENCE,
    WINNER_ORGANISATION,
    build_world,
    deal_secrets,
    leaks,
    number_spellings,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def login(client, world, role):
    person = world.person(role)
    if person is not None:
        log_in(client, person)
    else:
        client.logout()
    return client


def deal_pages(world) -> list[tuple[str, str, dict]]:
    """(key, url, headers) of every page, fragment and export that shows the deal lot or lists it."""
    ref = {"reference": world.lots["deal"].reference}
    htmx = {"HTTP_HX_REQUEST": "true"}
    return [
        ("listings:lot_detail", reverse("listings:lot_detail", kwargs=ref), {}),
        ("listings:lot_detail", reverse("listings:lot_detail", kwargs=ref), htmx),
        ("listings:lot_bids", reverse("listings:lot_bids", kwargs=ref), {}),
        ("listings:lot_bids", reverse("listings:lot_bids", kwargs=ref) + "?format=csv", {}),
        ("listings:proof", reverse("listings:proof", kwargs=ref), {}),
        ("listings:lot_list", reverse("listings:lot_list"), {}),
        ("listings:lot_list", reverse("listings:lot_list") + "?q=kesepakatan", htmx),
        ("listings:my_bids", reverse("listings:my_bids"), {}),
        ("listings:my_lots", reverse("listings:my_lots") + "?status=", {}),
        ("listings:my_matches", reverse("listings:my_matches"), {}),
        ("listings:staff_handovers", reverse("listings:staff_handovers"), {}),
        ("members:notifications", reverse("members:notifications"), {}),
        ("members:notifications_unread", reverse("members:notifications_unread"), htmx),
        ("members:organisation_detail", reverse("members:organisation_detail", kwargs={"slug": "baja-terbuka"}), {}),
        ("dashboard:dashboard", reverse("dashboard:dashboard"), {}),
        ("dashboard:dashboard", reverse("dashboard:dashboard"), htmx),
        *[
            ("dashboard:export", reverse("dashboard:export", kwargs={"table": table, "fmt": "csv"}), {})
            for table in ("deals", "mismatches", "processors", "summary")
        ],
    ]


def body_of(response) -> str:
    content = b"".join(response) if response.streaming else response.content
    return content.decode(errors="replace")


@pytest.mark.parametrize("stage", STAGES)
def test_no_outsider_sees_who_won_or_the_handover(client, stage):
    world = build_world(stage)
    secrets = deal_secrets(world)
    # A person of another plant is an outsider too, as is a processor that never bid.
    assert {"loser", "processor", "other_plant", "unverified", "visitor"} <= set(OUTSIDERS)
    leaked = []
    for role in OUTSIDERS:
        login(client, world, role)
        for key, url, headers in deal_pages(world):
            found = leaks(body_of(client.get(url, **headers)), secrets, key=key, requested=url)
            if found:
                leaked.append(f"{role} {url}: {', '.join(found)}")
        person = world.person(role)
        if person is not None:
            for item in Notification.objects.filter(recipient=person):
                found = leaks(notifications.message(item) + item.url, secrets)
                if found:
                    leaked.append(f"{role}'s notification {item.event}: {', '.join(found)}")
    outsiders = {world.person(role).email for role in OUTSIDERS if world.person(role)}
    for message in mail.outbox:
        if set(message.to) & outsiders:
            text = message.subject + message.body + "".join(part for part, _type in message.alternatives)
            found = leaks(text, secrets)
            if found:
                leaked.append(f"e-mail to {message.to}: {', '.join(found)}")
    assert not leaked, "\n".join(leaked)


STAGE_SHOWS = {
    "awarded": [WINNER_ORGANISATION, AWARD_NOTE, NAMES["plant_admin"]],
    "collected": [CARRIER, VEHICLE, MANIFEST, NAMES["plant_member"], number_spellings(SENT)[2]],
    "processed": [NAMES["winner"], number_spellings(RECEIVED)[2], "/processing/proof/", MISMATCH_TEXT],
    "completed": [],
}


@pytest.mark.parametrize("stage", STAGES)
def test_the_parties_see_the_winner_and_the_handover(client, stage):
    world = build_world(stage)
    deal = world.lots["deal"]
    expected = [text for earlier in STAGES[: STAGES.index(stage) + 1] for text in STAGE_SHOWS[earlier]]
    for role in PARTIES:
        login(client, world, role)
        body = body_of(client.get(deal.get_absolute_url()))
        missing = [text for text in expected if text not in body]
        assert not missing, (role, stage, missing)
        proof = client.get(reverse("listings:proof", kwargs={"reference": deal.reference}))
        assert proof.status_code == (200 if stage in ("processed", "completed") else 404), role


def test_the_loser_learns_the_winning_price_and_the_reason_never_the_winner(client):
    world = build_world("completed")
    login(client, world, "loser")
    deal = world.lots["deal"]
    body = body_of(client.get(deal.get_absolute_url()))
    lost = re.search(r'data-testid="lost">([^<]*)<', body).group(1)
    assert lost == "The lot went to another bid. Winning price: processor pays Rp\u00a0200,000\u00a0/\u00a0t."
    # The reason chosen from the fixed list is the market's answer to "why not the best price?"; the plant's own
    # words are not shown (they may name the winner).
    assert "Local business" in body and AWARD_NOTE not in body
    assert "Who won this lot and how it is handed over are shown only to" in body
    assert WINNER_ORGANISATION not in body and WINNER_LICENCE not in body
    rejected = Notification.objects.get(recipient=world.person("loser"), event="bid_rejected")
    assert "Rp\u00a0200,000" in notifications.message(rejected)
    assert WINNER_ORGANISATION not in notifications.message(rejected)
    bids = body_of(client.get(reverse("listings:my_bids")))
    assert "Not chosen" in bids and WINNER_ORGANISATION not in bids
    assert re.search(r'data-testid="winning-price">Winning price: processor pays Rp\u00a0200,000\u00a0/\u00a0t<', bids)


def test_only_the_two_sides_hear_of_the_pickup_and_the_processing():
    world = build_world("processed")
    heard = {
        (event, email)
        for event, email in Notification.objects.filter(
            event__in=["pickup_recorded", "processing_recorded"]
        ).values_list("event", "recipient__email")
    }
    people = {role: world.person(role).email for role in ("plant_admin", "plant_member", "winner")}
    # Everyone of the plant and of the winner, except the person who recorded it (the plant member, the winner).
    assert heard == {
        ("pickup_recorded", people["plant_admin"]),
        ("pickup_recorded", people["winner"]),
        ("processing_recorded", people["plant_admin"]),
        ("processing_recorded", people["plant_member"]),
    }


def test_the_timeline_as_an_outsider_sees_it():
    world = build_world("completed")
    deal = world.lots["deal"]
    outsider = [
        (step.status, step.note, step.actor) for step in selectors.timeline_for_viewer(world.person("loser"), deal)
    ]
    assert [status for status, _note, _actor in outsider] == ["closed", "awarded", "collected", "completed"]
    assert all(actor is None for _status, _note, actor in outsider)
    assert {status: note for status, note, _actor in outsider} == {
        "closed": "Closed early so that a bid could be awarded.",
        "awarded": "Local business",
        "collected": "",
        "completed": "",
    }
    plant = selectors.timeline_for_viewer(world.person("plant_member"), deal)
    assert [step.status for step in plant] == ["closed", "awarded", "collected", "collected", "completed"]
    assert plant[1].actor == NAMES["plant_admin"] and AWARD_NOTE in plant[1].note
    assert plant[2].actor == NAMES["plant_member"] and MANIFEST in plant[2].note and CARRIER in plant[2].note
    assert plant[3].actor == NAMES["winner"] and "received" in plant[3].note


def test_who_sees_the_deal_parties():
    world = build_world("awarded")
    deal = world.lots["deal"]
    sees = {
        role: selectors.can_see_deal_parties(world.person(role), deal) for role in world.people if role != "visitor"
    }
    assert {role for role, yes in sees.items() if yes} == set(PARTIES)
    # An official is a person of a *verified* authority; an authority awaiting verification sees nothing more.
    pending = member_of(OrganisationFactory(authority=True, unverified=True))
    assert not selectors.can_see_deal_parties(pending, deal)
    assert selectors.can_see_deal_parties(member_of(OrganisationFactory(operator=True)), deal)
    # Before the award nobody has won: the plant, staff and officials only.
    open_lot = world.lots["open"]
    assert not selectors.can_see_deal_parties(world.person("winner"), open_lot)
    assert selectors.can_see_deal_parties(world.person("official"), open_lot)
