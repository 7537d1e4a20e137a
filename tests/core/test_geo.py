"""core.geo: one definition of a position's fields, the same as every model with coordinates has (so that a
model adopting it needs no migration)."""

from core.geo import coordinate_constraints, coordinate_fields
from listings.models import Capability, WasteLot
from members.models import Organisation


def _same(field, other) -> bool:
    return field.deconstruct()[1:] == other.deconstruct()[1:]


def test_optional_pair_is_the_organisations_and_the_lots():
    latitude, longitude = coordinate_fields()
    for model in (Organisation, WasteLot):
        assert _same(latitude, model._meta.get_field("latitude")), model
        assert _same(longitude, model._meta.get_field("longitude")), model


def test_required_pair_is_the_capabilitys():
    latitude, longitude = coordinate_fields(
        required=True, latitude_label="facility latitude", longitude_label="facility longitude"
    )
    assert _same(latitude, Capability._meta.get_field("latitude"))
    assert _same(longitude, Capability._meta.get_field("longitude"))


def test_constraints_keep_their_names():
    names = [constraint.name for constraint in coordinate_constraints("org")]
    assert names == ["org_coordinates_both_or_neither", "org_latitude_range", "org_longitude_range"]
    assert {c.name for c in Organisation._meta.constraints} >= set(names)
