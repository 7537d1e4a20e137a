"""The API's contract: schemathesis reads /api/v1/schema/ and calls every operation in-process (WSGI) with
generated inputs and a real token — the plant's, a processor's for bidding, an official's for the dashboard.
No answer may be a 5xx, and every answer (its status, content type and body) must match the schema.
A bounded number of generated examples per operation (15; schemathesis' explicit/coverage phase is left
out: it sends some 500 requests to the lot form alone) keeps it to about half a minute after the database is
set up."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for
from tests.factories import LotFactory, OrganisationFactory, member_of
from wastex.wsgi import application

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_process_requests():
    """Requests through the WSGI application inside the test's transaction: as Django's test client does, do
    not close the database connection at each request's start and end."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def served_schema() -> dict:
    """The schema /api/v1/schema/ serves (tests/api/test_schema.py checks they are the same), read when the
    tests are collected."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


schema = schemathesis.openapi.from_dict(served_schema())


@pytest.fixture
def tokens(db, in_process_requests):
    plant = member_of(OrganisationFactory(slug="kontrak-pabrik"))
    processor = member_of(OrganisationFactory(slug="kontrak-pengolah", processor=True))
    official = member_of(OrganisationFactory(slug="kontrak-dlh", authority=True))
    # Something to find: an open lot of the plant (generated references mostly miss it, and get a 404).
    LotFactory(plant=plant.membership.organisation, reference="WX-2026-00001", bidding_mode="open")
    return {"plant": token_for(plant), "processor": token_for(processor), "official": token_for(official)}


def _token_for(case, tokens) -> str:
    operation = case.operation.definition.raw.get("operationId", "")
    if operation.startswith("my_bid") or operation in ("my_bids", "lot_questions_ask"):
        return tokens["processor"]
    if operation == "dashboard":
        return tokens["official"]
    return tokens["plant"]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@override_settings(API_RATE_PER_MINUTE=100_000)
def test_every_operation_keeps_its_contract(case, tokens):
    # Answers are gzip-compressed for clients that ask (GZipMiddleware); the in-process WSGI call does not
    # unpack them, so it asks for them plain.
    case.headers = {
        **(case.headers or {}),
        "Authorization": f"Bearer {_token_for(case, tokens)}",
        "Accept-Encoding": "identity",
    }
    response = case.call(app=application)
    case.validate_response(response, checks=CHECKS)


# Generated references mostly miss a lot: the documents, questions and addenda are also called with real ones
# (a completed deal's documents, the open lot's question), each answer checked against the schema the same way.
REAL_CALLS = [
    # (method, path template, role, path parameters from the world, body, status)
    (
        "GET",
        "/api/v1/lots/{reference}/documents/",
        "winner",
        lambda w: {"reference": w.lots["deal"].reference},
        None,
        200,
    ),
    (
        "GET",
        "/api/v1/lots/{reference}/documents/{number}/pdf/",
        "official",
        lambda w: {
            "reference": w.lots["deal"].reference,
            "number": w.lots["deal"].documents.get(kind="processing-certificate").number,
        },
        None,
        200,
    ),
    (
        "GET",
        "/api/v1/lots/{reference}/documents/",
        "loser",
        lambda w: {"reference": w.lots["deal"].reference},
        None,
        403,
    ),
    (
        "GET",
        "/api/v1/lots/{reference}/questions/",
        "processor",
        lambda w: {"reference": w.lots["open"].reference},
        None,
        200,
    ),
    (
        "POST",
        "/api/v1/lots/{reference}/questions/",
        "loser",
        lambda w: {"reference": w.lots["open"].reference},
        {"text": "Apakah ada sertifikat uji TCLP terbaru?"},
        201,
    ),
    (
        "POST",
        "/api/v1/lots/{reference}/questions/",
        "loser",
        lambda w: {"reference": w.lots["open"].reference},
        {"text": "Kapan?"},
        400,
    ),
    (
        "POST",
        "/api/v1/lots/{reference}/questions/{id}/answer/",
        "plant_member",
        lambda w: {"reference": w.lots["open"].reference, "id": w.objects["question"].pk},
        {"answer": "Ya, 3 persen menurut uji lab."},
        200,
    ),
    ("GET", "/api/v1/lots/{reference}/addenda/", "loser", lambda w: {"reference": w.lots["open"].reference}, None, 200),
    (
        "POST",
        "/api/v1/lots/{reference}/addenda/",
        "plant_admin",
        lambda w: {"reference": w.lots["open"].reference},
        lambda w: {
            "text": "Jumlah dikoreksi setelah penimbangan ulang.",
            "quantity": str((w.lots["open"].quantity * Decimal("1.05")).quantize(Decimal("0.001"))),
            "closes_at": (w.lots["open"].closes_at + timedelta(days=2)).isoformat(),
        },  # the world's lot as built (each call is rolled back, and nothing here refreshes it)
        201,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "role", "parameters", "body", "status"), REAL_CALLS)
def test_documents_questions_and_addenda_keep_the_contract_with_real_data(
    world, in_process_requests, method, path, role, parameters, body, status
):
    operation = schema[path][method]
    kwargs = {"path_parameters": parameters(world)}
    if body is not None:
        kwargs.update(body=body(world) if callable(body) else body, media_type="application/json")
    case = operation.Case(**kwargs)
    response = case.call(
        app=application,
        headers={"Authorization": f"Bearer {token_for(world.person(role))}", "Accept-Encoding": "identity"},
    )
    assert response.status_code == status, response.content[:400]
    case.validate_response(response, checks=CHECKS)
    if path.endswith("/pdf/"):
        assert response.headers["content-type"] == ["application/pdf"] and response.content.startswith(b"%PDF")
