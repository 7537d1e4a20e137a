"""core.choices: get_FOO_display() through a dictionary per field and language gives what Django's own gives, in
each language, for every choice field of every model of the project, for every choice and for a value that is
none of them."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from core.choices import ChoiceLabels, choice_label

CHOICE_FIELDS = [
    (model, field)
    for model in apps.get_models()
    if issubclass(model, ChoiceLabels)
    for field in model._meta.concrete_fields
    if field.choices
]


@pytest.mark.parametrize("language", ["id", "en"])
def test_labels_equal_djangos_for_every_choice(language):
    assert CHOICE_FIELDS, "no model uses ChoiceLabels"
    with translation.override(language):
        for model, field in CHOICE_FIELDS:
            for value in [choice for choice, _label in field.flatchoices] + ["not-a-choice"]:
                instance = model(**{field.attname: value})
                expected = models.Model._get_FIELD_display(instance, field)
                assert getattr(instance, f"get_{field.name}_display")() == expected, (model, field.name, value)


def test_the_label_follows_the_active_language():
    from listings.models import WasteLot

    lot = WasteLot(frequency="monthly")
    with translation.override("en"):
        english = lot.get_frequency_display()
    with translation.override("id"):
        indonesian = lot.get_frequency_display()
    with translation.override("en"):
        assert lot.get_frequency_display() == english == "Monthly"
    assert indonesian == "Bulanan"
    field = WasteLot._meta.get_field("frequency")
    with translation.override("id"):
        assert choice_label(field, "monthly") == indonesian


def test_the_models_on_every_list_page_use_it():
    from listings.models import Bid, LotAttachment, WasteCategory, WasteLot
    from members.models import Notification, Organisation

    for model in (WasteLot, WasteCategory, LotAttachment, Bid, Organisation, Notification):
        assert issubclass(model, ChoiceLabels), model
