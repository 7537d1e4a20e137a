"""Capabilities, wanted notices and saved searches: each change is matched against the lots already open."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from members.models import Organisation, User
from members.selectors import user_membership

from .. import matching
from ..filters import LotFilter, search_terms
from ..models import Capability, Match, SavedSearch, WantedNotice, WasteCategory

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


def processor_of(user: User) -> Organisation | None:
    """The verified processor this person acts for, or None."""
    membership = user_membership(user)
    organisation = membership.organisation if membership else None
    if organisation and organisation.kind == Organisation.Kind.PROCESSOR and organisation.is_verified:
        return organisation
    return None


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
        return matching.backfill(organisation, capability.category_id)


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
        return matching.backfill(organisation, notice.category_id)


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
