"""The API's background work: webhook deliveries (api.webhook_sending). Thin tasks, safe to run twice: the
delivery's row lock and status guard make a second run harmless."""

from celery import shared_task

from . import webhook_sending


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_webhook(delivery_id: int) -> str | None:
    """One attempt of one delivery, when it is due."""
    return webhook_sending.attempt(delivery_id)


@shared_task
def retry_webhooks() -> int:
    """Every minute: deliveries whose retry is due that no task took (broker down, or a subscription resumed)."""
    return webhook_sending.retry_due()


@shared_task
def purge_webhook_deliveries() -> int:
    """Daily: deliveries delivered or given up more than a month ago go."""
    return webhook_sending.purge()
