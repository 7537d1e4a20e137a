"""Reads of lots, bids, handovers and matches, scoped to who asks, and the predicates (who may do what) that
views, services and templates share."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField as BooleanOutput
from django.db.models import (
    Case,
    Count,
    FloatField,
    IntegerField,
    Max,
    Prefetch,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.queries import the_row
from members.models import Organisation, User
from members.selectors import is_official_or_staff, organisation_of, user_membership

from .filters import distance_km, distance_km_expression
from .models import (
    ROUTE_RANK,
    Award,
    Bid,
    Handover,
    LotAddendum,
    LotAttachment,
    WantedNotice,
    WasteLot,
    Watch,
)
from .scoring import explain


def lot_for_viewer_or_404(user, reference: str, *, with_outcome: bool = False, lots=None) -> WasteLot:
    """The lot if this person may see it: published lots for everyone signed in, drafts and cancelled lots
    only for the owning plant's people and staff. Everyone else gets 404, as if it did not exist.
    `with_outcome`: its award (with the bid and bidder) and handover read too (the lot page shows them).
    `lots`: a queryset of lots to read from (e.g. with an annotation the page needs)."""
    lots = (
        (WasteLot.objects if lots is None else lots)
        .visible_to(user)
        .select_related("category", "category__indonesian_code_source", "category__co2e_source", "plant")
    )
    lot = the_row(lots.filter(reference=reference))
    if lot is None:
        raise Http404
    if with_outcome:
        attach_outcome(lot)
    return lot


def attach_outcome(lot: WasteLot) -> None:
    """Read the lot's awards (with their bids and bidders) and, for a one-off lot, its handover into the lot
    (`lot.awards_list`, `lot.award`, `lot.handover`): a query each, and only for lots that can have them
    (decided; collected or completed). Joined into the lot's own query the nine tables made PostgreSQL spend
    about ten times longer choosing a join order than running the query, on every lot page, open lots included
    (measured on the bench data: 11-17 ms of planning against 1.6 ms)."""
    awards, handover = [], None
    if lot.status in WasteLot.DECIDED_STATUSES:
        awards = list(Award.objects.select_related("bid__bidder").filter(lot=lot))
        if not lot.is_recurring and lot.status in (WasteLot.Status.COLLECTED, WasteLot.Status.COMPLETED):
            handover = Handover.objects.filter(lot=lot).first()
    lot._awards_list = awards
    lot._handover = handover


def lot_for_visitor(reference: str) -> WasteLot:
    """The lot a visitor (not signed in) asked for. Drafts, cancelled lots and lots that do not exist are 404;
    a published lot comes back whatever its status — the view shows it only while it is open and asks for
    signing in otherwise (who won, the deal and the handover are never for visitors)."""
    lot = (
        WasteLot.objects.exclude(status__in=WasteLot.PRIVATE_STATUSES)
        .select_related("category", "category__indonesian_code_source", "category__co2e_source", "plant")
        .filter(reference=reference)
        .first()
    )
    if lot is None:
        raise Http404
    return lot


def visitor_may_see(lot: WasteLot) -> bool:
    """Visitors see a lot only while it is open for bids (not after its deadline)."""
    return lot.is_open_now


def shows_plant_name(user, lot: WasteLot) -> bool:
    """Signed-in people always see the plant's name; visitors only when the plant chose to show it."""
    return user.is_authenticated or lot.plant.show_name_to_visitors


def lot_award(lot: WasteLot):
    """The lot's only award with its bid, once the lot is decided (None before, when it ended otherwise, or when
    a stream is shared among processors: `lot.awards_list` has them)."""
    if lot.status not in WasteLot.DECIDED_STATUSES:
        return None
    return lot.award


def lot_awards(lot: WasteLot) -> list:
    """The lot's awards (contracts), in the order they were made; none before it is decided."""
    return lot.awards_list if lot.status in WasteLot.DECIDED_STATUSES else []


def can_see_deal_parties(user, lot: WasteLot) -> bool:
    """Who may see who won a lot and how it was handed over: the plant's people, the winner's people, staff and
    officials. Everyone else (losing bidders included) sees the status only: the winning price reaches the
    losing bidders, never the winner (SPEC, "Award")."""
    if not user.is_authenticated:
        return False
    if is_official_or_staff(user):
        return True
    membership = user_membership(user)
    if membership is None:
        return False
    if membership.organisation_id == lot.plant_id:
        return True
    return any(award.bid.bidder_id == membership.organisation_id for award in lot_awards(lot))


