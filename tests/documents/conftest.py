import io
import tempfile

import pypdf
import pytest
from django.db import transaction
from django.test import override_settings

from documents.models import Document
from tests.visibility_world import build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The visibility world (a completed deal, one person per role), built once per module through the services:
    its documents were issued by the outbox after each step's commit, as in production. Rolled back at the end."""
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        yield build_world("completed")
        transaction.set_rollback(True)


def document_of(world, kind: str) -> Document:
    return Document.objects.get(lot=world.lots["deal"], kind=kind, status__in=["valid", "revoked"])


def pdf_reader(document: Document) -> pypdf.PdfReader:
    with document.file.open("rb") as handle:
        return pypdf.PdfReader(io.BytesIO(handle.read()))


def pdf_text(document: Document) -> str:
    """The PDF's text as a reader's copy-paste gives it: lines joined, no-break spaces as spaces."""
    reader = pdf_reader(document)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())
