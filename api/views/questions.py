"""A lot's clarifications: questions and answers (verified processors ask, the plant answers) and the plant's
addenda — through listings' clarification selectors, forms and services, as the web's pages. No answer here
says who asked a question: `mine` marks the questions of the token's own organisation, for it alone."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from listings import clarifications, selectors, services
from listings.forms_clarifications import AddendumForm, AnswerForm, QuestionForm

from ..forms import bind
from ..models import Scope
from ..pagination import cursor_page
from ..problems import raise_for_form
from ..serializers import (
    AddendumInputSerializer,
    AddendumSerializer,
    AnswerInputSerializer,
    QuestionInputSerializer,
    QuestionSerializer,
    page_of,
)
from .base import ApiView
from .lots import REFERENCE

QUESTIONS_PAGE_SIZE = 50
QUESTION_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The question's id.")


def _readable_lot(user, reference):
    """The lot (404 for whoever may not see it) if this organisation may read its questions (else 403, why)."""
    lot = selectors.lot_for_viewer_or_404(user, reference)
    if not clarifications.can_read_questions(user, lot):
        raise PermissionDenied(str(clarifications.READ_REFUSED))
    return lot


def _question(user, lot, pk) -> dict:
    return QuestionSerializer(clarifications.questions_for_viewer(user, lot).get(pk=pk)).data


class LotQuestionsView(ApiView):
    scopes = {"POST": Scope.BID}

    @extend_schema(
        operation_id="lot_questions",
        parameters=[REFERENCE, OpenApiParameter("cursor", OpenApiTypes.STR)],
        responses=page_of(QuestionSerializer),
        description="The lot's questions and answers, oldest first: for verified processors, the owning plant "
        "and officials. Never who asked.",
    )
    def get(self, request, reference):
        lot = _readable_lot(request.user, reference)
        rows = clarifications.questions_for_viewer(request.user, lot)
        items, cursor = cursor_page(request, rows, QUESTIONS_PAGE_SIZE)
        return Response({"results": QuestionSerializer(items, many=True).data, "next": cursor})

    @extend_schema(
        operation_id="lot_questions_ask",
        parameters=[REFERENCE],
        request=QuestionInputSerializer,
        responses={201: QuestionSerializer},
        description="A verified processor asks, while the lot is open and before questions close. Every reader "
        "sees the question and its answer without your name.",
    )
    def post(self, request, reference):
        lot = _readable_lot(request.user, reference)
        reason = clarifications.why_cannot_ask(request.user, lot)
        if reason:
            raise PermissionDenied(reason)
        form = bind(QuestionForm, request.data)
        raise_for_form(form)
        question = services.question_ask(lot=lot, acting_user=request.user, text=form.cleaned_data["text"])
        return Response(_question(request.user, lot, question.pk), status=201)


class QuestionAnswerView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lot_questions_answer",
        parameters=[REFERENCE, QUESTION_ID],
        request=AnswerInputSerializer,
        responses=QuestionSerializer,
        description="The owning plant answers while the lot is open, and may change its answer until questions "
        "close. Bidders, matched processors and the asker are told.",
    )
    def post(self, request, reference, pk):
        lot = _readable_lot(request.user, reference)
        question = clarifications.question_of_lot_or_404(lot, pk)
        reason = clarifications.why_cannot_answer(request.user, lot, question)
        if reason:
            raise PermissionDenied(reason)
        form = bind(AnswerForm, request.data)
        raise_for_form(form)
        services.question_answer(question=question, acting_user=request.user, answer=form.cleaned_data["answer"])
        return Response(_question(request.user, lot, question.pk))


class LotAddendaView(ApiView):
    scopes = {"POST": Scope.LOTS}

    @extend_schema(
        operation_id="lot_addenda",
        parameters=[REFERENCE],
        responses=AddendumSerializer(many=True),
        description="The plant's addenda on the lot, oldest first (as on the lot's page).",
    )
    def get(self, request, reference):
        lot = selectors.lot_for_viewer_or_404(request.user, reference)
        return Response(AddendumSerializer(clarifications.addenda_of(lot), many=True).data)

    @extend_schema(
        operation_id="lot_addenda_publish",
        parameters=[REFERENCE],
        request=AddendumInputSerializer,
        responses={201: AddendumSerializer},
        description="The owning plant announces a change on its open lot: what and why, optionally a corrected "
        "quantity (at most 10 % either way) and a later deadline. Bidders and matched processors are told.",
    )
    def post(self, request, reference):
        lot = selectors.lot_for_manager_or_403(request.user, reference)
        reason = clarifications.why_cannot_publish_addendum(request.user, lot)
        if reason:
            raise PermissionDenied(reason)
        form = bind(AddendumForm, request.data, lot=lot)
        raise_for_form(form)
        addendum = services.addendum_publish(lot=lot, acting_user=request.user, change=form.change())
        return Response(AddendumSerializer(addendum).data, status=201)
