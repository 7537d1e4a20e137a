"""Synthetic data for `manage.py bench`: plants, processors, people and many waste lots with their timelines.

Built for PostgreSQL only, fast: organisations, people and memberships through bulk_create, lots and lot
transitions through COPY (the model's save() is bypassed, so `search_document` is filled here exactly as
WasteLot.save() fills it). Everything is deterministic (a fixed seed), clearly fictional ("(Bench)" names,
NIBs starting with 97, e-mail addresses at bench.test), and only the rows this module made are ever deleted:
the benchmark may point at a database that holds other data too.
"""

import io
import math
import random
import time
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from listings.models import LotReferenceCounter, LotTransition, WasteCategory, WasteLot
from members.choices import Kecamatan, Province
from members.models import Membership, Organisation, User

SLUG_PREFIX = "bench-"
EMAIL_DOMAIN = "bench.test"
VIEWER_EMAIL = f"processor@{EMAIL_DOMAIN}"
SEED = 2026
PLANTS = 400
PROCESSORS = 1000
MAX_AGE = timedelta(days=1)

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

# How often each status appears: most lots are open, the rest spread over the lot life.
STATUS_WEIGHTS = [
    (WasteLot.Status.OPEN, 60),
    (WasteLot.Status.DRAFT, 8),
    (WasteLot.Status.CLOSED, 7),
    (WasteLot.Status.AWARDED, 6),
    (WasteLot.Status.COLLECTED, 4),
    (WasteLot.Status.COMPLETED, 8),
    (WasteLot.Status.CANCELLED, 4),
    (WasteLot.Status.UNAWARDED, 3),
]
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
    count = bench_lot_count()
    if count < target_lots:
        return f"{count} benchmark lots, {target_lots} wanted"
    age = timezone.now() - viewer.date_joined
    if age > MAX_AGE:
        return f"the data was built {age.days} day(s) ago"
    return None


def wipe() -> None:
    """Delete only what this module made (SQL, not the ORM: a cascade over 100,000 lots in Python is slow).

    When every lot is a bench lot, TRUNCATE ... CASCADE empties the lot tables and whatever refers to them
    (transitions, attachments, and tables added later such as bids) in one step."""
    others = WasteLot.objects.exclude(plant__slug__startswith=SLUG_PREFIX).exists()
    bench_lots = (
        "SELECT l.id FROM listings_wastelot l JOIN members_organisation o ON o.id = l.plant_id WHERE o.slug LIKE %s"
    )
    with connection.cursor() as cursor:
        if not others:
            cursor.execute(f"TRUNCATE {WasteLot._meta.db_table} CASCADE")
        else:
            for table, column in (
                ("listings_lottransition", "lot_id"),
                ("listings_lotattachment", "lot_id"),
                ("listings_wastelot", "id"),
            ):
                cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({bench_lots})", [SLUG_PREFIX + "%"])  # noqa: S608
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
        status = Organisation.Status.VERIFIED if rng.random() < 0.95 else Organisation.Status.UNVERIFIED
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
        if i == 0 or roll < 0.85:
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
    """One administrator per organisation; the first processor's is the benchmark's signed-in viewer."""
    unusable = make_password(None)
    users, viewer_org = [], None
    for organisation in organisations:
        email = f"{organisation.slug.removeprefix(SLUG_PREFIX)}@{EMAIL_DOMAIN}"
        if organisation.kind == Organisation.Kind.PROCESSOR and viewer_org is None:
            email, viewer_org = VIEWER_EMAIL, organisation
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


def _defaults_of_fields_added_later(fields, known) -> dict:
    """A field added to WasteLot after this generator was written gets its default, or NULL; a required field
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
                f"WasteLot.{field.name} is required and has no default: give it a value in wastex/benchdata.py."
            )
    return defaults


def _lots(rng, now, count, plants, user_of, first_number, first_id, first_transition_id):
    year = timezone.localdate().year
    categories = list(WasteCategory.objects.order_by("code"))
    category_weights = [CATEGORY_WEIGHTS.get(c.code, 2) for c in categories]
    statuses, status_weights = zip(*STATUS_WEIGHTS, strict=True)
    # Generated columns (Django's GeneratedField) are computed by PostgreSQL and cannot be copied into.
    fields = [f for f in WasteLot._meta.concrete_fields if not getattr(f, "generated", False)]
    columns = [f.column for f in fields]
    defaults = None
    lot_rows, transition_rows = [], []
    transition_id = first_transition_id
    chosen_categories = rng.choices(categories, category_weights, k=count)
    chosen_statuses = rng.choices(statuses, status_weights, k=count)
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


def invalidate_page_cache() -> bool:
    """Rows written by COPY send no post_save signal: tell the app's page cache (listings.cache) that lots
    changed, so that no page rendered from earlier data is served. False when the app has no such cache."""
    try:
        from listings.cache import bump_lots_version
    except ImportError:
        return False
    bump_lots_version()
    return True


def build(target_lots: int, *, rebuild: bool = False, log=print) -> dict:
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
        t0 = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        log(f"VACUUM ANALYZE in {time.monotonic() - t0:.1f}s")
        invalidate_page_cache()
    open_lot = (
        WasteLot.objects.open()
        .filter(plant__slug__startswith=SLUG_PREFIX, closes_at__gt=timezone.now() + 7 * DAY)
        .order_by("-published_at", "-id")
        .values_list("reference", flat=True)
        .first()
    )
    return {
        "built": bool(reason),
        "build_seconds": round(time.monotonic() - started, 1),
        "lots": bench_lot_count(),
        "open_lots": WasteLot.objects.open().count(),
        "open_lot": open_lot,
        "viewer": VIEWER_EMAIL,
    }
