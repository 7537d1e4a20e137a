"""Every page and fragment of the site is well-formed HTML, in both languages: the HTML5 parser reports no
error (htmx's hx-* attributes are allowed: HTML5 accepts any attribute name), no id is used twice, and every
label, aria-labelledby, aria-describedby and aria-controls points at an element that exists.

Each URL of the visibility matrix is fetched once, by the first role in the matrix's order that may open it
(so the pages of every role are covered), and parsed: a full page as a document, a fragment (htmx) as a
fragment."""

import re

import html5lib
import pytest

from tests.test_visibility_matrix import client_for, every_request, world  # noqa: F401 - world: the fixture
from tests.visibility_world import ROLES

REFERENCES = ("aria-labelledby", "aria-describedby", "aria-controls")


def problems(html: str) -> list[str]:
    """What is wrong with one answer's HTML (empty when nothing is)."""
    parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
    is_document = html.lstrip()[:15].lower().startswith("<!doctype")
    tree = parser.parse(html) if is_document else parser.parseFragment(html)
    found = []
    for (line, column), code, data in parser.errors:
        found.append(f"line {line}:{column} {code} {data or ''}".strip())
    ids: dict[str, int] = {}
    for element in tree.iter():
        if isinstance(element.tag, str) and element.get("id"):
            ids[element.get("id")] = ids.get(element.get("id"), 0) + 1
    found += [f'id="{name}" used {count} times' for name, count in ids.items() if count > 1]
    if is_document:
        for element in tree.iter():
            if not isinstance(element.tag, str):
                continue
            if element.tag == "label" and element.get("for") and element.get("for") not in ids:
                found.append(f'<label for="{element.get("for")}"> names no element')
            for attribute in REFERENCES:
                for name in (element.get(attribute) or "").split():
                    if name not in ids:
                        found.append(f'<{element.tag} {attribute}="{name}"> names no element')
    return found


def test_the_checker_sees_what_it_is_for():
    """The checks above can fail: each kind of mistake is reported."""
    page = "<!DOCTYPE html><html lang=id><head><title>x</title></head><body>{}</body></html>"
    assert problems(page.format("<p>fine</p>")) == []
    assert problems(page.format("<div><span></div>"))  # an end tag out of place
    assert problems(page.format('<p id="a"></p><p id="a"></p>')) == ['id="a" used 2 times']
    assert problems(page.format('<label for="nope">x</label>')) == ['<label for="nope"> names no element']
    assert problems(page.format('<input aria-describedby="help">')) == [
        '<input aria-describedby="help"> names no element'
    ]
    assert problems(page.format('<a href="/" class="x" class="y">x</a>'))  # an attribute twice
    assert problems(page.format('<p hx-get="/x/" hx-trigger="load">htmx</p>')) == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_page_is_well_formed_html(world, language):  # noqa: F811 - the fixture imported above
    clients = {}
    checked, wrong = set(), []
    for _key, label, url, expected, in_admin in every_request(world):
        if in_admin or url in checked:
            continue
        role = next((role for role in ROLES if expected[role] == 200), None)
        if role is None:
            continue
        if role not in clients:
            clients[role] = client_for(world, role)
            clients[role].cookies["django_language"] = language
        response = clients[role].get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        checked.add(url)
        found = problems(response.content.decode())
        if found:
            wrong.append(f"{label} {url} as {role}: " + "; ".join(found[:5]))
    assert len(checked) > 40, checked
    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_a_form_with_errors_is_well_formed_and_points_at_its_errors_and_help(client):
    """A refused form: each invalid field points at its errors and, when it has one, its help text."""
    response = client.post("/accounts/signup/", {"email": "not an e-mail", "nib": "12", "password1": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert problems(html) == []
    described = re.search(r'<input[^>]*name="nib"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in described
    assert 'aria-describedby="id_nib_errors id_nib_helptext"' in described
    assert 'id="id_nib_errors"' in html and 'id="id_nib_helptext"' in html
