"""The PDF of a document, drawn with ReportLab from the document's facts, with a QR code (segno) to its public
verification page.

Official forms are bilingual: each title and label in Indonesian with English beside it; figures and dates are
written the Indonesian way (`core.numbers`, day month year, WIB), as on any Indonesian official letter. Every text
that comes from people (organisation names, addresses, titles, manifest numbers) is escaped before it reaches
ReportLab's Paragraph markup, so a name with "<" or "&" prints as it is and never breaks the document.
"""

import io
from datetime import date, datetime
from xml.sax.saxutils import escape

import segno
from django.utils import formats, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from core import numbers

from .facts import FREQUENCIES, PERIOD_STATEMENTS, TITLES, label_both, unit_label

PDF_LANGUAGE = "id"  # figures and dates on the paper; labels carry English beside the Indonesian


def qr_png(url: str) -> bytes:
    """The QR code of the verification address as a PNG (error correction M, 4-module quiet zone)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=6, border=4)
    return buffer.getvalue()


def _styles():
    sheet = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("title", parent=sheet["Title"], fontSize=16, leading=20, spaceAfter=2),
        "subtitle": ParagraphStyle(
            "subtitle", parent=sheet["Normal"], fontName="Helvetica-Oblique", fontSize=11, alignment=1, spaceAfter=8
        ),
        "head": ParagraphStyle("head", parent=sheet["Normal"], fontSize=9, alignment=1, textColor=colors.grey),
        "h2": ParagraphStyle("h2", parent=sheet["Heading2"], fontSize=10.5, leading=13, spaceBefore=6, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=sheet["Normal"], fontSize=9, leading=11.5),
        "label": ParagraphStyle("label", parent=sheet["Normal"], fontSize=8, leading=10, textColor=colors.grey),
        "body": ParagraphStyle("body", parent=sheet["Normal"], fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", parent=sheet["Normal"], fontSize=8, leading=10),
    }


def text(value) -> str:
    """People's text, safe inside Paragraph markup (and line breaks kept)."""
    return escape(str(value or "")).replace("\n", "<br/>")


def day(value: str | None) -> str:
    if not value:
        return "-"
    with translation.override(PDF_LANGUAGE):
        return formats.date_format(date.fromisoformat(value), "j F Y")


def moment(value: str | None) -> str:
    """An ISO date-time (stored in WIB) written as on the paper: "30 November 2026, 14:05 WIB"."""
    if not value:
        return "-"
    with translation.override(PDF_LANGUAGE):
        return formats.date_format(datetime.fromisoformat(value), "j F Y, H:i") + " WIB"


def amount(value: str | None, unit: str) -> str:
    if value in (None, ""):
        return "-"
    return numbers.quantity(value, unit_label(unit, PDF_LANGUAGE), language=PDF_LANGUAGE)


def _table(rows, styles, widths=(72 * mm, 98 * mm)):
    data = [[Paragraph(label, styles["label"]), Paragraph(value, styles["cell"])] for label, value in rows]
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.lightgrey),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _party(party: dict) -> str:
    lines = [f"<b>{text(party['name'])}</b>"]
    if party.get("nib"):
        lines.append(f"NIB {text(party['nib'])}")
    if party.get("address"):
        lines.append(text(party["address"]))
    if party.get("city"):
        lines.append(text(party["city"]))
    return "<br/>".join(lines)


def _lot_rows(facts: dict) -> list[tuple[str, str]]:
    lot = facts["lot"]
    category = f"{text(lot['category_name_id'])} / {text(lot['category_name_en'])} ({text(lot['category_code'])})"
    if lot.get("indonesian_code"):
        category += f"<br/>{label_both('Waste code')}: {text(lot['indonesian_code'])}"
    return [
        (label_both("Lot reference"), f"<b>{text(lot['reference'])}</b>"),
        (label_both("Title"), text(lot["title"])),
        (label_both("Waste category"), category),
        (label_both("Quantity of the lot"), amount(lot["quantity"], lot["unit"])),
    ]


def period_span(period: dict) -> str:
    """ "Periode 3: 1 Maret 2027 – 31 Maret 2027"."""
    span = day(period["starts_on"]) + (f" – {day(period['ends_on'])}" if period.get("ends_on") else "")
    return f"{period['number']}: {span}"


def _contract_rows(facts: dict) -> list[tuple[str, str]]:
    """A recurring stream's contract: the stream's quantity per period, this contract's share of it, and the
    schedule (the award letter) or the period the document is about."""
    lot, award, unit = facts["lot"], facts["award"], facts["lot"]["unit"]
    indonesian, english = FREQUENCIES.get(lot.get("frequency"), ("", ""))
    frequency = f" ({indonesian} / {english})" if indonesian else ""
    rows = (
        []
        if facts["kind"] == "handover-record"
        else [  # the handover record keeps to one page
            (label_both("Quantity per period of the stream"), amount(lot["quantity_per_period"], unit) + frequency)
        ]
    )
    rows.append((label_both("Awarded quantity per period"), f"<b>{amount(award['quantity'], unit)}</b>"))
    if facts.get("period"):
        rows.append((label_both("Contract period"), period_span(facts["period"])))
    elif award.get("first_period"):
        first, last = award["first_period"], award["last_period"]
        rows.append(
            (
                label_both("Contract periods"),
                f"{award['periods']} ({day(first['starts_on'])} – {day(last['ends_on'] or last['starts_on'])})",
            )
        )
    return rows


