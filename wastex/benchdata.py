"""Synthetic data for `manage.py bench`: plants, processors, people, many waste lots with their timelines, and
bids on them with their first revision, awards and ratings.

Built for PostgreSQL only, fast: organisations, people, memberships and licences through bulk_create, lots,
lot transitions, bids, awards and ratings through COPY, bid revisions by one INSERT ... SELECT (the models'
save() is bypassed, so `search_document` is filled here exactly as WasteLot.save() fills it). Everything is
deterministic (a fixed seed), clearly fictional ("(Bench)" names, NIBs starting with 97, e-mail addresses at
bench.test), and only the rows this module made are ever deleted: the benchmark may point at a database that
holds other data too.

Some rows are pinned, so that the benchmark finds them again without keeping any state of its own:
- people: processor@ (the viewer of the browse pages, no bids), bidder@ (a processor with BIDDER_BIDS bids),
  few-bids@ (a processor with FEW_BIDS bids) and plant@ (the plant that owns the pinned lots);
- the first three bench lots by id, all open, open bidding, closing in PINNED_LOT_DAYS days: the bids page
  lot (HOT_LOT_BIDS live bids, hazardous, so every bid carries a licence), a lot of the same kind with
  SMALL_LOT_BIDS bids (to show that the page's query count does not grow with the data) and the lot the
  benchmark places bids on (no bids of its own: the benchmark empties it before each run).
"""

import io
import itertools
import math
import random
import time
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from dashboard import rollups
from dashboard.services import deals_refresh_all
from listings.models import (
    Award,
    Bid,
    BidRevision,
    LotReferenceCounter,
    LotTransition,
    Rating,
    Route,
    WasteCategory,
    WasteLot,
)
from members.choices import Kecamatan, Province
from members.models import Licence, Membership, Organisation, User

SLUG_PREFIX = "bench-"
EMAIL_DOMAIN = "bench.test"
VIEWER_EMAIL = f"processor@{EMAIL_DOMAIN}"
BIDDER_EMAIL = f"bidder@{EMAIL_DOMAIN}"
FEW_BIDS_EMAIL = f"few-bids@{EMAIL_DOMAIN}"
PLANT_EMAIL = f"plant@{EMAIL_DOMAIN}"
# The official who opens the dashboard: a verified authority of its own (made apart, after the others).
OFFICIAL_EMAIL = f"official@{EMAIL_DOMAIN}"
AUTHORITY_SLUG = f"{SLUG_PREFIX}authority"
# Whose administrator gets which pinned address (the others are <slug without the prefix>@bench.test).
PINNED_PEOPLE = {
    f"{SLUG_PREFIX}plant-0001": PLANT_EMAIL,
    f"{SLUG_PREFIX}processor-0001": VIEWER_EMAIL,
    f"{SLUG_PREFIX}processor-0002": BIDDER_EMAIL,
    f"{SLUG_PREFIX}processor-0003": FEW_BIDS_EMAIL,
}
SEED = 2026
PLANTS = 400
PROCESSORS = 1000
MAX_AGE = timedelta(days=1)

BIDS = 1_000_000
HOT_LOT_BIDS = 500
SMALL_LOT_BIDS = 5
BIDDER_BIDS = 5_000
FEW_BIDS = 5
# Processors that place bids at once on the placing lot: one per connection of the load generator.
PLACERS = 16
# The pinned lots (the first bench lots by id), in this order.
PINNED_LOTS = ("bids", "bids-small", "place")
PINNED_LOT_DAYS = 25
# Share of withdrawn bids; of decided lots, how often the best price wins.
WITHDRAWN_SHARE = 0.06
BEST_PRICE_WINS = 0.75
ROUTE_WEIGHTS = {
    Route.REUSE: 10,
    Route.RECYCLING: 35,
    Route.MATERIAL_RECOVERY: 20,
    Route.ENERGY_RECOVERY: 15,
    Route.TREATMENT: 12,
    Route.DISPOSAL: 8,
}
BID_NOTES = [
    "Armada sendiri, siap angkut dalam 3 hari kerja.",
    "Harga termasuk biaya angkut ke fasilitas kami.",
    "Perlu uji sampel sebelum pengambilan.",
    "Bisa ambil bertahap sesuai jadwal pabrik.",
]

# Rough centres of the eight kecamatan of Kota Cilegon (latitude, longitude).
KECAMATAN_CENTRES = {
    Kecamatan.CIBEBER: (-6.035, 106.060),
    Kecamatan.CILEGON: (-6.005, 106.040),
    Kecamatan.CITANGKIL: (-6.023, 106.019),
    Kecamatan.CIWANDAN: (-6.029, 105.956),
    Kecamatan.GROGOL: (-5.998, 105.981),
    Kecamatan.JOMBANG: (-6.010, 106.050),
    Kecamatan.PULOMERAK: (-5.935, 106.004),
    Kecamatan.PURWAKARTA: (-5.985, 106.030),
}
# Processors outside Kota Cilegon: city, province, centre.
ELSEWHERE_BANTEN = [
    ("Kabupaten Serang", Province.BANTEN, (-6.085, 106.110)),
    ("Kota Serang", Province.BANTEN, (-6.120, 106.150)),
    ("Kota Tangerang", Province.BANTEN, (-6.178, 106.630)),
    ("Kabupaten Pandeglang", Province.BANTEN, (-6.310, 106.100)),
]
OUTSIDE_BANTEN = [
    ("Kabupaten Karawang", Province.JAWA_BARAT, (-6.320, 107.300)),
    ("Kabupaten Bekasi", Province.JAWA_BARAT, (-6.250, 107.100)),
    ("Jakarta Utara", Province.DKI_JAKARTA, (-6.130, 106.880)),
    ("Kota Semarang", Province.JAWA_TENGAH, (-6.990, 110.420)),
    ("Kabupaten Gresik", Province.JAWA_TIMUR, (-7.160, 112.650)),
    ("Kota Batam", Province.KEPULAUAN_RIAU, (1.080, 104.030)),
]

PLANT_WORDS = ["Baja", "Kimia", "Petrokimia", "Logam", "Energi", "Semen", "Polimer", "Klor Alkali", "Pupuk", "Kertas"]
PROCESSOR_WORDS = ["Daur Ulang", "Olah Limbah", "Mitra Logam", "Pengolah B3", "Plastik", "Arang", "Beton", "Oli"]
PLACE_WORDS = ["Nusantara", "Selat Sunda", "Krakatau", "Anyer", "Banten Raya", "Merak", "Teluk", "Mandiri", "Jaya"]
FIRST_NAMES = ["Budi", "Siti", "Agus", "Rina", "Dedi", "Maya", "Yusuf", "Lina", "Hendra", "Dewi", "Fajar", "Nurul"]
LAST_NAMES = ["Santoso", "Rahmawati", "Salim", "Hartono", "Kurniawan", "Lestari", "Hidayat", "Wijaya", "Nugroho"]

# How often each status appears besides the completed deals: most lots are open, the rest spread over the
# lot life.
STATUS_WEIGHTS = [
    (WasteLot.Status.OPEN, 60),
    (WasteLot.Status.DRAFT, 8),
    (WasteLot.Status.CLOSED, 7),
    (WasteLot.Status.AWARDED, 6),
    (WasteLot.Status.COLLECTED, 4),
    (WasteLot.Status.CANCELLED, 4),
    (WasteLot.Status.UNAWARDED, 3),
]
# The dashboard's history (issue 6): 30 % of the lots are completed deals (30,000 of 100,000), awarded and
# completed over the last DEAL_MONTHS months.
COMPLETED_SHARE = 0.3
DEAL_MONTHS = 24
# Every MISMATCH_EVERY-th completed deal lost 5 % on the way (the handover is flagged); the others 0.5 %.
MISMATCH_EVERY = 20
# Cilegon's heavy industry: slag, scrap, ash and oil are common; the rest less so (default weight 2).
CATEGORY_WEIGHTS = {
    "steel-slag": 9,
    "bf-slag": 6,
    "mill-scale": 4,
    "eaf-dust": 3,
    "fly-ash-pltu": 5,
    "bottom-ash-pltu": 4,
    "ferrous-scrap": 8,
    "aluminium-scrap": 3,
    "copper-scrap": 2,
    "used-lube-oil": 6,
    "spent-solvents": 3,
    "spent-catalyst": 3,
    "plastic-film": 3,
    "b3-packaging": 3,
}
GROUP_PHRASES = {
    "metals": "Skrap dan material logam sudah dipilah, bebas kontaminan oli, siap ditimbang di jembatan timbang.",
    "slags-and-ashes": "Cocok sebagai bahan baku semen, agregat jalan atau batako; hasil uji TCLP tersedia.",
    "oils-and-solvents": "Disimpan dalam drum tertutup di TPS limbah B3; manifest elektronik (Festronik) disiapkan.",
    "chemicals": "Lembar data keselamatan (SDS) dan hasil analisis laboratorium terlampir.",
    "plastics": "Sudah dipres dalam bal, relatif bersih, kadar air rendah.",
    "paper": "Sudah dipres dalam bal, kering, tersimpan di gudang beratap.",
    "wood": "Sebagian masih layak pakai, sisanya untuk cacahan atau bahan bakar biomassa.",
    "construction-minerals": "Bisa dimanfaatkan kembali sebagai material konstruksi setelah uji karakteristik.",
    "electronics": "Harus diolah oleh pengolah berizin; berita acara serah terima wajib.",
    "organics": "Dikumpulkan harian, cocok untuk kompos atau biogas.",
    "other": "Detail komposisi dapat dibicarakan saat inspeksi lokasi.",
}
TITLE_PATTERNS = [
    "{name}, {qty} {unit} di {kec}",
    "{name} siap angkut dari stockyard {kec}",
    "Jual {name} ex {plant}",
    "{name} dari lini produksi, {qty} {unit}",
    "Penawaran {name} kualitas campuran",
]
CONDITIONS = ["kering", "sedikit lembap", "tercampur debu", "bersih", "sudah dipilah", "belum dipilah"]
DAY = timedelta(days=1)


