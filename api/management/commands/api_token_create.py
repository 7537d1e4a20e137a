"""For operators: create an organisation token on the command line (the secret is printed once)."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api import services
from members.models import Organisation, User


class Command(BaseCommand):
    help = "Create an API token for an organisation, acting through one of its people; prints the secret once."

    def add_arguments(self, parser):
        parser.add_argument("organisation", help="The organisation's slug.")
        parser.add_argument(
            "--person", required=True, help="E-mail of the person of that organisation it acts through."
        )
        parser.add_argument("--name", required=True, help="What the token is for, e.g. 'SAP ERP'.")
        parser.add_argument(
            "--scope", action="append", dest="scopes", default=[], help="read, lots, bid, handover, dashboard (repeat)."
        )
        parser.add_argument("--days", type=int, default=None, help="Expires after this many days (default: never).")

    def handle(self, *args, organisation, person, name, scopes, days, **options):
        found = Organisation.objects.filter(slug=organisation).first()
        if found is None:
            raise CommandError(f"No organisation with the slug {organisation!r}.")
        user = User.objects.filter(email__iexact=person.strip()).first()
        if user is None:
            raise CommandError(f"No person with the e-mail {person!r}.")
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        try:
            created = services.token_create(
                organisation=found,
                acting_user=user,
                name=name,
                scopes=scopes or ["read"],
                expires_at=expires_at,
                by_operator=True,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(created.secret)
