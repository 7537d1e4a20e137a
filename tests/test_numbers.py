"""One number-formatting policy (core/numbers.py), as every context writes it: values × languages × contexts
(page, form input, e-mail, export), each with the text a person must read; and what form inputs accept."""

import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from core import numbers
from core.number_fields import LocalizedDecimalField, LocalizedIntegerField, LocalizedNumberInput
from dashboard.exports import _excel_value, _plain
from members.models import Event, Notification
from members.notifications import message

NB = "\u00a0"  # a figure and its unit never part at the end of a line


def page(template: str, **context) -> str:
    return Template("{% load wastex %}" + template).render(Context(context))


def input_text(value) -> str:
    return LocalizedNumberInput().format_value(value)


def email_line(price: int) -> str:
    """The line of a notification e-mail (its subject and first line): the winning price said in words."""
    notification = Notification(
        event=Event.BID_REJECTED,
        key="k",
        params={"reference": "WX-2026-00001", "title": "Slag", "winning_price": price, "unit": "t"},
    )
    return message(notification)


# (context, how to write it, value, Indonesian, English)
TABLE = [
    # Pages: quantities in their natural precision without trailing zeros, joined to the unit.
    ("page", lambda v: page("{{ v|quantity:'t' }}", v=v), Decimal("120.000"), f"120{NB}t", f"120{NB}t"),
    ("page", lambda v: page("{{ v|quantity:'t' }}", v=v), Decimal("119.500"), f"119,5{NB}t", f"119.5{NB}t"),
    ("page", lambda v: page("{{ v|quantity:'t' }}", v=v), Decimal("1200"), f"1.200{NB}t", f"1,200{NB}t"),
    ("page", lambda v: page("{{ v|quantity }}", v=v), Decimal("1250.125"), "1.250,125", "1,250.125"),
    ("page", lambda v: page("{{ v|quantity }}", v=v), None, "", ""),
    # Dashboard totals: whole tonnes, one decimal under 10 t (one precision per column).
    ("page", lambda v: page("{{ v|tonnes:'t' }}", v=v), Decimal("90497.476"), f"90.497{NB}t", f"90,497{NB}t"),
    ("page", lambda v: page("{{ v|tonnes }}", v=v), Decimal("2293.4"), "2.293", "2,293"),
    ("page", lambda v: page("{{ v|tonnes }}", v=v), Decimal("9.769"), "9,8", "9.8"),
    ("page", lambda v: page("{{ v|tonnes }}", v=v), Decimal("0"), "0", "0"),
    # Shares with one decimal.
    ("page", lambda v: page("{{ v|share }}", v=v), Decimal("72.46"), f"72,5{NB}%", f"72.5{NB}%"),
    ("page", lambda v: page("{{ v|share }}", v=v), Decimal("100"), f"100,0{NB}%", f"100.0{NB}%"),
    ("page", lambda v: page("{{ v|number:1 }}", v=v), Decimal("2.333"), "2,3", "2.3"),
    # Rupiah, grouped the way of the language; a gate fee is negative.
    ("page", lambda v: page("{{ v|rupiah }}", v=v), 1_250_000, f"Rp{NB}1.250.000", f"Rp{NB}1,250,000"),
    ("page", lambda v: page("{{ v|rupiah }}", v=v), -400_000, f"-Rp{NB}400.000", f"-Rp{NB}400,000"),
    (
        "page",
        lambda v: page("{{ v|price_in_words:'t' }}", v=v),
        150_000,
        f"pengolah membayar Rp{NB}150.000{NB}/{NB}t",
        f"processor pays Rp{NB}150,000{NB}/{NB}t",
    ),
    # Form inputs: what the page writes, so that it reads back as the same number ("120", never "120.000").
    ("input", input_text, Decimal("120.000"), "120", "120"),
    ("input", input_text, Decimal("1250.500"), "1.250,5", "1,250.5"),
    ("input", input_text, 1_250_000, "1.250.000", "1,250,000"),
    ("input", input_text, "12x", "12x", "12x"),  # what the person typed is shown back as it was
    # E-mails: in the recipient's language, like the page.
    (
        "e-mail",
        email_line,
        1_250_000,
        f"Lot WX-2026-00001 (Slag) dimenangkan penawaran lain, dengan pengolah membayar Rp{NB}1.250.000{NB}/{NB}t",
        f"Lot WX-2026-00001 (Slag) went to another bid, at processor pays Rp{NB}1,250,000{NB}/{NB}t",
    ),
    # Exports: CSV in the plain machine form whatever the language; xlsx cells hold numbers.
    ("export", _plain, Decimal("119.500"), "119.5", "119.5"),
    ("export", _plain, Decimal("1250000"), "1250000", "1250000"),
    ("export", _plain, Decimal("-0.125"), "-0.125", "-0.125"),
    ("export", _excel_value, Decimal("119.500"), 119.5, 119.5),
    ("export", numbers.excel_value, Decimal("1200.000"), 1200, 1200),
]


