"""Pages of a list without a COUNT: the rows of one page and one row more, which tells whether a next page
exists. templates/partials/prev_next.html renders the links."""

from django.http import QueryDict

PAGE_SIZE = 24
# Beyond this, a person should narrow the filters; a deep OFFSET is slow and nobody reads page 400.
MAX_PAGE = 400


def _page_number(value) -> int:
    try:
        return min(max(int(value), 1), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def query_without(query: QueryDict, *names: str) -> str:
    """The query string without some parameters, for links that change only those (pagination)."""
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()


def offset_page(request, queryset, size: int = PAGE_SIZE) -> dict:
    """One page of a list without a COUNT: one row more than the page tells whether a next page exists.
    Returns the context partials/prev_next.html reads, with the rows under "items"."""
    page_number = _page_number(request.GET.get("page"))
    offset = (page_number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return {
        "items": rows[:size],
        "page_number": page_number,
        "has_next": len(rows) > size and page_number < MAX_PAGE,
        "has_previous": page_number > 1,
        "shown_until": offset + len(rows[:size]),  # a count without a COUNT: "N lots", or "more than N"
        "query_without_page": query_without(request.GET, "page"),
    }
