"""Building the yearly evidence pack: the figures (the dashboard's own selectors, for the plant's scope and the
calendar year), a summary PDF (documents.evidence_pdf), the same as CSV, and the plant's documents of the deals
delivered that year, in one ZIP written to a temporary file (memory stays flat) and then streamed to the
default storage.

The figures are the dashboard's: the totals and the Banten share are `completed_figures`, the categories and
their CO2e `by_category`, and the breakdowns by route and by province sum the same delivery rows
(`period_deals(..., on="completed_at")`), so every table adds up to the dashboard's total. A fixed number of
queries whatever the plant's size: the deliveries with their lots, handovers and processors in one query, the
documents in another.
"""

import hashlib
import io
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.files import File
from django.db.models import Count, Q, Sum
from django.utils import timezone

from core import numbers
from core.exports import SafeCsvWriter
from dashboard.expressions import tonnes
from dashboard.filters import Selection
from dashboard.selectors import Scope, by_category, completed_figures, period_deals
from dashboard.selectors.scope import share
from listings.models import Route, WasteCategory
from members.choices import Province

from . import evidence_pdf
from .evidence_models import EvidencePack
from .models import Document

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024


def year_selection(year: int) -> Selection:
    return Selection(first=date(year, 1, 1), last=date(year, 12, 31), period="year")


@dataclass
class Delivery:
    reference: str
    completed_at: object
    period_number: int | None
    processor: str
    processor_province: str
    processor_banten: bool
    quantity: Decimal | None
    unit: str
    tonnes: Decimal | None
    route_used: str
    manifest_number: str


@dataclass
class LotEntry:
    reference: str
    title: str
    category_code: str
    category_name_id: str
    category_name_en: str
    deliveries: list[Delivery] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)

    @property
    def tonnes(self) -> Decimal:
        return sum((d.tonnes for d in self.deliveries if d.tonnes is not None), Decimal("0.000"))

    @property
    def processors(self) -> list[str]:
        return sorted({d.processor for d in self.deliveries})

    @property
    def manifest_numbers(self) -> list[str]:
        return [d.manifest_number for d in self.deliveries if d.manifest_number]

    @property
    def document_numbers(self) -> list[str]:
        return [document.number for document in self.documents]


def _known_route(value: str) -> str:
    return value if value in Route.values else ""


def delivered_by(rows, name: str, total_kg) -> list[dict]:
    return [
        {
            "key": row[name] or "",
            "deliveries": row["deliveries"],
            "tonnes": tonnes(row["kg"]),
            "share": share(row["kg"], total_kg),
        }
        for row in rows
    ]