def _rng() -> random.Random:
    return random.Random(SEED)  # noqa: S311 - reproducible fake data, not secrets


def bench_plant_ids():
    return Organisation.objects.filter(slug__startswith=SLUG_PREFIX).values("id")


def bench_lot_count() -> int:
    return WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).count()


def why_build(target_lots: int) -> str | None:
    """Why the data must be (re)built, or None when it is there and fresh. Deadlines are relative to the day
    of the build, so data older than MAX_AGE is rebuilt: otherwise open lots would drift past their deadlines
    from one run to the next and the runs would not compare."""
    viewer = User.objects.filter(email=VIEWER_EMAIL).first()
    if viewer is None:
        return "no benchmark data yet"
    if not User.objects.filter(email=PLANT_EMAIL).exists():
        return f"the data was made by an earlier version (no {PLANT_EMAIL}, no pinned lots)"
    count = bench_lot_count()
    if count < target_lots:
        return f"{count} benchmark lots, {target_lots} wanted"
    completed = WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, status=WasteLot.Status.COMPLETED).count()
    if completed < round(target_lots * COMPLETED_SHARE):
        return f"{completed} completed deals, {round(target_lots * COMPLETED_SHARE)} wanted (the dashboard's history)"
    age = timezone.now() - viewer.date_joined
    if age > MAX_AGE:
        return f"the data was built {age.days} day(s) ago"
    return None


BENCH_LOTS_SQL = (
    "SELECT l.id FROM listings_wastelot l JOIN members_organisation o ON o.id = l.plant_id WHERE o.slug LIKE %s"
)
BENCH_ORGANISATIONS_SQL = "SELECT id FROM members_organisation WHERE slug LIKE %s"
BENCH_BIDS_SQL = (
    f"SELECT id FROM listings_bid WHERE lot_id IN ({BENCH_LOTS_SQL}) OR bidder_id IN ({BENCH_ORGANISATIONS_SQL})"  # noqa: S608
)


def wipe_bids() -> bool:
    """Delete the bids on bench lots or by bench processors, with their revisions and awards, the ratings of
    bench lots and the bench licences (TRUNCATE when there are no others, the usual case). True when there
    are others."""
    pattern = SLUG_PREFIX + "%"
    # Bids and ratings other than ours can only be on other lots or by other organisations.
    others = (
        WasteLot.objects.exclude(plant__slug__startswith=SLUG_PREFIX).exists()
        or Organisation.objects.exclude(slug__startswith=SLUG_PREFIX).filter(bids__isnull=False).exists()
    )
    with connection.cursor() as cursor:
        if not others:
            cursor.execute("TRUNCATE listings_bid, listings_rating CASCADE")  # with revisions and awards
        else:
            for table, column, subquery, count in (
                ("listings_bidrevision", "bid_id", BENCH_BIDS_SQL, 2),
                ("listings_award", "bid_id", BENCH_BIDS_SQL, 2),
                ("listings_bid", "id", BENCH_BIDS_SQL, 2),
                ("listings_rating", "lot_id", BENCH_LOTS_SQL, 1),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({subquery})", [pattern] * count)  # noqa: S608
    Licence.objects.filter(organisation__slug__startswith=SLUG_PREFIX).delete()
    return others


def wipe() -> None:
    """Delete only what this module made (SQL, not the ORM: a cascade over 100,000 lots in Python is slow).

    When every lot is a bench lot, TRUNCATE ... CASCADE empties the lot tables and whatever refers to them
    (transitions, attachments, bids, revisions, awards, handovers, ratings) in one step."""
    others = WasteLot.objects.exclude(plant__slug__startswith=SLUG_PREFIX).exists()
    with connection.cursor() as cursor:
        if not others:
            cursor.execute(f"TRUNCATE {WasteLot._meta.db_table} CASCADE")
        else:
            wipe_bids()
            for table, column in (
                ("dashboard_deal", "lot_id"),
                ("listings_handover", "lot_id"),
                ("listings_lottransition", "lot_id"),
                ("listings_lotattachment", "lot_id"),
                ("listings_wastelot", "id"),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({BENCH_LOTS_SQL})", [SLUG_PREFIX + "%"])  # noqa: S608
    Licence.objects.filter(organisation__slug__startswith=SLUG_PREFIX).delete()
    Membership.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN).delete()
    User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).delete()
    Organisation.objects.filter(slug__startswith=SLUG_PREFIX).delete()


def _jitter(rng, centre, spread):
    return (
        Decimal(f"{centre[0] + rng.uniform(-spread, spread):.6f}"),
        Decimal(f"{centre[1] + rng.uniform(-spread, spread):.6f}"),
    )


def _person(rng) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _organisations(rng, now):
    """400 plants across the eight kecamatan, 1,000 processors (Cilegon, elsewhere in Banten, outside)."""
    kecamatan = list(KECAMATAN_CENTRES)
    rows = []
    for i in range(PLANTS):
        kec = kecamatan[i % len(kecamatan)]
        lat, lon = _jitter(rng, KECAMATAN_CENTRES[kec], 0.012)
        roll = rng.random()
        # The first plant owns the pinned lots: always verified.
        status = Organisation.Status.VERIFIED if i == 0 or roll < 0.95 else Organisation.Status.UNVERIFIED
        rows.append(
            Organisation(
                name=f"PT {rng.choice(PLANT_WORDS)} {rng.choice(PLACE_WORDS)} {i + 1} (Bench)",
                slug=f"{SLUG_PREFIX}plant-{i + 1:04d}",
                kind=Organisation.Kind.PLANT,
                nib=f"97{i + 1:011d}",
                address=f"Jl. Kawasan Industri {kec.label} No. {rng.randint(1, 200)}",
                city="Kota Cilegon",
                kecamatan=kec,
                province=Province.BANTEN,
                latitude=lat,
                longitude=lon,
                phone=f"+62 254 {rng.randint(300, 399)} {rng.randint(1000, 9999)}",
                verification_status=status,
                verified_at=now - rng.uniform(30, 400) * DAY if status == Organisation.Status.VERIFIED else None,
            )
        )
    for i in range(PROCESSORS):
        where = rng.random()
        if i == 0 or where < 0.5:  # the first is the viewer's: verified, in Cilegon, with coordinates
            kec = Kecamatan.CIBEBER if i == 0 else rng.choice(kecamatan)
            city, province, centre = "Kota Cilegon", Province.BANTEN, KECAMATAN_CENTRES[kec]
        elif where < 0.75:
            kec = ""
            city, province, centre = rng.choice(ELSEWHERE_BANTEN)
        else:
            kec = ""
            city, province, centre = rng.choice(OUTSIDE_BANTEN)
        lat, lon = _jitter(rng, centre, 0.03) if i == 0 or rng.random() < 0.9 else (None, None)
        banten = province == Province.BANTEN
        japnas = ""
        if i == 0 or rng.random() < (0.45 if banten else 0.1):
            japnas = f"JPN-{'BTN' if banten else 'NAS'}-{i + 1:04d}"
        roll = rng.random()
        if i <= 2 or roll < 0.85:  # the viewer, the bidder and the few-bids processor are verified
            status = Organisation.Status.VERIFIED
        elif roll < 0.95:
            status = Organisation.Status.UNVERIFIED
        else:
            status = Organisation.Status.REJECTED
        rows.append(
            Organisation(
                name=f"{rng.choice(['PT', 'CV', 'UD'])} {rng.choice(PROCESSOR_WORDS)} {rng.choice(PLACE_WORDS)} "
                f"{i + 1} (Bench)",
                slug=f"{SLUG_PREFIX}processor-{i + 1:04d}",
                kind=Organisation.Kind.PROCESSOR,
                nib=f"97{PLANTS + i + 1:011d}",
                address=f"Jl. Raya {city.split()[-1]} Km {rng.randint(1, 40)}",
                city=city,
                kecamatan=kec,
                province=province,
                latitude=lat,
                longitude=lon,
                japnas_number=japnas,
                phone=f"+62 21 {rng.randint(5000, 8999)} {rng.randint(1000, 9999)}",
                verification_status=status,
                verified_at=now - rng.uniform(30, 400) * DAY if status == Organisation.Status.VERIFIED else None,
            )
        )
    return Organisation.objects.bulk_create(rows, batch_size=1000)


