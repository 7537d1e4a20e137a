"""What the API answers (and, for the schema, what it accepts). Money is integer rupiah, quantities are decimal
strings ("1250.5"): never a float. Input is validated by the web's own forms (same rules, same messages); the
request serializers here describe it for the OpenAPI schema."""

from django.urls import reverse
from rest_framework import serializers

from documents.models import Document
from listings.models import (
    MAX_ADDENDUM_CHARS,
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    Award,
    Bid,
    Route,
    WasteCategory,
    WasteLot,
)
from listings.services.questions import MIN_QUESTION_CHARS
from members.choices import Kecamatan

from .models import Scope


def quantity_field(**kwargs):
    return serializers.DecimalField(max_digits=12, decimal_places=3, coerce_to_string=True, **kwargs)


class CategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_id = serializers.CharField()
    name_en = serializers.CharField()
    group = serializers.ChoiceField(choices=WasteCategory.Group.choices)
    hazardous = serializers.ChoiceField(choices=WasteCategory.Hazard.choices)
    indonesian_code = serializers.CharField()
    usual_unit = serializers.ChoiceField(choices=WasteCategory.Unit.choices)
    co2e_t_per_t = serializers.DecimalField(max_digits=8, decimal_places=3, coerce_to_string=True, allow_null=True)
    is_active = serializers.BooleanField()


class OrganisationRefSerializer(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()


class LotSummarySerializer(serializers.Serializer):
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code")
    status = serializers.ChoiceField(choices=WasteLot.Status.choices)
    quantity = quantity_field()
    unit = serializers.CharField()
    is_recurring = serializers.BooleanField()
    frequency = serializers.CharField()
    quantity_per_period = quantity_field(allow_null=True)
    site_kecamatan = serializers.CharField()
    bidding_mode = serializers.ChoiceField(choices=WasteLot.BiddingMode.choices)
    reserve_price = serializers.IntegerField(allow_null=True, help_text="Rupiah per unit; negative: the plant pays.")
    closes_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    local_first_until = serializers.DateTimeField(allow_null=True)
    distance_km = serializers.SerializerMethodField()

    def get_distance_km(self, lot) -> str | None:
        value = getattr(lot, "distance_km", None)
        return None if value is None else f"{value:.1f}"


class MyBidSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Bid.Status.choices)
    price_per_unit = serializers.IntegerField(help_text="Rupiah per unit; negative: the plant pays the processor.")
    quantity = quantity_field()
    pickup_date = serializers.DateField()
    route = serializers.ChoiceField(choices=Route.choices)
    note = serializers.CharField()
    licence = serializers.CharField(source="licence.number", allow_null=True, default=None)
    revision = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AwardSerializer(serializers.Serializer):
    """Who won and at what price, for a lot with one award (every awarded one-off lot; null on a recurring stream
    shared among processors: see `awards`). Only for the deal's parties (the plant, the winner, officials).
    `quantity` is what the winning bid offered (on a recurring stream: per period)."""

    winner = OrganisationRefSerializer(source="bid.bidder")
    price_per_unit = serializers.IntegerField(source="bid.price_per_unit")
    quantity = quantity_field(source="bid.quantity")
    reason = serializers.ChoiceField(choices=Award.Reason.choices)
    awarded_at = serializers.DateTimeField()


