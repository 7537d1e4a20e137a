"""Whose figures: the city's, or one plant's or processor's own; and a share in per cent."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q

from members.models import Organisation


@dataclass(frozen=True)
class Scope:
    """Whose figures: the whole city ("city", officials and staff) or one plant's or processor's own."""

    kind: str
    organisation: Organisation | None = None

    @property
    def is_city(self) -> bool:
        return self.kind == "city"

    @property
    def is_plant(self) -> bool:
        return self.kind == "plant"

    @property
    def is_processor(self) -> bool:
        return self.kind == "processor"

    def key(self) -> str:
        return f"{self.kind}:{self.organisation.pk if self.organisation else '-'}"

    def lots(self, prefix: str = "") -> Q:
        """Lots the scope may count as listed."""
        if self.is_plant:
            return Q(**{f"{prefix}plant": self.organisation})
        if self.is_processor:
            return Q(pk__in=[])  # a processor lists nothing
        return Q()

    def deals(self) -> Q:
        """Deals (dashboard.models.Deal) in scope: a plant's own lots, a processor's own wins."""
        if self.is_plant:
            return Q(plant=self.organisation)
        if self.is_processor:
            return Q(processor=self.organisation)
        return Q()

    def handovers(self) -> Q:
        if self.is_plant:
            return Q(lot__plant=self.organisation)
        if self.is_processor:
            return Q(period__award__bid__bidder=self.organisation)
        return Q()


def share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))
