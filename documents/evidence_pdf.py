"""The summary PDF of a plant's yearly evidence pack, drawn with ReportLab like the deal documents
(documents.pdf): every label in Indonesian with English beside it, figures written the Indonesian way through
core.numbers, people's text escaped before it reaches ReportLab's markup."""

import io

from django.utils import formats, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle

from core import numbers

from .facts import route_both
from .pdf import PDF_LANGUAGE, _styles, text

LABELS = {
    "Yearly evidence pack": "Paket bukti tahunan",
    "Plant (waste generator)": "Pabrik (penghasil limbah)",
    "Year": "Tahun",
    "Period": "Periode",
    "Generated": "Dibuat",
    "Summary": "Ringkasan",
    "Deliveries completed": "Pengiriman selesai",
    "Tonnes delivered": "Tonase dikirim",
    "Processed in Banten": "Diolah di Banten",
    "Share processed in Banten": "Porsi diolah di Banten",
    "Processed outside Banten": "Diolah di luar Banten",
    "CO2e avoided": "CO2e yang dihindari",
    "Deliveries without a CO2e factor": "Pengiriman tanpa faktor CO2e",
    "Deliveries by routes without CO2e": "Pengiriman melalui rute tanpa CO2e",
    "By waste category": "Menurut kategori limbah",
    "Category": "Kategori",
    "Tonnes": "Ton",
    "Factor (t CO2e per t)": "Faktor (t CO2e per t)",
    "Source": "Sumber",
    "By processing route": "Menurut rute pengolahan",
    "Route": "Rute",
    "Deliveries": "Pengiriman",
    "Share": "Porsi",
    "By destination province (the processor's)": "Menurut provinsi tujuan (provinsi pengolah)",
    "Province": "Provinsi",
    "Sources of the CO2e factors": "Sumber faktor CO2e",
    "Lots delivered": "Lot yang dikirim",
    "Lot": "Lot",
    "Processor": "Pengolah",
    "Manifest numbers": "Nomor manifes",
    "Document numbers": "Nomor dokumen",
    "How the figures are counted": "Cara penghitungan",
    "Not recorded": "Tidak dicatat",
    "Nothing was delivered in this year.": "Tidak ada pengiriman pada tahun ini.",
}

METHOD_ID = (
    "Angka ini sama dengan dasbor WasteX untuk pabrik ini dan tahun kalender (WIB): pengiriman dihitung pada bulan "
    "pengolahannya dikonfirmasi, dengan jumlah yang diterima pengolah (dalam ton; liter, m³ dan unit tidak "
    "dihitung). Porsi Banten mengikuti status pengolah saat penetapan; provinsi tujuan adalah provinsi terdaftar "
    "pengolah saat ini. CO2e dihitung hanya untuk guna ulang, daur ulang dan pemulihan material, dengan faktor "
    "katalog yang bersumber."
)
METHOD_EN = (
    "These figures equal the WasteX dashboard's for this plant and calendar year (Asia/Jakarta): a delivery counts "
    "in the month its processing was confirmed, with the quantity the processor received (in tonnes; litres, m³ "
    "and units are not counted). The Banten share follows the processor's status when it won; the destination "
    "province is the processor's registered province today. CO2e is counted only for reuse, recycling and "
    "recovery as material, with the catalogue's sourced factors."
)


MANIFESTS_PER_ROW = 24
DOCUMENTS_PER_ROW = 12


def _chunks(values: list[str], size: int) -> list[list[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)] or [["-"]]


def both(english: str) -> str:
    return f"{LABELS[english]} / {english}"


def t(value) -> str:
    """Tonnes the Indonesian way, exactly (three decimals at most): "1.234,5 t"."""
    return numbers.quantity(value, "t", language=PDF_LANGUAGE)


def pct(value) -> str:
    return numbers.share(value, language=PDF_LANGUAGE) if value is not None else "-"


