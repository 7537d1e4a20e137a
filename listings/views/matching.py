"""Pages of matching: /my/matches/, capabilities, wanted notices, saved searches (alerts)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.forms import add_validation_error
from core.pagination import offset_page
from members.models import Organisation
from members.selectors import user_membership

from .. import selectors
from ..filters import LotFilter
from ..forms import CapabilityForm, SaveSearchForm, WantedNoticeForm
from ..models import Capability, Match, SavedSearch, WantedNotice, WasteCategory, WasteLot
from ..scoring import explain
from ..services import matching as services


def _processor_or_403(request) -> Organisation:
    organisation = selectors.processor_of(request.user)
    if organisation is None:
        raise PermissionDenied(_("This page is for people of verified processing businesses."))
    return organisation


def my_matches(request):
    """Recommended for you: the open lots matched to my organisation, best score first."""
    organisation = _processor_or_403(request)
    matches = (
        Match.objects.filter(
            organisation=organisation, lot__status=WasteLot.Status.OPEN, lot__closes_at__gt=timezone.now()
        )
        .select_related("lot", "lot__category")
        .order_by("-score", "-lot__published_at", "-id")
    )
    page = offset_page(request, matches)
    for match in page["items"]:
        match.explanation = explain(match.reasons)
    context = {
        **page,
        "matches": page["items"],
        "capability_count": organisation.capabilities.count(),
        "organisation": organisation,
    }
    return render(request, "listings/my_matches.html", context)


def _save_capability(request, form) -> bool:
    """Save a valid capability form through the service (matched at once against the open lots); False with
    the reasons on the form when it cannot be saved."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        matched = services.capability_save(acting_user=request.user, capability=form.save(commit=False))
    except ValidationError as exc:
        add_validation_error(form, exc)
        return False
    messages.success(
        request,
        ngettext(
            "Capability saved. %(n)d open lot matches it now.",
            "Capability saved. %(n)d open lots match it now.",
            matched,
        )
        % {"n": matched},
    )
    return True


def capabilities(request):
    """What my organisation takes: list, and add one."""
    organisation = _processor_or_403(request)
    form = CapabilityForm(
        request.POST or None,
        organisation=organisation,
        initial={"latitude": organisation.latitude, "longitude": organisation.longitude, "radius_km": 30},
    )
    if _save_capability(request, form):
        return redirect("listings:capabilities")
    rows = organisation.capabilities.select_related("category")
    return render(
        request,
        "listings/capabilities.html",
        {"form": form, "capabilities": rows, "organisation": organisation},
        status=400 if form.errors else 200,
    )


def capability_edit(request, pk):
    organisation = _processor_or_403(request)
    capability = get_object_or_404(Capability, pk=pk, organisation=organisation)
    form = CapabilityForm(request.POST or None, instance=capability, organisation=organisation)
    if _save_capability(request, form):
        return redirect("listings:capabilities")
    return render(
        request,
        "listings/capability_form.html",
        {"form": form, "capability": capability},
        status=400 if form.errors else 200,
    )


@require_POST
def capability_delete(request, pk):
    organisation = _processor_or_403(request)
    capability = get_object_or_404(Capability, pk=pk, organisation=organisation)
    services.capability_delete(acting_user=request.user, capability=capability)
    messages.success(request, _("Capability removed."))
    return redirect("listings:capabilities")


def wanted_list(request):
    """Live wanted notices: plants see what processors ask for and can answer one with a lot."""
    organisation = selectors.processor_of(request.user)
    mine = request.GET.get("mine") == "1"
    # Our own notices include the withdrawn and expired ones; everyone else sees the live ones.
    notices = (
        WantedNotice.objects.filter(organisation=organisation) if mine and organisation else WantedNotice.objects.live()
    )
    category = WasteCategory.objects.filter(code=request.GET.get("category") or "").first()
    if category:
        notices = notices.filter(category=category)
    page = offset_page(request, notices.select_related("organisation", "category").order_by("-created_at", "-id"))
    context = {
        **page,
        "notices": page["items"],
        "categories": WasteCategory.objects.filter(is_active=True),
        "category": category,
        "mine": mine,
        "can_post": organisation is not None,
    }
    return render(request, "listings/wanted_list.html", context)


def wanted_new(request):
    _processor_or_403(request)
    form = WantedNoticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        notice = form.save(commit=False)
        try:
            matched = services.notice_save(acting_user=request.user, notice=notice)
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(
                request,
                ngettext(
                    "Wanted notice posted. %(n)d open lot matches it now.",
                    "Wanted notice posted. %(n)d open lots match it now.",
                    matched,
                )
                % {"n": matched},
            )
            return redirect(notice)
    return render(request, "listings/wanted_form.html", {"form": form}, status=400 if form.errors else 200)


def wanted_detail(request, pk):
    notice = get_object_or_404(WantedNotice.objects.select_related("organisation", "category"), pk=pk)
    organisation = selectors.processor_of(request.user)
    own = bool(organisation and notice.organisation_id == organisation.pk)
    if not own and not request.user.is_staff and not WantedNotice.objects.live().filter(pk=notice.pk).exists():
        raise PermissionDenied(_("This wanted notice is no longer live."))
    membership = user_membership(request.user)
    context = {
        "notice": notice,
        "own": own,
        "can_answer": bool(
            membership
            and membership.organisation.kind == Organisation.Kind.PLANT
            and membership.organisation.is_verified
            and notice.is_active
        ),
        "answers": notice.answers.filter(status__in=[WasteLot.Status.OPEN, *WasteLot.DECIDED_STATUSES]).only(
            "reference", "title", "status"
        )[:20]
        if own
        else [],
    }
    return render(request, "listings/wanted_detail.html", context)


@require_POST
def wanted_withdraw(request, pk):
    organisation = _processor_or_403(request)
    notice = get_object_or_404(WantedNotice, pk=pk, organisation=organisation)
    services.notice_withdraw(acting_user=request.user, notice=notice)
    messages.success(request, _("Wanted notice withdrawn."))
    return redirect("listings:wanted_list")


@require_POST
def search_save(request):
    """The "alert me" button on /lots/: saves the browse filters in view."""
    form = SaveSearchForm(request.POST)
    query = request.POST.get("query", "")
    if form.is_valid():
        try:
            search = services.saved_search_create(
                acting_user=request.user, query=form.cleaned_data["query"], name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            found = LotFilter(QueryDict(search.query), queryset=selectors.browsable_lots()).qs.count()
            messages.success(
                request,
                ngettext(
                    "Alert “%(name)s” saved: %(n)d open lot matches it now, and you will hear of every new one.",
                    "Alert “%(name)s” saved: %(n)d open lots match it now, and you will hear of every new one.",
                    found,
                )
                % {"name": search.name, "n": found},
            )
            return redirect("listings:my_searches")
    else:
        messages.error(request, _("The alert could not be saved: the search is too long."))
    return redirect(_browse_url(query))


def _browse_url(query: str) -> str:
    kept = query[:1000]
    return reverse("listings:lot_list") + (f"?{kept}" if kept else "")


def my_searches(request):
    searches = SavedSearch.objects.filter(user=request.user).select_related("category")
    return render(request, "listings/my_searches.html", {"searches": searches})


@require_POST
def search_delete(request, pk):
    search = get_object_or_404(SavedSearch, pk=pk, user=request.user)
    services.saved_search_delete(acting_user=request.user, search=search)
    messages.success(request, _("Alert deleted."))
    return redirect("listings:my_searches")