def _people(rng, organisations):
    """One administrator per organisation; the pinned ones (PINNED_PEOPLE) are those the benchmark signs in as."""
    unusable = make_password(None)
    users = []
    for organisation in organisations:
        email = PINNED_PEOPLE.get(organisation.slug) or f"{organisation.slug.removeprefix(SLUG_PREFIX)}@{EMAIL_DOMAIN}"
        users.append(User(email=email, full_name=_person(rng), password=unusable, language="id"))
    users = User.objects.bulk_create(users, batch_size=1000)
    Membership.objects.bulk_create(
        [
            Membership(user=user, organisation=organisation, role=Membership.Role.ADMIN)
            for user, organisation in zip(users, organisations, strict=True)
        ],
        batch_size=1000,
    )
    return {organisation.pk: user.pk for user, organisation in zip(users, organisations, strict=True)}


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _copy(model, columns: list[str], rows) -> None:
    """COPY rows (tuples in `columns` order) into the model's table."""
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join(map(_copy_value, row)))
        buffer.write("\n")
    _copy_buffer(model, columns, buffer)


def _copy_buffer(model, columns: list[str], buffer: io.StringIO) -> None:
    """COPY lines in PostgreSQL's text format into the model's table."""
    buffer.seek(0)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, buffer)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())


def _price(rng, category) -> int | None:
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.10:
        return 0
    scale = {"t": (10_000, 5_000_000), "kg": (100, 25_000), "L": (300, 6_000), "m3": (20_000, 400_000)}
    low, high = scale.get(category.usual_unit, (5_000, 250_000))
    amount = round(math.exp(rng.uniform(math.log(low), math.log(high))), -2 if high > 10_000 else 0)
    if category.hazardous == WasteCategory.Hazard.YES:
        gate_fee = rng.random() < 0.85
    elif category.hazardous == WasteCategory.Hazard.DEPENDS:
        gate_fee = rng.random() < 0.5
    else:
        gate_fee = rng.random() < 0.1
    return -int(amount) if gate_fee else int(amount)


def _form_and_packaging(rng, category):
    if category.usual_unit == "L":
        return WasteLot.PhysicalForm.LIQUID, rng.choice([WasteLot.Packaging.DRUM, WasteLot.Packaging.IBC])
    if category.code in ("wwtp-sludge", "spent-bleaching-earth"):
        return WasteLot.PhysicalForm.SLUDGE, rng.choice([WasteLot.Packaging.JUMBO_BAG, WasteLot.Packaging.DRUM])
    if category.code in ("fly-ash-pltu", "boiler-fly-ash", "eaf-dust", "fgd-gypsum"):
        return WasteLot.PhysicalForm.POWDER, rng.choice([WasteLot.Packaging.BULK, WasteLot.Packaging.JUMBO_BAG])
    if category.usual_unit == "unit":
        return WasteLot.PhysicalForm.SOLID, WasteLot.Packaging.OTHER
    return WasteLot.PhysicalForm.SOLID, rng.choice(
        [WasteLot.Packaging.BULK, WasteLot.Packaging.BULK, WasteLot.Packaging.JUMBO_BAG, WasteLot.Packaging.OTHER]
    )


def _timeline(rng, status, now):
    """(published_at, closes_at, statuses with their times) for a lot that has reached `status`."""
    S = WasteLot.Status
    if status == S.OPEN:
        published = now - rng.uniform(0.02, 60) * DAY
        closes = now + rng.uniform(1 / 24, 30) * DAY
    elif status == S.DRAFT:
        published, closes = None, now + rng.uniform(3, 45) * DAY
    elif status == S.CANCELLED and rng.random() < 0.5:
        published, closes = None, now + rng.uniform(-20, 30) * DAY
    elif status == S.COMPLETED:
        # Completed (up to about 18 days after closing) at any time over the last DEAL_MONTHS months.
        closes = now - rng.uniform(19, DEAL_MONTHS * 30.4) * DAY
        published = closes - rng.uniform(3, 30) * DAY
    else:
        closes = now - rng.uniform(1 / 24, 90) * DAY
        published = closes - rng.uniform(3, 30) * DAY
    created = (published or now) - rng.uniform(1 / 24, 7) * DAY
    steps = [(S.DRAFT, created)]
    if published:
        steps.append((S.OPEN, published))
    if status in (S.CLOSED, S.AWARDED, S.COLLECTED, S.COMPLETED, S.UNAWARDED):
        steps.append((S.CLOSED, closes))
    if status in (S.AWARDED, S.COLLECTED, S.COMPLETED):
        steps.append((S.AWARDED, closes + rng.uniform(0.1, 3) * DAY))
    if status in (S.COLLECTED, S.COMPLETED):
        steps.append((S.COLLECTED, steps[-1][1] + rng.uniform(1, 10) * DAY))
    if status == S.COMPLETED:
        steps.append((S.COMPLETED, steps[-1][1] + rng.uniform(1, 5) * DAY))
    if status == S.UNAWARDED:
        steps.append((S.UNAWARDED, closes + rng.uniform(0.5, 5) * DAY))
    if status == S.CANCELLED:
        steps.append((S.CANCELLED, min(now, steps[-1][1] + rng.uniform(0.1, 10) * DAY)))
    return published, closes, [(step, min(when, now)) for step, when in steps]


CLOSED_STATUSES = {"closed", "awarded", "collected", "completed", "unawarded"}
# The bids page lots are hazardous (each bid shows its licence); the placing lot needs no licence.
PINNED_CATEGORIES = {"bids": "used-lube-oil", "bids-small": "used-lube-oil", "place": "steel-slag"}


def _defaults_of_fields_added_later(fields, known) -> dict:
    """A field added to a model after this generator was written gets its default, or NULL; a required field
    without either stops the build with a message saying where to add it."""
    defaults = {}
    for field in fields:
        if field.attname in known:
            continue
        if field.has_default():
            defaults[field.attname] = field.get_default()
        elif field.null:
            defaults[field.attname] = None
        else:
            raise RuntimeError(
                f"{field.model.__name__}.{field.name} is required and has no default: give it a value in "
                "wastex/benchdata.py."
            )
    return defaults


