"""The schema and the documentation: public, served from here (no CDN), and what the contract test reads."""

import json
import re

import pytest
from django.test import Client

from tests.api.test_contract import served_schema


@pytest.mark.django_db
def test_the_schema_describes_every_operation_with_problem_details():
    response = Client().get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema == served_schema()
    assert schema["openapi"].startswith("3.")
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    for operation in operations:
        assert operation["security"] == [{"organisationToken": []}], operation["operationId"]
        for status in ("401", "403", "404", "429"):
            assert "application/problem+json" in operation["responses"][status]["content"], operation["operationId"]
    assert schema["components"]["securitySchemes"]["organisationToken"]["scheme"] == "bearer"


@pytest.mark.django_db
def test_the_docs_use_only_files_served_from_here():
    client = Client()
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources and all(source.startswith("/") for source in sources), sources
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and b"/api/v1/schema/" in script.content
