"""Matching as a service: a published lot is matched through the outbox (the engine, listings.scoring, finds and
scores the processors), the matches are stored and the people told; a new capability, wanted notice or saved
search is matched against the lots already open.

Every step is idempotent: a match is unique per (lot, organisation) and a notification per (recipient, key), so
the task may run twice — after a crash, or as the local-first window ends.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox
from members import notifications
from members.models import Event, Organisation, User

from ..filters import LotFilter, search_terms
from ..models import Capability, Match, SavedSearch, WantedNotice, WasteCategory, WasteLot
from ..notify import lot_params
from ..scoring import find_matches, find_matches_for, saved_search_recipients
from ..selectors import processor_of


def save_matches(lot: WasteLot, found: dict[int, dict]) -> list[Match]:
    """Store what `find_matches` found; a match already stored stays as it is."""
    now = timezone.now()
    rows = [
        Match(
            lot=lot,
            organisation_id=organisation_id,
            score=fit["score"],
            reasons=fit["reasons"],
            distance_km=fit["distance_km"],
            wanted_notice_id=fit["wanted_notice_id"],
            created_at=now,
        )
        for organisation_id, fit in found.items()
    ]
    return Match.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def match_lot(lot_id: int) -> dict:
    """Match an open lot, store the matches, notify the people of every matched processor and every saved search
    it satisfies. Safe to run again, also at the same time: only what is missing is added. The lot's row is not
    locked, so bidding on a lot just published never waits for its fan-out."""
    lot = WasteLot.objects.select_related("category", "plant").filter(pk=lot_id).first()
    if lot is None or not lot.is_open_now:
        return {"matches": 0, "notified": 0}
    banten_only = lot.is_local_first_now
    with transaction.atomic():
        found = find_matches(lot, banten_only=banten_only)
        save_matches(lot, found)
        people = User.objects.filter(is_active=True, membership__organisation__matches__lot=lot).values_list(
            "pk", flat=True
        )
        recipients = set(people) | set(saved_search_recipients(lot, banten_only=banten_only))
        notified = notifications.deliver(
            Event.NEW_MATCH,
            notifications.key_for(Event.NEW_MATCH, lot.pk),
            recipients,
            lot_params(lot),
            lot.get_absolute_url(),
        )
        if not banten_only:
            # An update, not a save: nothing a page shows changed, so no page cache is dropped.
            WasteLot.objects.filter(pk=lot.pk, matched_everyone_at__isnull=True).update(
                matched_everyone_at=timezone.now()
            )
    return {"matches": len(found), "notified": notified}


@outbox.handler("match_lot")
def _handle_match_lot(payload: dict) -> None:
    match_lot(payload["lot"])


def publish_match(lot_id: int, stage: str) -> None:
    """Ask for the lot to be matched after the commit (through the outbox: a broker outage loses nothing)."""
    outbox.publish("match_lot", f"match_lot:{lot_id}:{stage}", {"lot": lot_id})


def match_published_lot(lot: WasteLot) -> None:
    """A lot just published is matched after the commit: during its local-first window against the Banten
    businesses, against everyone when the window ends (widen_local_first_matches) or when it has none."""
    publish_match(lot.pk, "local-first" if lot.local_first_until else "everyone")


def widen_local_first_matches() -> int:
    """Lots whose local-first window has ended are matched again, now against every processor."""
    due = WasteLot.objects.filter(
        status=WasteLot.Status.OPEN,
        matched_everyone_at__isnull=True,
        local_first_until__lte=timezone.now(),
        closes_at__gt=timezone.now(),
    ).values_list("pk", flat=True)
    count = 0
    for lot_id in list(due):
        with transaction.atomic():
            publish_match(lot_id, "everyone")
        count += 1
    return count


# --- Backfill: a new capability or notice is matched against the lots already open ------------------------


def _open_lots_for(organisation: Organisation, category_id: int):
    now = timezone.now()
    lots = (
        WasteLot.objects.filter(status=WasteLot.Status.OPEN, closes_at__gt=now, category_id=category_id)
        .exclude(plant_id=organisation.pk)
        .select_related("category", "plant")
    )
    if not organisation.is_banten:
        lots = lots.exclude(local_first_until__gt=now)
    return lots


def backfill(organisation: Organisation, category_id: int) -> int:
    """Match one organisation against the open lots of a category it just added (a capability or a notice).
    Returns how many open lots now match it."""
    if organisation.kind != Organisation.Kind.PROCESSOR or not organisation.is_verified:
        return 0
    added = 0
    with transaction.atomic():
        for lot in _open_lots_for(organisation, category_id)[:500]:
            fit = find_matches_for(lot, organisation)
            if fit is None:
                continue
            Match.objects.update_or_create(
                lot=lot,
                organisation=organisation,
                defaults={
                    "score": fit["score"],
                    "reasons": fit["reasons"],
                    "distance_km": fit["distance_km"],
                    "wanted_notice_id": fit["wanted_notice_id"],
                },
            )
            added += 1
    return added


# --- Capabilities, wanted notices and saved searches --------------------------------------------------------

# The browse filters an alert keeps (sorting and paging are not part of what a person wants to hear about).
ALERT_FILTERS = [
    "q",
    "group",
    "category",
    "hazardous",
    "kecamatan",
    "unit",
    "quantity_min",
    "quantity_max",
    "price_min",
    "price_max",
    "recurring",
    "closing_within",
    "local_first",
]
MAX_SAVED_SEARCHES = 50


def _require_processor(user: User) -> Organisation:
    organisation = processor_of(user)
    if organisation is None:
        raise PermissionDenied(_("Only people of a verified processing business can do this."))
    return organisation


def capability_save(*, acting_user: User, capability: Capability) -> int:
    """Add or change a capability; returns how many open lots now match the organisation in that category."""
    organisation = _require_processor(acting_user)
    if capability.pk and capability.organisation_id != organisation.pk:
        raise PermissionDenied(_("Only the organisation's own people can change its capabilities."))
    capability.organisation = organisation
    with transaction.atomic():
        try:
            with transaction.atomic():
                capability.full_clean()
                capability.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"category": _("Your organisation already has a capability for this category: edit it instead.")}
            ) from exc
        return backfill(organisation, capability.category_id)


def capability_delete(*, acting_user: User, capability: Capability) -> None:
    organisation = _require_processor(acting_user)
    if capability.organisation_id != organisation.pk:
        raise PermissionDenied(_("Only the organisation's own people can change its capabilities."))
    capability.delete()


def notice_save(*, acting_user: User, notice: WantedNotice) -> int:
    organisation = _require_processor(acting_user)
    if notice.pk and notice.organisation_id != organisation.pk:
        raise PermissionDenied(_("Only the organisation's own people can change its wanted notices."))
    notice.organisation = organisation
    if not notice.pk:
        notice.created_by = acting_user
    with transaction.atomic():
        notice.full_clean()
        notice.save()
        return backfill(organisation, notice.category_id)


def notice_withdraw(*, acting_user: User, notice: WantedNotice) -> WantedNotice:
    organisation = _require_processor(acting_user)
    if notice.organisation_id != organisation.pk:
        raise PermissionDenied(_("Only the organisation's own people can change its wanted notices."))
    notice.is_active = False
    notice.save(update_fields=["is_active"])
    Match.objects.filter(wanted_notice=notice, lot__status="open").update(wanted_notice=None)
    return notice


def alert_query(query: str) -> tuple[QueryDict, dict]:
    """The browse query reduced to its filters, checked by the browse filter itself. Raises ValidationError
    with the filter's own messages when a value is wrong."""
    given = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in ALERT_FILTERS:
        value = given.get(name, "").strip()
        if value:
            kept[name] = value
    browse = LotFilter(kept, queryset=None)
    if not browse.form.is_valid():
        raise ValidationError(
            [f"{browse.form.fields[name].label}: {' '.join(errors)}" for name, errors in browse.form.errors.items()]
        )
    return kept, browse.form.cleaned_data