def sees_every_contract(user, lot: WasteLot) -> bool:
    """The plant's people, staff and officials see each contract of a lot with its processor. A processor that
    shares a stream sees its own contract only: never who the other winners are."""
    if not user.is_authenticated:
        return False
    if is_official_or_staff(user):
        return True
    membership = user_membership(user)
    return membership is not None and membership.organisation_id == lot.plant_id


def can_see_contract(user, lot: WasteLot, award: Award) -> bool:
    """This contract's parties: those who see every contract of the lot, and the contract's own processor."""
    if sees_every_contract(user, lot):
        return True
    membership = user_membership(user)
    return membership is not None and membership.organisation_id == award.bid.bidder_id


# --- Who may do what -----------------------------------------------------------------------------------------


def can_post_lots(user: User) -> bool:
    """Members of a verified plant post lots."""
    membership = getattr(user, "membership", None) if user.is_authenticated else None
    return bool(
        membership and membership.organisation.kind == Organisation.Kind.PLANT and membership.organisation.is_verified
    )


def can_manage_lot(user: User, lot: WasteLot) -> bool:
    """Only the owning plant's people (of a still verified plant) edit, publish and cancel its lots."""
    return can_post_lots(user) and user.membership.organisation_id == lot.plant_id


def lot_for_manager_or_403(user: User, reference: str) -> WasteLot:
    """The lot if this person may see it (else 404) and manage it (else 403)."""
    lot = lot_for_viewer_or_404(user, reference)
    if not can_manage_lot(user, lot):
        raise PermissionDenied(_("Only people of the verified plant that owns this lot can change it."))
    return lot


def processor_of(user: User) -> Organisation | None:
    """The verified processor this person acts for, or None."""
    organisation = organisation_of(user)
    if organisation and organisation.kind == Organisation.Kind.PROCESSOR and organisation.is_verified:
        return organisation
    return None


def why_cannot_bid(user: User, lot: WasteLot) -> str | None:
    """None when this person may bid on the lot now; otherwise the reason, said to them as it is."""
    organisation = organisation_of(user)
    if organisation is None or organisation.kind != Organisation.Kind.PROCESSOR:
        return _("Only processing businesses can bid.")
    if not organisation.is_verified:
        return _("Your organisation must be verified by platform staff before it can bid.")
    if lot.plant_id == organisation.pk:
        return _("You cannot bid on your own organisation's lot.")
    if not lot.is_open_now:
        return _("This lot is not open for bids.")
    if lot.is_local_first_now and not organisation.is_banten:
        return _("Until %(until)s WIB only Banten businesses may bid on this lot.") % {
            "until": date_format(timezone.localtime(lot.local_first_until), "j F Y H:i")
        }
    return None


def why_cannot_follow(user: User, lot: WasteLot) -> str | None:
    """None when this person may follow the lot (be reminded before it closes); otherwise the reason."""
    if processor_of(user) is None:
        return _("Only people of verified processing businesses can follow lots.")
    if not lot.is_open_now:
        return _("This lot is not open for bids.")
    return None


def watched_lots(user: User):
    """The lots this person follows, soonest deadline first (open ones before the others), with their category."""
    return (
        Watch.objects.filter(user=user)
        .select_related("lot", "lot__category")
        .order_by(Case(When(lot__status=WasteLot.Status.OPEN, then=Value(0)), default=Value(1)), "lot__closes_at", "pk")
    )


def is_watching(user: User, lot: WasteLot) -> bool:
    return user.is_authenticated and Watch.objects.filter(user=user, lot=lot).exists()


def can_bid(user: User, lot: WasteLot) -> bool:
    return why_cannot_bid(user, lot) is None


def winner_award(user: User, lot: WasteLot):
    """The award (contract) of this lot won by this person's (still verified) processor, else None."""
    organisation = organisation_of(user)
    if organisation is None or not organisation.is_verified:
        return None
    return next((award for award in lot_awards(lot) if award.bid.bidder_id == organisation.pk), None)


def is_winner(user: User, lot: WasteLot) -> bool:
    """This person acts for a (still verified) processor whose bid won the lot, or a share of it."""
    return winner_award(user, lot) is not None


def best_live_price(lot: WasteLot) -> int | None:
    """The best price offered so far (open mode shows it to bidders, never who offered it)."""
    return lot.bids.live().aggregate(best=Max("price_per_unit"))["best"]


def bids_are_open_to_plant(lot: WasteLot) -> bool:
    """Sealed bids stay sealed until bidding closes; open-mode bids are visible as they come."""
    return not lot.is_sealed or lot.bids_opened_at is not None


@dataclass(frozen=True)
class TimelineStep:
    created_at: datetime
    status: str
    status_label: str
    note: str
    # The person who made the change (None for WasteX's own steps); only for those who see the parties.
    actor: str | None
    automatic: bool