def _kind_rows(facts: dict) -> list[tuple[str, str]]:
    unit = facts["lot"]["unit"]
    rows = []
    if not (facts["award"].get("per_period") and facts["kind"] == "handover-record"):  # one page: its period says
        rows.append((label_both("Awarded on"), moment(facts["award"]["awarded_at"])))
    handover = facts.get("handover")
    if facts["award"].get("per_period"):
        rows += _contract_rows(facts)
        if facts["kind"] == "award-letter":
            rows.append((label_both("Processing route offered"), facts["award"]["route_label"]))
    elif facts["kind"] != "handover-record":  # the handover record keeps to the handover (and fits one page)
        rows.append((label_both("Awarded quantity"), amount(facts["award"]["quantity"], unit)))
        rows.append((label_both("Processing route offered"), facts["award"]["route_label"]))
    if handover:
        rows += [
            (label_both("Pickup date"), day(handover["pickup_date"])),
            (label_both("Manifest number"), text(handover["manifest_number"]) or "-"),
            (label_both("Carrier"), text(handover["carrier"])),
            (label_both("Vehicle"), text(handover["vehicle"])),
            (label_both("Quantity weighed out"), amount(handover["quantity_sent"], unit)),
        ]
    processing = facts.get("processing")
    if processing:
        rows += [
            (label_both("Quantity received"), amount(processing["quantity_received"], unit)),
            (label_both("Processing route used"), processing["route_label"]),
            (label_both("Processing date"), day(processing["processing_date"])),
        ]
        if processing.get("completed_at"):
            rows.append((label_both("Completion confirmed"), moment(processing["completed_at"])))
        elif processing.get("recorded_at"):
            rows.append((label_both("Processing recorded"), moment(processing["recorded_at"])))
        else:
            rows.append((label_both("Completion confirmed"), "-"))
    return rows


def _signatures(styles):
    def block(role_id, role_en, party):
        return [
            Paragraph(f"<b>{role_id}</b><br/><i>{role_en}</i><br/>{party}", styles["cell"]),
            Spacer(1, 12 * mm),
            Paragraph("(________________________________)", styles["cell"]),
            Paragraph(f"{label_both('Name')}:<br/>{label_both('Position')}:", styles["small"]),
        ]

    table = Table(
        [
            [
                block("Yang menyerahkan", "Handed over by", label_both("First party")),
                block("Yang menerima", "Received by", label_both("Second party")),
            ]
        ],
        colWidths=(85 * mm, 85 * mm),
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Paragraph(label_both("Signatures"), styles["h2"]), table])


def render(*, kind: str, number: str, facts: dict, verify_url: str) -> bytes:
    """The PDF's bytes. Deterministic for given facts (invariant=1), so the SHA-256 kept with it describes it."""
    styles = _styles()
    title_id, title_en, statement_id, statement_en = TITLES[kind]
    if facts["award"].get("per_period") and kind in PERIOD_STATEMENTS:
        statement_id, statement_en = PERIOD_STATEMENTS[kind]
    story = [
        Paragraph("WasteX · Bursa Limbah Industri Cilegon / Cilegon Industrial Waste Exchange", styles["head"]),
        Spacer(1, 4 * mm),
        Paragraph(title_id.upper(), styles["title"]),
        Paragraph(title_en, styles["subtitle"]),
        _table(
            [
                (label_both("Number"), f"<b>{text(number)}</b>"),
                (label_both("Issued"), moment(facts["issued_at"])),
            ],
            styles,
        ),
        Paragraph(label_both("Parties"), styles["h2"]),
        _table(
            [
                (label_both("First party (waste generator)"), _party(facts["plant"])),
                (label_both("Second party (processor)"), _party(facts["processor"])),
            ],
            styles,
        ),
        Paragraph(label_both("Waste lot"), styles["h2"]),
        _table(_lot_rows(facts), styles),
        Paragraph(label_both("Details"), styles["h2"]),
        _table(_kind_rows(facts), styles),
        Spacer(1, 3 * mm),
        Paragraph(statement_id, styles["body"]),
        Paragraph(f"<i>{statement_en}</i>", styles["body"]),
    ]
    if kind == "handover-record":
        story.append(_signatures(styles))
    qr = Image(io.BytesIO(qr_png(verify_url)), width=30 * mm, height=30 * mm)
    check = Paragraph(
        f"{label_both('Check that this document is genuine')}:<br/><b>{text(verify_url)}</b><br/>"
        f"{label_both('Verification code')}: {text(facts['code'])}",
        styles["small"],
    )
    footer = Table([[qr, check]], colWidths=(36 * mm, 134 * mm))
    footer.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    story += [Spacer(1, 4 * mm), KeepTogether(footer)]

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"{number} · {title_id}",
        author="WasteX Cilegon",
        subject=title_en,
        invariant=1,
    )
    pdf.build(story)
    return buffer.getvalue()
