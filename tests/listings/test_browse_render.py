"""/lots/ renders its filters in one template loop (LotFilter.light_fields) and its cards from values computed
in Python (listings.cards): the markup must stay what Django's widgets and the filters would print."""

import re

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.forms import light_fields
from listings import selectors
from listings.filters import LotFilter
from tests.factories import LotFactory, category

pytestmark = pytest.mark.django_db


def normal(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=oli&category=steel-slag&hazardous=true&quantity_min=abc&sort=closing&kecamatan=ciwandan",
        "group=nonsense&unit=t&price_max=-5&recurring=false&local_first=true&closing_within=x",
    ],
)
@pytest.mark.parametrize("language", ["id", "en"])
def test_filters_print_what_djangos_widgets_print(query, language):
    category("steel-slag")
    with translation.override(language):
        filterset = LotFilter(QueryDict(query) or None, queryset=selectors.browsable_lots())
        filterset.qs  # noqa: B018 - validates, as the view does
        django = "".join(field.as_field_group() for field in filterset.form)
        light = render_to_string("listings/partials/lot_filters.html", {"filter": filterset})
    assert normal(light) == normal(django)
    if "abc" in query:
        assert 'aria-invalid="true"' in light and "selected>" in light


@pytest.mark.parametrize(
    "query",
    ["", "period=year&start=2025-01-01&category=steel-slag", "period=custom&start=2025-13-01&end=x&group=nonsense"],
)
@pytest.mark.parametrize("language", ["id", "en"])
def test_dashboard_filters_print_what_djangos_widgets_print(query, language):
    from dashboard.filters import DashboardFilter

    category("steel-slag")
    with translation.override(language):
        filterset = DashboardFilter(QueryDict(query) or None)
        filterset.is_valid()
        django = "".join(
            f'<div class="col-6 col-md-4 col-xl-2">{field.as_field_group()}</div>' for field in filterset.form
        )
        light = render_to_string(
            "forms/light_fields.html", {"fields": light_fields(filterset.form), "wrap": "col-6 col-md-4 col-xl-2"}
        )
    assert normal(light) == normal(django)
    if "2025-13-01" in query:
        assert 'aria-invalid="true"' in light


def test_a_card_shows_the_lots_values(client, processor_admin, plant):
    client.force_login(processor_admin)
    LotFactory(
        plant=plant,
        title="Kerak baja kering",
        category=category("steel-slag"),
        quantity=1250,
        unit="t",
        reserve_price=-15000,
        is_recurring=True,
        frequency="monthly",
        quantity_per_period=100,
        local_first_until=timezone.now() + timezone.timedelta(days=1),
    )
    client.cookies["django_language"] = "id"
    body = normal(client.get("/lots/").content.decode())
    card = body[body.index('data-testid="lot-card"') :]
    assert "Kerak baja kering" in card
    assert "1.250&nbsp;t" in card
    assert "Rp 15.000" in card and "ditutup dalam" in card.lower()
    assert 'class="badge text-bg-warning"' in card  # Banten first


def test_a_category_outside_the_chosen_group_shows_nothing_without_asking_the_database(
    client, processor_admin, plant, django_assert_max_num_queries
):
    LotFactory(plant=plant, category=category("steel-slag"))
    client.force_login(processor_admin)
    client.get("/lots/")
    body = client.get("/lots/?category=steel-slag").content.decode()
    assert body.count('data-testid="lot-card"') == 1
    with django_assert_max_num_queries(4):  # no query for lots or photos; the session, the person, the categories
        body = client.get("/lots/?category=steel-slag&group=plastics").content.decode()
    assert 'data-testid="lot-card"' not in body and 'data-testid="empty"' in body


