"""make bench's COPY loader: a field added to a model after the bench builder was written gets its default,
whichever way the rows are copied (a lot's timeline was refused once its `step` column came)."""

import pytest
from django.utils import timezone

from bench.data.copying import copy_rows, next_id
from listings.models import LotTransition
from tests.factories import LotFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_rows_copied_without_a_later_field_get_its_default():
    lot = LotFactory()
    first = next_id(LotTransition)
    copy_rows(
        LotTransition,
        ["id", "lot_id", "from_status", "to_status", "actor_id", "note", "created_at"],
        [(first, lot.pk, "", "draft", None, "", timezone.now())],
    )
    copied = LotTransition.objects.get(pk=first)
    assert copied.step == "" and copied.to_status == "draft"