class ContractSerializer(serializers.Serializer):
    """An award as a contract: the whole of a one-off lot, or a share of a recurring stream's quantity per period
    with its schedule of periods. The plant, staff and officials see every contract with its processor; a
    processor sees its own contract in full and, on a stream it shares, the others without their processor,
    reason or end reason (`bidder`, `reason`, `end_reason` and `periods_url` are null)."""

    id = serializers.IntegerField()
    mine = serializers.BooleanField(help_text="The contract of your own organisation.")
    bidder = OrganisationRefSerializer(allow_null=True, help_text="The processor (null: not yours to know).")
    price_per_unit = serializers.IntegerField(help_text="Rupiah per unit; negative: the plant pays the processor.")
    quantity = quantity_field(help_text="A recurring stream: the share of the quantity per period; else the lot's.")
    per_period = serializers.BooleanField(help_text="`quantity` is per period (a recurring stream's contract).")
    reason = serializers.ChoiceField(choices=Award.Reason.choices, allow_null=True)
    awarded_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True, help_text="Ended early (by the plant or the processor).")
    end_reason = serializers.CharField(allow_null=True, help_text="Why it was ended early (empty while it runs).")
    periods = serializers.IntegerField(help_text="How many periods the contract has (a one-off lot: 1).")
    pickups = serializers.IntegerField(help_text="Periods whose pickup is recorded.")
    processed = serializers.IntegerField(help_text="Periods whose processing is recorded.")
    delivered = quantity_field(help_text="The quantity weighed out to date, over every pickup of the contract.")
    periods_url = serializers.CharField(allow_null=True, help_text="The contract's periods and their handovers.")


class HandoverSerializer(serializers.Serializer):
    pickup_date = serializers.DateField()
    carrier = serializers.CharField()
    vehicle = serializers.CharField()
    manifest_number = serializers.CharField()
    quantity_sent = quantity_field()
    quantity_received = quantity_field(allow_null=True)
    route_used = serializers.CharField()
    processing_date = serializers.DateField(allow_null=True)
    mismatch = serializers.BooleanField()


class LotDetailSerializer(LotSummarySerializer):
    plant = OrganisationRefSerializer()
    description = serializers.CharField()
    physical_form = serializers.ChoiceField(choices=WasteLot.PhysicalForm.choices)
    packaging = serializers.ChoiceField(choices=WasteLot.Packaging.choices)
    contract_months = serializers.IntegerField(allow_null=True)
    composition = serializers.CharField()
    site_address = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=True, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=True, allow_null=True)
    available_from = serializers.DateField()
    available_until = serializers.DateField(allow_null=True)
    inspection_from = serializers.DateTimeField(allow_null=True)
    inspection_until = serializers.DateTimeField(allow_null=True)
    local_first_days = serializers.IntegerField()
    lab_certificate_expires = serializers.DateField(allow_null=True)
    bids_opened_at = serializers.DateTimeField(allow_null=True)
    # What this organisation may see and do on the lot now (the lot page's own answers).
    can_manage = serializers.BooleanField()
    why_cannot_bid = serializers.CharField(allow_null=True)
    best_price = serializers.IntegerField(allow_null=True, help_text="Open bidding only: the best live price.")
    my_bid = MyBidSerializer(allow_null=True)
    award = AwardSerializer(
        source="api_award",
        allow_null=True,
        help_text="A lot with one award (every awarded one-off lot): its winner. For the deal's parties only.",
    )
    handover = HandoverSerializer(
        source="api_handover",
        allow_null=True,
        help_text="A one-off lot's pickup and processing (null on a recurring stream: see each contract's periods).",
    )
    awards = ContractSerializer(
        source="api_awards",
        many=True,
        help_text="The lot's contracts, for the deal's parties (empty for everyone else and before the award).",
    )


class PeriodSerializer(serializers.Serializer):
    """One period of a contract, due for one pickup and its processing between its first and last day."""

    number = serializers.IntegerField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True, help_text="Null: a one-off lot's only period (no end).")
    state = serializers.ChoiceField(
        choices=["upcoming", "due", "missed", "not_due", "picked_up", "processed"],
        help_text=(
            "upcoming: starts later; due: its pickup can be recorded; missed: it ended without a pickup (one can "
            "still be recorded); not_due: after the contract was ended early; picked_up: waiting for its "
            "processing; processed."
        ),
    )
    missed_at = serializers.DateTimeField(allow_null=True, help_text="When it was flagged as missed.")
    handover = HandoverSerializer(allow_null=True, source="api_handover")


class ContractPeriodsSerializer(serializers.Serializer):
    contract = ContractSerializer()
    periods = PeriodSerializer(many=True)


