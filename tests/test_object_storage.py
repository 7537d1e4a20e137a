"""Uploads on the S3 backend (django-storages against moto's in-process S3): every upload path round-trips,
refused files never reach the bucket, private files keep their permission checks, the readiness probe says
when the store is away, and `move_files_to_store` copies a disk's files and verifies each one."""

import io

import boto3
import pytest
from django.apps import apps
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from moto import mock_aws
from PIL import Image

from core import uploads
from core.storage import move_files, storage_check
from listings import services
from listings.models import LotAttachment, WasteLot
from members.models import Licence
from tests.factories import LicenceFactory, LotFactory, OrganisationFactory, log_in, member_of, staff_user
from tests.listings.test_handover import awarded_lot, record_pickup
from tests.listings.test_views import form_data
from tests.members.test_licences import licence_data
from tests.test_settings import PRODUCTION_LIKE, manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def seeded_catalogue(db):
    """The catalogue of migration listings 0002, also after a transactional test flushed the database."""
    from listings.catalogue import ensure_catalogue

    ensure_catalogue()


BUCKET = "wastex-test-uploads"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ACTIVE_PDF = b"%PDF-1.4\n1 0 obj<</OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<<>>\n%%EOF\n"


def s3_storage_settings(bucket=BUCKET, **extra):
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": bucket, "region_name": "us-east-1", "file_overwrite": False, **extra},
    }


@pytest.fixture
def disk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def bucket(settings, disk):
    """The default storage is a private bucket in moto's S3; returns a function listing the bucket's keys."""
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings()}

        def keys(prefix=""):
            listing = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)
            return sorted(item["Key"] for item in listing.get("Contents", []))

        keys.get = lambda key: client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        keys.client = client
        yield keys


def jpeg(name="foto.jpg", size=(640, 480)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 110, 100)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def nothing_on_disk(disk) -> bool:
    return not disk.exists() or not any(path.is_file() for path in disk.rglob("*"))


def test_lot_photos_thumbnails_and_pdfs_round_trip(client, plant_admin, bucket, disk):
    client.force_login(plant_admin)
    response = client.post(
        reverse("listings:lot_create"),
        {**form_data(), "photos": [jpeg()], "documents": [SimpleUploadedFile("lab.pdf", PDF)]},
    )
    assert response.status_code == 302
    lot = WasteLot.objects.get()
    photo = lot.attachments.get(kind=LotAttachment.Kind.PHOTO)
    document = lot.attachments.get(kind=LotAttachment.Kind.DOCUMENT)
    assert bucket(f"lots/{lot.reference}/") == sorted([photo.file.name, photo.thumbnail.name, document.file.name])
    assert nothing_on_disk(disk)

    ref = {"reference": lot.reference}
    served = client.get(reverse("listings:attachment", kwargs={**ref, "pk": photo.pk}))
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert body(served) == bucket.get(photo.file.name)
    thumbnail = client.get(reverse("listings:attachment_thumbnail", kwargs={**ref, "pk": photo.pk}))
    assert body(thumbnail) == bucket.get(photo.thumbnail.name)
    assert Image.open(io.BytesIO(bucket.get(photo.thumbnail.name))).size == (480, 360)
    pdf = client.get(reverse("listings:attachment", kwargs={**ref, "pk": document.pk}))
    assert body(pdf) == PDF and pdf["Content-Disposition"].startswith("attachment")
    assert pdf["Content-Security-Policy"].endswith("sandbox")

    # The lot's page shows the photo through the view that checks who asks, never a bucket URL.
    page = client.get(lot.get_absolute_url()).content.decode()
    assert reverse("listings:attachment_thumbnail", kwargs={**ref, "pk": photo.pk}) in page
    assert BUCKET not in page and "X-Amz" not in page

    # Deleting a draft's file deletes the object.
    client.post(reverse("listings:attachment_delete", kwargs={**ref, "pk": photo.pk}))
    assert bucket(f"lots/{lot.reference}/") == [document.file.name]


def test_draft_lot_files_are_refused_to_other_organisations(client, plant_admin, bucket):
    client.force_login(plant_admin)
    client.post(reverse("listings:lot_create"), {**form_data(), "photos": [jpeg()]})
    photo = LotAttachment.objects.get()
    kwargs = {"reference": photo.lot.reference, "pk": photo.pk}
    for outsider in (member_of(OrganisationFactory(processor=True)), member_of(OrganisationFactory())):
        client.force_login(outsider)
        assert client.get(reverse("listings:attachment", kwargs=kwargs)).status_code == 404
        assert client.get(reverse("listings:attachment_thumbnail", kwargs=kwargs)).status_code == 404
    client.logout()
    # A visitor: a draft does not exist for them (only an open lot's photo thumbnails are public).
    assert client.get(reverse("listings:attachment", kwargs=kwargs)).status_code == 404
    assert client.get(reverse("listings:attachment_thumbnail", kwargs=kwargs)).status_code == 404


