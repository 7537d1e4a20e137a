"""Demo clarifications: questions (one answered) and an addendum on open demo lots, through the services."""

from decimal import Decimal

from listings import services
from listings.models import LotAddendum, LotQuestion, WasteLot
from members.models import User

QUESTIONS = [
    (
        "Berapa kadar air rata-rata per pengiriman, dan apakah ada hasil uji lab terbaru?",
        "Rata-rata 4 %; hasil uji lab Oktober kami lampirkan sebagai dokumen.",
    ),  # fmt: skip
    ("Apakah truk kami boleh masuk pada malam hari untuk pemuatan?", ""),
]
ADDENDUM = "Hasil penimbangan ulang: jumlah dikoreksi turun 5 %. Dokumen uji lab terbaru sudah dilampirkan."


def load_demo_clarifications() -> int:
    """On the steel plant's first open lot where questions are still open: two questions from the demo processor,
    the first answered; on its second, an addendum. Idempotent: lots that have them are left alone."""
    asker = User.objects.filter(email="processor@demo.test").first()
    plant = User.objects.filter(email="plant@demo.test").first()
    if asker is None or plant is None:
        return 0
    lots = [
        lot
        for lot in WasteLot.objects.open().filter(plant=plant.membership.organisation).order_by("closes_at", "pk")
        if lot.questions_open_now
    ]
    made = 0
    if lots and not LotQuestion.objects.filter(lot=lots[0]).exists():
        for text, answer in QUESTIONS:
            question = services.question_ask(lot=lots[0], acting_user=asker, text=text)
            if answer:
                services.question_answer(question=question, acting_user=plant, answer=answer)
            made += 1
    if len(lots) > 1 and not LotAddendum.objects.filter(lot=lots[1]).exists():
        lot = lots[1]
        low, _high = services.questions.quantity_bounds(lot)
        services.addendum_publish(
            lot=lot,
            acting_user=plant,
            change=services.AddendumChange(
                text=ADDENDUM, quantity=max(low, (lot.quantity * 95 / 100).quantize(Decimal("0.001")))
            ),
        )
        made += 1
    return made