def evidence_figures(organisation, year: int) -> dict:
    """Everything the pack states, for the plant and the calendar year (Asia/Jakarta)."""
    selection, scope = year_selection(year), Scope("plant", organisation)
    completed = completed_figures(selection, scope)
    deliveries = period_deals(selection, scope, on="completed_at")
    total_kg = deliveries.aggregate(kg=Sum("kg_completed"))["kg"]

    route_rows = {
        row["route_used"]: row
        for row in deliveries.values("route_used").annotate(deliveries=Count("pk"), kg=Sum("kg_completed")).order_by()
    }
    order = [*Route.values, *sorted(set(route_rows) - set(Route.values))]
    routes = delivered_by([route_rows[key] for key in order if key in route_rows], "route_used", total_kg)

    province_rows = (
        deliveries.values("processor__province")
        .annotate(deliveries=Count("pk"), kg=Sum("kg_completed"))
        .order_by("processor__province")
    )
    provinces = delivered_by(province_rows, "processor__province", total_kg)
    for row in provinces:
        row["label"] = Province(row["key"]).label if row["key"] in Province.values else row["key"]
    provinces.sort(key=lambda row: (-row["tonnes"], row["label"]))

    category_rows = [row for row in by_category(selection, scope) if row["completed_tonnes"] or row["co2e_tonnes"]]
    catalogue = {
        category.code: category
        for category in WasteCategory.objects.filter(code__in=[row["code"] for row in category_rows]).select_related(
            "co2e_source"
        )
    }
    categories = []
    for row in category_rows:
        category = catalogue[row["code"]]
        categories.append(
            {
                **row,
                "name_id": category.name_id,
                "name_en": category.name_en,
                "co2e_route": category.co2e_route if category.co2e_source_id else "",
                "co2e_source_title": category.co2e_source.title if category.co2e_source_id else "",
            }
        )
    categories.sort(key=lambda row: (-row["completed_tonnes"], row["code"]))
    sources = {}
    for row in categories:
        if row["co2e_source"]:
            sources[row["co2e_source"]] = row["co2e_source_title"]

    lots: dict[int, LotEntry] = {}
    rows = deliveries.select_related("lot", "category", "processor", "period__handover").order_by(
        "lot__reference", "completed_at", "pk"
    )
    for deal in rows:
        entry = lots.get(deal.lot_id)
        if entry is None:
            entry = lots[deal.lot_id] = LotEntry(
                reference=deal.lot.reference,
                title=deal.lot.title,
                category_code=deal.category.code,
                category_name_id=deal.category.name_id,
                category_name_en=deal.category.name_en,
            )
        handover = getattr(deal.period, "handover", None) if deal.period_id else None
        entry.deliveries.append(
            Delivery(
                reference=deal.lot.reference,
                completed_at=timezone.localtime(deal.completed_at),
                period_number=deal.period.number if deal.period_id else None,
                processor=deal.processor.name,
                processor_province=deal.processor.province,
                processor_banten=deal.processor_banten,
                quantity=deal.quantity_completed,
                unit=deal.unit,
                tonnes=tonnes(deal.kg_completed) if deal.kg_completed is not None else None,
                route_used=_known_route(deal.route_used),
                manifest_number=handover.manifest_number if handover else "",
            )
        )
    documents = list(plant_documents(organisation, deliveries))
    for document in documents:
        if document.lot_id in lots:
            lots[document.lot_id].documents.append(document)
    return {
        "organisation": organisation,
        "year": year,
        "selection": selection,
        "completed": completed,
        "categories": categories,
        "routes": routes,
        "provinces": provinces,
        "sources": sorted(sources.items()),
        "lots": sorted(lots.values(), key=lambda entry: entry.reference),
        "documents": documents,
    }


def plant_documents(organisation, deliveries):
    """The plant's valid documents of the year's deliveries, in one query (the deliveries by subqueries): the
    handover record and processing certificate of each period delivered, and the award letter of each contract
    (award) with a delivery in the year."""
    of_periods = Q(period__in=deliveries.values("period"))
    of_contracts = Q(period__isnull=True, award__in=deliveries.values("award"))
    return (
        Document.objects.filter(of_periods | of_contracts, plant=organisation, status=Document.Status.VALID)
        .select_related("lot")
        .order_by("lot__reference", "created_at", "pk")
    )


# --- CSV ---------------------------------------------------------------------------------------------------------


