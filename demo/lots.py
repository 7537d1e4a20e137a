"""Demo waste lots for the demo plants, in every status the lot life has reached so far, with photos.

Built through listings.services, so every lot has a real timeline. Idempotent: a plant's demo lot is keyed
by its title. The photos are drawn here (no real site is pictured) and pass the same checks as uploads.
"""

import io
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from core import uploads
from listings import services
from listings.catalogue import ensure_catalogue
from listings.models import Award, Capability, LotAttachment, SavedSearch, WantedNotice, WasteCategory, WasteLot
from listings.scoring import find_matches
from listings.services.matching import save_matches, saved_search_create
from members.models import Licence, Organisation, User

GROUP_COLOURS = {
    "metals": ((94, 99, 110), (170, 120, 80)),
    "slags-and-ashes": ((70, 70, 72), (150, 150, 145)),
    "oils-and-solvents": ((40, 30, 20), (120, 90, 40)),
    "chemicals": ((40, 80, 120), (200, 210, 90)),
    "plastics": ((30, 120, 180), (230, 230, 240)),
    "construction-minerals": ((160, 90, 60), (220, 200, 170)),
    "other": ((90, 110, 90), (190, 190, 170)),
}

# plant admin e-mail, title, category code, quantity, unit, price (Rp per unit), final status, options
LOTS = [
    (
        "plant@demo.test",
        "Slag baja EAF, 1.200 t di stockyard Ciwandan",
        "steel-slag",
        "1200",
        "t",
        -15000,
        "open",
        {"bidding_mode": "sealed", "days": 9},
    ),
    (
        "plant@demo.test",
        "Mill scale kering dari rolling mill",
        "mill-scale",
        "350",
        "t",
        450000,
        "open",
        {"bidding_mode": "open", "days": 5, "local_first_days": 3},
    ),
    (
        "plant@demo.test",
        "Skrap besi potongan billet, bulanan",
        "ferrous-scrap",
        "1200",
        "t",
        4200000,
        "open",
        {"recurring": ("monthly", "100", 12), "days": 14, "local_first_days": 7},
    ),
    ("plant@demo.test", "Debu EAF dalam jumbo bag", "eaf-dust", "80", "t", -650000, "closed", {"days": -2}),
    ("plant@demo.test", "Bata tahan api bekas ladle", "refractory-bricks", "40", "t", None, "draft", {"days": 20}),
    (
        "plant@demo.test",
        "Oli bekas mesin rolling",
        "used-lube-oil",
        "6000",
        "L",
        2500,
        "cancelled",
        {"days": 10, "reason": "Oli sudah diserahkan ke pengumpul berizin lain (demo)."},
    ),
    (
        "petrokimia@demo.test",
        "Katalis bekas unit hidrogenasi",
        "spent-catalyst",
        "25",
        "t",
        -3500000,
        "open",
        {"days": 12},
    ),
    (
        "petrokimia@demo.test",
        "Pelarut bekas (toluena) dalam drum",
        "spent-solvents",
        "12000",
        "L",
        -1800,
        "open",
        {"days": 7, "packaging": "drum", "form": "liquid"},
    ),
    (
        "petrokimia@demo.test",
        "Drum bekas B3 kosong 200 L",
        "b3-packaging",
        "400",
        "unit",
        35000,
        "open",
        {"days": 4, "packaging": "other"},
    ),
    (
        "petrokimia@demo.test",
        "Plastik film pembungkus palet",
        "plastic-film",
        "8000",
        "kg",
        1500,
        "unawarded",
        {"days": -6},
    ),
    (
        "klor@demo.test",
        "Lumpur IPAL terdewatering",
        "wwtp-sludge",
        "150",
        "t",
        -400000,
        "open",
        {"days": 8, "form": "sludge"},
    ),
    ("klor@demo.test", "Kain majun terkontaminasi", "contaminated-rags-ppe", "900", "kg", -6000, "draft", {"days": 15}),
    (
        "pltu@demo.test",
        "Fly ash PLTU, 5.000 t per bulan",
        "fly-ash-pltu",
        "60000",
        "t",
        25000,
        "open",
        {"recurring": ("monthly", "5000", 12), "days": 21, "form": "powder", "local_first_days": 10},
    ),
    (
        "pltu@demo.test",
        "Bottom ash PLTU untuk bahan konstruksi",
        "bottom-ash-pltu",
        "9000",
        "t",
        0,
        "closed",
        {"days": -1},
    ),
    (
        "pltu@demo.test",
        "Gipsum FGD dari desulfurisasi",
        "fgd-gypsum",
        "3000",
        "t",
        30000,
        "open",
        {"days": 16, "form": "powder"},
    ),
]


