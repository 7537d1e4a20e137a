"""Benchmark of matching and fan-out (issue 5): `make bench` runs it after the page benchmark.

On a PostgreSQL database of its own (DATABASE_URL; `make bench` passes postgres://…/wastex_bench_matching) it
builds processors with capabilities (three categories each, radius 10–100 km, around Cilegon) and 50,000
saved searches, then times the match task for a newly published lot at 1,000 / 10,000 / 100,000 processors,
and the fan-out of one event to 10,000 people: the bulk insert of the inbox rows, then the e-mails rendered
and handed to the mail backend in batches over one connection (the in-memory backend: SMTP's own network
time is not ours to measure). One JSON line per measurement.
"""

import json
import os
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from bench.server import ensure_database

UNUSABLE = "!"  # an unusable password hash: bench people never log in
SIZES = (1_000, 10_000, 100_000)
SAVED_SEARCHES = 50_000
FAN_OUT = 10_000
CENTRE = (-6.00, 106.02)
RNG = random.Random(5)  # noqa: S311 - the same made-up data every run, nothing secret


class Command(BaseCommand):
    help = "Time the match task at 1k/10k/100k processors and the fan-out of 10,000 notifications."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
        parser.add_argument("--searches", type=int, default=SAVED_SEARCHES)
        parser.add_argument("--fan-out", type=int, default=FAN_OUT)
        parser.add_argument("--repeat", type=int, default=3, help="matches timed per size (the median is kept)")

    def handle(self, *args, **options):
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith(("postgres://", "postgresql://")):
            raise CommandError("bench_matching needs DATABASE_URL of a PostgreSQL database (make bench sets one).")
        ensure_database(url)
        call_command("migrate", verbosity=0)
        if connection.vendor != "postgresql":
            raise CommandError("bench_matching runs on PostgreSQL only.")
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        sizes = sorted(int(size) for size in options["sizes"].split(",") if size)
        plant = self._plant()
        self._shrink_to(sizes[0])
        self._searches(options["searches"])
        for size in sizes:
            self._processors(size)
            self._emit(self._time_match(plant, size, options["repeat"]))
        self._emit(self._time_fan_out(options["fan_out"]))

    def _emit(self, line: dict) -> None:
        self.stdout.write(json.dumps(line))

    # --- data -----------------------------------------------------------------------------------------------

    def _plant(self):
        from members.models import Organisation

        plant, _created = Organisation.objects.get_or_create(
            slug="bench-matching-plant",
            defaults={
                "name": "PT Bench Matching Plant",
                "kind": Organisation.Kind.PLANT,
                "nib": "9700000000001",
                "address": "Jl. Bench 1",
                "city": "Kota Cilegon",
                "kecamatan": "ciwandan",
                "province": "banten",
                "latitude": Decimal("-6.029"),
                "longitude": Decimal("105.956"),
                "verification_status": Organisation.Status.VERIFIED,
            },
        )
        return plant

    def _shrink_to(self, size: int) -> None:
        """Sizes grow from the smallest: processors left by an earlier, larger run are removed first."""
        from members.models import Organisation, User

        extra = Organisation.objects.filter(slug__startswith="bench-proc-").order_by("pk")[size:]
        ids = list(extra.values_list("pk", flat=True))
        if ids:
            User.objects.filter(membership__organisation_id__in=ids).delete()
            Organisation.objects.filter(pk__in=ids).delete()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")  # no dead rows of the larger run left to scan

    def _processors(self, size: int) -> None:
        """Grow the processors (each with one person and three capabilities) to `size`."""
        from listings.models import Capability, Route, WasteCategory
        from members.models import Membership, Organisation, User

        existing = Organisation.objects.filter(slug__startswith="bench-proc-").count()
        if existing >= size:
            return
        categories = list(WasteCategory.objects.values_list("pk", flat=True))
        routes = list(Route.values)
        started = time.perf_counter()
        for start in range(existing, size, 5_000):
            stop = min(start + 5_000, size)
            organisations = Organisation.objects.bulk_create(
                [
                    Organisation(
                        slug=f"bench-proc-{n}",
                        name=f"CV Bench Olah {n}",
                        kind=Organisation.Kind.PROCESSOR,
                        nib=f"{9800000000000 + n}",
                        address="Jl. Bench",
                        city="Kota Cilegon",
                        kecamatan="ciwandan",
                        province="banten" if n % 3 else "jawa-barat",
                        japnas_number=f"JPN-{n}" if n % 4 == 0 else "",
                        latitude=Decimal(f"{CENTRE[0] + RNG.uniform(-0.6, 0.6):.6f}"),
                        longitude=Decimal(f"{CENTRE[1] + RNG.uniform(-0.6, 0.6):.6f}"),
                        verification_status=(
                            Organisation.Status.VERIFIED if n % 10 else Organisation.Status.UNVERIFIED
                        ),
                    )
                    for n in range(start, stop)
                ]
            )
            users = User.objects.bulk_create(
                [
                    User(email=f"bench-proc-{n}@bench.test", full_name=f"Bench {n}", password=UNUSABLE)
                    for n in range(start, stop)
                ]
            )
            Membership.objects.bulk_create(
                [
                    Membership(user=user, organisation=org, role=Membership.Role.ADMIN)
                    for user, org in zip(users, organisations, strict=True)
                ]
            )
            Capability.objects.bulk_create(
                [
                    Capability(
                        organisation=org,
                        category_id=category_id,
                        route=RNG.choice(routes),
                        capacity_tonnes_per_month=Decimal(RNG.choice([20, 50, 100, 500, 2000])),
                        latitude=org.latitude,
                        longitude=org.longitude,
                        radius_km=RNG.randint(10, 100),
                    )
                    for org in organisations
                    for category_id in RNG.sample(categories, 3)
                ]
            )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stderr.write(f"processors: {existing} → {size} in {time.perf_counter() - started:.1f} s")

    def _searches(self, count: int) -> None:
        from listings.models import SavedSearch, WasteCategory
        from members.models import User

        existing = SavedSearch.objects.count()
        if existing >= count:
            return
        owners = list(User.objects.filter(email__endswith="@watch.bench.test").values_list("pk", flat=True))
        if len(owners) < 5_000:
            User.objects.bulk_create(
                [
                    User(email=f"watch-{n}@watch.bench.test", full_name=f"Watcher {n}", password=UNUSABLE)
                    for n in range(len(owners), 5_000)
                ]
            )
            owners = list(User.objects.filter(email__endswith="@watch.bench.test").values_list("pk", flat=True))
        categories = list(WasteCategory.objects.values_list("pk", "group"))
        words = ["slag", "baja", "oli", "abu", "scrap", "plastik", "kayu", "sludge", "aluminium", ""]
        rows = []
        for n in range(existing, count):
            category_id, group = RNG.choice(categories)
            kind = n % 4
            rows.append(
                SavedSearch(
                    user_id=owners[n % len(owners)],
                    name=f"Alert {n}",
                    query=f"bench={n}",
                    category_id=category_id if kind == 0 else None,
                    group=group if kind == 1 else "",
                    terms=RNG.choice(words) if kind in (2, 3) else "",
                    quantity_min=Decimal(RNG.choice([1, 10, 50, 100])) if kind == 3 else None,
                )
            )
        SavedSearch.objects.bulk_create(rows, batch_size=5_000)

    # --- measurements ---------------------------------------------------------------------------------------

    def _new_lot(self, plant, n: int):
        from listings.models import WasteCategory, WasteLot

        category = WasteCategory.objects.get(code="steel-slag")
        lot = WasteLot(
            reference=f"WX-BM-{int(time.time() * 1000) % 10**9:09d}-{n}",
            plant=plant,
            title="Slag baja bench",
            category=category,
            description="Bench lot",
            physical_form="solid",
            packaging="bulk",
            quantity=Decimal("40"),
            unit="t",
            site_address="Jl. Bench",
            site_kecamatan="ciwandan",
            latitude=plant.latitude,
            longitude=plant.longitude,
            available_from=timezone.localdate(),
            closes_at=timezone.now() + timedelta(days=7),
            status=WasteLot.Status.OPEN,
            published_at=timezone.now(),
            reserve_price=50_000,
        )
        lot.save()
        return lot

    def _time_match(self, plant, size: int, repeat: int) -> dict:
        from listings import scoring
        from listings.services import matching
        from members import notifications
        from members.models import Notification

        timings, result = [], {}
        original = notifications.queue_emails
        notifications.queue_emails = lambda *args, **kwargs: None  # e-mail is timed in the fan-out
        try:
            parts = {"find_ms": [], "saved_searches_ms": []}
            for n in range(repeat):
                lot = self._new_lot(plant, n)
                lot = type(lot).objects.select_related("category", "plant").get(pk=lot.pk)
                started = time.perf_counter()
                scoring.find_matches(lot, banten_only=False)
                parts["find_ms"].append(time.perf_counter() - started)
                started = time.perf_counter()
                scoring.saved_search_recipients(lot, banten_only=False)
                parts["saved_searches_ms"].append(time.perf_counter() - started)
                started = time.perf_counter()
                result = matching.match_lot(lot.pk)
                timings.append(time.perf_counter() - started)
        finally:
            notifications.queue_emails = original
        Notification.objects.filter(key__startswith="new_match:").delete()
        timings.sort()
        return {
            "benchmark": "match_lot",
            "processors": size,
            "saved_searches": SAVED_SEARCHES,
            "ms_median": round(timings[len(timings) // 2] * 1000, 1),
            **{name: round(sorted(values)[len(values) // 2] * 1000, 1) for name, values in parts.items()},
            "ms_max": round(timings[-1] * 1000, 1),
            "matches": result.get("matches"),
            "notified": result.get("notified"),
        }

    def _time_fan_out(self, count: int) -> dict:
        from django.core import mail

        from members import notifications
        from members.models import Event, Notification, User

        recipients = list(User.objects.filter(email__startswith="bench-proc-").values_list("pk", flat=True)[:count])
        key = f"bench-fan-out:{time.time_ns()}"
        original = notifications.queue_emails
        notifications.queue_emails = lambda *args, **kwargs: None
        try:
            started = time.perf_counter()
            with transaction.atomic():
                notifications.deliver(
                    Event.NEW_MATCH, key, recipients, {"reference": "WX-BENCH", "title": "Fan-out"}, "/lots/"
                )
            inserted = time.perf_counter() - started
        finally:
            notifications.queue_emails = original
        mail.outbox = []
        started = time.perf_counter()
        batches = 0
        while True:
            counts = notifications.send_pending_emails(key)
            batches += 1
            if not counts["more"]:
                break
        sent = time.perf_counter() - started
        emails = len(mail.outbox)
        Notification.objects.filter(key=key).delete()
        return {
            "benchmark": "fan_out",
            "recipients": len(recipients),
            "insert_ms": round(inserted * 1000, 1),
            "emails": emails,
            "email_batches": batches,
            "emails_per_s": round(emails / sent, 1) if sent else None,
        }