def _plain(value):
    """A CSV cell: Decimal without exponent, dates ISO, booleans true/false, None empty (as dashboard.exports)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return numbers.plain(value, places=None)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_tables(figures: dict) -> dict[str, tuple[list[str], list[list]]]:
    """name: (header, rows) of each CSV in the pack."""
    completed = figures["completed"]
    summary = [
        ["year", figures["year"], ""],
        ["plant", figures["organisation"].name, ""],
        ["deliveries_completed", completed["deals"], "deliveries"],
        ["tonnes_delivered", completed["tonnes"], "t"],
        ["tonnes_processed_in_banten", completed["banten_tonnes"], "t"],
        ["banten_share", completed["banten_share"], "%"],
        ["tonnes_processed_outside_banten", completed["leaving_tonnes"], "t"],
        ["co2e_avoided", completed["co2e_tonnes"], "t CO2e"],
        ["deliveries_without_co2e_factor", completed["without_factor"], "deliveries"],
        ["deliveries_by_routes_without_co2e", completed["other_route"], "deliveries"],
    ]
    categories = [
        [
            row["code"],
            row["name_id"],
            row["name_en"],
            row["completed_tonnes"],
            row["co2e_factor"],
            row["co2e_source"],
            row["co2e_source_title"],
            row["co2e_tonnes"],
        ]
        for row in figures["categories"]
    ]
    routes = [[row["key"], row["deliveries"], row["tonnes"], row["share"]] for row in figures["routes"]]
    provinces = [[row["label"], row["deliveries"], row["tonnes"], row["share"]] for row in figures["provinces"]]
    deliveries = []
    for entry in figures["lots"]:
        document_numbers = " ".join(entry.document_numbers)
        for delivery in entry.deliveries:
            deliveries.append(
                [
                    entry.reference,
                    entry.title,
                    entry.category_code,
                    delivery.completed_at,
                    delivery.period_number,
                    delivery.processor,
                    Province(delivery.processor_province).label
                    if delivery.processor_province in Province.values
                    else delivery.processor_province,
                    delivery.processor_banten,
                    delivery.route_used,
                    delivery.quantity,
                    delivery.unit,
                    delivery.tonnes,
                    delivery.manifest_number,
                    document_numbers,
                ]
            )
    documents = [
        [
            document.number,
            document.kind,
            document.lot.reference,
            timezone.localtime(document.created_at),
            document.sha256,
            f"documents/{document.number}.pdf",
        ]
        for document in figures["documents"]
    ]
    return {
        "summary": (["figure", "value", "unit"], summary),
        "categories": (
            [
                "category",
                "name_id",
                "name_en",
                "tonnes_delivered",
                "co2e_factor_t_per_t",
                "co2e_source",
                "co2e_source_title",
                "co2e_avoided_t",
            ],
            categories,
        ),
        "routes": (["route", "deliveries", "tonnes_delivered", "share_pct"], routes),
        "provinces": (["processor_province", "deliveries", "tonnes_delivered", "share_pct"], provinces),
        "deliveries": (
            [
                "lot",
                "title",
                "category",
                "delivered_at",
                "period",
                "processor",
                "processor_province",
                "processor_banten",
                "route_used",
                "quantity_received",
                "unit",
                "tonnes",
                "manifest_number",
                "documents",
            ],
            deliveries,
        ),
        "documents": (["number", "kind", "lot", "issued_at", "sha256", "file"], documents),
    }


def write_csv(archive: zipfile.ZipFile, name: str, header: list[str], rows: list[list]) -> None:
    with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = SafeCsvWriter(text, spell=_plain)
        writer.writerow(header)
        writer.writerows(rows)


# --- The build ---------------------------------------------------------------------------------------------------


def folder_name(pack: EvidencePack) -> str:
    return f"wastex-evidence-{pack.organisation.slug}-{pack.year}"


def download_name(pack: EvidencePack) -> str:
    return f"{folder_name(pack)}.zip"


class _Progress:
    """Writes the pack's progress when it moved by a few per cent (one UPDATE, outside any transaction)."""

    def __init__(self, pack: EvidencePack):
        self.pack, self.last = pack, pack.progress

    def __call__(self, value: int) -> None:
        value = max(0, min(99, int(value)))
        if value - self.last >= 5:
            EvidencePack.objects.filter(pk=self.pack.pk).update(progress=value)
            self.last = value


README = """WasteX - Paket bukti tahunan / Yearly evidence pack
{plant} - {year}

evidence-{year}.pdf   Ringkasan / Summary (PDF)
csv/                  Angka yang sama dalam CSV / The same figures as CSV
documents/            Dokumen pabrik untuk pengiriman tahun ini / The plant's documents of the year's deliveries

Angka sama dengan dasbor WasteX untuk pabrik dan tahun ini (WIB).
The figures equal the WasteX dashboard's for this plant and year (Asia/Jakarta).
"""


