"""Documents live in the default storage: on a deployment with a bucket, the PDF is written to the bucket (never
to a node's disk) and served from it to the deal's parties, byte for byte as its SHA-256 says."""

import hashlib

import pytest
from django.urls import reverse

from documents.models import Document
from tests.listings.test_handover import awarded_lot
from tests.test_object_storage import body, bucket, disk, nothing_on_disk, seeded_catalogue  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


def test_an_award_letter_is_stored_in_the_bucket_and_served_from_it(
    request, client, plant, plant_admin, processor_admin, django_capture_on_commit_callbacks
):
    keys, media = request.getfixturevalue("bucket"), request.getfixturevalue("disk")
    with django_capture_on_commit_callbacks(execute=True):
        lot = awarded_lot(plant, plant_admin, processor_admin)
    letter = Document.objects.get(lot=lot, kind="award-letter")
    assert keys(f"documents/{lot.reference}/") == [letter.file.name]
    assert nothing_on_disk(media)
    stored = keys.get(letter.file.name)
    assert hashlib.sha256(stored).hexdigest() == letter.sha256
    client.force_login(plant_admin)
    response = client.get(reverse("documents:download", kwargs={"reference": lot.reference, "number": letter.number}))
    assert response.status_code == 200 and body(response) == stored