def timeline_for_viewer(
    user, lot: WasteLot, *, sees_parties: bool | None = None, addenda: list | None = None
) -> list[TimelineStep]:
    """The lot's timeline as this person may see it. The plant, the winner, staff and officials see every step
    with who made it and its note. Everyone else sees status changes only: no names, no handover details
    (the pickup's manifest, carrier and weights; processing is not a status change and is left out), and of the
    award only its reason as chosen from the fixed list, never the plant's free-text note (it may name the
    winner). Notes before the award (deadline moved, closed early, why it ended unawarded) stay for all, and so
    do the plant's addenda (`addenda`: already read by the caller, or read here), with who published them only
    for those who see the parties."""
    if sees_parties is None:
        sees_parties = can_see_deal_parties(user, lot)
    steps = []
    award = None if sees_parties else lot_award(lot)
    for step in lot.transitions.select_related("actor"):
        note = step.note
        if not sees_parties and step.to_status in WasteLot.DECIDED_STATUSES:
            if step.from_status == step.to_status:
                continue  # processing recorded: a handover detail, not a status change
            awarded = step.to_status == WasteLot.Status.AWARDED and award is not None
            note = award.get_reason_display() if awarded else ""
        steps.append(
            TimelineStep(
                created_at=step.created_at,
                status=step.to_status,
                status_label=step.get_step_display()
                if step.from_status == step.to_status
                else step.get_to_status_display(),
                note=note,
                actor=str(step.actor) if sees_parties and step.actor else None,
                automatic=step.actor_id is None,
            )
        )
    if addenda is None:
        addenda = list(LotAddendum.objects.filter(lot=lot).select_related("published_by"))
    if addenda:
        steps += [
            TimelineStep(
                created_at=addendum.created_at,
                status="addendum",
                status_label=_("Addendum published"),
                note=addendum.text,
                actor=str(addendum.published_by) if sees_parties and addendum.published_by else None,
                automatic=False,
            )
            for addendum in addenda
        ]
        steps.sort(key=lambda step: step.created_at)
    return steps


def first_photos():
    return Prefetch(
        "attachments",
        queryset=LotAttachment.objects.filter(kind=LotAttachment.Kind.PHOTO).only("id", "lot_id", "kind", "thumbnail"),
        to_attr="photo_list",
    )


def browsable_lots():
    return (
        WasteLot.objects.open()
        .select_related("category")
        .only(
            "id",
            "reference",
            "title",
            "quantity",
            "unit",
            "is_recurring",
            "frequency",
            "quantity_per_period",
            "closes_at",
            "published_at",
            "reserve_price",
            "bidding_mode",
            "site_kecamatan",
            "latitude",
            "longitude",
            "local_first_until",
            "status",
            "category__code",
            "category__name_id",
            "category__name_en",
            "category__hazardous",
            "category__group",
        )
        .prefetch_related(first_photos())
    )


def browsable_lots_in_order(ids: list[int], origin=None) -> list:
    """The browse rows of these lots, in this order (with the distance from `origin`): the page of a search is
    chosen over the lot ids alone, ranked, and only its rows are then loaded and joined."""
    lots = browsable_lots().filter(pk__in=ids)
    if origin:
        from .filters import annotate_distance

        lots = annotate_distance(lots, *origin)
    found = {lot.pk: lot for lot in lots}
    return [found[pk] for pk in ids if pk in found]


def lots_of_plant(organisation, *, status: str = ""):
    lots = WasteLot.objects.filter(plant=organisation).select_related("category").prefetch_related(first_photos())
    counts = dict(WasteLot.objects.filter(plant=organisation).values_list("status").annotate(n=Count("id")).order_by())
    if status:
        lots = lots.filter(status=status)
    return lots.order_by("-created_at", "-id"), counts


def distance_to_viewer(user, lot: WasteLot) -> float | None:
    membership = user_membership(user)
    organisation = membership.organisation if membership else None
    if not organisation or organisation.latitude is None or lot.latitude is None:
        return None
    return distance_km(organisation.latitude, organisation.longitude, lot.latitude, lot.longitude)


# The bidder's average rating on the plant's bids page, as SQL on the bid's own row: as a Django `Subquery` it
# took 1.5 ms of Python per page to resolve, the same SQL as RawSQL a tenth of that (listings.visits explains).
BIDDER_RATING = 'SELECT AVG(r."stars") FROM "listings_rating" r WHERE r."rated_id" = "listings_bid"."bidder_id"'


