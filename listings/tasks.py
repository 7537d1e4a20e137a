"""Background work for lots: thin tasks that take ids, load, and act. Safe to run twice."""

from celery import shared_task

from . import notify, services
from .services import matching


@shared_task
def close_overdue_lots() -> int:
    """Every minute: lots past their bid deadline close (idempotent; each change is on the lot's timeline)."""
    return services.close_overdue_lots()


@shared_task
def warn_lots_closing_soon() -> int:
    """Every ten minutes: bidders and matched processors hear once that a lot closes within 24 hours."""
    return notify.warn_lots_closing_soon()


@shared_task
def widen_local_first_matches() -> int:
    """Every five minutes: lots whose local-first window ended are matched against every processor."""
    return matching.widen_local_first_matches()


@shared_task
def remind_watchers() -> int:
    """Every ten minutes: people who follow a lot hear once, WATCH_REMINDER_HOURS before, that it closes."""
    return notify.remind_watchers()


@shared_task
def remind_visits() -> int:
    """Every half hour: the day before a site visit, the booking organisation and the plant hear of it once."""
    return notify.remind_visits()


@shared_task
def flag_missed_periods() -> int:
    """Contract periods that ended without a pickup: flagged once, both sides and staff told; streams whose
    contracts are all finished completed."""
    return services.periods_flag_missed()
