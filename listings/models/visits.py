"""Site visits on an open lot (the tender's inspection): the plant offers slots, a verified processor books one
place per lot for its people and vehicle (the gate pass). Capacity is counted in people: each booking takes as
many places as the names it gives. A processor never reads another processor's booking (listings.visits)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Organisation

from .lots import WasteLot

MAX_SLOTS_PER_LOT = 20
MIN_SLOT_CAPACITY = 1
MAX_SLOT_CAPACITY = 50
MAX_VISITORS_PER_BOOKING = 5
MAX_VISITOR_NAME_CHARS = 80
MAX_MEETING_POINT_CHARS = 300
MAX_PLATE_CHARS = 12


class VisitSlot(models.Model):
    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="visit_slots", verbose_name=_("lot"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("places (people)"))
    meeting_point = models.CharField(_("meeting point"), max_length=MAX_MEETING_POINT_CHARS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("offered by")
    )
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("site visit slot")
        verbose_name_plural = _("site visit slots")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["lot", "starts_at"], name="visitslot_lot_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="visitslot_ends_after_start"),
            models.CheckConstraint(
                condition=Q(capacity__gte=MIN_SLOT_CAPACITY, capacity__lte=MAX_SLOT_CAPACITY),
                name="visitslot_capacity_bounds",
            ),
        ]

    def __str__(self):
        return f"{self.lot.reference}: {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def has_started(self) -> bool:
        return self.starts_at <= timezone.now()


class VisitBooking(models.Model):
    """One organisation's booking of a slot: the people coming and the vehicle, for the gate. One live booking per
    organisation per lot (a cancelled one may be followed by another)."""

    slot = models.ForeignKey(VisitSlot, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("slot"))
    # The slot's lot, kept on the booking so that the database holds "one per organisation per lot".
    lot = models.ForeignKey(WasteLot, on_delete=models.CASCADE, related_name="+", verbose_name=_("lot"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("booked by")
    )
    visitors = models.JSONField(_("people coming"), default=list)
    people = models.PositiveSmallIntegerField(_("number of people"))
    plate = models.CharField(_("vehicle plate"), max_length=MAX_PLATE_CHARS)
    created_at = models.DateTimeField(_("booked at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("site visit booking")
        verbose_name_plural = _("site visit bookings")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["slot", "cancelled_at"], name="visitbooking_slot_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["lot", "organisation"],
                condition=Q(cancelled_at__isnull=True),
                name="visitbooking_one_per_organisation_per_lot",
            ),
            models.CheckConstraint(
                condition=Q(people__gte=1, people__lte=MAX_VISITORS_PER_BOOKING), name="visitbooking_people_bounds"
            ),
        ]

    def __str__(self):
        return f"{self.slot}: {self.plate}"

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None
