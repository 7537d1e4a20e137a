"""Recount the dashboard's rollups from the lots, bids and awards: the deals and the lots listed per month."""

import time

from django.core.management.base import BaseCommand

from dashboard import rollups, services


class Command(BaseCommand):
    help = "Rebuild the dashboard's rollups (deals; lots listed per month × category × kecamatan) from the data."

    def handle(self, *args, **options):
        started = time.monotonic()
        deals = services.deals_refresh_all()
        buckets = rollups.rebuild()
        self.stdout.write(
            f"{deals} deals (and their months) and {buckets} month × category × kecamatan rows of listed lots "
            f"in {time.monotonic() - started:.1f}s"
        )