class PlantBidSerializer(MyBidSerializer):
    bidder = OrganisationRefSerializer()
    bidder_banten = serializers.BooleanField(source="bidder.is_banten")
    bidder_japnas = serializers.BooleanField(source="bidder.is_japnas_member")
    bidder_rating = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField()

    def get_bidder_rating(self, bid) -> str | None:
        value = getattr(bid, "bidder_rating", None)
        return None if value is None else f"{value:.1f}"

    def get_distance_km(self, bid) -> str | None:
        value = getattr(bid, "distance_km", None)
        return None if value is None else f"{value:.1f}"


class LotBidsSerializer(serializers.Serializer):
    sealed = serializers.BooleanField(help_text="Sealed bids stay sealed until bidding closes: no price, no bidder.")
    live_count = serializers.IntegerField(allow_null=True)
    best_price = serializers.IntegerField(allow_null=True)
    bids = PlantBidSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class OwnBidSerializer(MyBidSerializer):
    lot = serializers.CharField(source="lot.reference")
    winning_price = serializers.IntegerField(
        allow_null=True, help_text="A bid not chosen: the winning price (never the winner)."
    )


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    text = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class DocumentSerializer(serializers.Serializer):
    """A document of a deal, as the lot's documents page lists it (documents hold no price): an award letter per
    contract, a handover record and a processing certificate per period."""

    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=Document.Kind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    contract = serializers.IntegerField(source="award_id", help_text="The contract (award) it belongs to.")
    period = serializers.IntegerField(
        source="period.number",
        allow_null=True,
        default=None,
        help_text="The contract period whose handover it records (null for an award letter).",
    )
    status = serializers.ChoiceField(choices=Document.Status.choices)
    status_reason = serializers.CharField(help_text="Why it was revoked or replaced (empty while valid).")
    superseded_by = serializers.CharField(source="superseded_by.number", allow_null=True, default=None)
    issued_at = serializers.DateTimeField(source="created_at")
    sha256 = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")
    verification_url = serializers.SerializerMethodField(help_text="The public page its QR code leads to.")
    download_url = serializers.SerializerMethodField(help_text="The PDF, through the API (the same token).")

    def get_verification_url(self, document) -> str:
        return self.context["request"].build_absolute_uri(document.get_verify_url())

    def get_download_url(self, document) -> str:
        url = reverse("api:document_pdf", kwargs={"reference": document.lot.reference, "number": document.number})
        return self.context["request"].build_absolute_uri(url)


class QuestionSerializer(serializers.Serializer):
    """A question on a lot and the plant's answer: never who asked (`mine` only marks your own)."""

    id = serializers.IntegerField()
    text = serializers.CharField()
    answer = serializers.CharField(help_text="Empty until the plant answers.")
    asked_at = serializers.DateTimeField(source="created_at")
    answered_at = serializers.DateTimeField(allow_null=True)
    answer_edited_at = serializers.DateTimeField(allow_null=True)
    mine = serializers.BooleanField(help_text="Asked by your own organisation (only you see this).")


class AddendumSerializer(serializers.Serializer):
    """A change the plant announced on an open lot: what and why, and the quantity and deadline it changed."""

    id = serializers.IntegerField()
    text = serializers.CharField()
    quantity_before = quantity_field(allow_null=True)
    quantity_after = quantity_field(allow_null=True)
    closes_at_before = serializers.DateTimeField(allow_null=True)
    closes_at_after = serializers.DateTimeField(allow_null=True)
    published_at = serializers.DateTimeField(source="created_at")


_PAGES: dict = {}


def page_of(item_serializer):
    """A page of a list: its rows and the cursor of the next page (null on the last). One class per item kind."""
    if item_serializer not in _PAGES:
        _PAGES[item_serializer] = _page_class(item_serializer)
    return _PAGES[item_serializer]


def _page_class(item_serializer):
    return type(
        f"{item_serializer.__name__.removesuffix('Serializer')}PageSerializer",
        (serializers.Serializer,),
        {"results": item_serializer(many=True), "next": serializers.CharField(allow_null=True)},
    )


class HeadlineSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField(allow_null=True, help_text="A decimal string (exact), or null when not defined.")
    unit = serializers.CharField()


class DashboardSerializer(serializers.Serializer):
    scope = serializers.CharField()
    first = serializers.DateField()
    last = serializers.DateField()
    headline = HeadlineSerializer(many=True)


