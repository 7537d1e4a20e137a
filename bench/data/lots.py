"""The bench lots with their timelines: statuses spread over the lot life (30 % completed deals over
DEAL_MONTHS months), Cilegon's usual waste streams, and the pinned lots first, all COPYed in one go."""

import math
from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from bench.data.common import COMPLETED_SHARE, DAY, DEAL_MONTHS, PINNED_LOT_DAYS, PINNED_LOTS, SLUG_PREFIX
from bench.data.copying import copy_rows, defaults_of_fields_added_later
from listings.models import LotTransition, WasteCategory, WasteLot
from members.choices import Kecamatan

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


def _pinned_lot(kind, plant, user_id, category, now):
    """The values of a pinned lot (see bench.data.common), without random draws: the lots after it stay
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


def create_lots(rng, now, count, plants, user_of, first_number, first_id, first_transition_id):
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
            defaults = defaults_of_fields_added_later(fields, values)
        lot_rows.append(tuple(values[f.attname] if f.attname in values else defaults[f.attname] for f in fields))
        previous = ""
        for step, when in steps:
            actor = None if step == WasteLot.Status.CLOSED else user_of[plant.pk]
            note = "Dibatalkan oleh pabrik (data benchmark)." if step == WasteLot.Status.CANCELLED else ""
            transition_rows.append((transition_id, lot_id, previous, step, actor, note, when))
            transition_id += 1
            previous = step
    copy_rows(WasteLot, columns, lot_rows)
    copy_rows(
        LotTransition,
        ["id", "lot_id", "from_status", "to_status", "actor_id", "note", "created_at"],
        transition_rows,
    )
    return transition_id - first_transition_id


def last_reference_number(year: int) -> int:
    prefix = f"WX-{year}-"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(MAX(SUBSTRING(reference FROM %s)::integer), 0) FROM listings_wastelot "
            "WHERE reference LIKE %s",
            [len(prefix) + 1, prefix + "%"],
        )
        return cursor.fetchone()[0]