def test_refused_files_never_reach_the_store(client, plant_admin, bucket, disk):
    client.force_login(plant_admin)
    not_a_photo = SimpleUploadedFile("foto.jpg", b"plain text, not a picture", content_type="image/jpeg")
    active = SimpleUploadedFile("lab.pdf", ACTIVE_PDF, content_type="application/pdf")
    response = client.post(reverse("listings:lot_create"), {**form_data(), "photos": [not_a_photo]})
    assert "is not a JPEG, PNG or WebP image" in response.content.decode()
    response = client.post(reverse("listings:lot_create"), {**form_data(), "documents": [active]})
    assert "contains active content" in response.content.decode()
    assert not WasteLot.objects.exists()
    assert bucket() == []
    assert nothing_on_disk(disk)


def test_licence_documents_round_trip_and_stay_with_their_organisation(client, processor, processor_admin, bucket):
    client.force_login(processor_admin)
    url = reverse("members:licences", kwargs={"slug": processor.slug})
    refused = client.post(url, licence_data(document=SimpleUploadedFile("pertek.pdf", ACTIVE_PDF)))
    assert refused.status_code == 200 and not Licence.objects.exists()
    assert bucket() == []
    assert client.post(url, licence_data()).status_code == 302
    licence = Licence.objects.get()
    assert bucket("licences/") == [licence.document.name]

    download = reverse("members:licence_document", kwargs={"pk": licence.pk})
    assert body(client.get(download)) == PDF
    log_in(client, staff_user())
    assert body(client.get(download)) == PDF
    for outsider in (member_of(OrganisationFactory()), member_of(OrganisationFactory(processor=True))):
        client.force_login(outsider)
        assert client.get(download).status_code == 404


def test_processing_proof_round_trips_and_is_refused_to_outsiders(client, plant, plant_admin, processor_admin, bucket):
    lot = awarded_lot(plant, plant_admin, processor_admin)
    record_pickup(lot, processor_admin)
    client.force_login(processor_admin)
    ref = {"reference": lot.reference}
    refused = client.post(
        reverse("listings:processing", kwargs=ref),
        {"quantity_received": "100", "route_used": "recycling", "proof": SimpleUploadedFile("b.pdf", b"not a pdf")},
    )
    assert refused.status_code == 400 and bucket() == []
    photo = jpeg("bukti.jpg", (60, 40))
    client.post(
        reverse("listings:processing", kwargs=ref),
        {"quantity_received": "100", "route_used": "recycling", "proof": photo},
    )
    lot.refresh_from_db()
    assert bucket("handover/") == [lot.handover.proof.name]
    for allowed in (processor_admin, plant_admin):
        client.force_login(allowed)
        served = client.get(reverse("listings:proof", kwargs=ref))
        assert served["Content-Type"] == "image/jpeg" and body(served) == bucket.get(lot.handover.proof.name)
    client.force_login(member_of(OrganisationFactory(processor=True)))
    assert client.get(reverse("listings:proof", kwargs=ref)).status_code == 403


def test_a_file_missing_from_the_store_is_a_404_not_a_500(client, processor, processor_admin, bucket):
    licence = LicenceFactory(organisation=processor)
    bucket.client.delete_object(Bucket=BUCKET, Key=licence.document.name)
    client.force_login(processor_admin)
    assert client.get(reverse("members:licence_document", kwargs={"pk": licence.pk})).status_code == 404


def test_every_stored_file_goes_through_the_default_storage():
    """Generated documents and any later upload field land in the same store as the rest: no FileField may
    bring its own storage (a disk path would be missing on the other web nodes)."""
    fields = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField) and field.storage is not default_storage
    ]
    assert fields == []


# --- readiness of the store -----------------------------------------------------------------------------------


def test_storage_check_on_a_bucket(bucket):
    assert storage_check() == "ok"
    bucket.client.delete_bucket(Bucket=BUCKET)
    assert storage_check() == "error"


def test_readiness_names_the_store_when_it_is_away(client, settings, disk):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(endpoint_url="http://127.0.0.1:1", access_key="a", secret_key="b"),
    }
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["storage"] == "error" and response.json()["down"] == ["storage"]
    assert client.get("/healthz").status_code == 503
    assert client.get("/healthz/live").status_code == 200