def _pinned_lot(kind, plant, user_id, category, now):
    """The values of a pinned lot (see the module's docstring), without random draws: the lots after it stay
    exactly as the seed makes them. Returns (values to override, timeline)."""
    published = now - 3 * DAY
    created = published - timedelta(hours=2)
    hazardous = category.hazardous == WasteCategory.Hazard.YES
    quantity = Decimal("12000.000") if hazardous else Decimal("850.000")
    unit = WasteCategory.Unit(category.usual_unit).label
    kec = Kecamatan(plant.kecamatan)
    title = TITLE_PATTERNS[0].format(
        name=category.name_id, qty=f"{quantity:,.0f}".replace(",", "."), unit=unit, kec=kec.label, plant=plant.name
    )[:200]
    description = (
        f"{category.name_id} ({category.name_en}) dari {plant.name}. Kondisi {CONDITIONS[3]}. "
        f"Lokasi pengambilan di Kecamatan {kec.label}, Kota Cilegon.\n{GROUP_PHRASES.get(category.group, '')}\n"
        f"Data benchmark WasteX ({kind}), bukan penawaran nyata."
    )
    liquid = category.usual_unit == "L"
    values = {
        "plant_id": plant.pk,
        "created_by_id": user_id,
        "title": title,
        "category_id": category.pk,
        "description": description,
        "physical_form": WasteLot.PhysicalForm.LIQUID if liquid else WasteLot.PhysicalForm.SOLID,
        "packaging": WasteLot.Packaging.DRUM if liquid else WasteLot.Packaging.BULK,
        "quantity": quantity,
        "unit": category.usual_unit,
        "is_recurring": False,
        "frequency": "",
        "quantity_per_period": None,
        "contract_months": None,
        "composition": "",
        "site_address": plant.address,
        "site_kecamatan": plant.kecamatan,
        "latitude": plant.latitude,
        "longitude": plant.longitude,
        "available_from": created.date(),
        "available_until": None,
        "closes_at": now + PINNED_LOT_DAYS * DAY,
        "inspection_from": None,
        "inspection_until": None,
        "bidding_mode": WasteLot.BiddingMode.OPEN,
        "reserve_price": -2_500 if hazardous else 350_000,
        "local_first_days": 0,
        "lab_certificate_expires": (now + 200 * DAY).date() if hazardous else None,
        "local_first_until": None,
        "status": WasteLot.Status.OPEN,
        "published_at": published,
        "created_at": created,
        "updated_at": published,
        "bids_opened_at": None,
        "search_document": " ".join(
            filter(
                None, [title, description, category.name_id, category.name_en, category.indonesian_code, category.code]
            )
        ),
    }
    return values, [(WasteLot.Status.DRAFT, created), (WasteLot.Status.OPEN, published)]


def _lots(rng, now, count, plants, user_of, first_number, first_id, first_transition_id):
    year = timezone.localdate().year
    categories = list(WasteCategory.objects.order_by("code"))
    by_code = {c.code: c for c in categories}
    pinned_plant = next(p for p in plants if p.slug == f"{SLUG_PREFIX}plant-0001")
    category_weights = [CATEGORY_WEIGHTS.get(c.code, 2) for c in categories]
    statuses, status_weights = zip(*STATUS_WEIGHTS, strict=True)
    # Generated columns (Django's GeneratedField) are computed by PostgreSQL and cannot be copied into.
    fields = [f for f in WasteLot._meta.concrete_fields if not getattr(f, "generated", False)]
    columns = [f.column for f in fields]
    defaults = None
    lot_rows, transition_rows = [], []
    transition_id = first_transition_id
    chosen_categories = rng.choices(categories, category_weights, k=count)
    completed = round(count * COMPLETED_SHARE)
    chosen_statuses = rng.choices(statuses, status_weights, k=count - completed)
    chosen_statuses += [WasteLot.Status.COMPLETED] * completed
    rng.shuffle(chosen_statuses)
    # The pinned lots (the first ones) are open whatever was drawn: keep the completed deals off them.
    for n in range(min(len(PINNED_LOTS), count)):
        if chosen_statuses[n] == WasteLot.Status.COMPLETED:
            swap = next(i for i in range(len(PINNED_LOTS), count) if chosen_statuses[i] != WasteLot.Status.COMPLETED)
            chosen_statuses[n], chosen_statuses[swap] = chosen_statuses[swap], chosen_statuses[n]
    for n in range(count):
        category, status, plant = chosen_categories[n], chosen_statuses[n], rng.choice(plants)
        lot_id = first_id + n
        published, closes, steps = _timeline(rng, status, now)
        created = steps[0][1]
        quantity = Decimal(f"{math.exp(rng.uniform(math.log(0.5), math.log(50_000))):.3f}")
        recurring = rng.random() < 0.2
        frequency = quantity_per_period = months = None
        if recurring:
            frequency = rng.choice(list(WasteLot.Frequency)).value
            months = rng.choice([3, 6, 12, 24])
            periods = {"weekly": months * 4, "monthly": months, "quarterly": max(months // 3, 1)}[frequency]
            quantity_per_period = max(Decimal(f"{quantity / periods:.3f}"), Decimal("0.001"))
        physical_form, packaging = _form_and_packaging(rng, category)
        local_first_days = rng.choice([0, 0, 3, 7])
        lat, lon = (None, None)
        if plant.latitude is not None and rng.random() < 0.95:
            lat = Decimal(f"{float(plant.latitude) + rng.uniform(-0.004, 0.004):.6f}")
            lon = Decimal(f"{float(plant.longitude) + rng.uniform(-0.004, 0.004):.6f}")
        kec = Kecamatan(plant.kecamatan)
        unit = WasteCategory.Unit(category.usual_unit).label
        title = rng.choice(TITLE_PATTERNS).format(
            name=category.name_id,
            qty=f"{quantity:,.0f}".replace(",", "."),
            unit=unit,
            kec=kec.label,
            plant=plant.name.removesuffix(" (Bench)"),
        )[:200]
        description = (
            f"{category.name_id} ({category.name_en}) dari {plant.name}. Kondisi {rng.choice(CONDITIONS)}. "
            f"Lokasi pengambilan di Kecamatan {kec.label}, Kota Cilegon.\n{GROUP_PHRASES.get(category.group, '')}\n"
            "Data benchmark WasteX, bukan penawaran nyata."
        )
        inspection_from = inspection_until = None
        if rng.random() < 0.3:
            inspection_from = closes - rng.uniform(3, 6) * DAY
            inspection_until = inspection_from + timedelta(hours=rng.choice([4, 8, 24]))
        available_from = created.date()
        values = {
            "id": lot_id,
            "reference": f"WX-{year}-{first_number + n:05d}",
            "plant_id": plant.pk,
            "created_by_id": user_of[plant.pk],
            "title": title,
            "category_id": category.pk,
            "description": description,
            "physical_form": physical_form,
            "packaging": packaging,
            "quantity": quantity,
            "unit": category.usual_unit,
            "is_recurring": recurring,
            "frequency": frequency or "",
            "quantity_per_period": quantity_per_period,
            "contract_months": months,
            "composition": "Fe total 55-70 %, H2O < 5 % (contoh)." if category.group == "metals" else "",
            "site_address": plant.address,
            "site_kecamatan": plant.kecamatan,
            "latitude": lat,
            "longitude": lon,
            "available_from": available_from,
            "available_until": available_from + rng.randint(30, 180) * DAY if rng.random() < 0.7 else None,
            "closes_at": closes,
            "inspection_from": inspection_from,
            "inspection_until": inspection_until,
            "bidding_mode": rng.choice(list(WasteLot.BiddingMode)),
            "reserve_price": _price(rng, category),
            "local_first_days": local_first_days,
            "lab_certificate_expires": (now + rng.randint(-30, 365) * DAY).date()
            if category.hazardous != WasteCategory.Hazard.NO
            else None,
            "local_first_until": published + local_first_days * DAY if published and local_first_days else None,
            "status": status,
            "published_at": published,
            "created_at": created,
            "updated_at": steps[-1][1],
            # Sealed bids are opened when the lot closes.
            "bids_opened_at": closes if status in CLOSED_STATUSES else None,
            # As WasteLot.save() builds it.
            "search_document": " ".join(
                filter(
                    None,
                    [title, description, category.name_id, category.name_en, category.indonesian_code, category.code],
                )
            ),
        }
        if n < len(PINNED_LOTS):
            kind = PINNED_LOTS[n]
            plant = pinned_plant
            pinned, steps = _pinned_lot(kind, plant, user_of[plant.pk], by_code[PINNED_CATEGORIES[kind]], now)
            values.update(pinned)
        if defaults is None:
            defaults = _defaults_of_fields_added_later(fields, values)
        lot_rows.append(tuple(values[f.attname] if f.attname in values else defaults[f.attname] for f in fields))
        previous = ""
        for step, when in steps:
            actor = None if step == WasteLot.Status.CLOSED else user_of[plant.pk]
            note = "Dibatalkan oleh pabrik (data benchmark)." if step == WasteLot.Status.CANCELLED else ""
            transition_rows.append((transition_id, lot_id, previous, step, actor, note, when))
            transition_id += 1
            previous = step
    _copy(WasteLot, columns, lot_rows)
    _copy(
        LotTransition,
        ["id", "lot_id", "from_status", "to_status", "actor_id", "note", "created_at"],
        transition_rows,
    )
    return transition_id - first_transition_id


def _next_id(model) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {model._meta.db_table}")  # noqa: S608 - model name
        return cursor.fetchone()[0]


def _reset_sequence(model) -> None:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)",  # noqa: S608
            [table],
        )


