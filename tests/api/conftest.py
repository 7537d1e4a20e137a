import tempfile

import pytest
from django.db import transaction
from django.test import Client, override_settings

from api import services
from tests.visibility_world import build_world


def token_for(person, scopes=None, name="ERP") -> str:
    """A real token of the person's organisation, acting through them, with every scope its kind may have."""
    organisation = person.membership.organisation
    if scopes is None:
        scopes = list(services.allowed_scopes(organisation))
    return services.token_create(
        organisation=organisation, acting_user=person, name=name, scopes=scopes, by_operator=True
    ).secret


def api_client(secret: str | None) -> Client:
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if secret:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client(**headers)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = build_world("completed")
        yield built
        transaction.set_rollback(True)
