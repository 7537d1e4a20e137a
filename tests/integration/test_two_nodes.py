"""Two web nodes, as deployed: two gunicorn processes (deploy/gunicorn.conf.py, DEBUG off, static files
collected) on different loopback ports, sharing the PostgreSQL test database, Redis, an S3 server (moto's
server mode, started here) and a Celery worker. Nothing is shared through a local disk: MEDIA_ROOT of each
node is a folder of its own that must stay empty.

Runs when REDIS_URL is set and the database is PostgreSQL (CI's second pass).
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone
from PIL import Image

from listings.catalogue import ensure_catalogue
from listings.models import WasteLot
from members.models import Licence, Notification
from tests.factories import PASSWORD, OrganisationFactory, member_of
from tests.integration.test_celery_worker import database_url, run_worker, smtp  # noqa: F401
from tests.integration.test_notifications_worker import free_port
from tests.listings.test_views import form_data
from tests.members.test_licences import licence_data

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set: no broker to test against"),
]

ROOT = Path(__file__).resolve().parents[2]
BUCKET = "wastex-two-nodes"
S3_KEYS = {"S3_ACCESS_KEY_ID": "moto-any-key", "S3_SECRET_ACCESS_KEY": "moto-any-secret", "S3_REGION": "us-east-1"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def wait_for_port(port: int, process: subprocess.Popen, what: str, path: str = "/", timeout: float = 60) -> None:
    """Wait until the process answers on the port; stop it (and fail) if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
            return
        except requests.RequestException:
            time.sleep(0.2)
    stop(process)
    raise AssertionError(f"{what} did not answer on port {port} within {timeout}s (exit code {process.returncode})")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free loopback port, with a private bucket."""
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    assert binary, "moto_server is missing: pip install -r requirements-dev.txt"
    port = free_port()
    with open(tmp_path_factory.mktemp("moto") / "moto.log", "w") as log:
        process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(port, process, "moto_server")
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_KEYS["S3_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=BUCKET)
    yield {"endpoint": endpoint, "client": client, "env": {**S3_KEYS, "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": endpoint}}
    stop(process)


@pytest.fixture(scope="module")
def shared_worker(django_db_setup, django_db_blocker, smtp, s3_server):  # noqa: F811
    """A Celery worker on the same database, Redis and bucket, writing JSON logs."""
    yield from run_worker(smtp, os.environ["REDIS_URL"], extra_env={**s3_server["env"], "LOG_FORMAT": "json"})


@pytest.fixture(scope="module")
def nodes(django_db_setup, django_db_blocker, shared_worker, s3_server, smtp, tmp_path_factory):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("the two-node test shares PostgreSQL (set DATABASE_URL)")
    base = tmp_path_factory.mktemp("nodes")
    env = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
        "DJANGO_SETTINGS_MODULE": "wastex.settings",
        "DEBUG": "false",
        "SECRET_KEY": "two-nodes-share-this-key-" + "q7" * 20,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_QUEUE": shared_worker.queue,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "STATIC_ROOT": str(base / "static"),
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        **s3_server["env"],
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    started = []
    for name in ("a", "b"):
        port = free_port()
        node = {
            "url": f"http://127.0.0.1:{port}",
            "media": base / f"media-{name}",
            "log": base / f"gunicorn-{name}.log",
        }
        node_env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "MEDIA_ROOT": str(node["media"]),
            "PROMETHEUS_MULTIPROC_DIR": str(base / f"metrics-{name}"),
        }
        with open(node["log"], "w") as log:
            node["process"] = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "deploy/gunicorn.conf.py", "wastex.wsgi"],
                cwd=ROOT,
                env=node_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(node)
    try:
        for name, node in zip("ab", started, strict=True):
            wait_for_port(int(node["url"].rsplit(":", 1)[1]), node["process"], f"gunicorn node {name}", "/healthz/live")
        yield started
    finally:
        for node in started:
            stop(node["process"])


def csrf_token(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]


def sign_in(session: requests.Session, node: dict, email: str) -> None:
    token = csrf_token(session, node["url"] + "/accounts/login/")
    response = session.post(
        node["url"] + "/accounts/login/",
        data={"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 302, response.text[:500]


def post(session: requests.Session, node: dict, path: str, form_page: str, **kwargs) -> requests.Response:
    token = csrf_token(session, node["url"] + form_page)
    data = {**kwargs.pop("data", {}), "csrfmiddlewaretoken": token}
    return session.post(node["url"] + path, data=data, allow_redirects=False, timeout=30, **kwargs)


def wait_until(condition, timeout=45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_two_web_nodes_share_uploads_sessions_and_the_worker(
    transactional_db,
    nodes,
    s3_server,
    smtp,  # noqa: F811
    shared_worker,
):
    node_a, node_b = nodes
    ensure_catalogue()  # an earlier transactional test may have flushed the seeded catalogue
    plant = OrganisationFactory(name="PT Dua Node")
    plant_admin = member_of(plant, email="pabrik@dua-node.test", language="en")
    processor = OrganisationFactory(name="CV Olah Dua Node", processor=True)
    processor_admin = member_of(processor, email="olah@dua-node.test", language="en")
    for person in (plant_admin, processor_admin):
        # The nodes run the production settings, whose hashers do not include the tests' fast MD5.
        hasher = PBKDF2PasswordHasher()
        person.password = hasher.encode(PASSWORD, hasher.salt())
        person.save(update_fields=["password"])
    smtp.messages.clear()

    # A session started on A is valid on B (sessions live in Redis and PostgreSQL, not in a node).
    plant_session = requests.Session()
    sign_in(plant_session, node_a, plant_admin.email)
    home_on_b = plant_session.get(node_b["url"] + "/home/", allow_redirects=False, timeout=10)
    assert home_on_b.status_code == 200 and "PT Dua Node" in home_on_b.text

    # A lot posted with a photo and a PDF through A ...
    created = post(
        plant_session,
        node_a,
        "/lots/new/",
        "/lots/new/",
        data=form_data(local_first_days="0"),
        files=[
            ("photos", ("foto.jpg", jpeg_bytes(), "image/jpeg")),
            ("documents", ("lab.pdf", PDF, "application/pdf")),
        ],
    )
    assert created.status_code == 302, created.text[:1000]
    lot = WasteLot.objects.get(plant=plant)
    published = post(plant_session, node_a, f"/lots/{lot.reference}/publish/", lot.get_absolute_url())
    assert published.status_code == 302
    photo = lot.attachments.get(kind="photo")

    # ... is shown with its photo through B, read from the bucket.
    page_on_b = plant_session.get(node_b["url"] + lot.get_absolute_url(), timeout=10)
    thumbnail_url = f"/lots/{lot.reference}/files/{photo.pk}/thumbnail/"
    assert page_on_b.status_code == 200 and thumbnail_url in page_on_b.text
    thumbnail = plant_session.get(node_b["url"] + thumbnail_url, timeout=10)
    stored = s3_server["client"].get_object(Bucket=BUCKET, Key=photo.thumbnail.name)["Body"].read()
    assert thumbnail.status_code == 200 and thumbnail.headers["Content-Type"] == "image/jpeg"
    assert thumbnail.content == stored and Image.open(io.BytesIO(stored)).size == (480, 360)
    full = plant_session.get(node_b["url"] + f"/lots/{lot.reference}/files/{photo.pk}/", timeout=10)
    assert full.status_code == 200 and Image.open(io.BytesIO(full.content)).size == (640, 480)

    # A bid placed on B notifies the plant through the worker; the request id follows it into the worker's log.
    processor_session = requests.Session()
    sign_in(processor_session, node_b, processor_admin.email)
    bid = post(
        processor_session,
        node_b,
        f"/lots/{lot.reference}/bid/",
        lot.get_absolute_url(),
        data={
            "price_per_unit": "150000",
            "quantity": "100",
            "pickup_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
            "route": "recycling",
        },
    )
    assert bid.status_code == 302, bid.text[:1000]
    request_id = bid.headers["X-Request-ID"]
    assert wait_until(lambda: Notification.objects.filter(recipient=plant_admin).exists())
    messages = smtp.wait_for(1)
    assert messages[0]["To"] == plant_admin.email
    assert wait_until(lambda: any(_json_has(line, request_id) for line in shared_worker.log))

    # A private document: the processor's licence, uploaded through A, is refused on both nodes to the plant.
    added = post(
        processor_session,
        node_a,
        f"/org/{processor.slug}/licences/",
        f"/org/{processor.slug}/licences/",
        data={k: v for k, v in licence_data().items() if k != "document"},
        files=[("document", ("pertek.pdf", PDF, "application/pdf"))],
    )
    assert added.status_code == 302, added.text[:1000]
    licence = Licence.objects.get(organisation=processor)
    document = f"/licences/{licence.pk}/document/"
    for node in (node_a, node_b):
        assert plant_session.get(node["url"] + document, timeout=10).status_code == 404
        assert processor_session.get(node["url"] + document, timeout=10).content == PDF
    assert requests.get(node_b["url"] + document, allow_redirects=False, timeout=10).status_code == 302

    # Every file is in the bucket, none on a node's disk.
    keys = {item["Key"] for item in s3_server["client"].list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert {photo.file.name, photo.thumbnail.name, licence.document.name} <= keys
    for node in nodes:
        assert not node["media"].exists() or not any(p.is_file() for p in node["media"].rglob("*"))

    # Each node reports its metrics (summed over its gunicorn workers), and is ready.
    metrics = requests.get(node_a["url"] + "/metrics", timeout=10).text
    lot_create = r'wastex_http_requests_total\{method="POST",status="302",view="listings:lot_create"\} 1\.0'
    assert re.search(lot_create, metrics)
    for node in nodes:
        ready = requests.get(node["url"] + "/healthz/ready", timeout=10)
        assert ready.json() == {
            "status": "ok",
            "database": "ok",
            "cache": "ok",
            "broker": "ok",
            "storage": "ok",
            "down": [],
        }
    access = [json.loads(line) for line in node_b["log"].read_text().splitlines() if '"gunicorn.access"' in line]
    assert any(line["request_id"] == request_id and line["path"].endswith("/bid/") for line in access)


def _json_has(line: str, request_id: str) -> bool:
    try:
        return json.loads(line).get("request_id") == request_id
    except ValueError:
        return False
