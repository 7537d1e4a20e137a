"""/sitemap.xml: the public pages and every open lot (listings.sitemaps). Drafts, closed lots and members'
pages are never listed."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from listings.sitemaps import OpenLotsSitemap


class PublicPagesSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return ["landing", "listings:lot_list", "listings:catalogue", "login", "members:signup"]

    def location(self, name):
        return reverse(name)

    def priority(self, name):
        return 1.0 if name in ("landing", "listings:lot_list") else 0.5


SITEMAPS = {"pages": PublicPagesSitemap, "lots": OpenLotsSitemap}
