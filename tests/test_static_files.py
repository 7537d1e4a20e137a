"""Static files in production (DEBUG off): WhiteNoise serves the collected, hashed files compressed and cached
for a year (immutable: a changed file gets a new name). The favicon is one of them, linked from every page."""

import gzip

from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client, override_settings

PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


def test_static_files_are_compressed_and_cached_for_a_year(tmp_path, db):
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES, DEBUG=False):
        call_command("collectstatic", interactive=False, verbosity=0)
        client = Client()
        for name in ("css/wastex.css", "vendor/bootstrap/bootstrap.min.css", "js/lots.js"):
            response = client.get(static(name), HTTP_ACCEPT_ENCODING="gzip")
            assert response.status_code == 200, name
            assert response["Content-Encoding"] == "gzip", name
            assert response["Cache-Control"] == "max-age=315360000, public, immutable", name
        assert client.get(static("favicon.ico")).status_code == 200
        page = client.get("/accounts/login/").content.decode()
        assert f'<link rel="icon" href="{static("favicon.svg")}"' in page


def test_pages_are_compressed_for_browsers_that_ask(client, official):
    """A page goes out gzip-compressed when the browser accepts it (Lighthouse: the dashboard's 40 KB of HTML
    went uncompressed to phones), and plain when it does not; the private cache rule stays."""
    client.force_login(official)
    plain = client.get("/dashboard/")
    assert plain.status_code == 200 and "Content-Encoding" not in plain
    compressed = client.get("/dashboard/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed.status_code == 200
    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"]
    assert "no-store" in compressed["Cache-Control"] and "private" in compressed["Cache-Control"]
    html = gzip.decompress(compressed.content).decode()
    assert 'data-testid="period"' in html and html.rstrip().endswith("</html>")
    assert len(compressed.content) < len(html) / 2
    # A visitor's page too.
    client.logout()
    login = client.get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert login["Content-Encoding"] == "gzip"
    assert "<form" in gzip.decompress(login.content).decode()