@pytest.mark.parametrize("reference", ["WX-2026-00042", "LOT 7-ä~x"])
def test_a_cards_link_is_the_lots_own_url(reference, plant):
    from listings.cards import with_cards

    lot = LotFactory(plant=plant, reference=reference)
    (card_lot,) = with_cards([lot])
    assert card_lot.card["url"] == lot.get_absolute_url()


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("form", ["lots", "dashboard"])
def test_category_select_lists_the_catalogue_in_the_pages_language(form, language):
    """The category options come from one narrow query (listings.filters.category_choices), not from model
    instances: every category, named in the page's language, in the filter's order, the chosen one selected."""
    from dashboard.filters import DashboardFilter
    from listings.models import WasteCategory

    slag = category("steel-slag")
    with translation.override(language):
        if form == "lots":
            filterset = LotFilter(QueryDict("category=steel-slag"), queryset=selectors.browsable_lots())
            expected = WasteCategory.objects.order_by("group", "name_en")
        else:
            filterset = DashboardFilter(QueryDict("period=year&start=2025-01-01&category=steel-slag"))
            expected = WasteCategory.objects.order_by("name_en")
        select = next(field for field in light_fields(filterset.form) if field["name"] == "category")["options"]
        names = [category.name for category in expected]
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert [label for _value, _selected, label in options[1:]] == names
    assert options[0][0] == "" and len(options) == WasteCategory.objects.count() + 1
    assert [value for value, selected, _label in options if selected] == ["steel-slag"]
    assert slag.name_id != slag.name_en and (slag.name_id if language == "id" else slag.name_en) in names
    assert filterset.is_valid() and filterset.form.cleaned_data["category"] == slag


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"price_per_unit": "1.250.000", "quantity": "12,5", "pickup_date": "2026-13-40", "route": "x", "note": "a<b"},
        {"price_per_unit": "abc", "quantity": "", "pickup_date": "", "route": "", "licence": "999", "note": ""},
    ],
)
@pytest.mark.parametrize("hazardous", [False, True], ids=["slag", "used-oil"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_bid_form_prints_what_djangos_widgets_print(data, hazardous, language):
    """The lot page prints the bid form with light_fields: text inputs with the numeric keyboard's attributes, a
    date, the route and licence selects, the note's text area; with and without errors."""
    from listings.forms import BidForm
    from tests.factories import LicenceFactory, OrganisationFactory

    processor = OrganisationFactory(processor=True)
    if hazardous:
        lot = LotFactory(category=category("used-lube-oil"), unit="L")
        LicenceFactory(organisation=processor, covers=[lot.category])
    else:
        lot = LotFactory()
    with translation.override(language):
        form = BidForm(data, lot=lot, organisation=processor, initial={"route": "reuse"} if data is None else None)
        django = "".join(field.as_field_group() for field in form)
        light = render_to_string("forms/light_fields.html", {"fields": light_fields(form)})
    assert normal(light) == normal(django)
    assert ('name="licence"' in light) == hazardous and "<textarea" in light
    if data is not None:
        assert 'aria-invalid="true"' in light
    if data and data["note"]:
        assert "a&lt;b</textarea>" in light


def test_light_fields_escape_as_djangos_widgets_do():
    """Values, labels and attributes that need escaping, and a label already marked safe (not escaped twice)."""
    from django import forms
    from django.utils.safestring import mark_safe

    class Tricky(forms.Form):
        kind = forms.ChoiceField(choices=[('"a"', "A & <B>"), ("b", mark_safe("<b>B</b>"))], help_text="x < y")
        words = forms.CharField(widget=forms.TextInput(attrs={"placeholder": 'Say "hi" & <go>', "data-flag": True}))
        note = forms.CharField(widget=forms.Textarea(attrs={"hidden": False}), required=False)

    for form in (Tricky(), Tricky({"kind": '"a"', "words": "</textarea><script>", "note": "<i>&amp;"})):
        django = "".join(field.as_field_group() for field in form)
        light = render_to_string("forms/light_fields.html", {"fields": light_fields(form)})
        assert normal(light) == normal(django)
    assert "&lt;/textarea&gt;&lt;script&gt;" in light and "&lt;i&gt;&amp;amp;" in light and "<b>B</b>" in light
