"""/my/evidence/<year>/: a plant's yearly evidence pack — ask for it, watch it being built, download it."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.files import private_file_response

from . import evidence
from .evidence_build import download_name


def _checked(request, year):
    """The plant (else 403, saying why) and a problem with the year (else "")."""
    return evidence.plant_of_or_403(request.user), evidence.year_problem(year)


def _no_such_year(request, problem):
    return render(request, "error.html", {"title": _("Not found"), "message": problem}, status=404)


def _context(plant, year):
    return {
        "plant": plant,
        "year": year,
        "years": evidence.years(),
        "pack": evidence.latest_pack(plant, year),
        "ready": evidence.latest_ready_pack(plant, year),
    }


@require_http_methods(["GET", "POST"])
def evidence_page(request, year):
    """GET: the pack of the year (its build's progress, or its download); POST: build it (or reuse the build
    under way)."""
    plant, problem = _checked(request, year)
    if problem:
        return _no_such_year(request, problem)
    if request.method == "POST":
        evidence.evidence_request(organisation=plant, year=year, acting_user=request.user)
        return redirect("documents:evidence", year=year)
    return render(request, "documents/evidence.html", _context(plant, year))


@require_GET
def evidence_status(request, year):
    """The progress fragment the page polls (htmx) while the pack is being built."""
    plant, problem = _checked(request, year)
    if problem:
        return _no_such_year(request, problem)
    return render(request, "documents/partials/evidence_status.html", _context(plant, year))


@require_GET
def evidence_download(request, year):
    plant, problem = _checked(request, year)
    if problem:
        return _no_such_year(request, problem)
    pack = evidence.latest_ready_pack(plant, year)
    if pack is None:
        return render(
            request,
            "error.html",
            {"title": _("Not found"), "message": _("The evidence pack of this year has not been built yet.")},
            status=404,
        )
    return private_file_response(pack.file, content_type="application/zip", filename=download_name(pack))
