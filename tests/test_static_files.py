"""Static files in production (DEBUG off): WhiteNoise serves the collected, hashed files compressed and cached
for a year (immutable: a changed file gets a new name). The favicon is one of them, linked from every page."""

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
