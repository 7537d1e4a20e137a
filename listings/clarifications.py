"""Reads and predicates of a lot's clarifications (the selectors of questions, answers and addenda), scoped to
who asks. No read here returns who asked a question: the asker's organisation is used only to mark a
person's own questions and to count their unanswered ones."""

from django.db.models import BooleanField, Case, Count, IntegerField, Q, Value, When
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Organisation, User
from members.selectors import is_official_or_staff, organisation_of

from .models import LotAddendum, LotQuestion, WasteLot
from .selectors import can_manage_lot, processor_of

# A processor's organisation may have this many questions waiting for an answer on one lot, and ask this many
# in all: enough for a real tender's clarifications, too few to flood the plant.
MAX_UNANSWERED_PER_ORGANISATION = 5
MAX_QUESTIONS_PER_ORGANISATION = 20

READ_REFUSED = gettext_lazy(
    "Questions and answers are for verified processing businesses and the plant that owns the lot."
)


def can_read_questions(user: User, lot: WasteLot) -> bool:
    """The lot's questions and answers: verified processors, the owning plant's people, officials and staff (of
    a lot they may see: lot_for_viewer_or_404 comes first). Other plants and unverified businesses: no."""
    if not user.is_authenticated:
        return False
    if is_official_or_staff(user):
        return True
    organisation = organisation_of(user)
    if organisation is None:
        return False
    return organisation.pk == lot.plant_id or (
        organisation.kind == Organisation.Kind.PROCESSOR and organisation.is_verified
    )


def questions_close_words(lot: WasteLot) -> str:
    return date_format(timezone.localtime(lot.questions_deadline), "j F Y H:i") + " WIB"


def why_cannot_ask(user: User, lot: WasteLot) -> str | None:
    """None when this person may ask a question on the lot now (the per-organisation limits aside: the service
    counts those under the lot's lock); otherwise the reason, said as it is."""
    organisation = processor_of(user)
    if organisation is None:
        return _("Only people of verified processing businesses can ask questions.")
    if organisation.pk == lot.plant_id:
        return _("You cannot ask questions on your own organisation's lot.")
    if not lot.is_open_now:
        return _("This lot is not open for bids.")
    if not lot.questions_open_now:
        return _("Questions on this lot closed on %(when)s.") % {"when": questions_close_words(lot)}
    return None


def why_cannot_answer(user: User, lot: WasteLot, question: LotQuestion | None = None) -> str | None:
    """None when this person may answer (or, until questions close, change the answer to) the question."""
    if not can_manage_lot(user, lot):
        return _("Only people of the verified plant that owns this lot answer its questions.")
    if not lot.is_open_now:
        return _("Questions can be answered only while the lot is open for bids.")
    if question is not None and question.is_answered and not lot.questions_open_now:
        return _("Answers can be changed only until questions close (%(when)s).") % {"when": questions_close_words(lot)}
    return None


def why_cannot_publish_addendum(user: User, lot: WasteLot) -> str | None:
    if not can_manage_lot(user, lot):
        return _("Only people of the verified plant that owns this lot can change it.")
    if not lot.is_open_now:
        return _("An addendum can be published only while the lot is open for bids.")
    return None


def questions_for_viewer(user: User, lot: WasteLot):
    """The lot's questions, oldest first, without any field that says who asked; `mine` marks the questions of
    the person's own organisation (for them alone)."""
    organisation = organisation_of(user)
    mine = (
        Case(
            When(asked_by_organisation_id=organisation.pk, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if organisation
        else Value(False, output_field=BooleanField())
    )
    return (
        LotQuestion.objects.filter(lot=lot)
        .annotate(mine=mine)
        .only("id", "lot_id", "text", "answer", "answered_at", "answer_edited_at", "created_at")
        .order_by("created_at", "id")
    )


def question_of_lot_or_404(lot: WasteLot, pk: int) -> LotQuestion:
    return get_object_or_404(LotQuestion.objects.only("id", "lot_id", "text", "answer", "answered_at"), pk=pk, lot=lot)


def organisation_question_counts(lot: WasteLot, organisation) -> tuple[int, int]:
    """(unanswered, all) questions of this organisation on the lot."""
    counts = LotQuestion.objects.filter(lot=lot, asked_by_organisation=organisation).aggregate(
        all=Count("id"), unanswered=Count("id", filter=Q(answered_at__isnull=True))
    )
    return counts["unanswered"], counts["all"]


def with_question_count(lots):
    """Lots with `question_count` read in the lot's own query (a subquery on the question index): the lot page
    shows "Questions & answers (N)" without a query of its own. `lots`: a queryset of WasteLot, whose table is the
    query's base. SQL, as listings.visits.with_visit_summary is and for the same reason: a Django `Subquery` costs
    about a millisecond of Python per lot page to resolve, the same SQL as `RawSQL` a tenth of that."""
    counted = 'SELECT COUNT(*) FROM "listings_lotquestion" q WHERE q."lot_id" = "listings_wastelot"."id"'
    return lots.annotate(question_count=RawSQL(counted, (), IntegerField()))  # noqa: S611 - constant SQL


def addenda_of(lot: WasteLot) -> list[LotAddendum]:
    """The lot's addenda, oldest first, with who published them (shown only to those who see the parties)."""
    return list(LotAddendum.objects.filter(lot=lot).select_related("published_by").order_by("created_at", "id"))
