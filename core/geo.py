"""A place on the map: latitude and longitude, defined once for every model that has a position.

Coordinates are WGS84 degrees with six decimals (about 10 cm), as a phone's GPS gives them. Use the pair of
fields and, for optional coordinates, the constraints that keep them both set or both empty:

    latitude, longitude = coordinate_fields()
    class Meta:
        constraints = [*coordinate_constraints("org")]
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

LATITUDE = _("latitude")
LONGITUDE = _("longitude")


def coordinate_fields(
    *, required: bool = False, latitude_label=LATITUDE, longitude_label=LONGITUDE
) -> tuple[models.DecimalField, models.DecimalField]:
    """A new (latitude, longitude) pair of model fields; optional (both may be empty) unless `required`."""
    optional = {} if required else {"null": True, "blank": True}
    latitude = models.DecimalField(
        latitude_label,
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        **optional,
    )
    longitude = models.DecimalField(
        longitude_label,
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        **optional,
    )
    return latitude, longitude


def both_or_neither(name: str) -> models.CheckConstraint:
    """Optional coordinates are a position or nothing: never one without the other."""
    return models.CheckConstraint(
        condition=Q(latitude__isnull=True, longitude__isnull=True) | Q(latitude__isnull=False, longitude__isnull=False),
        name=name,
    )


def coordinate_constraints(prefix: str) -> list[models.CheckConstraint]:
    """The database's own guard for optional coordinates: both or neither, each within its range.
    Named `<prefix>_coordinates_both_or_neither`, `<prefix>_latitude_range` and `<prefix>_longitude_range`."""
    return [
        both_or_neither(f"{prefix}_coordinates_both_or_neither"),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90), name=f"{prefix}_latitude_range"
        ),
        models.CheckConstraint(
            condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
            name=f"{prefix}_longitude_range",
        ),
    ]