def test_storage_check_on_the_disk(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "not-yet-created"
    assert storage_check() == "ok"  # created on the first upload
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    assert storage_check() == "error"


def test_settings_choose_the_bucket_when_s3_bucket_is_set():
    show = (
        "from django.conf import settings; o = settings.STORAGES['default'].get('OPTIONS', {}); "
        "print(settings.STORAGES['default']['BACKEND'], o.get('bucket_name'), o.get('endpoint_url'), "
        "o.get('default_acl'), o['client_config'].s3['addressing_style'] if o else '')"
    )
    on_disk = manage("shell", "-v", "0", "-c", show, env_overrides=PRODUCTION_LIKE)
    assert on_disk.stdout.split() == ["django.core.files.storage.FileSystemStorage", "None", "None", "None"]
    env = {**PRODUCTION_LIKE, "S3_BUCKET": "wastex", "S3_ENDPOINT_URL": "http://minio:9000", "S3_REGION": "id-1"}
    in_bucket = manage("shell", "-v", "0", "-c", show, env_overrides=env)
    assert in_bucket.returncode == 0, in_bucket.stderr
    assert in_bucket.stdout.split() == ["storages.backends.s3.S3Storage", "wastex", "http://minio:9000", "None", "path"]


# --- moving a disk's files into the store -------------------------------------------------------------------


@pytest.fixture
def files_on_disk(disk, plant, plant_admin):
    """A licence, a lot photo with its thumbnail and a PDF, saved on the disk as a single-node site has them."""
    licence = LicenceFactory()
    lot = LotFactory(plant=plant)
    photo = services.attachment_add(
        lot=lot, acting_user=plant_admin, kind="photo", original_name="a.jpg", clean=uploads.clean_photo(jpeg())
    )
    document = services.attachment_add(
        lot=lot,
        acting_user=plant_admin,
        kind="document",
        original_name="l.pdf",
        clean=uploads.clean_document(SimpleUploadedFile("l.pdf", PDF)),
    )
    names = sorted([licence.document.name, photo.file.name, photo.thumbnail.name, document.file.name])
    assert all((disk / name).is_file() for name in names)
    return names


def use_bucket(settings):
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_settings()}


def test_move_files_to_store_copies_and_verifies_every_file(settings, files_on_disk, disk, bucket):
    out = io.StringIO()
    call_command("move_files_to_store", "--dry-run", stdout=out)
    assert "would copy: 4" in out.getvalue() and bucket() == []

    call_command("move_files_to_store", stdout=out)
    assert bucket() == files_on_disk
    for name in files_on_disk:
        assert bucket.get(name) == (disk / name).read_bytes()
    assert "copied and verified: 4; already in the store: 0" in out.getvalue()
    assert all((disk / name).is_file() for name in files_on_disk)  # the operator deletes them, not the command

    # Again (e.g. after an interruption): nothing copied twice. An object that differs is replaced.
    bucket.client.put_object(Bucket=BUCKET, Key=files_on_disk[0], Body=b"damaged")
    out = io.StringIO()
    call_command("move_files_to_store", stdout=out)
    assert "copied and verified: 1; already in the store: 3" in out.getvalue()
    assert bucket.get(files_on_disk[0]) == (disk / files_on_disk[0]).read_bytes()

    # The pages serve the moved files from the bucket.
    licence = Licence.objects.get()
    client = Client()
    client.force_login(member_of(licence.organisation))
    assert body(client.get(reverse("members:licence_document", kwargs={"pk": licence.pk}))) == b"%PDF-1.4\n%%EOF\n"


def test_move_files_to_store_reports_missing_files_and_failed_verification(files_on_disk, disk, bucket, monkeypatch):
    (disk / files_on_disk[1]).unlink()
    with pytest.raises(CommandError, match="1 missing on disk, 0 differ"):
        call_command("move_files_to_store", stdout=io.StringIO())
    assert len(bucket()) == 3

    # A store that keeps something else than it was given is caught by reading back.
    source = FileSystemStorage(location=disk)
    target = storages["default"]
    real_save = target.save
    monkeypatch.setattr(target, "save", lambda name, content: real_save(name, io.BytesIO(b"truncated")))
    bucket.client.delete_object(Bucket=BUCKET, Key=files_on_disk[0])
    lines = []
    result = move_files(source, target, [files_on_disk[0]], log=lines.append)
    assert not result.ok and result.mismatched == [files_on_disk[0]]
    assert lines == [f"VERIFY FAILED: {files_on_disk[0]} (stored as {files_on_disk[0]})"]


def test_move_files_to_store_needs_a_bucket(files_on_disk):
    with pytest.raises(CommandError, match="set S3_BUCKET"):
        call_command("move_files_to_store", stdout=io.StringIO())