# --- Requests (described for the schema; the web's forms validate them) ------------------------------------


class LotInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    category = serializers.CharField(help_text="A catalogue code, e.g. steel-slag.")
    description = serializers.CharField()
    physical_form = serializers.ChoiceField(choices=WasteLot.PhysicalForm.choices)
    packaging = serializers.ChoiceField(choices=WasteLot.Packaging.choices)
    quantity = quantity_field()
    unit = serializers.ChoiceField(choices=WasteCategory.Unit.choices)
    is_recurring = serializers.BooleanField(required=False)
    frequency = serializers.ChoiceField(choices=WasteLot.Frequency.choices, required=False, allow_blank=True)
    quantity_per_period = quantity_field(required=False, allow_null=True)
    contract_months = serializers.IntegerField(required=False, allow_null=True)
    composition = serializers.CharField(required=False, allow_blank=True)
    site_address = serializers.CharField()
    site_kecamatan = serializers.ChoiceField(choices=Kecamatan.choices)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    available_from = serializers.DateField()
    available_until = serializers.DateField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(help_text="Asia/Jakarta time when no offset is given.")
    inspection_from = serializers.DateTimeField(required=False, allow_null=True)
    inspection_until = serializers.DateTimeField(required=False, allow_null=True)
    bidding_mode = serializers.ChoiceField(choices=WasteLot.BiddingMode.choices)
    reserve_price = serializers.IntegerField(required=False, allow_null=True)
    local_first_days = serializers.IntegerField(required=False)
    lab_certificate_expires = serializers.DateField(required=False, allow_null=True)


class LotPatchSerializer(LotInputSerializer):
    def get_fields(self):
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class BidInputSerializer(serializers.Serializer):
    price_per_unit = serializers.IntegerField(help_text="Rupiah per unit; negative: the plant pays you (a gate fee).")
    quantity = quantity_field()
    pickup_date = serializers.DateField()
    route = serializers.ChoiceField(choices=Route.choices)
    licence = serializers.IntegerField(required=False, allow_null=True, help_text="Your licence's id (B3 lots).")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AwardInputSerializer(serializers.Serializer):
    bid = serializers.IntegerField()
    quantity = quantity_field(
        required=False,
        allow_null=True,
        help_text=(
            "A recurring stream: the share of the quantity per period this contract takes (default: what the bid "
            "offered, within what is left). The plant may award further bids until the shares take it all. "
            "Not for a one-off lot."
        ),
    )
    reason = serializers.ChoiceField(choices=Award.Reason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PickupInputSerializer(serializers.Serializer):
    pickup_date = serializers.DateField()
    carrier = serializers.CharField(max_length=200)
    vehicle = serializers.CharField(max_length=40)
    manifest_number = serializers.CharField(max_length=60, required=False, allow_blank=True)
    quantity_sent = quantity_field()


class ProcessingInputSerializer(serializers.Serializer):
    processing_date = serializers.DateField(required=False, allow_null=True)
    quantity_received = quantity_field()
    route_used = serializers.ChoiceField(choices=Route.choices)
    proof = serializers.FileField(help_text="A certificate (PDF) or a photo (JPEG, PNG, WebP).")


class QuestionInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        min_length=MIN_QUESTION_CHARS, max_length=MAX_QUESTION_CHARS, help_text="Do not name yourself or your business."
    )


class AnswerInputSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=MAX_ANSWER_CHARS)


class AddendumInputSerializer(serializers.Serializer):
    text = serializers.CharField(min_length=MIN_QUESTION_CHARS, max_length=MAX_ADDENDUM_CHARS)
    quantity = quantity_field(
        required=False, allow_null=True, help_text="A corrected quantity: at most 10 % from the published one."
    )
    closes_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="A later deadline. Asia/Jakarta time when no offset is given."
    )


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Leave out to mark every notification read."
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class TokenScopesSerializer(serializers.Serializer):
    organisation = OrganisationRefSerializer()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=Scope.choices))
    expires_at = serializers.DateTimeField(allow_null=True)
