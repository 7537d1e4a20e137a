"""Reading the ORM the cheap way where it is read on every request."""


def the_row(queryset):
    """The one row a filter on a unique key (or a constraint) can match, or None. Not first(): its ORDER BY (the
    model's ordering, or the primary key) costs a query's compilation for nothing when there is one row at most."""
    return next(iter(queryset.order_by()[:1]), None)
