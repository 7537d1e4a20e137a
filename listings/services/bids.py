"""Bidding and award. Every function locks the lot row first (then the bid), so that placing, revising,
withdrawing, closing and awarding one lot happen one after the other, never interleaved."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import numbers
from core.bounds import MAX_PRICE, PRICE_TOO_LARGE
from members.models import Licence, Organisation, User
from members.selectors import organisation_of

from .. import notify
from ..contracts import share_left
from ..models import Award, Bid, BidRevision, ContractPeriod, LotTransition, Route, WasteLot, schedule
from ..scoring import monthly_tonnes
from ..selectors import best_live_price, why_cannot_bid
from .lots import _require_manager, lot_transition

SNIPING_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class BidOffer:
    price_per_unit: int
    quantity: Decimal
    pickup_date: date
    route: str
    note: str = ""
    licence: Licence | None = None


def offer_errors(
    lot: WasteLot,
    organisation: Organisation | None,
    *,
    price_per_unit: int | None = None,
    quantity: Decimal | None = None,
    pickup_date: date | None = None,
    route: str | None = None,
    licence: Licence | None = None,
    checked: frozenset[str] = frozenset({"price_per_unit", "quantity", "pickup_date", "route", "licence"}),
) -> dict[str, str]:
    """What is wrong with an offer, field by field. `checked`: the fields to judge — the bid form passes those it
    could read, so that every field's error is shown in one round (a field it could not read has its own)."""
    errors = {}
    if "price_per_unit" in checked and price_per_unit is not None and abs(price_per_unit) > MAX_PRICE:
        errors["price_per_unit"] = PRICE_TOO_LARGE
    if "quantity" in checked:
        if quantity is None or quantity <= 0:
            errors["quantity"] = _("The quantity must be more than zero.")
        elif lot.is_recurring and quantity > lot.offered_per_award:
            errors["quantity"] = _("You cannot bid for more than the stream's %(q)s %(unit)s per period.") % {
                "q": numbers.quantity(lot.offered_per_award),
                "unit": lot.get_unit_display(),
            }
        elif quantity > lot.quantity:
            errors["quantity"] = _("You cannot bid for more than the lot's %(q)s %(unit)s.") % {
                "q": numbers.quantity(lot.quantity),
                "unit": lot.get_unit_display(),
            }
    if "route" in checked and route not in Route.values:
        errors["route"] = _("Choose a processing route.")
    if "pickup_date" in checked:
        if pickup_date is None:
            errors["pickup_date"] = _("Propose a pickup date within the lot's availability.")
        elif pickup_date < timezone.localdate():
            errors["pickup_date"] = _("The pickup date cannot be in the past.")
        elif pickup_date < lot.available_from or (lot.available_until and pickup_date > lot.available_until):
            errors["pickup_date"] = _("Propose a pickup date within the lot's availability.")
    if "licence" in checked:
        error = _licence_error(lot, organisation, licence, pickup_date, quantity)
        if error:
            errors["licence"] = error
    return errors


def _licence_error(lot, organisation, licence, pickup_date, quantity) -> str | None:
    own = organisation is not None and licence is not None and licence.organisation_id == organisation.pk
    if not lot.is_hazardous:
        return _("Choose one of your own organisation's licences.") if licence is not None and not own else None
    if licence is None:
        return _("A hazardous (B3) lot needs a licence that covers it.")
    if not own:
        return _("Choose one of your own organisation's licences.")
    if licence.status != Licence.Status.VERIFIED:
        return _("This licence has not been verified by platform staff.")
    if not licence.covers(lot.category):
        return _("This licence does not cover %(category)s.") % {"category": lot.category.name}
    if pickup_date is not None and not licence.is_valid_on(pickup_date):
        return _("This licence is not valid on the pickup date.")
    needed = monthly_tonnes(lot, quantity) if quantity else None
    if licence.capacity_tonnes_per_month is not None and needed and needed > licence.capacity_tonnes_per_month:
        return _("This licence's capacity (%(cap)s t per month) is below what the lot needs.") % {
            "cap": numbers.quantity(licence.capacity_tonnes_per_month)
        }
    return None