def saved_search_create(*, acting_user: User, query: str, name: str = "") -> SavedSearch:
    """Save a browse search as an alert: the lots published from now on that it finds are notified."""
    kept, data = alert_query(query)
    if not kept:
        raise ValidationError(
            _("Choose at least one filter or a search word first: an alert for every lot would flood you.")
        )
    if SavedSearch.objects.filter(user=acting_user).count() >= MAX_SAVED_SEARCHES:
        raise ValidationError(
            _("You have %(n)d alerts already, the most one person can keep. Delete one first.")
            % {"n": MAX_SAVED_SEARCHES}
        )
    category = data.get("category")
    search = SavedSearch(
        user=acting_user,
        name=(name or "").strip()[:120] or _describe(kept, data),
        query=kept.urlencode(),
        terms=" ".join(search_terms(data.get("q") or "")),
        group=data.get("group") or "",
        category=category,
        hazardous=data.get("hazardous"),
        kecamatan=data.get("kecamatan") or "",
        unit=data.get("unit") or "",
        quantity_min=data.get("quantity_min"),
        quantity_max=data.get("quantity_max"),
        price_min=int(data["price_min"]) if data.get("price_min") is not None else None,
        price_max=int(data["price_max"]) if data.get("price_max") is not None else None,
        recurring=data.get("recurring"),
        closing_within=int(data["closing_within"]) if data.get("closing_within") is not None else None,
        local_first=data.get("local_first"),
    )
    try:
        with transaction.atomic():
            search.save()
    except IntegrityError as exc:
        raise ValidationError(_("You already have an alert for exactly this search.")) from exc
    return search


def _describe(kept: QueryDict, data: dict) -> str:
    parts = []
    if data.get("q"):
        parts.append(f"“{data['q']}”")
    if data.get("category"):
        parts.append(data["category"].name)
    elif data.get("group"):
        parts.append(str(WasteCategory.Group(data["group"]).label))
    if data.get("kecamatan"):
        parts.append(data["kecamatan"].replace("-", " ").title())
    others = len(kept) - len(parts)
    if others > 0:
        parts.append(_("%(n)d more filters") % {"n": others} if others > 1 else _("1 more filter"))
    return ", ".join(parts)[:120] or _("My alert")


def saved_search_delete(*, acting_user: User, search: SavedSearch) -> None:
    if search.user_id != acting_user.pk:
        raise PermissionDenied(_("This alert is someone else's."))
    search.delete()