def _last_reference_number(year: int) -> int:
    prefix = f"WX-{year}-"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MAX(SUBSTRING(reference FROM %s)::integer), 0) FROM listings_wastelot "
            "WHERE reference LIKE %s",
            [len(prefix) + 1, prefix + "%"],
        )
        return cursor.fetchone()[0]


# ---- bids ------------------------------------------------------------------------------------------------

DECIDED = {WasteLot.Status.AWARDED, WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED}
BID_SCALE = {"t": (10_000, 5_000_000), "kg": (100, 25_000), "L": (300, 6_000), "m3": (20_000, 400_000)}
OTHER_REASONS = [
    Award.Reason.BETTER_ROUTE,
    Award.Reason.LOCAL_BUSINESS,
    Award.Reason.CAPACITY,
    Award.Reason.LICENCE,
    Award.Reason.OTHER,
]
COPY_CHUNK = 100_000


def pinned_lots() -> dict[str, WasteLot]:
    """The pinned lots by their role (see the module's docstring): the first bench lots by id."""
    lots = WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).select_related("category", "plant")
    return dict(zip(PINNED_LOTS, lots.order_by("id")[: len(PINNED_LOTS)], strict=False))


def organisation_of(email: str) -> Organisation | None:
    return Organisation.objects.filter(memberships__user__email=email).first()


def bench_bid_count(place_lot: WasteLot | None) -> int:
    """Bids on bench lots, without those the benchmark itself places (on the placing lot)."""
    bids = Bid.objects.filter(lot__plant__slug__startswith=SLUG_PREFIX)
    return (bids.exclude(lot=place_lot) if place_lot else bids).count()


def why_build_bids(target_bids: int) -> str | None:
    """Why the bids must be (re)built, or None when they are there as wanted."""
    pinned = pinned_lots()
    if len(pinned) < len(PINNED_LOTS) or any(
        lot.plant.slug != f"{SLUG_PREFIX}plant-0001" or lot.status != WasteLot.Status.OPEN for lot in pinned.values()
    ):
        return "the pinned lots are missing"
    count = bench_bid_count(pinned["place"])
    if count != target_bids:
        return f"{count} benchmark bids, {target_bids} wanted"
    hot = pinned["bids"].bids.count()
    if hot != HOT_LOT_BIDS:
        return f"the bids page lot has {hot} bids, {HOT_LOT_BIDS} wanted"
    bidder = organisation_of(BIDDER_EMAIL)
    mine = Bid.objects.filter(bidder=bidder).count() if bidder else 0
    if mine != BIDDER_BIDS:
        return f"{BIDDER_EMAIL} has {mine} bids, {BIDDER_BIDS} wanted"
    return None


def _licences(processor_ids, now) -> dict[int, int]:
    """One verified licence per processor that bids, covering every hazardous waste code: bids on hazardous
    lots need one. Returns the licence id of each processor."""
    codes = sorted(
        set(
            WasteCategory.objects.filter(hazardous=WasteCategory.Hazard.YES)
            .exclude(indonesian_code="")
            .values_list("indonesian_code", flat=True)
        )
    )
    today = timezone.localdate()
    licences = Licence.objects.bulk_create(
        [
            Licence(
                organisation_id=pk,
                kind=Licence.Kind.PERTEK,
                number=f"BENCH/PERTEK/{n + 1:04d}",
                issuer="Kementerian Lingkungan Hidup (data benchmark)",
                waste_codes=", ".join(codes),
                capacity_tonnes_per_month=Decimal(50_000),
                valid_from=today - 400 * DAY,
                valid_until=today + 700 * DAY,
                document=f"licences/bench/{n + 1:04d}.pdf",
                status=Licence.Status.VERIFIED,
                reviewed_at=now - 300 * DAY,
            )
            for n, pk in enumerate(processor_ids)
        ],
        batch_size=1000,
    )
    return {licence.organisation_id: licence.pk for licence in licences}


def _extra_columns(model, known) -> tuple[list[str], tuple]:
    """Columns of fields added to the model after this generator was written, and their values."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not getattr(f, "generated", False)]
    defaults = _defaults_of_fields_added_later(fields, set(known))
    return [model._meta.get_field(name).column for name in defaults], tuple(defaults.values())


@contextmanager
def _bulk_load(tables: list[str], log):
    """PostgreSQL's recipe for loading many rows ("Populating a Database" in its manual): drop the tables'
    foreign keys and secondary indexes, load, then create them again: one sort per index and one join per key
    instead of an index insert and a key check per row. It runs inside the build's transaction, so a failure
    rolls the DDL back too. Primary keys and unique constraints stay; partial unique indexes are created again
    and check every row then. Django's keys are deferred: the checks pending on the tables are run before each
    step (PostgreSQL refuses DDL on a table with pending checks), and deferred again after it."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s) ORDER BY conname",
            [tables],
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE contype IN ('p', 'u', 'x')) ORDER BY indexname",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _definition in keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    t0 = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    log(
        f"{len(indexes)} indexes and {len(keys)} foreign keys of {', '.join(tables)} made again in "
        f"{time.monotonic() - t0:.1f}s"
    )


class _Copier:
    """Rows for one table, sent by COPY every COPY_CHUNK rows (memory stays flat for a million rows)."""

    def __init__(self, model, columns):
        self.model = model
        extra_columns, extra = _extra_columns(model, columns)
        self.columns = [*columns, *extra_columns]
        self.suffix = "".join("\t" + _copy_value(value) for value in extra)
        self.lines = []
        self.count = 0

    def add(self, row) -> None:
        self.add_line("\t".join(map(_copy_value, row)))

    def add_line(self, line: str) -> None:
        """A row already in COPY's text format (the caller escapes), without the fields added later."""
        self.lines.append(line + self.suffix)
        if len(self.lines) >= COPY_CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            _copy_buffer(self.model, self.columns, io.StringIO("\n".join(self.lines) + "\n"))
            self.count += len(self.lines)
            self.lines = []


def _bid_base(rng, unit, hazard) -> float:
    low, high = BID_SCALE.get(unit, (5_000, 250_000))
    amount = math.exp(rng.uniform(math.log(low), math.log(high)))
    gate_fee = hazard == WasteCategory.Hazard.YES and rng.random() < 0.85
    return -amount if gate_fee else amount


def _bidders_per_lot(rng, lots, pinned_ids, pool, bidder_id, few_id, target) -> list[list[int]]:
    """Who bids on which lot: distinct (lot, bidder) pairs, `target` in all. The pinned lots get their fixed
    numbers, the bidder and the few-bids processor theirs; every decided lot at least one (it was awarded);
    the rest spread with a skewed popularity (some lots draw many bids, most a few)."""
    fixed = HOT_LOT_BIDS + SMALL_LOT_BIDS + BIDDER_BIDS + FEW_BIDS
    if target < fixed:
        raise RuntimeError(f"--bids must be at least {fixed}: the pinned lots and processors need that many.")
    bidders = [[] for _ in lots]
    index = {lot[0]: i for i, lot in enumerate(lots)}
    bidders[index[pinned_ids["bids"]]] = rng.sample(pool, HOT_LOT_BIDS)
    bidders[index[pinned_ids["bids-small"]]] = rng.sample(pool, SMALL_LOT_BIDS)
    regular = [i for i, lot in enumerate(lots) if lot[0] not in pinned_ids.values()]
    for who, how_many in ((bidder_id, BIDDER_BIDS), (few_id, FEW_BIDS)):
        for i in rng.sample(regular, how_many):
            bidders[i].append(who)
    remaining = target - fixed
    counts = [0] * len(lots)
    for i in regular:
        if remaining and lots[i][1] in DECIDED and not bidders[i]:
            counts[i] = 1
            remaining -= 1
    weights = [math.exp(rng.gauss(0, 0.8)) for _ in regular]
    for i in rng.choices(regular, weights, k=remaining):
        counts[i] += 1
    excess = 0
    for i in regular:  # never more bids on a lot than processors to place them
        if counts[i] > len(pool):
            excess += counts[i] - len(pool)
            counts[i] = len(pool)
    while excess:
        i = rng.choice(regular)
        if counts[i] < len(pool):
            counts[i] += 1
            excess -= 1
    for i in regular:
        if counts[i]:
            bidders[i].extend(rng.sample(pool, counts[i]))
    return bidders


def _bids(rng, now, target, log, *, bulk: bool) -> dict:
    """`target` bids with their first revision, an award per decided lot and the ratings of completed lots;
    with `bulk`, the bid tables' indexes and keys are made again afterwards (only when they hold bench rows
    only: the DDL locks them)."""
    with _bulk_load(["listings_bid", "listings_bidrevision"], log) if bulk else nullcontext():
        return _load_bids(rng, now, target, log)


