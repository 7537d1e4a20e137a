"""Where uploads live: the local disk by default, an S3-compatible bucket when S3_BUCKET is set (settings.py).

Every FileField uses the default storage, so the code that saves and serves files does not know which one it
is. What does differ lives here: whether the store answers (readiness), and copying a disk's files into the
store (`manage.py move_files_to_store`).
"""

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.apps import apps
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import models

logger = logging.getLogger(__name__)

# The readiness probe must answer within a balancer's timeout, whatever the store's own retry settings.
PROBE_CONFIG = Config(connect_timeout=1, read_timeout=2, retries={"max_attempts": 1, "mode": "standard"})
CHUNK = 1024 * 1024


def is_object_store(storage: Storage) -> bool:
    return hasattr(storage, "bucket_name") and hasattr(storage, "connection")


def storage_check(storage: Storage | None = None) -> str:
    """ "ok" when uploads can be stored now, else "error" (and a logged warning saying why)."""
    storage = storage or storages["default"]
    try:
        if is_object_store(storage):
            _probe_client(storage).head_bucket(Bucket=storage.bucket_name)
        elif isinstance(storage, FileSystemStorage):
            location = storage.location
            writable = os.access(location, os.W_OK | os.X_OK) if os.path.isdir(location) else _can_create(location)
            if not writable:
                raise OSError(f"{location} is not a writable directory")
        else:
            storage.exists("healthz-probe")
    except (BotoCoreError, ClientError, OSError) as exc:
        logger.warning("storage check failed: %s", exc)
        return "error"
    return "ok"


def _can_create(location: str) -> bool:
    """The disk storage creates MEDIA_ROOT on the first upload: a missing folder is fine if its parent is writable."""
    parent = os.path.dirname(os.path.abspath(location))
    return os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK)


def _probe_client(storage):
    """A client with the store's address and keys but short timeouts and no retries."""
    return boto3.session.Session().client(
        "s3",
        endpoint_url=storage.endpoint_url,
        region_name=storage.region_name,
        aws_access_key_id=storage.access_key,
        aws_secret_access_key=storage.secret_key,
        aws_session_token=storage.security_token,
        config=storage.client_config.merge(PROBE_CONFIG),
        verify=storage.verify,
    )


def stored_file_names() -> Iterator[str]:
    """The name of every file that some model's FileField points at, each once, in a stable order."""
    seen = set()
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        fields = [f.name for f in model._meta.get_fields() if isinstance(f, models.FileField)]
        for field in fields:
            for name in model._default_manager.exclude(**{field: ""}).order_by("pk").values_list(field, flat=True):
                if name and name not in seen:
                    seen.add(name)
                    yield name


@dataclass
class Moved:
    copied: int = 0
    already_there: int = 0
    missing: list[str] | None = None
    mismatched: list[str] | None = None

    def __post_init__(self):
        self.missing = self.missing or []
        self.mismatched = self.mismatched or []

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatched


def digest(storage: Storage, name: str) -> str:
    sha = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def move_files(source: Storage, target: Storage, names, *, dry_run: bool = False, log=None) -> Moved:
    """Copy each named file from `source` to the same name in `target` and read it back to compare SHA-256.

    A file already in the target with the same content is left alone, so the command can be run again after
    an interruption. Nothing is deleted from the source: that is the operator's step once every file verified.
    """
    log = log or (lambda line: None)
    result = Moved()
    for name in names:
        if not source.exists(name):
            result.missing.append(name)
            log(f"missing on disk: {name}")
            continue
        expected = digest(source, name)
        if target.exists(name):
            if digest(target, name) == expected:
                result.already_there += 1
                continue
            if dry_run:
                result.mismatched.append(name)
                log(f"differs in the store: {name}")
                continue
            target.delete(name)
        if dry_run:
            result.copied += 1
            log(f"would copy {name}")
            continue
        with source.open(name, "rb") as handle:
            saved = target.save(name, handle)
        if saved != name or digest(target, name) != expected:
            result.mismatched.append(name)
            log(f"VERIFY FAILED: {name} (stored as {saved})")
            continue
        result.copied += 1
        log(f"copied {name}")
    return result
