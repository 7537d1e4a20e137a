from celery import shared_task

from . import services


@shared_task
def close_overdue_lots() -> int:
    """Every minute: lots past their bid deadline close (idempotent; each change is on the lot's timeline)."""
    return services.close_overdue_lots()