def _load_bids(rng, now, target, log) -> dict:
    S, B = WasteLot.Status, Bid.Status
    pinned = pinned_lots()
    pinned_ids = {kind: lot.pk for kind, lot in pinned.items()}
    user_of = dict(
        Membership.objects.filter(organisation__slug__startswith=SLUG_PREFIX)
        .order_by("-id")
        .values_list("organisation_id", "user_id")
    )
    processors = list(
        Organisation.objects.filter(slug__startswith=SLUG_PREFIX, kind=Organisation.Kind.PROCESSOR)
        .verified()
        .order_by("slug")
        .values_list("pk", "slug")
    )
    # what an award keeps of its winner: Banten business? Japnas member? (listings.Award, as lot_award does)
    status_of = {
        pk: (province == Province.BANTEN, bool(japnas))
        for pk, province, japnas in Organisation.objects.filter(pk__in=[pk for pk, _slug in processors]).values_list(
            "pk", "province", "japnas_number"
        )
    }
    pinned_orgs = {slug: pk for pk, slug in processors if slug in PINNED_PEOPLE}
    viewer_id = pinned_orgs[f"{SLUG_PREFIX}processor-0001"]
    bidder_id = pinned_orgs[f"{SLUG_PREFIX}processor-0002"]
    few_id = pinned_orgs[f"{SLUG_PREFIX}processor-0003"]
    # The viewer of the browse pages bids on nothing and holds no licence: its pages stay as measured before.
    pool = [pk for pk, slug in processors if slug not in PINNED_PEOPLE]
    t0 = time.monotonic()
    licence_of = _licences([pk for pk, _slug in processors if pk != viewer_id], now)
    lots = list(
        WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, published_at__isnull=False)
        .exclude(status=S.DRAFT)
        .exclude(pk=pinned_ids["place"])  # the benchmark places its own bids there
        .order_by("id")
        .values_list(
            "id",
            "status",
            "plant_id",
            "quantity",
            "available_from",
            "available_until",
            "published_at",
            "closes_at",
            "reserve_price",
            "category__hazardous",
            "category__usual_unit",
        )
    )
    decided_at, completed_at = {}, {}
    for lot_id, to_status, when in LotTransition.objects.filter(
        lot__plant__slug__startswith=SLUG_PREFIX, to_status__in=[S.AWARDED, S.UNAWARDED, S.COMPLETED]
    ).values_list("lot_id", "to_status", "created_at"):
        (completed_at if to_status == S.COMPLETED else decided_at)[lot_id] = when
    bidders = _bidders_per_lot(rng, lots, pinned_ids, pool, bidder_id, few_id, target)
    log(f"{len(licence_of)} licences, {len(lots)} lots to bid on in {time.monotonic() - t0:.1f}s")

    t0 = time.monotonic()
    bid_columns = [
        "id", "lot_id", "bidder_id", "placed_by_id", "price_per_unit", "quantity", "pickup_date", "route", "note",
        "licence_id", "status", "revision", "created_at", "updated_at",
    ]  # fmt: skip
    bid_copy = _Copier(Bid, bid_columns)
    award_copy = _Copier(
        Award,
        [
            "lot_id", "bid_id", "reason", "note", "best_price", "awarded_by_id", "awarded_at", "notified_at",
            "processor_banten", "processor_japnas",
        ],
    )  # fmt: skip
    rating_copy = _Copier(Rating, ["lot_id", "rater_id", "rated_id", "stars", "comment", "by_id", "created_at"])
    routes = [route.value for route in ROUTE_WEIGHTS]
    route_weights = list(ROUTE_WEIGHTS.values())
    route_cumulative = list(itertools.accumulate(route_weights))
    first_id = bid_id = _next_id(Bid)
    null = _copy_value(None)
    notes = [_copy_value(note) for note in BID_NOTES]  # already escaped for COPY's text format
    pinned_set = set(pinned_ids.values())
    for lot, lot_bidders in zip(lots, bidders, strict=True):
        if not lot_bidders:
            continue
        lot_id, status, plant_id, quantity, available_from, available_until, published, closes = lot[:8]
        reserve, hazard, unit = lot[8:]
        end = min(closes, now)
        span = max((end - published).total_seconds(), 60.0)
        base = reserve or _bid_base(rng, unit, hazard)
        digits = -2 if abs(base) >= 10_000 else 0
        milli = int(quantity * 1000)
        hazardous = hazard == WasteCategory.Hazard.YES
        decided = decided_at.get(lot_id) or end
        withdrawn_share = 0 if lot_id in pinned_set else WITHDRAWN_SHARE
        bids = []
        for bidder in lot_bidders:
            created = published + timedelta(seconds=span * rng.random())
            price = int(round(base * rng.uniform(0.7, 1.3), digits))
            share = milli if rng.random() < 0.6 else max(1, int(milli * rng.uniform(0.2, 1.0)))
            pickup = (created + rng.randint(1, 30) * DAY).date()
            pickup = max(pickup, available_from)
            if available_until and pickup > available_until:
                pickup = available_until
            route = rng.choices(routes, cum_weights=route_cumulative)[0]
            note = rng.choice(notes) if rng.random() < 0.1 else ""
            withdrawn = rng.random() < withdrawn_share
            bids.append([bidder, price, f"{share // 1000}.{share % 1000:03d}", pickup, route, note, withdrawn, created])
        # Statuses as the lot's life left them: live while it is open or closed (and, as the app does, when
        # it is cancelled), then exactly one accepted bid (the award) and the others rejected.
        standing = [bid for bid in bids if not bid[6]]
        if not standing and status in DECIDED:
            bids[0][6] = False
            standing = [bids[0]]
        accepted = None
        if status in DECIDED:
            best = max(bid[1] for bid in standing)
            accepted = max(standing, key=lambda bid: bid[1]) if rng.random() < BEST_PRICE_WINS else rng.choice(standing)
        for bidder, price, share, pickup, route, note, withdrawn, created in bids:
            if withdrawn:
                state = B.WITHDRAWN
                updated = created + (end - created) * rng.random()
            elif status in DECIDED or status == S.UNAWARDED:
                state = B.ACCEPTED if accepted and accepted[0] == bidder else B.REJECTED
                updated = decided
            else:
                state, updated = B.LIVE, created
            # Formatted here rather than by _copy_value: a million rows, a third of the Python time saved.
            licence = licence_of[bidder] if hazardous else null
            bid_copy.add_line(
                f"{bid_id}\t{lot_id}\t{bidder}\t{user_of[bidder]}\t{price}\t{share}\t{pickup.isoformat()}\t{route}"
                f"\t{note}\t{licence}\t{state.value}\t1\t{created.isoformat()}\t{updated.isoformat()}"
            )
            if state == B.ACCEPTED:
                reason, award_note = Award.Reason.BEST_PRICE, ""
                if price < best:
                    reason = rng.choice(OTHER_REASONS)
                    award_note = "Jadwal pengambilan lebih cocok (data benchmark)." if reason == "other" else ""
                told = decided + timedelta(minutes=2)
                award_copy.add(
                    (lot_id, bid_id, reason, award_note, best, user_of[plant_id], decided, told, *status_of[bidder])
                )
                if lot_id in completed_at:
                    for rater, rated in ((plant_id, bidder), (bidder, plant_id)):
                        when = min(now, completed_at[lot_id] + rng.uniform(0.1, 3) * DAY)
                        stars = rng.choices([5, 4, 3, 2, 1], [45, 30, 15, 6, 4])[0]
                        rating_copy.add((lot_id, rater, rated, stars, "", user_of[rater], when))
            bid_id += 1
    for copier in (bid_copy, award_copy, rating_copy):
        copier.flush()
    _reset_sequence(Bid)
    log(
        f"{bid_copy.count} bids, {award_copy.count} awards, {rating_copy.count} ratings copied in "
        f"{time.monotonic() - t0:.1f}s"
    )

    t0 = time.monotonic()
    revisions = _copy_first_revisions(first_id)
    log(f"{revisions} bid revisions (number 1 of each bid) inserted in {time.monotonic() - t0:.1f}s")
    return {"bids": bid_copy.count, "revisions": revisions, "awards": award_copy.count}


