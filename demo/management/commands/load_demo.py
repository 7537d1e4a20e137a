from django.core.management.base import BaseCommand
from django.db import transaction

from core.mail import emails_muted
from demo.clarifications import load_demo_clarifications
from demo.contracts import load_demo_contracts
from demo.history import load_demo_history
from demo.lots import load_demo_bids, load_demo_deals, load_demo_licences, load_demo_lots, load_demo_matching
from demo.people import DEMO_PASSWORD, load_demo_members
from demo.visits import load_demo_visits
from members.models import Organisation


class Command(BaseCommand):
    help = "Load fictional demo organisations, people, lots, bids and deals (idempotent). Password: 'wastex-demo'."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database already has organisations."
        )

    def handle(self, *args, **options):
        if options["if_empty"] and Organisation.objects.exists():
            self.stdout.write("The database has data already; demo data not loaded.")
            return
        with emails_muted(), transaction.atomic():  # demo data e-mails nobody (its notifications stay in-app)
            organisations, people = load_demo_members()
            lots = load_demo_lots()
            load_demo_licences()
            bids = load_demo_bids()
            deals = load_demo_deals()
            contracts = load_demo_contracts()
            matches = load_demo_matching()
            clarifications = load_demo_clarifications()
            visits = load_demo_visits()
            history = load_demo_history()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {organisations} new organisations, {people} people, {lots} new lots, "
                f"{bids} new bids, {deals} new deals, {contracts} contracts sharing a monthly stream, "
                f"{matches} matches, {clarifications} questions and addenda, "
                f"{visits} site visit slots and bookings, "
                f"{history} completed deals of the last 18 months. Password for every demo login: {DEMO_PASSWORD}"
            )
        )
