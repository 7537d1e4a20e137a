"""make bench's COPY loader: a field added to a model after the bench builder was written gets its default,
whichever way the rows are copied (a lot's timeline was refused once its `step` column came)."""

import pytest
from django.db import connection
from django.utils import timezone

from bench.data.copying import copy_rows, next_id
from listings.models import LotTransition
from tests.factories import LotFactory

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY: the bench database is PostgreSQL")
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


def test_a_blank_text_field_added_later_is_empty_not_refused():
    from bench.data.copying import fields_added_later
    from listings.models import Award

    columns, values = fields_added_later(Award, ["lot_id", "bid_id", "quantity", "reason", "note", "best_price",
                                                 "awarded_by_id", "awarded_at", "notified_at", "processor_banten",
                                                 "processor_japnas"])  # fmt: skip
    assert dict(zip(columns, values, strict=True)) == {"ended_at": None, "ended_by_id": None, "end_reason": ""}