def _grid(rows, styles, widths, *, header=True):
    data = [[cell if hasattr(cell, "wrap") else Paragraph(str(cell), styles["cell"]) for cell in row] for row in rows]
    table = LongTable(data, colWidths=widths, hAlign="LEFT", repeatRows=1 if header else 0)
    commands = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(commands))
    return table


def _head(labels, styles):
    return [Paragraph(label, styles["label"]) for label in labels]


def _period(figures) -> str:
    selection = figures["selection"]
    with translation.override(PDF_LANGUAGE):
        first = formats.date_format(selection.first, "j F Y")
        last = formats.date_format(selection.last, "j F Y")
        generated = formats.date_format(figures["generated_at"], "j F Y, H:i")
    return f"{first} – {last} (WIB)", f"{generated} WIB"


def render(figures: dict) -> bytes:
    """The summary's bytes."""
    styles = _styles()
    organisation, completed = figures["organisation"], figures["completed"]
    period, generated = _period(figures)
    width = 257 * mm  # A4 landscape less the margins
    plant = f"<b>{text(organisation.name)}</b>"
    if organisation.nib:
        plant += f"<br/>NIB {text(organisation.nib)}"
    if organisation.address:
        plant += f"<br/>{text(organisation.address)}"
    if organisation.city:
        plant += f"<br/>{text(organisation.city)}"
    story = [
        Paragraph("WasteX · Bursa Limbah Industri Cilegon / Cilegon Industrial Waste Exchange", styles["head"]),
        Spacer(1, 3 * mm),
        Paragraph(f"{LABELS['Yearly evidence pack'].upper()} {figures['year']}", styles["title"]),
        Paragraph(f"Yearly evidence pack {figures['year']}", styles["subtitle"]),
        _grid(
            [
                [Paragraph(both("Plant (waste generator)"), styles["label"]), Paragraph(plant, styles["cell"])],
                [Paragraph(both("Period"), styles["label"]), period],
                [Paragraph(both("Generated"), styles["label"]), generated],
            ],
            styles,
            (70 * mm, width - 70 * mm),
            header=False,
        ),
        Paragraph(both("Summary"), styles["h2"]),
        _grid(
            [
                [
                    Paragraph(both("Deliveries completed"), styles["label"]),
                    numbers.format_number(completed["deals"], 0, language=PDF_LANGUAGE),
                ],
                [Paragraph(both("Tonnes delivered"), styles["label"]), f"<b>{t(completed['tonnes'])}</b>"],
                [Paragraph(both("Processed in Banten"), styles["label"]), t(completed["banten_tonnes"])],
                [
                    Paragraph(both("Share processed in Banten"), styles["label"]),
                    f"<b>{pct(completed['banten_share'])}</b>",
                ],
                [Paragraph(both("Processed outside Banten"), styles["label"]), t(completed["leaving_tonnes"])],
                [
                    Paragraph(both("CO2e avoided"), styles["label"]),
                    f"<b>{numbers.quantity(completed['co2e_tonnes'], 't CO2e', language=PDF_LANGUAGE)}</b>",
                ],
                [
                    Paragraph(both("Deliveries without a CO2e factor"), styles["label"]),
                    numbers.format_number(completed["without_factor"], 0, language=PDF_LANGUAGE),
                ],
                [
                    Paragraph(both("Deliveries by routes without CO2e"), styles["label"]),
                    numbers.format_number(completed["other_route"], 0, language=PDF_LANGUAGE),
                ],
            ],
            styles,
            (110 * mm, width - 110 * mm),
            header=False,
        ),
    ]
    if not figures["lots"]:
        story += [Spacer(1, 3 * mm), Paragraph(both("Nothing was delivered in this year."), styles["body"])]

    story.append(Paragraph(both("By waste category"), styles["h2"]))
    rows = [
        _head(
            [both("Category"), both("Tonnes"), both("Factor (t CO2e per t)"), both("Source"), both("CO2e avoided")],
            styles,
        )
    ]
    for row in figures["categories"]:
        rows.append(
            [
                f"{text(row['name_id'])} / {text(row['name_en'])} ({text(row['code'])})",
                t(row["completed_tonnes"]),
                numbers.format_number(row["co2e_factor"], language=PDF_LANGUAGE)
                if row["co2e_factor"] is not None
                else "-",
                text(row["co2e_source"]) or "-",
                numbers.quantity(row["co2e_tonnes"], "t", language=PDF_LANGUAGE),
            ]
        )
    story.append(_grid(rows, styles, (100 * mm, 35 * mm, 35 * mm, 50 * mm, 37 * mm)))

    story.append(Paragraph(both("By processing route"), styles["h2"]))
    rows = [_head([both("Route"), both("Deliveries"), both("Tonnes"), both("Share")], styles)]
    for row in figures["routes"]:
        label = route_both(row["key"]) if row["key"] else both("Not recorded")
        rows.append(
            [
                text(label),
                numbers.format_number(row["deliveries"], 0, language=PDF_LANGUAGE),
                t(row["tonnes"]),
                pct(row["share"]),
            ]
        )
    story.append(_grid(rows, styles, (120 * mm, 40 * mm, 50 * mm, 47 * mm)))

    story.append(Paragraph(both("By destination province (the processor's)"), styles["h2"]))
    rows = [_head([both("Province"), both("Deliveries"), both("Tonnes"), both("Share")], styles)]
    for row in figures["provinces"]:
        rows.append(
            [
                text(row["label"]) or "-",
                numbers.format_number(row["deliveries"], 0, language=PDF_LANGUAGE),
                t(row["tonnes"]),
                pct(row["share"]),
            ]
        )
    story.append(_grid(rows, styles, (120 * mm, 40 * mm, 50 * mm, 47 * mm)))

    if figures["sources"]:
        story.append(Paragraph(both("Sources of the CO2e factors"), styles["h2"]))
        rows = [_head([both("Source"), ""], styles)]
        rows += [[f"<b>{text(key)}</b>", text(title)] for key, title in figures["sources"]]
        story.append(_grid(rows, styles, (60 * mm, width - 60 * mm)))

    story.append(Paragraph(both("Lots delivered"), styles["h2"]))
    rows = [
        _head(
            [
                both("Lot"),
                both("Category"),
                both("Processor"),
                both("Deliveries"),
                both("Tonnes"),
                both("Manifest numbers"),
                both("Document numbers"),
            ],
            styles,
        )
    ]
    for entry in figures["lots"]:
        # A long stream's numbers run over several rows (a table row never splits across pages).
        manifests = _chunks(entry.manifest_numbers, MANIFESTS_PER_ROW)
        documents = _chunks(entry.document_numbers, DOCUMENTS_PER_ROW)
        for index in range(max(len(manifests), len(documents))):
            first = index == 0
            rows.append(
                [
                    f"<b>{text(entry.reference)}</b><br/>{text(entry.title)}"
                    if first
                    else f"{text(entry.reference)} …",
                    text(entry.category_code) if first else "",
                    "<br/>".join(text(name) for name in entry.processors) if first else "",
                    numbers.format_number(len(entry.deliveries), 0, language=PDF_LANGUAGE) if first else "",
                    t(entry.tonnes) if first else "",
                    ", ".join(text(number) for number in manifests[index]) if index < len(manifests) else "",
                    "<br/>".join(text(number) for number in documents[index]) if index < len(documents) else "",
                ]
            )
    story.append(_grid(rows, styles, (52 * mm, 28 * mm, 42 * mm, 22 * mm, 28 * mm, 42 * mm, 43 * mm)))

    story += [
        Paragraph(both("How the figures are counted"), styles["h2"]),
        Paragraph(METHOD_ID, styles["small"]),
        Spacer(1, 1 * mm),
        Paragraph(f"<i>{METHOD_EN}</i>", styles["small"]),
    ]

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{LABELS['Yearly evidence pack']} {figures['year']} · {organisation.name}",
        author="WasteX Cilegon",
        subject=f"Yearly evidence pack {figures['year']}",
    )
    pdf.build(story)
    return buffer.getvalue()
