from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=15 * 60)
def refresh_deals() -> int:
    """Rebuild the dashboard's deals rollup whole (idempotent): mends any drift the signals could not see."""
    return services.deals_refresh_all()