def demo_photo(category: WasteCategory, title: str, seed: int) -> uploads.CleanUpload:
    """A drawn picture of a heap in the category's colours, passed through the upload checks."""
    dark, light = GROUP_COLOURS.get(category.group, GROUP_COLOURS["other"])
    image = Image.new("RGB", (960, 720), light)
    draw = ImageDraw.Draw(image)
    for step in range(0, 720, 8):
        shade = tuple(int(light[i] + (dark[i] - light[i]) * step / 720) for i in range(3))
        draw.rectangle([0, step, 960, step + 8], fill=shade)
    draw.polygon([(80 + seed * 20, 650), (480, 180 + seed * 15), (900 - seed * 10, 650)], fill=dark)
    draw.rectangle([0, 650, 960, 720], fill=(60, 60, 60))
    draw.text((24, 24), title[:60], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return uploads.clean_photo(SimpleUploadedFile("demo.jpg", buffer.getvalue(), content_type="image/jpeg"))


def load_demo_lots() -> int:
    ensure_catalogue()
    created = 0
    now = timezone.now()
    categories = {c.code: c for c in WasteCategory.objects.all()}
    for index, (email, title, code, quantity, unit, price, status, options) in enumerate(LOTS):
        user = User.objects.select_related("membership__organisation").get(email=email)
        organisation = user.membership.organisation
        if not organisation.is_verified or WasteLot.objects.filter(plant=organisation, title=title).exists():
            continue
        category = categories[code]
        days = options.get("days", 7)
        recurring = options.get("recurring")
        fields = {
            "title": title,
            "category": category,
            "description": f"{category.name_id}. {title}. Data demo WasteX, bukan penawaran nyata.",
            "physical_form": options.get("form", "solid"),
            "packaging": options.get("packaging", "bulk"),
            "quantity": Decimal(quantity),
            "unit": unit,
            "is_recurring": bool(recurring),
            "frequency": recurring[0] if recurring else "",
            "quantity_per_period": Decimal(recurring[1]) if recurring else None,
            "contract_months": recurring[2] if recurring else None,
            "composition": "Fe total 62 %, H2O < 5 % (contoh)." if category.group == "metals" else "",
            "site_address": organisation.address,
            "site_kecamatan": organisation.kecamatan or "ciwandan",
            "latitude": organisation.latitude,
            "longitude": organisation.longitude,
            "available_from": (now - timedelta(days=3)).date(),
            "available_until": (now + timedelta(days=90)).date(),
            "closes_at": now + timedelta(days=max(days, 1), hours=index),
            "bidding_mode": options.get("bidding_mode", "sealed"),
            "reserve_price": price,
            "local_first_days": options.get("local_first_days", 0),
        }
        lot = services.lot_create(acting_user=user, fields=fields)
        for photo_number in range(2 if index % 3 == 0 else 1):
            services.attachment_add(
                lot=lot,
                acting_user=user,
                kind=LotAttachment.Kind.PHOTO,
                original_name=f"{code}-{photo_number + 1}.jpg",
                clean=demo_photo(category, title, index + photo_number),
            )
        if status != "draft":
            services.lot_publish(lot=lot, acting_user=user)
        if status in ("closed", "unawarded"):
            WasteLot.objects.filter(pk=lot.pk).update(closes_at=now + timedelta(days=days))
            services.lot_close_if_overdue(lot)
        if status == "unawarded":
            services.lot_transition(
                lot=lot,
                to_status=WasteLot.Status.UNAWARDED,
                acting_user=user,
                note="Tidak ada penawaran yang memenuhi harga cadangan (demo).",
            )
        if status == "cancelled":
            services.lot_cancel(lot=lot, acting_user=user, reason=options["reason"])
        created += 1
    return created


# Licences of demo processors: (processor admin e-mail, number, categories, codes, t/month, status)
LICENCES = [
    (
        "processor@demo.test",
        "PERTEK-B3/0042/2026",
        ["used-lube-oil", "b3-packaging", "contaminated-rags-ppe"],
        "B105d, B104d",
        "40",
        "verified",
    ),
    (
        "karawang@demo.test",
        "PERTEK-B3/0913/2025",
        ["spent-catalyst", "spent-solvents", "wwtp-sludge", "used-lube-oil"],
        "",
        "500",
        "verified",
    ),
    ("serang@demo.test", "PERTEK-B3/0107/2026", ["spent-solvents"], "", "30", "pending"),
]

# Bids on the open demo lots: (lot title, bidder e-mail, price per unit, share of the lot, route)
BIDS = [
    ("Mill scale kering dari rolling mill", "processor@demo.test", 480000, "0.5", "recycling"),
    ("Mill scale kering dari rolling mill", "logam@demo.test", 510000, "1", "recycling"),
    ("Slag baja EAF, 1.200 t di stockyard Ciwandan", "semenhijau@demo.test", -12000, "1", "material-recovery"),
    ("Fly ash PLTU, 5.000 t per bulan", "semenhijau@demo.test", 30000, "0.5", "material-recovery"),
    ("Katalis bekas unit hidrogenasi", "karawang@demo.test", -3200000, "1", "material-recovery"),
    ("Drum bekas B3 kosong 200 L", "processor@demo.test", 40000, "1", "reuse"),
]

# Deals further along: (plant e-mail, title, category, quantity, unit, winner e-mail, price, final status)
DEALS = [
    (
        "plant@demo.test",
        "Skrap aluminium potongan profil",
        "aluminium-scrap",
        "12",
        "t",
        "logam@demo.test",
        18500000,
        "awarded",
    ),
    (
        "petrokimia@demo.test",
        "Palet kayu bekas",
        "wood-pallets",
        "600",
        "unit",
        "processor@demo.test",
        15000,
        "collected",
    ),
    (
        "klor@demo.test",
        "Kardus bekas gudang",
        "paper-cardboard",
        "4000",
        "kg",
        "processor@demo.test",
        1200,
        "completed",
    ),
]


def load_demo_licences():
    categories = {c.code: c for c in WasteCategory.objects.all()}
    for email, number, codes, waste_codes, capacity, status in LICENCES:
        organisation = User.objects.get(email=email).membership.organisation
        if Licence.objects.filter(organisation=organisation, number=number).exists():
            continue
        licence = Licence(
            organisation=organisation,
            kind=Licence.Kind.PERTEK,
            number=number,
            issuer="Kementerian Lingkungan Hidup (demo)",
            waste_codes=waste_codes,
            capacity_tonnes_per_month=Decimal(capacity),
            valid_from=timezone.localdate() - timedelta(days=200),
            valid_until=timezone.localdate() + timedelta(days=500 if status == "verified" else 300),
            status=status,
            reviewed_at=timezone.now() if status == "verified" else None,
        )
        licence.document.save("demo.pdf", ContentFile(DEMO_PDF), save=False)
        licence.save()
        licence.categories.set([categories[code] for code in codes])


DEMO_PDF = b"%PDF-1.4\n1 0 obj<< /Type /Catalog >>endobj\ntrailer<< /Root 1 0 R >>\n%%EOF\n"


def _licence_for(user, lot):
    if not lot.is_hazardous:
        return None
    for licence in Licence.objects.filter(organisation=user.membership.organisation).prefetch_related("categories"):
        if licence.covers(lot.category) and licence.is_valid_on(timezone.localdate() + timedelta(days=2)):
            return licence
    return None


def load_demo_bids() -> int:
    placed = 0
    for title, email, price, share, route in BIDS:
        lot = WasteLot.objects.filter(title=title, status=WasteLot.Status.OPEN).first()
        user = User.objects.get(email=email)
        if lot is None or lot.bids.filter(bidder=user.membership.organisation).exists():
            continue
        services.bid_place(
            lot=lot,
            acting_user=user,
            offer=services.BidOffer(
                price_per_unit=price,
                # a stream's bids are per period
                quantity=(lot.offered_per_award * Decimal(share)).quantize(Decimal("0.001")),
                pickup_date=max(lot.available_from, timezone.localdate()) + timedelta(days=2),
                route=route,
                licence=_licence_for(user, lot),
            ),
        )
        placed += 1
    return placed


def load_demo_deals() -> int:
    made = 0
    categories = {c.code: c for c in WasteCategory.objects.all()}
    now = timezone.now()
    for plant_email, title, code, quantity, unit, winner_email, price, final in DEALS:
        plant_person = User.objects.get(email=plant_email)
        organisation = plant_person.membership.organisation
        if WasteLot.objects.filter(plant=organisation, title=title).exists():
            continue
        category = categories[code]
        lot = services.lot_create(
            acting_user=plant_person,
            fields={
                "title": title,
                "category": category,
                "description": f"{category.name_id}. Data demo WasteX, bukan penawaran nyata.",
                "physical_form": "solid",
                "packaging": "bulk",
                "quantity": Decimal(quantity),
                "unit": unit,
                "site_address": organisation.address,
                "site_kecamatan": organisation.kecamatan or "ciwandan",
                "latitude": organisation.latitude,
                "longitude": organisation.longitude,
                "available_from": (now - timedelta(days=20)).date(),
                "closes_at": now + timedelta(days=1),
                "bidding_mode": "open",
                "reserve_price": price // 2,
            },
        )
        services.lot_publish(lot=lot, acting_user=plant_person)
        winner = User.objects.get(email=winner_email)
        bid = services.bid_place(
            lot=lot,
            acting_user=winner,
            offer=services.BidOffer(
                price_per_unit=price, quantity=Decimal(quantity), pickup_date=timezone.localdate(), route="recycling"
            ),
        )
        award = services.lot_award(lot=lot, bid=bid, acting_user=plant_person)
        # Demo data e-mails nobody: the award counts as told (the task skips told awards).
        Award.objects.filter(pk=award.pk).update(notified_at=timezone.now())
        if final in ("collected", "completed"):
            services.pickup_record(
                lot=lot,
                acting_user=winner,
                pickup_date=timezone.localdate(),
                carrier="PT Angkut Banten (demo)",
                vehicle="A 9000 XX",
                manifest_number="",
                quantity_sent=Decimal(quantity),
            )
        if final == "completed":
            services.processing_record(
                lot=lot,
                acting_user=winner,
                quantity_received=Decimal(quantity) * Decimal("0.99"),
                route_used="recycling",
                proof=uploads.clean_document(SimpleUploadedFile("sertifikat.pdf", DEMO_PDF)),
            )
            services.lot_confirm_completion(lot=lot, acting_user=plant_person)
            services.rating_give(lot=lot, acting_user=plant_person, stars=5, comment="Tepat waktu (demo).")
            services.rating_give(lot=lot, acting_user=winner, stars=4, comment="Timbangan sesuai (demo).")
        made += 1
    return made


# What demo processors process: (organisation slug, category, route, t/month, radius km)
CAPABILITIES = [
    ("daur-ulang-cibeber-demo", "mill-scale", "recycling", "600", 40),
    ("daur-ulang-cibeber-demo", "used-lube-oil", "material-recovery", "40", 60),
    ("daur-ulang-cibeber-demo", "ferrous-scrap", "recycling", "800", 40),
    ("mitra-logam-jombang-demo", "ferrous-scrap", "recycling", "1500", 30),
    ("mitra-logam-jombang-demo", "steel-slag", "recycling", "3000", 30),
    ("semen-hijau-bojonegara-demo", "fly-ash-pltu", "recycling", "5000", 50),
    ("semen-hijau-bojonegara-demo", "bottom-ash-pltu", "recycling", "3000", 50),
    ("semen-hijau-bojonegara-demo", "fgd-gypsum", "recycling", "2000", 50),
    ("b3-karawang-demo", "spent-catalyst", "treatment", "200", 150),
    ("b3-karawang-demo", "spent-solvents", "energy-recovery", "300", 150),
    ("olah-limbah-serang-demo", "wood-pallets", "reuse", "100", 40),
]


def load_demo_matching() -> int:
    """Capabilities, a wanted notice and an alert, then the open demo lots matched (no e-mail: demo data)."""
    for slug, code, route, capacity, radius in CAPABILITIES:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None or organisation.latitude is None:
            continue
        Capability.objects.get_or_create(
            organisation=organisation,
            category=WasteCategory.objects.get(code=code),
            defaults={
                "route": route,
                "capacity_tonnes_per_month": Decimal(capacity),
                "latitude": organisation.latitude,
                "longitude": organisation.longitude,
                "radius_km": radius,
            },
        )
    semen = Organisation.objects.filter(slug="semen-hijau-bojonegara-demo").first()
    if semen and not WantedNotice.objects.filter(organisation=semen).exists():
        WantedNotice.objects.create(
            organisation=semen,
            created_by=User.objects.filter(membership__organisation=semen).first(),
            category=WasteCategory.objects.get(code="spent-bleaching-earth"),
            quantity_tonnes_per_month=Decimal("150"),
            specification="Oil content below 20 %, no free liquid; for co-processing in our kiln.",
            price_per_tonne=-250000,
        )
    watcher = User.objects.filter(email="processor@demo.test").first()
    if watcher and not SavedSearch.objects.filter(user=watcher).exists():
        saved_search_create(acting_user=watcher, query="group=metals", name="Scrap logam di Cilegon")
    created = 0
    for lot in WasteLot.objects.filter(status=WasteLot.Status.OPEN).select_related("category", "plant"):
        found = find_matches(lot, banten_only=lot.is_local_first_now)
        created += len(save_matches(lot, found))
    return created