def _copy_first_revisions(first_bid_id: int) -> int:
    """Revision 1 of every bid from `first_bid_id` on, as bid_place() records it: one INSERT ... SELECT."""
    from_bid = {
        "bid_id": "id",
        "number": "1",
        "price_per_unit": "price_per_unit",
        "quantity": "quantity",
        "pickup_date": "pickup_date",
        "route": "route",
        "note": "note",
        "licence_id": "licence_id",
        "by_id": "placed_by_id",
        "created_at": "created_at",
    }
    extra_columns, extra = _extra_columns(BidRevision, from_bid)
    columns = [BidRevision._meta.get_field(name).column for name in from_bid] + extra_columns
    selected = list(from_bid.values()) + ["%s"] * len(extra)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BidRevision._meta.db_table} ({', '.join(columns)}) "  # noqa: S608 - our own names
            f"SELECT {', '.join(selected)} FROM {Bid._meta.db_table} WHERE id >= %s",
            [*extra, first_bid_id],
        )
        return cursor.rowcount


def reset_place_lot(lot: WasteLot) -> None:
    """The placing lot starts each run without bids: those earlier runs placed there go, with their history."""
    BidRevision.objects.filter(bid__lot=lot).delete()
    Bid.objects.filter(lot=lot).delete()


def place_fields(lot: WasteLot) -> dict:
    """A valid bid on the placing lot (the load generator changes the price from one request to the next)."""
    pickup = max(lot.available_from, timezone.localdate()) + 7 * DAY
    if lot.available_until and pickup > lot.available_until:
        pickup = lot.available_until
    return {
        "price_per_unit": max(lot.reserve_price or 0, 1_000),
        "quantity": f"{lot.quantity.normalize():f}",
        "pickup_date": pickup.isoformat(),
        "route": Route.RECYCLING.value,
        "note": "Penawaran dari benchmark.",
    }


def placer_emails() -> list[str]:
    """The people of PLACERS verified processors (not the pinned ones) who place bids at the same time."""
    return list(
        User.objects.filter(
            membership__organisation__slug__startswith=f"{SLUG_PREFIX}processor-",
            membership__organisation__verification_status=Organisation.Status.VERIFIED,
        )
        .exclude(email__in=PINNED_PEOPLE.values())
        .order_by("membership__organisation__slug")
        .values_list("email", flat=True)[:PLACERS]
    )


def place_check(lot: WasteLot) -> dict:
    """What is in the database on the placing lot after the run: the benchmark compares it with the answers."""
    bids = Bid.objects.filter(lot=lot)
    revisions = BidRevision.objects.filter(bid__lot=lot)
    live = bids.filter(status=Bid.Status.LIVE)
    per_bid = {
        row["bid_id"]: row for row in revisions.values("bid_id").annotate(n=Count("id"), last=Max("number")).order_by()
    }
    inconsistent = [
        bid.pk
        for bid in bids.only("id", "revision")
        if bid.pk not in per_bid or per_bid[bid.pk]["n"] != bid.revision or per_bid[bid.pk]["last"] != bid.revision
    ]
    return {
        "revisions": revisions.count(),
        "bids": bids.count(),
        "live_bids": live.count(),
        "live_bidders": sorted(live.values_list("placed_by__email", flat=True)),
        "revision_sum": live.aggregate(total=Sum("revision"))["total"] or 0,
        "inconsistent_bids": inconsistent,
    }


def build(
    target_lots: int, target_bids: int = BIDS, *, rebuild: bool = False, rebuild_bids: bool = False, log=print
) -> dict:
    """Make sure the bench data is there (idempotent); returns what the benchmark needs to know."""
    if connection.vendor != "postgresql":
        raise RuntimeError("The benchmark data is built with COPY: PostgreSQL only.")
    started = time.monotonic()
    reason = "--rebuild" if rebuild else why_build(target_lots)
    if reason:
        log(f"building the data ({reason})")
        rng, now = _rng(), timezone.now()
        year = timezone.localdate().year
        with transaction.atomic():
            log("removing earlier bench data (if any)")
            wipe()
            t0 = time.monotonic()
            organisations = _organisations(rng, now)
            user_of = _people(rng, organisations)
            log(f"{len(organisations)} organisations and their people in {time.monotonic() - t0:.1f}s")
            plants = [o for o in organisations if o.kind == Organisation.Kind.PLANT and o.is_verified]
            first_number = _last_reference_number(year) + 1
            t0 = time.monotonic()
            transitions = _lots(
                rng, now, target_lots, plants, user_of, first_number, _next_id(WasteLot), _next_id(LotTransition)
            )
            log(f"{target_lots} lots and {transitions} lot transitions copied in {time.monotonic() - t0:.1f}s")
            _reset_sequence(WasteLot)
            _reset_sequence(LotTransition)
            LotReferenceCounter.objects.update_or_create(
                year=year, defaults={"last": max(_last_reference_number(year), first_number + target_lots - 1)}
            )
    bids_reason = (
        "the lots were rebuilt" if reason else "--rebuild-bids" if rebuild_bids else why_build_bids(target_bids)
    )
    if bids_reason:
        log(f"building the bids ({bids_reason})")
        t0 = time.monotonic()
        with transaction.atomic():
            others = wipe_bids()
            log(f"earlier bench bids removed in {time.monotonic() - t0:.1f}s")
            # A seed of their own: the same bids whether or not the lots were built in this run.
            rng = random.Random(SEED + 1)  # noqa: S311 - a reproducible sample  # noqa: S311 - reproducible fake data
            _bids(rng, timezone.now(), target_bids, log, bulk=not others)
            t1 = time.monotonic()
            handovers = _handovers()
            log(f"{handovers} handovers of collected and completed lots in {time.monotonic() - t1:.1f}s")
            t1 = time.monotonic()
            deals = deals_refresh_all()  # written around the services: the rollup is rebuilt whole
            log(f"{deals} rows of the dashboard's deals rollup in {time.monotonic() - t1:.1f}s")
            t1 = time.monotonic()
            buckets = rollups.rebuild()  # the listed-lots rollup, likewise
            log(f"{buckets} rows of the dashboard's listed-lots rollup in {time.monotonic() - t1:.1f}s")
        log(f"bids committed, {time.monotonic() - t0:.1f}s in all")
    if reason or bids_reason:
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE in {time.monotonic() - t0:.1f}s")
    open_lot = (
        WasteLot.objects.open()
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=timezone.now() + 7 * DAY)
        .order_by("-published_at", "-id")
        .values_list("reference", flat=True)
        .first()
    )
    pinned = pinned_lots()
    bidder, few = organisation_of(BIDDER_EMAIL), organisation_of(FEW_BIDS_EMAIL)
    ensure_official()
    return {
        "built": bool(reason),
        "bids_built": bool(bids_reason),
        "build_seconds": round(time.monotonic() - started, 1),
        "lots": bench_lot_count(),
        "open_lots": WasteLot.objects.open().count(),
        "open_lot": open_lot,
        "viewer": VIEWER_EMAIL,
        "bids": bench_bid_count(pinned["place"]),
        "bids_lot": pinned["bids"].reference,
        "bids_lot_bids": pinned["bids"].bids.exclude(status=Bid.Status.WITHDRAWN).count(),
        "bids_lot_small": pinned["bids-small"].reference,
        "bids_lot_small_bids": pinned["bids-small"].bids.exclude(status=Bid.Status.WITHDRAWN).count(),
        "place_lot": pinned["place"].reference,
        "plant": PLANT_EMAIL,
        "bidder": BIDDER_EMAIL,
        "bidder_bids": Bid.objects.filter(bidder=bidder).count(),
        "bidder_latest_lot": Bid.objects.filter(bidder=bidder).order_by("-updated_at", "-id")[0].lot.reference,
        "few_bidder": FEW_BIDS_EMAIL,
        "few_bidder_bids": Bid.objects.filter(bidder=few).count(),
        "placers": placer_emails(),
        "official": OFFICIAL_EMAIL,
        "last_year": timezone.localdate().year - 1,
        "completed_deals": WasteLot.objects.filter(
            plant__slug__startswith=SLUG_PREFIX, status=WasteLot.Status.COMPLETED
        ).count(),
    }


def ensure_official() -> User:
    """A verified authority with one official (idempotent): who opens /dashboard/ in the benchmark."""
    authority, _created = Organisation.objects.get_or_create(
        slug=AUTHORITY_SLUG,
        defaults={
            "name": "Dinas Lingkungan Hidup (Bench)",
            "kind": Organisation.Kind.AUTHORITY,
            "address": "Jl. Jend. Sudirman, Cilegon",
            "kecamatan": Kecamatan.CIBEBER,
            "verification_status": Organisation.Status.VERIFIED,
            "verified_at": timezone.now(),
        },
    )
    official, _created = User.objects.get_or_create(
        email=OFFICIAL_EMAIL, defaults={"full_name": "Ibu Pejabat Bench", "password": make_password(None)}
    )
    Membership.objects.get_or_create(user=official, defaults={"organisation": authority})
    return official


