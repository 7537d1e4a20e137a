from celery import shared_task

from . import rollups, services


@shared_task(acks_late=True, time_limit=15 * 60)
def refresh_deals() -> int:
    """Rebuild the dashboard's deals rollup whole (idempotent): mends any drift the signals could not see."""
    deals = services.deals_refresh_all()
    rollups.deal_months_rebuild()  # the deals per month follow the rebuilt rows
    return deals
