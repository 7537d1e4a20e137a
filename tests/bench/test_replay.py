"""make bench --replay: the mixed run's lines replayed in-process, each page type's share, CPU, SQL and queries."""

import pytest
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.replay import WARM_UP, replay
from tests.factories import OrganisationFactory, member_of


@pytest.fixture
def cookie(db):
    person = member_of(OrganisationFactory(processor=True), email="replay@bench.test")
    client = Client()
    client.force_login(person)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def queries_of(path: str, cookie: str) -> int:
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies.load(cookie)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_each_page_type_gets_its_share_time_and_queries(cookie):
    lines = [("catalogue", "/catalogue/", cookie)] * 6 + [("inbox", "/notifications/", cookie)] * (WARM_UP + 4)
    rows = replay(lines)
    assert [row["share"] for row in rows] == sorted((row["share"] for row in rows), reverse=True)  # most first
    found = {row["name"]: row for row in rows}
    assert found["replay:catalogue"]["requests"] == 6 and found["replay:inbox"]["requests"] == WARM_UP + 4
    assert found["replay:catalogue"]["queries"] == queries_of("/catalogue/", cookie)
    assert found["replay:inbox"]["queries"] == queries_of("/notifications/", cookie)
    assert sum(row["share"] for row in rows) == pytest.approx(1, abs=0.002)
    assert all(row["cpu_ms"] > 0 for row in rows)


def test_a_page_that_does_not_answer_200_stops_the_replay(cookie):
    with pytest.raises(CommandError, match="/lots/WX-0000-00000/ answered 404"):
        replay([("lot", "/lots/WX-0000-00000/", cookie)])


def test_with_a_log_each_page_types_profile_is_printed(cookie):
    """--replay N --profile: each page type's requests run under cProfile, its busiest functions go to the log."""
    logged = []
    lines = [("catalogue", "/catalogue/", cookie)] * 3 + [("inbox", "/notifications/", cookie)] * (WARM_UP + 2)
    rows = replay(lines, log=logged.append)
    assert {row["name"] for row in rows} == {"replay:catalogue", "replay:inbox"}
    assert [text.splitlines()[0] for text in logged] == [
        "profile of 3 requests of catalogue:",
        f"profile of {WARM_UP + 2} requests of inbox:",
    ]
    catalogue = next(text for text in logged if "of catalogue" in text)
    assert "Ordered by: internal time" in catalogue and "Ordered by: cumulative time" in catalogue
    assert "catalogue" in catalogue.split("Ordered by: cumulative time")[1]  # the view itself is listed