HANDOVERS_SQL = """
INSERT INTO listings_handover (
    lot_id, pickup_date, carrier, vehicle, manifest_number, quantity_sent, pickup_recorded_by_id, pickup_recorded_at,
    quantity_received, route_used, proof, proof_content_type, processing_recorded_by_id, processing_recorded_at,
    mismatch
)
SELECT l.id, (t.created_at AT TIME ZONE 'Asia/Jakarta')::date, 'PT Angkut Bench', 'A 1234 BX', '', b.quantity,
    b.placed_by_id, t.created_at,
    CASE WHEN l.status = 'completed' THEN
        ROUND(b.quantity * CASE WHEN l.id %% %(every)s = 0 THEN 0.95 ELSE 0.995 END, 3) END,
    CASE WHEN l.status = 'completed' THEN b.route ELSE '' END, '', '',
    CASE WHEN l.status = 'completed' THEN b.placed_by_id END,
    CASE WHEN l.status = 'completed' THEN t.created_at + INTERVAL '1 day' END,
    l.status = 'completed' AND l.id %% %(every)s = 0
FROM listings_wastelot l
JOIN members_organisation o ON o.id = l.plant_id
JOIN listings_award a ON a.lot_id = l.id
JOIN listings_bid b ON b.id = a.bid_id
JOIN listings_lottransition t ON t.lot_id = l.id AND t.to_status = 'collected'
WHERE o.slug LIKE %(pattern)s AND l.status IN ('collected', 'completed')
"""


def _handovers() -> int:
    """The handover of every collected and completed bench lot (weighed out = the accepted bid's quantity,
    received 0.5 % less, or 5 % less for every MISMATCH_EVERY-th lot: flagged), in one INSERT ... SELECT."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM listings_handover WHERE lot_id IN ({BENCH_LOTS_SQL})", [SLUG_PREFIX + "%"])  # noqa: S608
        cursor.execute(HANDOVERS_SQL, {"every": MISMATCH_EVERY, "pattern": SLUG_PREFIX + "%"})
        return cursor.rowcount


# ---- the mixed run: many people, matches and notifications ---------------------------------------------------

MIXED_PROCESSORS = 200
MIXED_PLANTS = 80
MIXED_OFFICIALS = 20
MATCHES_PER_PROCESSOR = 40
NOTIFICATIONS_PER_PERSON = 30
NOTIFICATION_EVENTS = ["new_match", "outbid", "bid_accepted", "closing_soon", "new_bid", "pickup_recorded"]


def mixed_people() -> dict[str, list[User]]:
    """Who signs in for the mixed run: MIXED_PROCESSORS verified processors, MIXED_PLANTS verified plants (one
    person of each) and MIXED_OFFICIALS officials of the bench authority (made here once, idempotent). Each
    processor gets MATCHES_PER_PROCESSOR matches over open lots and each person NOTIFICATIONS_PER_PERSON inbox
    items, a third unread (written once, the first time)."""
    authority = ensure_official().membership.organisation
    officials = [User.objects.get(email=OFFICIAL_EMAIL)]
    for number in range(2, MIXED_OFFICIALS + 1):
        user, _created = User.objects.get_or_create(
            email=f"official-{number:02d}@{EMAIL_DOMAIN}",
            defaults={"full_name": f"Pejabat Bench {number}", "password": make_password(None)},
        )
        Membership.objects.get_or_create(user=user, defaults={"organisation": authority})
        officials.append(user)

    def people(kind, count):
        return list(
            User.objects.filter(
                membership__organisation__slug__startswith=SLUG_PREFIX,
                membership__organisation__kind=kind,
                membership__organisation__verification_status=Organisation.Status.VERIFIED,
            )
            .select_related("membership__organisation")
            .order_by("membership__organisation__slug", "id")[:count]
        )

    found = {
        "processor": people(Organisation.Kind.PROCESSOR, MIXED_PROCESSORS),
        "plant": people(Organisation.Kind.PLANT, MIXED_PLANTS),
        "official": officials,
    }
    _mixed_matches([user.membership.organisation_id for user in found["processor"]])
    _mixed_notifications([user for group in found.values() for user in group])
    return found


def _mixed_matches(organisation_ids: list[int]) -> None:
    from listings.models import Match

    if Match.objects.filter(organisation_id__in=organisation_ids).exists():
        return
    rng = random.Random(SEED + 1)  # noqa: S311 - a reproducible sample
    open_ids = list(
        WasteLot.objects.open()
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=timezone.now() + 2 * DAY)
        .values_list("id", flat=True)
    )
    rows = []
    for organisation_id in organisation_ids:
        for lot_id in rng.sample(open_ids, min(MATCHES_PER_PROCESSOR, len(open_ids))):
            km = round(rng.uniform(1, 90), 1)
            rows.append(
                Match(
                    lot_id=lot_id,
                    organisation_id=organisation_id,
                    score=rng.randint(40, 100),
                    reasons=[{"code": "category"}, {"code": "distance", "km": km}],
                    distance_km=km,
                )
            )
    Match.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def _mixed_notifications(users: list[User]) -> None:
    from members.models import Notification

    if Notification.objects.filter(recipient__in=users).exists():
        return
    rng = random.Random(SEED + 2)  # noqa: S311 - a reproducible sample
    lots = list(WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX).values_list("reference", "title")[:5000])
    now = timezone.now()
    rows = []
    for user in users:
        for number in range(NOTIFICATIONS_PER_PERSON):
            reference, title = rng.choice(lots)
            created = now - timedelta(hours=number * 7 + rng.randint(0, 6))
            rows.append(
                Notification(
                    recipient=user,
                    event=rng.choice(NOTIFICATION_EVENTS),
                    key=f"bench:{user.pk}:{number}",
                    params={"reference": reference, "title": title, "closes_at": now.isoformat()},
                    url=f"/lots/{reference}/",
                    created_at=created,
                    read_at=None if number % 3 == 0 else created + timedelta(hours=1),
                )
            )
    Notification.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def mixed_lots(count: int = 3000) -> dict[str, list[str]]:
    """References for the mixed run's lot pages: open lots (two thirds) and closed, awarded or completed ones,
    spread over the whole table (a random sample, fixed by the seed)."""
    rng = random.Random(SEED + 3)  # noqa: S311 - a reproducible sample
    refs = {}
    for name, statuses in (
        ("open", [WasteLot.Status.OPEN]),
        ("closed", [WasteLot.Status.CLOSED, WasteLot.Status.AWARDED, WasteLot.Status.COMPLETED]),
    ):
        ids = list(
            WasteLot.objects.filter(plant__slug__startswith=SLUG_PREFIX, status__in=statuses).values_list(
                "reference", flat=True
            )
        )
        refs[name] = rng.sample(ids, min(len(ids), count * (2 if name == "open" else 1) // 3))
    return refs


def mixed_bid_lots(placers: list[str], count: int = 200) -> list[dict]:
    """Open lots anyone verified may bid on for the rest of the run (not local-first, closing in more than a
    day, the pinned lots left alone), on which none of the placers has a bid yet, each with a valid bid's fields:
    every bid the placers have on them afterwards was placed by the run, and `mixed_cleanup` deletes it."""
    rng = random.Random(SEED + 4)  # noqa: S311 - a reproducible sample
    now = timezone.now()
    lots = list(
        WasteLot.objects.open()
        .exclude(bids__bidder__memberships__user__email__in=placers)
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=now + DAY)
        .exclude(local_first_until__gt=now)
        .exclude(category__hazardous=WasteCategory.Hazard.YES)
        .exclude(available_until__lt=timezone.localdate() + 8 * DAY)  # room for place_fields' pickup date
        .exclude(id__in=[lot.id for lot in pinned_lots().values()])
        .order_by("id")[:20_000]
    )
    chosen = rng.sample(lots, min(count, len(lots)))
    return [{"reference": lot.reference, "fields": place_fields(lot)} for lot in chosen]


def mixed_cleanup(references: list[str], placers: list[str]) -> int:
    """Delete the bids the mixed run placed (with their revisions), so that the data stays as built and the next
    run finds the bids it expects rather than building them again. Returns how many."""
    organisations = Membership.objects.filter(user__email__in=placers).values("organisation")
    deleted, _per_model = Bid.objects.filter(lot__reference__in=references, bidder__in=organisations).delete()
    return deleted
