from django.core.management import call_command
from django.db.models import Max, Min

from listings.models import LotTransition, WasteLot


def test_demo_has_completed_deals_spread_over_18_months(db):
    call_command("load_demo")
    completions = LotTransition.objects.filter(to_status="completed")
    span = completions.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert completions.count() >= 36
    assert (span["last"] - span["first"]).days >= 16 * 30
    months = {(when.year, when.month) for when in completions.values_list("created_at", flat=True)}
    assert len(months) >= 15
    before = WasteLot.objects.count()
    call_command("load_demo")
    assert WasteLot.objects.count() == before
