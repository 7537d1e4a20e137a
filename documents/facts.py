"""What a document states, taken from the lot on the day it is issued, and the bilingual wording of the forms.

The paper is an official form: every label is printed in Indonesian and English at once, whatever language the
person who caused it speaks, so these pairs are written here rather than translated through the catalogue.
The facts never hold a price: the verification page and the PDF show quantities, parties and dates only.
"""

from django.utils import timezone, translation

from core import numbers
from listings.models import Route, WasteCategory, WasteLot

# kind: (Indonesian title, English title, Indonesian statement, English statement)
TITLES = {
    "award-letter": (
        "Surat Penunjukan",
        "Award letter",
        "Dengan surat ini Pihak Pertama menunjuk Pihak Kedua untuk mengambil dan mengolah limbah tersebut di atas "
        "sesuai penawarannya di WasteX dan peraturan yang berlaku.",
        "By this letter the first party appoints the second party to collect and process the waste above, as "
        "offered on WasteX and in accordance with the regulations in force.",
    ),
    "handover-record": (
        "Berita Acara Serah Terima",
        "Handover record",
        "Pada tanggal tersebut di atas Pihak Pertama telah menyerahkan dan Pihak Kedua telah menerima limbah "
        "tersebut di atas dengan jumlah yang ditimbang keluar sebagaimana tercatat.",
        "On the date above the first party handed over and the second party received the waste above, in the "
        "quantity weighed out as recorded.",
    ),
    "processing-certificate": (
        "Sertifikat Pengolahan Limbah",
        "Processing certificate",
        "Pihak Kedua telah mengolah limbah tersebut di atas dan Pihak Pertama telah mengonfirmasi bahwa "
        "pengolahan telah selesai.",
        "The second party has processed the waste above and the first party has confirmed that processing is complete.",
    ),
}

LABELS = {
    "Number": "Nomor",
    "Issued": "Diterbitkan",
    "Parties": "Para pihak",
    "First party": "Pihak Pertama",
    "Second party": "Pihak Kedua",
    "First party (waste generator)": "Pihak Pertama (penghasil limbah)",
    "Second party (processor)": "Pihak Kedua (pengolah)",
    "Waste lot": "Lot limbah",
    "Lot reference": "Referensi lot",
    "Title": "Judul",
    "Waste category": "Kategori limbah",
    "Waste code": "Kode limbah",
    "Quantity of the lot": "Jumlah lot",
    "Details": "Rincian",
    "Awarded on": "Ditetapkan pada",
    "Awarded quantity": "Jumlah yang ditetapkan",
    "Processing route offered": "Rute pengolahan yang ditawarkan",
    "Pickup date": "Tanggal pengambilan",
    "Manifest number": "Nomor manifes",
    "Carrier": "Pengangkut",
    "Vehicle": "Kendaraan",
    "Quantity weighed out": "Jumlah ditimbang keluar",
    "Quantity received": "Jumlah diterima",
    "Processing route used": "Rute pengolahan yang digunakan",
    "Processing date": "Tanggal pengolahan",
    "Completion confirmed": "Penyelesaian dikonfirmasi",
    "Signatures": "Tanda tangan",
    "Name": "Nama",
    "Position": "Jabatan",
    "Check that this document is genuine": "Periksa keaslian dokumen ini",
    "Verification code": "Kode verifikasi",
}


def label_both(english: str) -> str:
    """ "Nomor / Number": the Indonesian label, then the English one."""
    return f"{LABELS[english]} / {english}"


def unit_label(unit: str, language: str) -> str:
    with translation.override(language):
        return str(WasteCategory.Unit(unit).label)


def route_both(route: str) -> str:
    if not route:
        return "-"
    with translation.override("id"):
        indonesian = str(Route(route).label)
    with translation.override("en"):
        english = str(Route(route).label)
    return indonesian if indonesian == english else f"{indonesian} / {english}"


def _party(organisation) -> dict:
    return {
        "name": organisation.name,
        "nib": organisation.nib or "",
        "address": organisation.address,
        "city": organisation.city,
    }


def _moment(value) -> str | None:
    return timezone.localtime(value).replace(microsecond=0).isoformat() if value else None


def lot_facts(lot: WasteLot, *, kind: str, code: str, issued_at) -> dict:
    """The facts of a decided lot for a document of this kind (the lot joined with its award and handover)."""
    award = lot.award
    category = lot.category
    facts = {
        "kind": kind,
        "code": code,
        "issued_at": _moment(issued_at),
        "plant": _party(lot.plant),
        "processor": _party(award.bid.bidder),
        "lot": {
            "reference": lot.reference,
            "title": lot.title,
            "category_code": category.code,
            "category_name_id": category.name_id,
            "category_name_en": category.name_en,
            "indonesian_code": category.indonesian_code or "",
            "hazardous": lot.is_hazardous,
            "quantity": numbers.plain(lot.quantity),
            "unit": lot.unit,
        },
        "award": {
            "awarded_at": _moment(award.awarded_at),
            "quantity": numbers.plain(award.bid.quantity),
            "route": award.bid.route,
            "route_label": route_both(award.bid.route),
        },
    }
    handover = getattr(lot, "handover", None)
    if kind in ("handover-record", "processing-certificate") and handover is not None:
        facts["handover"] = {
            "pickup_date": handover.pickup_date.isoformat(),
            "manifest_number": handover.manifest_number,
            "carrier": handover.carrier,
            "vehicle": handover.vehicle,
            "quantity_sent": numbers.plain(handover.quantity_sent),
        }
    if kind == "processing-certificate" and handover is not None:
        completed = lot.transitions.filter(to_status=WasteLot.Status.COMPLETED).order_by("-created_at").first()
        facts["processing"] = {
            "quantity_received": numbers.plain(handover.quantity_received),
            "route": handover.route_used,
            "route_label": route_both(handover.route_used),
            "processing_date": handover.processing_date.isoformat() if handover.processing_date else None,
            "completed_at": _moment(completed.created_at) if completed else None,
        }
    return facts