def write_zip(pack: EvidencePack, figures: dict, target, progress) -> list[str]:
    """The ZIP into `target` (a file); returns the numbers of documents whose file was missing from the store."""
    base = folder_name(pack)
    missing = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{base}/README.txt", README.format(plant=pack.organisation.name, year=pack.year))
        archive.writestr(f"{base}/evidence-{pack.year}.pdf", evidence_pdf.render(figures))
        progress(15)
        for name, (header, rows) in csv_tables(figures).items():
            write_csv(archive, f"{base}/csv/{name}.csv", header, rows)
        progress(20)
        documents = figures["documents"]
        for index, document in enumerate(documents, start=1):
            try:
                with document.file.open("rb") as source:
                    # PDFs are compressed already: stored as they are.
                    info = zipfile.ZipInfo(f"{base}/documents/{document.number}.pdf", date_time=_zip_time(document))
                    info.compress_type = zipfile.ZIP_STORED
                    with archive.open(info, "w") as copy:
                        shutil.copyfileobj(source, copy, CHUNK)
            except FileNotFoundError:
                logger.warning("Evidence pack %s: the file of document %s is missing", pack.pk, document.number)
                missing.append(document.number)
            progress(20 + 75 * index / len(documents))
        if missing:
            archive.writestr(
                f"{base}/documents/MISSING.txt",
                "Berkas tidak ditemukan / Files not found:\n" + "\n".join(missing) + "\n",
            )
    return missing


def _zip_time(document: Document) -> tuple:
    moment = timezone.localtime(document.created_at)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


def build(pack_id: int) -> str:
    """Build one pack, once: the row is claimed (waiting → being built) by a single UPDATE, so a duplicate
    message or a second worker does nothing. Any error marks the pack failed (and is logged); it can be asked
    for again. Returns the pack's status."""
    claimed = EvidencePack.objects.filter(pk=pack_id, status=EvidencePack.Status.PENDING).update(
        status=EvidencePack.Status.RUNNING, started_at=timezone.now(), progress=1
    )
    pack = EvidencePack.objects.select_related("organisation").filter(pk=pack_id).first()
    if pack is None:
        return "missing"
    if not claimed:
        return pack.status
    try:
        _build(pack)
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the page must say the build failed
        logger.exception("Evidence pack %s failed", pack_id)
        EvidencePack.objects.filter(pk=pack_id).update(
            status=EvidencePack.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:1000], finished_at=timezone.now()
        )
        return EvidencePack.Status.FAILED
    return EvidencePack.Status.READY


def _build(pack: EvidencePack) -> None:
    progress = _Progress(pack)
    figures = evidence_figures(pack.organisation, pack.year)
    figures["generated_at"] = timezone.localtime()
    progress(10)
    with tempfile.TemporaryFile() as spool:
        write_zip(pack, figures, spool, progress)
        spool.seek(0)
        digest = hashlib.sha256()
        while chunk := spool.read(CHUNK):
            digest.update(chunk)
        size = spool.tell()
        spool.seek(0)
        pack.file.save(download_name(pack), File(spool, name=download_name(pack)), save=False)
    pack.status = EvidencePack.Status.READY
    pack.progress = 100
    pack.size = size
    pack.sha256 = digest.hexdigest()
    pack.document_count = len(figures["documents"])
    pack.finished_at = timezone.now()
    pack.save(update_fields=["file", "status", "progress", "size", "sha256", "document_count", "finished_at"])
    # The earlier generations' files go: the newest pack says everything they said.
    older = EvidencePack.objects.filter(
        organisation=pack.organisation, year=pack.year, generation__lt=pack.generation
    ).exclude(file="")
    for old in older:
        old.file.delete(save=False)
        EvidencePack.objects.filter(pk=old.pk).update(file="")
