"""Reads of documents, scoped to who asks, and the facts a verification page shows (never a price)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import numbers
from listings.models import Route, WasteCategory, WasteLot
from listings.selectors import can_see_deal_parties, lot_for_viewer_or_404, sees_every_contract
from members.selectors import organisation_of

from .models import Document

PARTIES_ONLY = gettext_lazy(
    "The documents of a deal are only for the plant, the winning processor, platform staff and officials."
)


def can_see_documents(user, lot: WasteLot) -> bool:
    """The deal's parties: the plant's people, the winner's people, staff and officials (as for the handover)."""
    return can_see_deal_parties(user, lot)


def can_manage_documents(user) -> bool:
    """Staff signed in with their second factor revoke and replace documents."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.is_verified())


def lot_for_documents_or_403(user, reference: str) -> WasteLot:
    """The lot if this person may see it (else 404) and its documents (else 403, saying who may)."""
    lot = lot_for_viewer_or_404(user, reference)
    if not can_see_documents(user, lot):
        raise PermissionDenied(PARTIES_ONLY)
    return lot


def lot_documents(lot: WasteLot, user):
    """The lot's documents this person may see: all of them for the plant, staff and officials; a processor's
    own contract's only (a processor that shares a stream never sees another winner's)."""
    documents = lot.documents.select_related("superseded_by", "period", "processor").order_by("created_at", "id")
    if sees_every_contract(user, lot):
        return documents
    organisation = organisation_of(user)
    return documents.filter(processor_id=organisation.pk) if organisation is not None else documents.none()


def lot_document_or_404(lot: WasteLot, number: str, user) -> Document:
    """One of the documents `lot_documents` lists for this person, else 404."""
    document = lot_documents(lot, user).filter(number=number).first()
    if document is None:
        raise Http404
    return document


def document_by_code(code: str) -> Document | None:
    if not code or len(code) > 64:
        return None
    return Document.objects.select_related("superseded_by").filter(code=code).first()


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


def _day(value: str | None) -> str:
    return formats.date_format(date.fromisoformat(value), "j F Y") if value else "-"


def _moment(value: str | None) -> str:
    return formats.date_format(datetime.fromisoformat(value), "j F Y H:i") + " WIB" if value else "-"


def _amount(value: str | None, unit: str) -> str:
    return numbers.quantity(value, WasteCategory.Unit(unit).label) if value not in (None, "") else "-"


def _period(period: dict) -> str:
    """ "3 (1 March 2027 – 31 March 2027)": the period's number and its days."""
    days = _day(period["starts_on"]) + (f" – {_day(period['ends_on'])}" if period.get("ends_on") else "")
    return f"{period['number']} ({days})"


def _route(value: str) -> str:
    return str(Route(value).label) if value in Route.values else "-"


def verification_facts(document: Document) -> dict[str, list[Fact]]:
    """What the document states, in the page's language: parties, lot, handover; quantities and dates only."""
    facts = document.facts
    lot, award, unit = facts["lot"], facts["award"], facts["lot"]["unit"]
    category = f"{lot['category_name_id']} / {lot['category_name_en']} ({lot['category_code']})"
    if lot.get("indonesian_code"):
        category += f" · {lot['indonesian_code']}"
    details = [Fact(_("Awarded on"), _moment(award["awarded_at"]))]
    if award.get("per_period"):
        details.append(Fact(_("Quantity per period of the stream"), _amount(lot.get("quantity_per_period"), unit)))
        details.append(Fact(_("Awarded quantity per period"), _amount(award["quantity"], unit)))
        period = facts.get("period")
        if period:
            details.append(Fact(_("Contract period"), _period(period)))
        elif award.get("periods"):
            details.append(Fact(_("Contract periods"), str(award["periods"])))
    else:
        details.append(Fact(_("Awarded quantity"), _amount(award["quantity"], unit)))
    handover = facts.get("handover")
    if handover:
        details += [
            Fact(_("Pickup date"), _day(handover["pickup_date"])),
            Fact(_("Manifest number"), handover["manifest_number"] or "-"),
            Fact(_("Carrier"), handover["carrier"]),
            Fact(_("Vehicle"), handover["vehicle"]),
            Fact(_("Quantity weighed out"), _amount(handover["quantity_sent"], unit)),
        ]
    processing = facts.get("processing")
    if processing:
        details += [
            Fact(_("Quantity received"), _amount(processing["quantity_received"], unit)),
            Fact(_("Processing route used"), _route(processing["route"])),
            Fact(_("Processing date"), _day(processing["processing_date"])),
        ]
        if processing.get("recorded_at"):
            details.append(Fact(_("Processing recorded"), _moment(processing["recorded_at"])))
        else:
            details.append(Fact(_("Completion confirmed"), _moment(processing["completed_at"])))
    return {
        "document": [
            Fact(_("Document"), document.get_kind_display()),
            Fact(_("Number"), document.number),
            Fact(_("Issued"), _moment(facts["issued_at"])),
        ],
        "parties": [
            Fact(_("Plant (waste generator)"), facts["plant"]["name"]),
            Fact(_("Processor"), facts["processor"]["name"]),
        ],
        "lot": [
            Fact(_("Lot reference"), lot["reference"]),
            Fact(_("Title"), lot["title"]),
            Fact(_("Waste category"), category),
            Fact(_("Quantity of the lot"), _amount(lot["quantity"], unit)),
        ],
        "details": details,
    }
