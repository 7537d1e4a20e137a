"""How WasteX writes and reads numbers: one policy, used by every page, e-mail, export and form.

Writing (in the active language, or the one given):

- a quantity in its unit's natural precision, without trailing zeros: "120 t", "119,5 t" (three decimals at
  most: the database keeps thousandths);
- a dashboard total in whole tonnes, with one decimal under 10 t: "90.497 t", "9,8 t";
- a share with one decimal: "72,5 %";
- rupiah as whole rupiah: "Rp 1.250.000", a gate fee "-Rp 400.000";
- thousands grouped the Indonesian way in Indonesian (1.250.000,5) and the English way in English
  (1,250,000.5).

A figure and its unit or currency are joined by a no-break space (U+00A0), so a line never ends between them;
templates also mark figures `white-space: nowrap` (the `fig` class in wastex.css).

Exports are for spreadsheets, not for reading: an xlsx cell holds a number (with a display format), and a CSV
field holds the plain machine form — no grouping, a point before the decimals, no trailing zeros ("1250.5") —
whatever the language of the page it was downloaded from. A CSV with "1.250,5" would be read as text (or as
1.2505) by half the spreadsheets that open it; the plain form is read the same everywhere.

Reading (`parse`): "1.250,5" and "1250.5" both mean one thousand two hundred and fifty and a half. The
separator that comes last, once, before one, two or more than three digits is the decimal one; a separator
that repeats, or comes before exactly three digits in the way of the page's language, groups thousands. What
fits no reading (two decimal separators, groups of other than three digits, letters) is refused with a
message in the reader's language that shows the expected form.

This module is the bottom layer: it imports nothing from the apps.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, getcontext, localcontext
from functools import cache

from django.utils import translation
from django.utils.translation import gettext_lazy as _

NBSP = "\u00a0"
QUANTITY_PLACES = 3  # the database keeps quantities in thousandths

# (decimal separator, thousands separator) by language; English is the fallback for any other language.
SEPARATORS = {"id": (",", "."), "en": (".", ",")}


def separators(language: str | None = None) -> tuple[str, str]:
    return _separators_of(language or translation.get_language() or "id")


@cache
def _separators_of(language: str) -> tuple[str, str]:
    return SEPARATORS.get(language.split("-")[0].lower(), SEPARATORS["en"])


def to_decimal(value) -> Decimal | None:
    """A Decimal from a number or its plain text; None for None, "" or what is not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _round(number: Decimal, places: int) -> Decimal:
    digits = number.adjusted() + places + 2
    if digits <= getcontext().prec:  # the usual case: no context to set up (a dashboard rounds hundreds)
        return number.quantize(_unit(places), rounding=ROUND_HALF_UP)
    with localcontext() as context:
        context.prec = digits  # a 30-digit slip is rounded too
        return number.quantize(_unit(places), rounding=ROUND_HALF_UP)


@cache
def _unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def plain(value, places: int | None = QUANTITY_PLACES) -> str:
    """The machine form: "-1250.5" — no grouping, a point, no trailing zeros, never an exponent."""
    number = to_decimal(value)
    if number is None:
        return ""
    if places is not None:
        number = _round(number, places)
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_number(value, places: int | None = None, *, language: str | None = None, fixed: bool = False) -> str:
    """`value` rounded to `places` decimals (None: as many as it has, up to three), grouped in `language`.
    `fixed`: keep exactly `places` decimals ("72,0"); otherwise trailing zeros go ("120")."""
    number = to_decimal(value)
    if number is None:
        return ""
    number = _round(number, QUANTITY_PLACES if places is None else places)
    text = f"{abs(number):f}"
    whole, _dot, fraction = text.partition(".")
    if not fixed:
        fraction = fraction.rstrip("0")
    decimal_sep, thousands_sep = separators(language)
    grouped = f"{int(whole):,}".replace(",", thousands_sep)
    sign = "-" if number < 0 and (int(whole) or fraction.strip("0")) else ""
    return f"{sign}{grouped}{decimal_sep}{fraction}" if fraction else f"{sign}{grouped}"


def with_unit(text: str, unit: str = "") -> str:
    """A figure and its unit that never part at the end of a line: "120 t" with a no-break space."""
    return f"{text}{NBSP}{unit}" if text and unit else text


def quantity(value, unit: str = "", *, language: str | None = None) -> str:
    """A quantity in its natural precision, without trailing zeros: "120", "119,5", "1.250,125" (id)."""
    return with_unit(format_number(value, language=language), unit)


def total_tonnes(value, unit: str = "", *, language: str | None = None) -> str:
    """A dashboard total: whole tonnes ("90.497"), one decimal under 10 t ("9,8"); nothing at all is "0"."""
    number = to_decimal(value)
    if number is None:
        return ""
    places = 1 if abs(number) < 10 else 0
    text = format_number(number, places, language=language, fixed=places == 1 and number != 0)
    return with_unit(text, unit)


