"""core.views.run_service and core.pagination.offset_page, the helpers every app's views share."""

from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from core.pagination import MAX_PAGE, offset_page
from core.views import run_service


def _request(query: str = ""):
    request = RequestFactory().get(f"/somewhere/?{query}")
    request._messages = CookieStorage(request)
    return request


def test_run_service_passes_the_arguments_and_says_it_succeeded():
    request, calls = _request(), []
    assert run_service(request, lambda **kwargs: calls.append(kwargs), lot=1, acting_user="someone") is True
    assert calls == [{"lot": 1, "acting_user": "someone"}]
    assert list(get_messages(request)) == []


def test_run_service_turns_a_validation_error_into_one_error_message():
    def refuse(**kwargs):
        raise ValidationError({"closes_at": "The deadline has passed.", "quantity": "Too much."})

    request = _request()
    assert run_service(request, refuse) is False
    [message] = list(get_messages(request))
    assert message.level_tag == "error"
    assert message.message == "The deadline has passed. Too much."


def test_run_service_lets_other_errors_through():
    def fail(**kwargs):
        raise PermissionError("not yours")

    request = _request()
    try:
        run_service(request, fail)
    except PermissionError:
        pass
    else:
        raise AssertionError("a PermissionError must not be swallowed")


def test_offset_page_reads_one_row_more_and_keeps_the_other_parameters():
    page = offset_page(_request("sort=price&page=2"), list(range(25)), size=10)
    assert page["items"] == list(range(10, 20))
    assert page["has_next"] and page["has_previous"]
    assert page["query_without_page"] == "sort=price"
    last = offset_page(_request("page=3"), list(range(25)), size=10)
    assert last["items"] == [20, 21, 22, 23, 24] and not last["has_next"]


def test_offset_page_number_is_bounded():
    assert offset_page(_request("page=abc"), [], size=10)["page_number"] == 1
    assert offset_page(_request("page=-4"), [], size=10)["page_number"] == 1
    deep = offset_page(_request("page=999999"), list(range(10)), size=1)
    assert deep["page_number"] == MAX_PAGE and deep["items"] == [] and not deep["has_next"]
