"""The largest quantities and prices the exchange accepts, in one place: form fields, model validators and
the database's check constraints all read these.

Generous for real industry: the largest stream in Cilegon (a steel plant's slag, about a million tonnes a
year) over a ten-year contract fits in one lot, and a precious-metal catalyst or a whole used machine fits in
one price. Anything beyond is a typing slip.

- a quantity (of a lot, a bid, a handover, a capacity, a wanted notice): more than 0 and at most 10,000,000
  in its unit (t, kg, L, m³ or units), with three decimals;
- a price (reserve price, bid, wanted notice): at most Rp 100,000,000,000 per unit either way (positive: the
  processor pays; negative: the plant pays a gate fee), in whole rupiah.

So a deal is worth at most 10^7 × 10^11 = 10^18 rupiah (10^21 thousandths): more than a 64-bit integer holds
in thousandths, which is why the dashboard keeps a deal's value in two integers (dashboard.models.Deal).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

MIN_QUANTITY = Decimal("0.001")
MAX_QUANTITY = Decimal("10000000")
MAX_PRICE = 100_000_000_000

QUANTITY_TOO_LARGE = _("A quantity may be at most 10,000,000 (ten million) in its unit.")
QUANTITY_TOO_SMALL = _("A quantity must be at least 0.001.")
PRICE_TOO_LARGE = _("A price may be at most Rp 100,000,000,000 (one hundred billion) per unit, either way.")


def quantity_validators(*, minimum: Decimal | None = MIN_QUANTITY) -> list:
    validators = [MaxValueValidator(MAX_QUANTITY, message=QUANTITY_TOO_LARGE)]
    if minimum is not None:
        validators.insert(0, MinValueValidator(minimum, message=QUANTITY_TOO_SMALL))
    return validators


def price_validators() -> list:
    return [
        MinValueValidator(-MAX_PRICE, message=PRICE_TOO_LARGE),
        MaxValueValidator(MAX_PRICE, message=PRICE_TOO_LARGE),
    ]


def quantity_error_messages() -> dict:
    """For a forms.DecimalField with min_value/max_value: the same words as the model's validators."""
    return {"max_value": QUANTITY_TOO_LARGE, "min_value": QUANTITY_TOO_SMALL}


def price_error_messages() -> dict:
    return {"max_value": PRICE_TOO_LARGE, "min_value": PRICE_TOO_LARGE}
