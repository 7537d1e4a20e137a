"""What a document states, taken from the contract (the award, and for a handover record or a processing
certificate the period and its handover) on the day it is issued, and the bilingual wording of the forms.

The paper is an official form: every label is printed in Indonesian and English at once, whatever language the
person who caused it speaks, so these pairs are written here rather than translated through the catalogue.
The facts never hold a price: the verification page and the PDF show quantities, parties and dates only.
"""

from django.core.exceptions import ObjectDoesNotExist
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

# A recurring stream's contract says so: its award letter appoints for a share per period, its certificates are
# per period and recorded by the processor (no completion is confirmed per period). Its handover record says
# the same as a one-off lot's (the period is among its details).
PERIOD_STATEMENTS = {
    "award-letter": (
        "Dengan surat ini Pihak Pertama menunjuk Pihak Kedua untuk mengambil dan mengolah bagiannya dari aliran "
        "limbah tersebut di atas pada setiap periode kontrak, sesuai penawarannya di WasteX dan peraturan yang "
        "berlaku.",
        "By this letter the first party appoints the second party to collect and process its share of the waste "
        "stream above in each period of the contract, as offered on WasteX and in accordance with the regulations "
        "in force.",
    ),
    "processing-certificate": (
        "Pihak Kedua telah mengolah limbah yang diserahkan pada periode kontrak tersebut di atas sebagaimana tercatat.",
        "The second party has processed the waste handed over in the contract period above, as recorded.",
    ),
}

FREQUENCIES = {
    "weekly": ("mingguan", "weekly"),
    "monthly": ("bulanan", "monthly"),
    "quarterly": ("triwulanan", "quarterly"),
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
    "Awarded quantity per period": "Jumlah yang ditetapkan per periode",
    "Quantity per period of the stream": "Jumlah aliran per periode",
    "Contract periods": "Periode kontrak",
    "Contract period": "Periode kontrak",
    "Processing recorded": "Pengolahan dicatat",
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


def _period_text(number: int, starts_on, ends_on) -> dict:
    return {
        "number": number,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
    }


def contract_facts(lot: WasteLot, award, period, *, kind: str, code: str, issued_at) -> dict:
    """The facts of a contract for a document of this kind: the lot, the award (for a recurring stream its share
    per period and its schedule) and, for a handover record or a processing certificate, the period's handover.
    Never a price."""
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
            # A one-off lot's letter states what the bid offered, as it always did; a stream's its share.
            "quantity": numbers.plain(award.quantity if lot.is_recurring else award.bid.quantity),
            "route": award.bid.route,
            "route_label": route_both(award.bid.route),
        },
    }
    if lot.is_recurring:
        periods = list(award.periods.order_by("number"))
        facts["lot"].update(
            recurring=True,
            frequency=lot.frequency,
            quantity_per_period=numbers.plain(lot.quantity_per_period),
        )
        facts["award"].update(
            per_period=True,
            contract=award.pk,
            periods=len(periods),
            first_period=_period_text(periods[0].number, periods[0].starts_on, periods[0].ends_on) if periods else None,
            last_period=_period_text(periods[-1].number, periods[-1].starts_on, periods[-1].ends_on)
            if periods
            else None,
        )
        if kind != "award-letter" and period is not None:
            facts["period"] = _period_text(period.number, period.starts_on, period.ends_on)
    handover = period.handover if kind != "award-letter" and period is not None and _has_handover(period) else None
    if handover is not None:
        facts["handover"] = {
            "pickup_date": handover.pickup_date.isoformat(),
            "manifest_number": handover.manifest_number,
            "carrier": handover.carrier,
            "vehicle": handover.vehicle,
            "quantity_sent": numbers.plain(handover.quantity_sent),
        }
    if kind == "processing-certificate" and handover is not None:
        facts["processing"] = {
            "quantity_received": numbers.plain(handover.quantity_received),
            "route": handover.route_used,
            "route_label": route_both(handover.route_used),
            "processing_date": handover.processing_date.isoformat() if handover.processing_date else None,
        }
        if lot.is_recurring:
            facts["processing"]["recorded_at"] = _moment(handover.processing_recorded_at)
            facts["processing"]["completed_at"] = None
        else:
            completed = lot.transitions.filter(to_status=WasteLot.Status.COMPLETED).order_by("-created_at").first()
            facts["processing"]["completed_at"] = _moment(completed.created_at) if completed else None
    return facts


def _has_handover(period) -> bool:
    try:
        return period.handover is not None
    except ObjectDoesNotExist:
        return False