def _check_offer(lot: WasteLot, organisation: Organisation, offer: BidOffer) -> None:
    errors = offer_errors(
        lot,
        organisation,
        price_per_unit=offer.price_per_unit,
        quantity=offer.quantity,
        pickup_date=offer.pickup_date,
        route=offer.route,
        licence=offer.licence,
    )
    if errors:
        raise ValidationError(errors)


def _lock_open_lot(lot: WasteLot, user: User) -> WasteLot:
    locked = WasteLot.objects.select_for_update().select_related("category").get(pk=lot.pk)
    reason = why_cannot_bid(user, locked)
    if reason:
        raise ValidationError(reason)
    return locked


def _extend_if_late(lot: WasteLot) -> None:
    """Open bidding: a bid in the last five minutes moves the deadline five minutes on, so sniping never wins."""
    if lot.is_sealed:
        return
    now = timezone.now()
    if lot.closes_at - now < SNIPING_WINDOW:
        lot.closes_at += SNIPING_WINDOW
        lot.save(update_fields=["closes_at", "updated_at"])
        LotTransition.objects.create(
            lot=lot,
            from_status=lot.status,
            to_status=lot.status,
            note=_("A bid in the last five minutes moved the deadline five minutes later."),
            step=LotTransition.Step.DEADLINE_MOVED,
        )


def _record_revision(bid: Bid, user: User) -> None:
    BidRevision.objects.create(
        bid=bid,
        number=bid.revision,
        price_per_unit=bid.price_per_unit,
        quantity=bid.quantity,
        pickup_date=bid.pickup_date,
        route=bid.route,
        note=bid.note,
        licence=bid.licence,
        by=user,
    )


def bid_place(*, lot: WasteLot, acting_user: User, offer: BidOffer) -> Bid:
    organisation = organisation_of(acting_user)
    with transaction.atomic():
        locked = _lock_open_lot(lot, acting_user)
        _check_offer(locked, organisation, offer)
        if Bid.objects.filter(lot=locked, bidder=organisation, status=Bid.Status.LIVE).exists():
            raise ValidationError(_("Your organisation already has a live bid on this lot: revise it instead."))
        previous_best = None if locked.is_sealed else best_live_price(locked)
        try:
            with transaction.atomic():
                bid = Bid.objects.create(
                    lot=locked,
                    bidder=organisation,
                    placed_by=acting_user,
                    price_per_unit=offer.price_per_unit,
                    quantity=offer.quantity,
                    pickup_date=offer.pickup_date,
                    route=offer.route,
                    note=offer.note,
                    licence=offer.licence,
                )
        except IntegrityError as exc:  # a colleague placed one at the same moment
            raise ValidationError(
                _("Your organisation already has a live bid on this lot: revise it instead.")
            ) from exc
        _record_revision(bid, acting_user)
        _extend_if_late(locked)
        notify.bid_arrived(locked, bid, previous_best=previous_best, placed=True)
    return bid


def _lock_own_live_bid(bid: Bid, user: User) -> tuple[WasteLot, Bid]:
    organisation = organisation_of(user)
    if organisation is None or bid.bidder_id != organisation.pk:
        raise PermissionDenied(_("Only the bidding organisation's people can change its bid."))
    locked_lot = _lock_open_lot(bid.lot, user)
    locked_bid = Bid.objects.select_for_update().get(pk=bid.pk)
    if locked_bid.status != Bid.Status.LIVE:
        raise ValidationError(_("This bid is no longer live."))
    # Both are at hand: no query for either while the lot is locked (the checks, the rollup's signal).
    locked_bid.lot, locked_bid.bidder = locked_lot, organisation
    return locked_lot, locked_bid


def bid_revise(*, bid: Bid, acting_user: User, offer: BidOffer) -> Bid:
    with transaction.atomic():
        lot, locked = _lock_own_live_bid(bid, acting_user)
        _check_offer(lot, locked.bidder, offer)
        previous_best = None if lot.is_sealed else best_live_price(lot)
        locked.price_per_unit = offer.price_per_unit
        locked.quantity = offer.quantity
        locked.pickup_date = offer.pickup_date
        locked.route = offer.route
        locked.note = offer.note
        locked.licence = offer.licence
        locked.revision += 1
        locked.updated_at = timezone.now()
        locked.placed_by = acting_user
        locked.save()
        _record_revision(locked, acting_user)
        _extend_if_late(lot)
        notify.bid_arrived(lot, locked, previous_best=previous_best, placed=False)
    return locked


