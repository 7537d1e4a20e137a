"""Demo site visits: two slots on one of the steel plant's open lots, one booked by the demo processor, through
the services (so the places, the plate and the notifications are as in real use)."""

from datetime import time, timedelta

from django.utils import timezone

from listings import services
from listings.models import VisitSlot, WasteLot
from members.models import User

SLOTS = [(2, time(9, 0), time(11, 0), 8), (3, time(13, 0), time(15, 0), 12)]
MEETING_POINT = "Pos satpam gerbang 2, Jl. Raya Anyer km 3"


def load_demo_visits() -> int:
    """Idempotent: a lot that has slots is left alone. Returns how many slots and bookings were made."""
    booker = User.objects.filter(email="processor@demo.test").first()
    plant = User.objects.filter(email="plant@demo.test").first()
    if booker is None or plant is None:
        return 0
    latest_day = max(days for days, *_rest in SLOTS)
    lot = (
        WasteLot.objects.open()
        .filter(plant=plant.membership.organisation, closes_at__gt=timezone.now() + timedelta(days=latest_day + 1))
        .order_by("closes_at", "pk")
        .first()
    )
    if lot is None or VisitSlot.objects.filter(lot=lot).exists():
        return 0
    slots = [
        services.slot_offer(
            lot=lot,
            acting_user=plant,
            offer=services.SlotOffer(
                day=timezone.localdate() + timedelta(days=days),
                start=start,
                end=end,
                capacity=capacity,
                meeting_point=MEETING_POINT,
            ),
        )
        for days, start, end, capacity in SLOTS
    ]
    services.visit_book(slot=slots[0], acting_user=booker, visitors=["Agus Salim", "Rina Marlina"], plate="a 1234 bc")
    return len(slots) + 1