@pytest.mark.parametrize(("context", "write", "value", "indonesian", "english"), TABLE)
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_context_writes_numbers_the_one_way(db, context, write, value, indonesian, english, language):
    with translation.override(language):
        written = write(value)
    assert written == (indonesian if language == "id" else english)
    if context == "export":
        assert type(written) is type(indonesian)


# --- Reading what people type --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "indonesian", "english"),
    [
        ("1.250,5", "1250.5", "1250.5"),  # both separators: the last one is the decimal one
        ("1,250.5", "1250.5", "1250.5"),
        ("1250.5", "1250.5", "1250.5"),  # a point before one digit can only be the decimal point
        ("1250,5", "1250.5", "1250.5"),
        ("120.000", "120000", "120.000"),  # before three digits: the language decides
        ("1,250", "1.250", "1250"),
        ("1.250.000", "1250000", "1250000"),  # repeated: it groups thousands
        ("1,250,000", "1250000", "1250000"),
        ("Rp 1.250.000", "1250000", "1250000"),
        ("-400.000", "-400000", "-400.000"),
        (" 120 ", "120", "120"),
        ("0.5", "0.5", "0.5"),
        ("1\u00a0250,5", "1250.5", "1250.5"),
    ],
)
def test_both_spellings_mean_what_a_person_means(text, indonesian, english):
    assert numbers.parse(text, language="id") == Decimal(indonesian)
    assert numbers.parse(text, language="en") == Decimal(english)


@pytest.mark.parametrize("text", ["1.2.3", "1,2,3", "12a", "1.250,5,5", "1,25.000,5", ".5", "5.", "--5", "1 2/3"])
def test_what_fits_no_reading_is_refused(text):
    with pytest.raises(numbers.NumberFormatError):
        numbers.parse(text, language="id")


def test_the_refusal_says_what_is_expected_in_the_readers_language():
    field = LocalizedDecimalField(max_digits=12, decimal_places=3)
    with translation.override("id"):
        errors = _errors(field, "1.2.3")
        assert errors == ["Masukkan angka seperti 1.250,5: koma sebelum desimal, titik di antara ribuan."]
    with translation.override("en"):
        assert _errors(field, "1.2.3") == [
            "Enter a number like 1,250.5: a point before the decimals, a comma between thousands."
        ]


def test_a_whole_number_field_refuses_decimals_and_reads_grouping():
    field = LocalizedIntegerField()
    with translation.override("id"):
        assert field.clean("Rp 1.250.000") == 1_250_000
        assert field.clean("-400.000") == -400_000
        assert _errors(field, "1250,5") == ["Masukkan bilangan bulat seperti 1.250.000, tanpa desimal."]


def test_limits_are_quoted_in_the_page_format():
    field = LocalizedDecimalField(max_digits=12, decimal_places=3, max_value=Decimal("1200"))
    with translation.override("id"):
        assert "1.200" in _errors(field, "1.250")[0]
    with translation.override("en"):
        assert "1,200" in _errors(field, "1,250")[0]


def _errors(field, text) -> list[str]:
    from django.core.exceptions import ValidationError

    try:
        field.clean(text)
    except ValidationError as exc:
        return exc.messages
    return []


def test_the_bid_form_prefills_a_120_t_lot_as_120_and_reads_indonesian_thousands(db):
    from listings.forms import BidForm
    from tests.factories import LotFactory

    lot = LotFactory(quantity=Decimal("1200.000"))
    with translation.override("id"):
        form = BidForm(lot=lot, organisation=None)
        assert 'value="1.200"' in str(form["quantity"])
        assert form.fields["quantity"].help_text == "Maksimal 1.200 t."
        bound = BidForm(
            {"price_per_unit": "150.000", "quantity": "1.199,5", "pickup_date": "", "route": "reuse"},
            lot=lot,
            organisation=None,
        )
        bound.is_valid()
        assert bound.cleaned_data["price_per_unit"] == 150_000
        assert bound.cleaned_data["quantity"] == Decimal("1199.5")
    lot.quantity = Decimal("120.000")
    with translation.override("id"):
        assert 'value="120"' in str(BidForm(lot=lot, organisation=None)["quantity"])


def test_a_30_digit_slip_is_refused_with_the_limit_not_a_server_error():
    field = LocalizedIntegerField(min_value=-100_000_000_000, max_value=100_000_000_000)
    with translation.override("id"):
        assert _errors(field, "9" * 30) == ["Pastikan nilai ini lebih kecil dari atau sama dengan 100.000.000.000."]


def test_templates_write_numbers_only_through_the_policy():
    """One place for numbers: no template formats a figure with Django's own filters (floatformat, intcomma),
    which follow neither the grouping nor the precision of core/numbers.py."""
    from pathlib import Path

    from django.conf import settings

    offenders = [
        f"{path.relative_to(settings.BASE_DIR)}: {match}"
        for path in (Path(settings.BASE_DIR) / "templates").rglob("*.*")
        for match in re.findall(r"\|\s*(floatformat|intcomma|intword)\b", path.read_text())
    ]
    assert offenders == []