ROUTE_RANK_EXPRESSION = Case(
    *[When(route=route, then=Value(rank)) for route, rank in ROUTE_RANK.items()], output_field=IntegerField()
)


def bids_for_plant(lot: WasteLot, *, sort: str = "price"):
    """The bids the plant compares: live and decided ones (never withdrawn), ranked by price or by route."""
    bids = (
        lot.bids.exclude(status=Bid.Status.WITHDRAWN)
        .select_related("bidder", "licence")
        .annotate(route_rank=ROUTE_RANK_EXPRESSION, bidder_rating=RawSQL(BIDDER_RATING, (), FloatField()))  # noqa: S611
    )
    if lot.latitude is not None:
        bids = bids.annotate(
            distance_km=distance_km_expression(lot.latitude, lot.longitude, "bidder__latitude", "bidder__longitude")
        )
    if sort == "route":
        return bids.order_by("route_rank", "-price_per_unit", "created_at")
    return bids.order_by("-price_per_unit", "route_rank", "created_at")


def live_bid_of(lot: WasteLot, organisation) -> Bid | None:
    """The organisation's live bid on the lot, if any (at most one: a constraint)."""
    if organisation is None:
        return None
    return the_row(lot.bids.live().filter(bidder=organisation))


def own_bid(lot: WasteLot, organisation) -> Bid | None:
    """The organisation's live or decided bid on the lot (its latest), with its history."""
    if organisation is None:
        return None
    return (
        lot.bids.filter(bidder=organisation)
        .exclude(status=Bid.Status.WITHDRAWN)
        .select_related("licence")
        .prefetch_related("revisions")
        .order_by("-created_at")
        .first()
    )


def bids_of_organisation(organisation):
    """The organisation's bids; a bid not chosen carries the winning price (never the winner). A live bid on an
    open-mode lot carries `leading`: whether no other live bid offers more (computed in the same query). On a
    sealed lot `leading` is None: nobody learns anything of the other bids. On a stream shared among several
    winners, the best winning price."""
    # SQL on the bid's own row (listings.visits explains why): the best winning price of its lot, and whether a
    # live bid on its lot offers more. As Django subqueries they took 1.4 ms of Python per page to resolve.
    winning_price = RawSQL(  # noqa: S611 - constant SQL
        'SELECT MAX(w."price_per_unit") FROM "listings_award" a JOIN "listings_bid" w ON w."id" = a."bid_id" '
        'WHERE a."lot_id" = "listings_bid"."lot_id"',
        (),
        IntegerField(),
    )
    nobody_offers_more = RawSQL(  # noqa: S611 - constant SQL
        'NOT EXISTS (SELECT 1 FROM "listings_bid" h WHERE h."lot_id" = "listings_bid"."lot_id" AND h."status" = %s '
        'AND h."price_per_unit" > "listings_bid"."price_per_unit")',
        (Bid.Status.LIVE,),
        BooleanOutput(),
    )
    return (
        Bid.objects.filter(bidder=organisation)
        .select_related("lot", "lot__category", "lot__plant")
        .annotate(
            winning_price=winning_price,
            leading=Case(
                When(
                    status=Bid.Status.LIVE,
                    lot__status=WasteLot.Status.OPEN,
                    lot__bidding_mode=WasteLot.BiddingMode.OPEN,
                    then=nobody_offers_more,
                ),
                default=None,
                output_field=BooleanOutput(),
            ),
        )
        .order_by("-updated_at", "-id")
    )


def flagged_handovers():
    return (
        Handover.objects.filter(mismatch=True)
        .select_related("lot", "lot__plant", "period")
        .order_by("-processing_recorded_at")
    )


def lot_matching_context(user: User, lot: WasteLot, *, can_manage: bool) -> dict:
    """For the lot page: the plant sees who was matched and which wanted notices fit; a matched processor
    sees why the lot was recommended to it. Nobody else sees any of it."""
    if can_manage and lot.status in (WasteLot.Status.OPEN, WasteLot.Status.CLOSED):
        matched = list(lot.matches.select_related("organisation").order_by("-score", "id")[:20])
        for match in matched:
            match.explanation = explain(match.reasons)
        notices = list(
            WantedNotice.objects.live()
            .filter(category_id=lot.category_id)
            .select_related("organisation")
            .order_by("-created_at")[:10]
        )
        return {"lot_matches": matched, "lot_notices": notices, "lot_match_count": lot.matches.count()}
    organisation = processor_of(user)
    if organisation is not None:
        mine = lot.matches.filter(organisation=organisation).first()
        if mine is not None:
            return {"my_match": mine, "my_match_explanation": explain(mine.reasons)}
    return {}
