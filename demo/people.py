"""Demo organisations and people: clearly fictional Cilegon plants, Banten processors, an authority, staff.

Idempotent: organisations are keyed by slug and people by e-mail, so running it twice changes nothing.
Every name ends in "(Demo)" and every NIB starts with 99, so nobody mistakes them for real firms.
"""

import base64
from decimal import Decimal

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from members.models import (
    AuditEntry,
    JapnasListUpload,
    JapnasMember,
    Membership,
    Organisation,
    OrganisationChangeRequest,
    User,
    VerificationEvent,
)

DEMO_PASSWORD = "wastex-demo"  # noqa: S105 - public, documented in the README; demo logins only
# The demo staff member's authenticator secret, public like the password (README; `manage.py demo_code` prints
# the current code). Demo data only: a real staff member sets up their own app at their first log-in.
DEMO_TOTP_SECRET = "O5QXG5DFPAWWIZLNN4WXG5DBMZTC2MBQ"  # noqa: S105 - base32 of "wastex-demo-staff-00"
DEMO_TOTP_DEVICE_NAME = "Demo authenticator (public secret, demo only)"

V, U, R = Organisation.Status.VERIFIED, Organisation.Status.UNVERIFIED, Organisation.Status.REJECTED
PLANT, PROC = Organisation.Kind.PLANT, Organisation.Kind.PROCESSOR

# Plants that chose to show their name to visitors on their open lots (the others keep the default: hidden).
SHOWN_TO_VISITORS = {"petrokimia-teluk-demo"}

# slug, name, kind, nib, address, city, kecamatan, province, lat, lon, japnas, status
ORGANISATIONS = [
    (
        "baja-selat-sunda-demo",
        "PT Baja Selat Sunda (Demo)",
        PLANT,
        "9900000000011",
        "Jl. Industri Baja No. 1",
        "Kota Cilegon",
        "ciwandan",
        "banten",
        "-6.0290",
        "105.9560",
        "",
        V,
    ),
    (
        "petrokimia-teluk-demo",
        "PT Petrokimia Teluk Banten (Demo)",
        PLANT,
        "9900000000012",
        "Jl. Raya Anyer Km 3",
        "Kota Cilegon",
        "grogol",
        "banten",
        "-5.9980",
        "105.9810",
        "",
        V,
    ),
    (
        "klor-alkali-merak-demo",
        "PT Klor Alkali Merak (Demo)",
        PLANT,
        "9900000000013",
        "Jl. Pelabuhan Merak No. 8",
        "Kota Cilegon",
        "pulomerak",
        "banten",
        "-5.9350",
        "106.0040",
        "",
        V,
    ),
    (
        "pltu-suralaya-timur-demo",
        "PT Listrik Pantai Utara (Demo)",
        PLANT,
        "9900000000014",
        "Jl. PLTU No. 2",
        "Kota Cilegon",
        "pulomerak",
        "banten",
        "-5.8920",
        "106.0330",
        "",
        V,
    ),
    (
        "semen-citangkil-demo",
        "PT Semen Citangkil (Demo)",
        PLANT,
        "9900000000015",
        "Jl. Citangkil Raya No. 40",
        "Kota Cilegon",
        "citangkil",
        "banten",
        "-6.0230",
        "106.0190",
        "",
        U,
    ),
    (
        "daur-ulang-cibeber-demo",
        "CV Daur Ulang Cibeber (Demo)",
        PROC,
        "9900000000021",
        "Jl. Cibeber Indah No. 12",
        "Kota Cilegon",
        "cibeber",
        "banten",
        "-6.0340",
        "106.0600",
        "JPN-BTN-0042",
        V,
    ),
    (
        "olah-limbah-serang-demo",
        "PT Olah Limbah Serang Mandiri (Demo)",
        PROC,
        "9900000000022",
        "Jl. Raya Serang-Cilegon Km 5",
        "Kabupaten Serang",
        "",
        "banten",
        "-6.0850",
        "106.1100",
        "JPN-BTN-0107",
        V,
    ),
    (
        "mitra-logam-jombang-demo",
        "PT Mitra Logam Jombang (Demo)",
        PROC,
        "9900000000023",
        "Jl. Jombang Kali No. 3",
        "Kota Cilegon",
        "jombang",
        "banten",
        "-6.0100",
        "106.0500",
        "",
        V,
    ),
    (
        "semen-hijau-bojonegara-demo",
        "PT Semen Hijau Bojonegara (Demo)",
        PROC,
        "9900000000024",
        "Jl. Bojonegara Km 1",
        "Kabupaten Serang",
        "",
        "banten",
        "-5.9700",
        "106.1000",
        "JPN-BTN-0131",
        V,
    ),
    (
        "b3-karawang-demo",
        "PT Pengolah B3 Karawang (Demo)",
        PROC,
        "9900000000025",
        "Kawasan Industri Blok C-7",
        "Kabupaten Karawang",
        "",
        "jawa-barat",
        "-6.3200",
        "107.3000",
        "",
        V,
    ),
    (
        "plastik-baru-demo",
        "CV Plastik Baru Purwakarta (Demo)",
        PROC,
        "9900000000026",
        "Jl. Purwakarta No. 9",
        "Kota Cilegon",
        "purwakarta",
        "banten",
        "",
        "",
        "JPN-BTN-0150",
        U,
    ),
    (
        "arang-aktif-demo",
        "UD Arang Aktif Sejahtera (Demo)",
        PROC,
        "9900000000027",
        "Jl. Lingkar Selatan No. 77",
        "Kota Serang",
        "",
        "banten",
        "",
        "",
        "",
        R,
    ),
    (
        "dlh-cilegon-demo",
        "Dinas Lingkungan Hidup Kota Cilegon (Demo)",
        Organisation.Kind.AUTHORITY,
        None,
        "Jl. Jenderal Sudirman No. 2",
        "Kota Cilegon",
        "cilegon",
        "banten",
        "",
        "",
        "",
        V,
    ),
    (
        "wastex-secretariat-demo",
        "Sekretariat WasteX Japnas Banten (Demo)",
        Organisation.Kind.OPERATOR,
        None,
        "Jl. Ki Mas Jong No. 5",
        "Kota Cilegon",
        "jombang",
        "banten",
        "",
        "",
        "",
        V,
    ),
]