def share(value, *, language: str | None = None) -> str:
    """A share in per cent with one decimal: "72,5 %" (id), "72.5 %" (en)."""
    return with_unit(format_number(value, 1, language=language, fixed=True), "%")


def rupiah(value, *, language: str | None = None) -> str:
    """Whole rupiah: "Rp 1.250.000" (id), "Rp 1,250,000" (en); a negative amount "-Rp 400.000"."""
    number = to_decimal(value)
    if number is None:
        return ""
    amount = _round(number, 0)
    text = format_number(abs(amount), 0, language=language)
    return f"{'-' if amount < 0 else ''}Rp{NBSP}{text}"


def input_value(value, places: int | None = None, *, language: str | None = None) -> str:
    """What a form input shows: the page's own format, so that it reads back as the same number ("120", not
    "120.000"; "1.250,5" in Indonesian)."""
    if isinstance(value, str) and to_decimal(value) is None:
        return value  # what the person typed, shown back as it was
    return format_number(value, places, language=language)


def excel_value(value):
    """An xlsx cell's value: a number (int when whole), so the spreadsheet can add it up."""
    number = to_decimal(value)
    if number is None:
        return value if value != "" else None
    return int(number) if number == number.to_integral_value() else float(number)


# --- Reading ------------------------------------------------------------------------------------------------


class NumberFormatError(ValueError):
    pass


INVALID_NUMBER = _("Enter a number like %(example)s: a comma before the decimals, a point between thousands.")
INVALID_NUMBER_EN = _("Enter a number like %(example)s: a point before the decimals, a comma between thousands.")
INVALID_WHOLE_NUMBER = _("Enter a whole number like %(example)s, without decimals.")

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_SHAPE = re.compile(r"^[+-]?[0-9.,]+$")


def invalid_message(language: str | None = None, *, integer: bool = False) -> str:
    decimal_sep, _thousands = separators(language)
    if integer:
        return str(INVALID_WHOLE_NUMBER) % {"example": format_number(1250000, language=language)}
    message = INVALID_NUMBER if decimal_sep == "," else INVALID_NUMBER_EN
    return str(message) % {"example": format_number(Decimal("1250.5"), language=language)}


def _grouped_ok(whole: str, sep: str) -> bool:
    """ "1.250.000": one to three digits, then groups of exactly three (the first digit no 0 unless alone)."""
    return bool(re.fullmatch(r"(0|[1-9][0-9]{0,2})(" + re.escape(sep) + r"[0-9]{3})*", whole))


def parse(text, *, language: str | None = None, integer: bool = False) -> Decimal | None:
    """Read what a person typed: "1.250,5", "1,250.5", "1250.5", "1250,5", "Rp 1.250.000", "-400.000".
    Returns None for an empty text; raises NumberFormatError (its message in the reader's language)."""
    if text is None:
        return None
    if isinstance(text, int | Decimal) and not isinstance(text, bool):
        return Decimal(text)
    raw = _SPACES.sub("", str(text))
    raw = re.sub(r"^([+-]?)rp\.?", r"\1", raw, flags=re.IGNORECASE)  # "Rp 1.250.000", "-Rp400.000"
    if raw == "":
        return None
    if not _SHAPE.match(raw) or not any(c.isdigit() for c in raw):
        raise NumberFormatError(invalid_message(language, integer=integer))
    sign, body = ("-" if raw[0] == "-" else "", raw[1:]) if raw[0] in "+-" else ("", raw)
    _decimal, thousands_sep = separators(language)
    points, commas = body.count("."), body.count(",")
    whole, fraction = body, ""
    if points and commas:  # both: the last one is the decimal separator, the other groups thousands
        dec = "." if body.rfind(".") > body.rfind(",") else ","
        grp = "," if dec == "." else "."
        if body.count(dec) > 1:
            raise NumberFormatError(invalid_message(language, integer=integer))
        whole, fraction = body.split(dec)
        if not _grouped_ok(whole, grp):
            raise NumberFormatError(invalid_message(language, integer=integer))
        whole = whole.replace(grp, "")
    elif points or commas:
        sep = "." if points else ","
        parts = body.split(sep)
        if len(parts) > 2:  # repeated: it groups thousands
            if not _grouped_ok(body, sep):
                raise NumberFormatError(invalid_message(language, integer=integer))
            whole = body.replace(sep, "")
        else:
            head, tail = parts
            if head == "" or tail == "":
                raise NumberFormatError(invalid_message(language, integer=integer))
            grouping = sep == thousands_sep and len(tail) == 3 and len(head) <= 3 and head[0] != "0"
            if grouping:
                whole = head + tail
            else:
                whole, fraction = head, tail
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise NumberFormatError(invalid_message(language, integer=integer))
    number = Decimal(f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}")
    if integer and number != number.to_integral_value():
        raise NumberFormatError(invalid_message(language, integer=True))
    return number
