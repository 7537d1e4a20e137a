"""Reads scoped to who asks: fetch and check in one step, so that no view fetches tenant data unscoped."""

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404

from .models import JapnasListUpload, JapnasMember, Membership, Organisation, User, normalise_japnas

ROLE_BY_KIND = {
    Organisation.Kind.PLANT: "plant",
    Organisation.Kind.PROCESSOR: "processor",
    Organisation.Kind.AUTHORITY: "official",
    Organisation.Kind.OPERATOR: "staff",
}


def user_membership(user) -> Membership | None:
    """The person's membership with its organisation, in one query, remembered for the request."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_membership_cache"):
        membership = Membership.objects.select_related("organisation").filter(user=user).order_by().first()
        if membership is not None:
            membership.user = user
            # Later `user.membership` reads (services, templates) reuse it instead of querying again.
            user.__class__.membership.related.set_cached_value(user, membership)
        user._membership_cache = membership
    return user._membership_cache


def user_role(user) -> str | None:
    """plant, processor, official or staff: what the navigation and the home page are built for."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return "staff"
    membership = user_membership(user)
    return ROLE_BY_KIND.get(membership.organisation.kind) if membership else None


def organisation_of(user) -> Organisation | None:
    """The organisation this person acts for (None for visitors, staff without one, people without one)."""
    membership = user_membership(user)
    return membership.organisation if membership else None


def is_organisation_admin(user, organisation: Organisation) -> bool:
    """Whether this person administers this organisation (its details, team, licences)."""
    membership = user_membership(user)
    return bool(membership and membership.organisation_id == organisation.pk and membership.is_admin)


def people_of(organisation: Organisation):
    """The ids of the organisation's active people: whom its notifications go to."""
    return User.objects.filter(membership__organisation=organisation, is_active=True).values_list("pk", flat=True)


def can_see_directory(user) -> bool:
    """Contact details of verified businesses: for verified organisations, officials and staff only."""
    if user.is_authenticated and user.is_staff:
        return True
    organisation = organisation_of(user)
    return bool(organisation and (organisation.is_verified or organisation.kind == Organisation.Kind.AUTHORITY))


def is_official_or_staff(user) -> bool:
    """Those who oversee the market: platform staff, people of a verified authority (the city's officials) and
    of the platform's operators (the secretariat). They see every lot's parties and handover, read-only."""
    if user.is_authenticated and user.is_staff:
        return True
    organisation = organisation_of(user)
    return bool(
        organisation
        and organisation.is_verified
        and organisation.kind in (Organisation.Kind.AUTHORITY, Organisation.Kind.OPERATOR)
    )


def organisation_visible_or_404(user: User, slug: str) -> Organisation:
    """A verified organisation's profile is visible to everyone logged in; others only to their people and staff."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    if organisation.is_verified or user.is_staff:
        return organisation
    membership = user_membership(user)
    if membership and membership.organisation_id == organisation.pk:
        return organisation
    raise Http404


def organisation_of_member_or_404(user: User, slug: str, *, admin: bool = False) -> Organisation:
    """The organisation behind a private page: only its own people (its admins when `admin`) get it."""
    membership = user_membership(user)
    if membership is None or membership.organisation.slug != slug:
        raise Http404
    if admin and not membership.is_admin:
        raise Http404
    return membership.organisation


def banten_first():
    """An ordering term that puts Banten businesses before the others."""
    return Case(When(province="banten", then=Value(0)), default=Value(1), output_field=IntegerField())


def directory_queryset():
    return Organisation.objects.verified().filter(kind__in=[Organisation.Kind.PLANT, Organisation.Kind.PROCESSOR])


def platform_figures() -> dict:
    """Public aggregate figures for the landing page: counts only, no names, no prices. One query."""
    verified = Q(verification_status=Organisation.Status.VERIFIED)
    processor = Q(kind=Organisation.Kind.PROCESSOR)
    return Organisation.objects.aggregate(
        plants=Count("pk", filter=verified & Q(kind=Organisation.Kind.PLANT)),
        processors=Count("pk", filter=verified & processor),
        banten_processors=Count("pk", filter=verified & processor & Q(province="banten")),
        japnas_processors=Count("pk", filter=verified & processor & ~Q(japnas_number="")),
        kecamatan_covered=Count(
            "kecamatan", filter=verified & ~Q(kecamatan="") & Q(kind=Organisation.Kind.PLANT), distinct=True
        ),
        awaiting=Count("pk", filter=Q(verification_status=Organisation.Status.UNVERIFIED)),
    )


def organisation_counts_by_kind_and_status() -> list[dict]:
    return list(Organisation.objects.values("kind", "verification_status").annotate(n=Count("pk")).order_by("kind"))


def plants_by_kecamatan() -> list[dict]:
    return list(
        Organisation.objects.verified()
        .filter(kind=Organisation.Kind.PLANT)
        .exclude(kecamatan="")
        .values("kecamatan")
        .annotate(n=Count("pk"))
        .order_by("-n", "kecamatan")
    )


def organisations_awaiting_verification():
    return Organisation.objects.awaiting_verification().order_by("created_at")


def japnas_listed(numbers) -> dict[str, str]:
    """Which of these Japnas numbers are on the member list staff uploaded: {number as given: member's name}."""
    wanted = {number: normalise_japnas(number) for number in numbers if number}
    found = dict(JapnasMember.objects.filter(number__in=set(wanted.values())).values_list("number", "name"))
    return {number: found[key] for number, key in wanted.items() if key in found}


def japnas_list_current() -> JapnasListUpload | None:
    """The upload whose members are the list in force (None before the first upload)."""
    return JapnasListUpload.objects.select_related("uploaded_by").first()


def japnas_check(number: str, *, listed: dict, has_list: bool) -> str:
    """How a Japnas number stands against the list: "none" (no number), "listed", "unlisted" or "no-list"."""
    if not number:
        return "none"
    if not has_list:
        return "no-list"
    return "listed" if number in listed else "unlisted"