# e-mail, full name, organisation slug, role, is staff
PEOPLE = [
    ("plant@demo.test", "Rina Hartono", "baja-selat-sunda-demo", Membership.Role.ADMIN, False),
    ("plant2@demo.test", "Dedi Kurniawan", "baja-selat-sunda-demo", Membership.Role.MEMBER, False),
    ("petrokimia@demo.test", "Agus Salim", "petrokimia-teluk-demo", Membership.Role.ADMIN, False),
    ("klor@demo.test", "Maya Lestari", "klor-alkali-merak-demo", Membership.Role.ADMIN, False),
    ("pltu@demo.test", "Yusuf Hidayat", "pltu-suralaya-timur-demo", Membership.Role.ADMIN, False),
    ("semen@demo.test", "Lina Marlina", "semen-citangkil-demo", Membership.Role.ADMIN, False),
    ("processor@demo.test", "Budi Santoso", "daur-ulang-cibeber-demo", Membership.Role.ADMIN, False),
    ("serang@demo.test", "Siti Rahmawati", "olah-limbah-serang-demo", Membership.Role.ADMIN, False),
    ("logam@demo.test", "Hendra Wijaya", "mitra-logam-jombang-demo", Membership.Role.ADMIN, False),
    ("semenhijau@demo.test", "Fajar Nugroho", "semen-hijau-bojonegara-demo", Membership.Role.ADMIN, False),
    ("karawang@demo.test", "Dewi Anggraini", "b3-karawang-demo", Membership.Role.ADMIN, False),
    ("unverified@demo.test", "Rudi Hermawan", "plastik-baru-demo", Membership.Role.ADMIN, False),
    ("rejected@demo.test", "Tono Sugiarto", "arang-aktif-demo", Membership.Role.ADMIN, False),
    ("official@demo.test", "Ibu Nurul Aini", "dlh-cilegon-demo", Membership.Role.ADMIN, False),
    ("staff@demo.test", "Andi Prasetyo", "wastex-secretariat-demo", Membership.Role.ADMIN, True),
]


