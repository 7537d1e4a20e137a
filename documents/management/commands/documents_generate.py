from django.core.management.base import BaseCommand

from documents.services import documents_generate_missing


class Command(BaseCommand):
    help = "Issue every document that is due and missing (award letters, handover records, certificates)."

    def handle(self, *args, **options):
        issued = documents_generate_missing()
        for document in issued:
            self.stdout.write(f"{document.number} {document.kind} {document.lot.reference}")
        self.stdout.write(self.style.SUCCESS(f"{len(issued)} document(s) issued."))
