"""The open lots in /sitemap.xml (wastex.sitemaps adds the public pages): what visitors may open, nothing else."""

from django.contrib.sitemaps import Sitemap

from .models import WasteLot

# The protocol's limit per sitemap file; far above the number of lots open at once.
MAX_LOTS = 50_000


class OpenLotsSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = MAX_LOTS

    def items(self):
        return WasteLot.objects.open().only("reference", "updated_at").order_by("closes_at", "pk")

    def lastmod(self, lot):
        return lot.updated_at