def load_demo_members() -> tuple[int, int]:
    """Create what is missing; return (organisations created, people in the demo)."""
    staff = None
    organisations = {}
    for slug, name, kind, nib, address, city, kecamatan, province, lat, lon, japnas, status in ORGANISATIONS:
        organisation, created = Organisation.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "kind": kind,
                "nib": nib,
                "address": address,
                "city": city,
                "kecamatan": kecamatan,
                "province": province,
                "latitude": Decimal(lat) if lat else None,
                "longitude": Decimal(lon) if lon else None,
                "japnas_number": japnas,
                "phone": f"+62 254 {380 + len(organisations):03d} {1000 + len(organisations) * 7:04d}",
                "show_name_to_visitors": slug in SHOWN_TO_VISITORS,
            },
        )
        organisations[slug] = (organisation, created, status)

    for email, full_name, slug, role, is_staff in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, DEMO_PASSWORD, full_name=full_name, is_staff=is_staff, is_superuser=is_staff
            )
        Membership.objects.get_or_create(user=user, defaults={"organisation": organisations[slug][0], "role": role})
        if is_staff:
            staff = user
            demo_totp_device(user)

    # Demo organisations get their history written directly, already "told": loading demo data must not
    # e-mail anybody. Real changes go through members.services.
    for organisation, created, status in organisations.values():
        if not created:
            continue
        VerificationEvent.objects.create(
            organisation=organisation, to_status=U, reason="Demo data", notified_at=timezone.now()
        )
        if status != U:
            organisation.verification_status = status
            organisation.verified_at = timezone.now() if status == V else None
            organisation.save(update_fields=["verification_status", "verified_at"])
            VerificationEvent.objects.create(
                organisation=organisation,
                from_status=U,
                to_status=status,
                actor=staff,
                reason="" if status == V else "NIB tidak ditemukan di OSS (demo).",
                notified_at=timezone.now(),
            )
            AuditEntry.objects.create(
                kind=f"organisation_{status}",
                actor=staff,
                organisation=organisation,
                details={"from": U},
                reason="" if status == V else "NIB tidak ditemukan di OSS (demo).",
            )
    _load_demo_trust(staff, organisations["b3-karawang-demo"][0])
    return sum(1 for _, created, _ in organisations.values() if created), len(PEOPLE)


# Japnas's member list as staff uploaded it (JPN-BTN-0150, the unverified processor's number, is not on it:
# its review page warns), and a change waiting for staff: the Karawang processor says it moved to Banten.
JAPNAS_LIST = [
    ("JPN-BTN-0042", "Daur Ulang Cibeber"),
    ("JPN-BTN-0107", "Olah Limbah Serang"),
    ("JPN-BTN-0131", "Semen Hijau Bojonegara"),
    ("JPN-BTN-0200", "PT Anggota Lain"),
]


def _load_demo_trust(staff, karawang) -> None:
    if not JapnasListUpload.objects.exists():
        upload = JapnasListUpload.objects.create(
            filename="anggota-japnas-banten-demo.csv", member_count=len(JAPNAS_LIST), uploaded_by=staff
        )
        JapnasMember.objects.bulk_create(
            [JapnasMember(number=number, name=name, upload=upload) for number, name in JAPNAS_LIST]
        )
        AuditEntry.objects.create(
            kind=AuditEntry.Kind.JAPNAS_LIST_UPLOADED,
            actor=staff,
            details={"members": len(JAPNAS_LIST), "file": upload.filename},
        )
    if not karawang.change_requests.exists():
        OrganisationChangeRequest.objects.create(
            organisation=karawang,
            requested_by=karawang.memberships.first().user if karawang.memberships.exists() else None,
            changes={
                "city": [karawang.city, "Kota Serang"],
                "province": [karawang.province, "banten"],
                "japnas_number": [karawang.japnas_number, "JPN-BTN-0999"],
            },
        )


def demo_totp_device(user: User) -> TOTPDevice:
    """Staff sign in with a second factor; the demo staff member's is an authenticator with a public secret."""
    device, _created = TOTPDevice.objects.get_or_create(
        user=user,
        name=DEMO_TOTP_DEVICE_NAME,
        defaults={"key": base64.b32decode(DEMO_TOTP_SECRET).hex(), "confirmed": True},
    )
    return device
