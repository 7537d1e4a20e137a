"""/dashboard/: the city's figures for officials and staff; a plant's or a processor's own for its people."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.forms import light_fields
from listings.models import WasteCategory
from members.models import Organisation
from members.selectors import user_membership

from . import charts, exports, selectors
from .filters import DashboardFilter
from .selectors import Scope

FORMATS = ("csv", "xlsx")


def dashboard_scope(user) -> Scope:
    """Officials (a verified authority) and staff see the city; a verified plant or processor its own figures;
    nobody else sees anything (visitors see the landing page's public figures)."""
    if user.is_staff:
        return Scope("city")
    membership = user_membership(user)
    if membership is None:
        raise PermissionDenied(_("The dashboard is for officials, platform staff and verified organisations."))
    organisation = membership.organisation
    if not organisation.is_verified:
        raise PermissionDenied(_("The dashboard opens once platform staff have verified your organisation."))
    if organisation.kind in (Organisation.Kind.AUTHORITY, Organisation.Kind.OPERATOR):
        return Scope("city")  # officials, and the platform's operators (the secretariat)
    if organisation.kind == Organisation.Kind.PLANT:
        return Scope("plant", organisation)
    if organisation.kind == Organisation.Kind.PROCESSOR:
        return Scope("processor", organisation)
    raise PermissionDenied(_("The dashboard is for officials, platform staff and verified organisations."))


def dashboard(request):
    scope = dashboard_scope(request.user)
    partial = bool(request.htmx)
    filterset = DashboardFilter(request.GET or None)
    context = {"filter": filterset, "scope": scope, "query": request.GET.urlencode()}
    if not partial:
        context["light_fields"] = light_fields(filterset.form)
    status = 200
    if filterset.is_valid():
        selection = filterset.selection()
        figures = selectors.dashboard_figures(selection, scope)
        context.update(
            selection=selection,
            figures=figures,
            headline=[
                (key, exports.HEADLINE_LABELS[key], value, unit) for key, value, unit in exports.headline_rows(figures)
            ],
            chart_data=charts.chart_data(figures),
            group_label=WasteCategory.Group(selection.group).label if selection.group else "",
        )
    else:
        # A 400 with the reasons; htmx swaps only 2xx answers, so its request gets them with a 200 (typically
        # "custom dates" chosen before the last day is filled in).
        status = 200 if partial else 400
    template = "dashboard/partials/body.html" if partial else "dashboard/dashboard.html"
    return render(request, template, context, status=status)


def export(request, table, fmt):
    """One table of the dashboard, with the page's filters, as CSV (streamed) or Excel."""
    scope = dashboard_scope(request.user)
    found = exports.TABLES.get(table)
    if found is None or fmt not in FORMATS or scope.kind not in found.scopes:
        raise Http404
    filterset = DashboardFilter(request.GET or None)
    if not filterset.is_valid():
        problems = "; ".join(
            f"{filterset.form.fields[name].label if name in filterset.form.fields else name}: {' '.join(errors)}"
            for name, errors in filterset.form.errors.items()
        )
        return HttpResponse(
            _("The filters are not understood: %(problems)s") % {"problems": problems},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    selection = filterset.selection()
    if fmt == "csv":
        return exports.csv_response(found, selection, scope)
    return exports.excel_response(found, selection, scope)
