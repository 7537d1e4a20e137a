"""Copy the uploads on this machine's disk into the object store, verifying each file.

    S3_BUCKET=… python manage.py move_files_to_store [--source /srv/wastex/media] [--dry-run]

Every file a FileField points at is copied under the same name (so the database needs no change) and read
back from the store to compare its SHA-256. Safe to run again: a file already there with the same content is
skipped. Nothing is deleted; remove the disk copies once the command reports every file verified.
"""

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management.base import BaseCommand, CommandError

from core.storage import is_object_store, move_files, stored_file_names


class Command(BaseCommand):
    help = "Copy uploaded files from the local disk to the object store (S3_BUCKET) and verify each one."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None, help="folder the files are in (default: MEDIA_ROOT)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be copied; copy nothing")

    def handle(self, *args, source=None, dry_run=False, **options):
        target = storages["default"]
        if not is_object_store(target):
            raise CommandError("The default storage is the local disk: set S3_BUCKET (and the store's address).")
        disk = FileSystemStorage(location=source or settings.MEDIA_ROOT)
        result = move_files(
            disk, target, stored_file_names(), dry_run=dry_run, log=lambda line: self.stdout.write(line)
        )
        verb = "would copy" if dry_run else "copied and verified"
        self.stdout.write(f"{verb}: {result.copied}; already in the store: {result.already_there}")
        if not result.ok:
            raise CommandError(
                f"{len(result.missing)} missing on disk, {len(result.mismatched)} differ in the store: see above."
            )
