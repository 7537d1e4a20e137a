"""The bench organisations and their people: 400 plants across the eight kecamatan of Kota Cilegon, 1,000
processors (in Cilegon, elsewhere in Banten and outside it), one administrator each, and the official who
opens the dashboard."""

from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from bench.data.common import AUTHORITY_SLUG, DAY, EMAIL_DOMAIN, OFFICIAL_EMAIL, PINNED_PEOPLE, SLUG_PREFIX
from members.choices import Kecamatan, Province
from members.models import Membership, Organisation, User

PLANTS = 400
PROCESSORS = 1000

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


def _jitter(rng, centre, spread):
    return (
        Decimal(f"{centre[0] + rng.uniform(-spread, spread):.6f}"),
        Decimal(f"{centre[1] + rng.uniform(-spread, spread):.6f}"),
    )


def _person(rng) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def create_organisations(rng, now):
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


def create_people(rng, organisations):
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
