"""The documents' background work: building a plant's yearly evidence pack (documents.evidence_build). A thin
task, safe to run twice: the build claims its row by a single UPDATE (waiting → being built)."""

from celery import shared_task

from . import evidence_build


@shared_task(acks_late=True, reject_on_worker_lost=True)
def build_evidence_pack(pack_id: int) -> str:
    return evidence_build.build(pack_id)
