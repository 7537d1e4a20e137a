"""The yearly evidence pack of a plant (README "Documents"): who may ask for it, which years, and asking for a
build. The build itself is documents.evidence_build (a Celery task, documents.tasks.build_evidence_pack).

The pack is the plant's own: only people of a verified plant open /my/evidence/<year>/, and only for their
own organisation (the URL names no organisation). Officials and staff see the city's figures on the
dashboard instead; they do not get a plant's pack.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import Organisation
from members.selectors import user_membership

from .evidence_models import REDISPATCH_AFTER, EvidencePack

logger = logging.getLogger(__name__)

FIRST_YEAR = 2020  # the platform's first deals; nothing before it to prove


def last_year() -> int:
    return timezone.localdate().year


def years() -> list[int]:
    """The years a pack may be asked for, newest first."""
    return list(range(last_year(), FIRST_YEAR - 1, -1))


def plant_of_or_403(user) -> Organisation:
    """The verified plant this person acts for; anyone else is refused, saying why."""
    membership = user_membership(user)
    organisation = membership.organisation if membership else None
    overseers = (Organisation.Kind.AUTHORITY, Organisation.Kind.OPERATOR)
    if user.is_staff or (organisation is not None and organisation.kind in overseers):
        raise PermissionDenied(
            _("The yearly evidence pack is the plant's own: platform staff and officials read the dashboard.")
        )
    if organisation is None or organisation.kind != Organisation.Kind.PLANT:
        raise PermissionDenied(_("The yearly evidence pack is for people of industrial plants."))
    if not organisation.is_verified:
        raise PermissionDenied(_("The evidence pack opens once platform staff have verified your organisation."))
    return organisation


def year_problem(year: int) -> str:
    """Why there is no pack for this year ("" when the year is fine)."""
    if FIRST_YEAR <= year <= last_year():
        return ""
    return _("There is no evidence pack for %(year)s: choose a year from %(first)s to %(last)s.") % {
        "year": year,
        "first": FIRST_YEAR,
        "last": last_year(),
    }


def packs_of(organisation: Organisation, year: int):
    return EvidencePack.objects.filter(organisation=organisation, year=year)


def latest_pack(organisation: Organisation, year: int) -> EvidencePack | None:
    """The last pack asked for (whatever its status)."""
    return packs_of(organisation, year).order_by("-generation").first()


def latest_ready_pack(organisation: Organisation, year: int) -> EvidencePack | None:
    """The newest pack that finished, with its file (what the download serves)."""
    return (
        packs_of(organisation, year)
        .filter(status=EvidencePack.Status.READY)
        .exclude(file="")
        .order_by("-generation")
        .first()
    )


def _dispatch(pack_id: int) -> None:
    """Hand the build to the broker; an outage is logged, never raised (asking again hands it over again)."""
    from .tasks import build_evidence_pack

    try:
        build_evidence_pack.apply_async(args=(pack_id,), retry=False)
    except Exception:  # noqa: BLE001 - the broker's errors vary by transport
        logger.warning("Evidence pack %s not handed to the broker", pack_id, exc_info=True)


def evidence_request(*, organisation: Organisation, year: int, acting_user=None) -> EvidencePack:
    """The build of this plant's pack for the year: the one waiting or running (reused), else a new generation,
    handed to a worker after the commit. A build whose worker died (documents.evidence_models.STALLED_AFTER) is
    marked failed first, and one still waiting for a worker after a while is handed over again."""
    with transaction.atomic():
        # The organisation's row serialises two people asking at once (the partial unique constraint backs it).
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        active = packs_of(organisation, year).filter(status__in=EvidencePack.ACTIVE).first()
        if active is not None and active.is_stalled:
            active.status = EvidencePack.Status.FAILED
            active.error = "stalled: the build stopped without finishing"
            active.finished_at = timezone.now()
            active.save(update_fields=["status", "error", "finished_at"])
            active = None
        if active is not None:
            if active.status == EvidencePack.Status.PENDING and active.created_at < timezone.now() - REDISPATCH_AFTER:
                transaction.on_commit(lambda: _dispatch(active.pk))
            return active
        last = packs_of(organisation, year).aggregate(last=Max("generation"))["last"] or 0
        pack = EvidencePack.objects.create(
            organisation=organisation, year=year, generation=last + 1, requested_by=acting_user
        )
        transaction.on_commit(lambda: _dispatch(pack.pk))
    return pack
