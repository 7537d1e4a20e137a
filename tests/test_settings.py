"""Configuration: production safety, health check, error pages, security headers."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def clean_environment() -> dict:
    """Only what a process needs to start: none of the test run's own settings leak into the check."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "VIRTUAL_ENV")}


def manage(*args, env_overrides):
    env = {**clean_environment(), **env_overrides}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


PRODUCTION_LIKE = {
    "DJANGO_SETTINGS_MODULE": "wastex.settings",
    "DEBUG": "false",
    "SECRET_KEY": "k3y-" + "x9Q!z" * 12,
    "ALLOWED_HOSTS": "wastex.example",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DATABASE_URL": "sqlite:///" + str(ROOT / "db.sqlite3"),
}


def test_check_deploy_is_clean_with_production_environment():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_LIKE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {**PRODUCTION_LIKE}
    del env["SECRET_KEY"]
    result = manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_runs_with_the_development_key():
    env = {**PRODUCTION_LIKE, "DEBUG": "true"}
    del env["SECRET_KEY"]
    assert manage("check", env_overrides=env).returncode == 0


@pytest.mark.django_db
def test_healthz_reports_database(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok", "down": []}


@pytest.mark.django_db
def test_healthz_fails_when_the_broker_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] == "error"


@pytest.mark.django_db
def test_healthz_checks_a_real_broker_when_configured(client, settings):
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("REDIS_URL not set")
    settings.REDIS_URL = url
    assert client.get("/healthz").json()["broker"] == "ok"


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404


@pytest.mark.django_db
def test_security_headers(client):
    response = client.get(reverse("landing"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.django_db
def test_pages_use_no_cdn(client):
    body = client.get(reverse("landing")).content.decode()
    assert "cdn" not in body.lower()
    for asset in (
        "vendor/bootstrap/bootstrap.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/bootstrap/bootstrap.bundle.min.js",
    ):
        assert asset in body
        assert (ROOT / "static" / asset).is_file()


@pytest.mark.django_db
def test_csrf_failure_is_explained(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies["django_language"] = "en"
    response = strict.post(reverse("login"), {"username": "a@b.test", "password": "x"})
    assert response.status_code == 403
    assert "expired" in response.content.decode()


def test_collectstatic_works_with_the_manifest_storage(tmp_path):
    """Production serves hashed, compressed static files through whitenoise; every vendored map must resolve."""
    result = manage(
        "collectstatic", "--noinput", "-v0", env_overrides={**PRODUCTION_LIKE, "STATIC_ROOT": str(tmp_path)}
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "staticfiles.json").is_file()
    assert list(tmp_path.glob("vendor/htmx/htmx.min.*.js.gz"))