def bid_withdraw(*, bid: Bid, acting_user: User) -> Bid:
    with transaction.atomic():
        _lot, locked = _lock_own_live_bid(bid, acting_user)
        locked.status = Bid.Status.WITHDRAWN
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "updated_at"])
    return locked


def lot_award(
    *, lot: WasteLot, bid: Bid, acting_user: User, reason: str = "", note: str = "", quantity: Decimal | None = None
) -> Award:
    """The plant picks a bid. On a one-off lot the award takes the whole lot and ends the bidding. On a recurring
    stream it is a contract for `quantity` per period (default: what the bid offered, within what is left), and
    the plant may award further bids until the shares take all of the quantity per period (or it stops,
    `lot_awarding_finish`). The lot's row lock orders awards one after the other; the check on the lot's
    `awarded_quantity` makes over-awarding impossible even so, and a bid is awarded at most once."""
    _require_manager(acting_user, lot)
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().select_related("category").get(pk=lot.pk)
        if locked.status == WasteLot.Status.OPEN:
            if locked.is_sealed and locked.closes_at > timezone.now():
                raise ValidationError(_("Sealed bids are opened at the deadline. Close the lot first to open them."))
            lot_transition(
                lot=locked,
                to_status=WasteLot.Status.CLOSED,
                acting_user=acting_user,
                note=_("Closed early so that a bid could be awarded."),
            )
            locked.refresh_from_db()
        sharing = locked.is_recurring and locked.status == WasteLot.Status.AWARDED and share_left(locked) > 0
        if locked.status != WasteLot.Status.CLOSED and not sharing:
            raise ValidationError(_("This lot has been decided already."))
        chosen = Bid.objects.select_for_update().filter(pk=bid.pk, lot=locked).first()
        if chosen is None or chosen.status != Bid.Status.LIVE:
            raise ValidationError(_("This bid is no longer live: it was withdrawn or decided."))
        share = _share(locked, chosen, quantity)
        best = best_live_price(locked)
        if chosen.price_per_unit < best:
            if reason not in Award.Reason.values or reason == Award.Reason.BEST_PRICE:
                raise ValidationError({"reason": _("This is not the best price offered: say why you choose it.")})
            if reason == Award.Reason.OTHER and not note.strip():
                raise ValidationError({"note": _("Explain the reason in the note.")})
        else:
            reason = reason if reason in Award.Reason.values else Award.Reason.BEST_PRICE
        try:
            with transaction.atomic():
                # A one-off award takes the whole lot, whatever the bid's quantity: no second award fits.
                taken = share if locked.is_recurring else locked.quantity
                WasteLot.objects.filter(pk=locked.pk).update(awarded_quantity=F("awarded_quantity") + taken)
        except IntegrityError as exc:  # only if the lock were bypassed: the database refuses over-awarding
            raise ValidationError(_("The shares would add up to more than the lot offers.")) from exc
        locked.refresh_from_db(fields=["awarded_quantity"])
        chosen.status = Bid.Status.ACCEPTED
        chosen.updated_at = timezone.now()
        chosen.save(update_fields=["status", "updated_at"])
        # The winner's verified values now, kept on the award: what the deal counts as in the city's figures.
        winner = Organisation.objects.only("province", "japnas_number").get(pk=chosen.bidder_id)
        award = Award.objects.create(
            lot=locked,
            bid=chosen,
            quantity=share if locked.is_recurring else chosen.quantity,
            reason=reason,
            note=note.strip(),
            best_price=best,
            awarded_by=acting_user,
            processor_banten=winner.is_banten,
            processor_japnas=winner.is_japnas_member,
        )
        # A stream's schedule starts with the first pickup the bid proposed; a one-off lot is due from the award.
        first_day = max(chosen.pickup_date, timezone.localdate()) if locked.is_recurring else timezone.localdate()
        ContractPeriod.objects.bulk_create(
            ContractPeriod(award=award, number=number, starts_on=start, ends_on=end)
            for number, (start, end) in enumerate(schedule(locked, first_day), start=1)
        )
        label = Award.Reason(reason).label + (f": {note.strip()}" if note.strip() else "")
        if locked.is_recurring:
            label = _("Share of %(quantity)s per period awarded (%(reason)s).") % {
                "quantity": numbers.quantity(share, locked.get_unit_display()),
                "reason": label,
            }
        if locked.status == WasteLot.Status.CLOSED:
            lot_transition(lot=locked, to_status=WasteLot.Status.AWARDED, acting_user=acting_user, note=label)
        else:
            LotTransition.objects.create(
                lot=locked,
                from_status=locked.status,
                to_status=locked.status,
                actor=acting_user,
                note=label,
                step=LotTransition.Step.SHARE_AWARDED,
            )
        notify.award_made(locked, award)
        if not locked.is_recurring or share_left(locked) == 0:
            _reject_the_rest(locked)
        award.notified_at = timezone.now()
        award.save(update_fields=["notified_at"])
    lot.refresh_from_db()
    return award


