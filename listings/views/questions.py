"""A lot's clarifications: the questions and answers page (processors ask, the plant answers) and the plant's
addendum. Who asked is never read here: the page shows the text, the answer and the times."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import add_validation_error

from .. import clarifications, selectors, services
from ..forms_clarifications import AddendumForm, AnswerForm, QuestionForm


def _readable_lot(request, reference):
    """The lot (404 for whoever may not see it) if this person may read its questions (else 403 with why)."""
    lot = selectors.lot_for_viewer_or_404(request.user, reference)
    if not clarifications.can_read_questions(request.user, lot):
        raise PermissionDenied(str(clarifications.READ_REFUSED))
    return lot


def _questions_url(lot, question=None) -> str:
    url = lot.get_absolute_url() + "questions/"
    return f"{url}#q-{question.pk}" if question is not None else url


def render_questions(request, lot, *, ask_form=None, answer_forms=None, status=200):
    why_not_ask = clarifications.why_cannot_ask(request.user, lot)
    questions = list(clarifications.questions_for_viewer(request.user, lot))
    answer_forms = answer_forms or {}
    may_answer = clarifications.why_cannot_answer(request.user, lot) is None
    for question in questions:
        question.answer_form = None
        if may_answer and clarifications.why_cannot_answer(request.user, lot, question) is None:
            question.answer_form = answer_forms.get(question.pk) or AnswerForm(
                initial={"answer": question.answer}, prefix=f"q{question.pk}"
            )
    context = {
        "lot": lot,
        "questions": questions,
        "why_cannot_ask": why_not_ask,
        "is_processor": selectors.processor_of(request.user) is not None,
        "ask_form": ask_form or (QuestionForm() if why_not_ask is None else None),
        "can_manage": selectors.can_manage_lot(request.user, lot),
        "questions_deadline": lot.questions_deadline,
    }
    return render(request, "listings/lot_questions.html", context, status=status)


def lot_questions(request, reference):
    """GET: the questions and answers. POST: a verified processor asks (403 with the reason when it may not:
    questions closed, lot not open, not a verified processor)."""
    lot = _readable_lot(request, reference)
    if request.method != "POST":
        return render_questions(request, lot)
    reason = clarifications.why_cannot_ask(request.user, lot)
    if reason:
        raise PermissionDenied(reason)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            services.question_ask(lot=lot, acting_user=request.user, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("Your question is sent. Everyone who can see the lot will read the answer."))
            return redirect(_questions_url(lot))
    return render_questions(request, lot, ask_form=form, status=400)


@require_POST
def question_answer(request, reference, pk):
    """The plant's people answer a question, or change their answer until questions close (403 otherwise)."""
    lot = _readable_lot(request, reference)
    question = clarifications.question_of_lot_or_404(lot, pk)
    reason = clarifications.why_cannot_answer(request.user, lot, question)
    if reason:
        raise PermissionDenied(reason)
    form = AnswerForm(request.POST, prefix=f"q{question.pk}")
    if form.is_valid():
        try:
            services.question_answer(question=question, acting_user=request.user, answer=form.cleaned_data["answer"])
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, _("The answer is published: bidders and matched processors are told."))
            return redirect(_questions_url(lot, question))
    return render_questions(request, lot, answer_forms={question.pk: form}, status=400)


def lot_addendum(request, reference):
    """The plant publishes an addendum on its open lot: what changes and why, optionally a corrected quantity
    and a later deadline (the form judges it whole; the service checks again under the lot's lock)."""
    lot = selectors.lot_for_manager_or_403(request.user, reference)
    reason = clarifications.why_cannot_publish_addendum(request.user, lot)
    if reason:
        if request.method == "POST":
            raise PermissionDenied(reason)
        messages.error(request, reason)
        return redirect(lot)
    form = AddendumForm(request.POST if request.method == "POST" else None, lot=lot)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.addendum_publish(lot=lot, acting_user=request.user, change=form.change())
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, _("The addendum is published: bidders and matched processors are told."))
                return redirect(lot)
        status = 400
    low, high = services.questions.quantity_bounds(lot)
    context = {"lot": lot, "form": form, "quantity_low": low, "quantity_high": high}
    return render(request, "listings/lot_addendum.html", context, status=status)
