"""The trust migrations keep every row: existing awards get their winner's status, the audit log starts with
the staff decisions already recorded."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("listings", "0007_matching"), ("members", "0003_notifications"), ("dashboard", "0002_deals")]
AFTER = [("listings", "0010_award_winner_status"), ("members", "0004_trust_change_requests_japnas_audit")]


@pytest.mark.django_db(transaction=True)
def test_awards_and_decisions_are_carried_over():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organisation = apps.get_model("members", "Organisation")
    User = apps.get_model("members", "User")
    VerificationEvent = apps.get_model("members", "VerificationEvent")
    Licence = apps.get_model("members", "Licence")
    WasteLot = apps.get_model("listings", "WasteLot")
    WasteCategory = apps.get_model("listings", "WasteCategory")
    Bid = apps.get_model("listings", "Bid")
    Award = apps.get_model("listings", "Award")

    staff = User.objects.create(email="staf@wastex.test", full_name="Staf", is_staff=True)
    plant = Organisation.objects.create(name="PT Pabrik", slug="pabrik", kind="plant", address="x", nib="1" * 13)
    local = Organisation.objects.create(
        name="CV Lokal", slug="lokal", kind="processor", address="x", province="banten", japnas_number="J-1"
    )
    outside = Organisation.objects.create(
        name="PT Luar", slug="luar", kind="processor", address="x", province="jawa-barat", kecamatan=""
    )
    category = WasteCategory.objects.create(
        code="test-slag", name_id="Slag uji", name_en="Test slag", group="metals", hazardous="no", usual_unit="t"
    )
    now = timezone.now()
    for n, winner in enumerate((local, outside)):
        lot = WasteLot.objects.create(
            reference=f"WX-2026-9000{n}", plant=plant, title="Lot", category=category, description="d",
            physical_form="solid", packaging="bulk", quantity=10, unit="t", site_address="x",
            site_kecamatan="ciwandan", available_from=now.date(), closes_at=now - timedelta(days=1),
            status="awarded",
        )  # fmt: skip
        bid = Bid.objects.create(
            lot=lot, bidder=winner, price_per_unit=1000, quantity=10, pickup_date=now.date(), route="recycling",
            status="accepted",
        )  # fmt: skip
        Award.objects.create(lot=lot, bid=bid, reason="best-price", best_price=1000)
    VerificationEvent.objects.create(organisation=local, from_status="", to_status="unverified")
    VerificationEvent.objects.create(
        organisation=local, from_status="unverified", to_status="verified", actor=staff, reason="NIB ok"
    )
    Licence.objects.create(
        organisation=local, kind="pertek", number="P-1", issuer="KLHK", valid_from=now.date(),
        valid_until=now.date(), document="x.pdf", status="rejected", reviewed_by=staff, reviewed_at=now,
        review_note="Blurred",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Award = apps.get_model("listings", "Award")
    AuditEntry = apps.get_model("members", "AuditEntry")
    flags = {a.bid.bidder.slug: (a.processor_banten, a.processor_japnas) for a in Award.objects.all()}
    assert flags == {"lokal": (True, True), "luar": (False, False)}
    entries = {(e.kind, e.actor_id, e.reason) for e in AuditEntry.objects.all()}
    assert entries == {("organisation_verified", staff.pk, "NIB ok"), ("licence_rejected", staff.pk, "Blurred")}

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # The contracts migrations (listings 0014-0016) made each award a contract of one period that takes its lot.
    from listings.models import Award as LiveAward

    for award in LiveAward.objects.select_related("lot", "bid"):
        assert award.quantity == award.bid.quantity and award.lot.awarded_quantity == award.lot.quantity
        assert [(p.number, p.ends_on) for p in award.periods.all()] == [(1, None)]