def _share(lot: WasteLot, bid: Bid, quantity: Decimal | None) -> Decimal:
    """The share of a recurring stream's quantity per period this award takes (one-off lots: the bid's)."""
    if not lot.is_recurring:
        return bid.quantity
    left = share_left(lot)
    share = min(bid.quantity, left) if quantity is None else quantity
    unit = lot.get_unit_display()
    if share <= 0:
        raise ValidationError({"quantity": _("A share must be more than zero.")})
    if share > bid.quantity:
        raise ValidationError(
            {
                "quantity": _("This bid offered %(q)s per period: a share cannot be more.")
                % {"q": numbers.quantity(bid.quantity, unit)}
            }
        )
    if share > left:
        raise ValidationError(
            {"quantity": _("Only %(q)s per period is left to award.") % {"q": numbers.quantity(left, unit)}}
        )
    return share


def _reject_the_rest(lot: WasteLot) -> None:
    """Bidding is decided: the bids still live are not chosen, and their bidders learn the winning prices."""
    others = lot.bids.live()
    losers = set(others.values_list("bidder_id", flat=True))
    others.update(status=Bid.Status.REJECTED, updated_at=timezone.now())
    prices = list(Award.objects.filter(lot=lot).values_list("bid__price_per_unit", flat=True))
    notify.bids_not_chosen(lot, loser_organisation_ids=losers, winning_prices=prices)


def lot_awarding_finish(*, lot: WasteLot, acting_user: User) -> WasteLot:
    """A recurring stream's plant awards no more shares: the bids still live are not chosen."""
    _require_manager(acting_user, lot)
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        if not locked.is_recurring or locked.status != WasteLot.Status.AWARDED:
            raise ValidationError(_("Only a recurring stream that has been awarded can stop awarding shares."))
        if not locked.bids.live().exists():
            raise ValidationError(_("No bid is waiting: awarding is already finished."))
        _reject_the_rest(locked)
        LotTransition.objects.create(
            lot=locked,
            from_status=locked.status,
            to_status=locked.status,
            actor=acting_user,
            note=_("No further shares: the other bids were not chosen."),
            step=LotTransition.Step.AWARDING_FINISHED,
        )
    lot.refresh_from_db()
    return lot


def lot_close_unawarded(*, lot: WasteLot, acting_user: User, reason: str) -> WasteLot:
    _require_manager(acting_user, lot)
    if not (reason or "").strip():
        raise ValidationError(_("Say why no bid is chosen: bidders and the timeline keep the reason."))
    with transaction.atomic():
        locked = WasteLot.objects.select_for_update().get(pk=lot.pk)
        if locked.status == WasteLot.Status.OPEN:
            lot_transition(lot=locked, to_status=WasteLot.Status.CLOSED, acting_user=acting_user)
        lot_transition(lot=locked, to_status=WasteLot.Status.UNAWARDED, acting_user=acting_user, note=reason.strip())
        bidders = set(locked.bids.live().values_list("bidder_id", flat=True))
        locked.bids.live().update(status=Bid.Status.REJECTED, updated_at=timezone.now())
        notify.lot_ended(locked, bidder_organisation_ids=bidders, reason=reason.strip(), cancelled=False)
    lot.refresh_from_db()
    return lot
