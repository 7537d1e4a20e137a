"""Measured audits over the key pages, each opened by the person who uses it, on a desktop (1280×800) and a
phone (390×844), in Indonesian (the default, and the longer words):

- axe-core (axe-playwright-python, pinned in requirements-dev.txt): no violation;
- on a phone, no page scrolls sideways and no figure ("Rp 1.250.000", "1.200 t", "72,5 %") is split
  across lines;
- the navigation: at most six items in the bar for each role, on one line at 1280 px;
- /lots/ on a phone: the filters folded from the first paint, compact cards, a result count.

A page that fails is saved as a screenshot under test-results/audits/ (besides pytest-playwright's own
screenshot and trace of the failing test).
"""

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from documents.models import Document
from listings.models import WasteLot
from listings.selectors import bids_are_open_to_plant
from members.models import Membership
from tests.browser.test_journeys import DEMO_PASSWORD, log_in, url

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]

SCREENSHOTS = Path("test-results") / "audits"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
AXE = Axe()

# A figure as core/numbers.py writes it: an amount, or a number of four digits or more, or a number with its
# unit joined by a no-break space. Each must sit on one line.
FIGURES_SPLIT_ACROSS_LINES = r"""() => {
  const figure = /(?<![\w.,\-\/:])-?(Rp\u00a0)?\d[\d.,]*\d(\u00a0(t|kg|L|m³|%|km|t CO2e))?|\d\u00a0(t|kg|L|m³|%)/g;
  const split = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const element = node.parentElement;
    if (!element || element.closest("script, style, select, option, noscript, .visually-hidden")) continue;
    if (!element.getClientRects().length) continue;  // not displayed
    for (const match of node.data.matchAll(figure)) {
      const digits = match[0].replace(/\D/g, "");
      if (!match[1] && !match[2] && !match[0].includes("\u00a0") && digits.length < 4) continue;
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.bottom)));
      if (lines.size > 1) split.push(`${JSON.stringify(match[0])} in <${element.tagName.toLowerCase()}>`);
    }
  }
  return split;
}"""


# Tables wider than their box (they scroll sideways inside it, hiding columns): on a phone a table becomes
# stacked cards (table-stack) instead. The dashboard's figure tables are the exception: an official compares
# figures across columns, and each scrolls inside a region that takes the keyboard's focus.
TABLES_TOO_WIDE = """() => [...document.querySelectorAll("main table")]
  .filter((t) => !t.closest("#dashboard-body"))
  .filter((t) => {
    const right = (t.closest(".table-responsive") || t.parentElement).getBoundingClientRect().right;
    return [...t.querySelectorAll("tbody td, tbody th")].some((cell) => cell.getBoundingClientRect().right > right + 1);
  })
  .map((t) => `<table class="${t.className}">: ${(t.querySelector("th") || t).textContent.trim().slice(0, 40)}`)"""


# The outermost elements that reach past the window's right edge (what makes a page scroll sideways).
TOO_WIDE = """() => [...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
  .filter((e) => !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
  .slice(0, 5).map((e) => `<${e.tagName.toLowerCase()} class="${e.className}">${e.textContent.trim().slice(0, 40)}`)"""


def _pages(lot: WasteLot) -> dict[str, list[tuple[str, str]]]:
    """Who opens which key page (a visitor: None)."""
    # The demo's deals were given their documents by the outbox when the demo data was committed.
    certificate = Document.objects.filter(kind="processing-certificate").order_by("pk").first()
    assert certificate is not None, "the demo's completed deals have their certificates"
    return {
        "": [
            ("landing", "/"),
            ("login", "/accounts/login/"),
            ("signup", "/accounts/signup/"),
            ("catalogue", "/catalogue/"),
            # Visitors browse the open lots and open one (issue 13)
            ("lots-visitor", "/lots/"),
            ("lot-visitor", lot.get_absolute_url()),
            ("verify-lookup", "/verify/"),
            ("verify", certificate.get_verify_url()),
        ],
        "processor@demo.test": [
            ("lots", "/lots/"),
            ("lot", lot.get_absolute_url()),
            ("my-bids", "/my/bids/"),
            ("notifications", "/notifications/"),
            ("capabilities", "/my/capabilities/"),
        ],
        "plant@demo.test": [
            ("lot-new", "/lots/new/"),
            ("my-lots", "/my/lots/"),
            *_award_pages(),
            ("api-tokens", "/org/baja-selat-sunda-demo/tokens/"),
        ],
        "official@demo.test": [
            ("dashboard", "/dashboard/"),
            ("documents", f"/lots/{certificate.lot.reference}/documents/"),
        ],
    }


def _award_pages() -> list[tuple[str, str]]:
    """The plant's bids page of a lot whose bids it sees, and the confirmation of awarding one (a lower bid, so
    that the reason is asked for)."""
    plant = Membership.objects.get(user__email="plant@demo.test").organisation
    lots = WasteLot.objects.filter(plant=plant, status__in=["open", "closed"], bids__status="live").distinct()
    lot = next(lot for lot in lots.order_by("pk") if bids_are_open_to_plant(lot))
    bid = lot.bids.live().order_by("price_per_unit").first()
    bids = f"/lots/{lot.reference}/bids/"
    return [("lot-bids", bids), ("award-confirm", f"{bids}?award={bid.pk}")]


def _open_as(browser: Browser, live_server, email: str, viewport: str) -> Page:
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    page = context.new_page()
    if email:
        log_in(page, live_server, email, DEMO_PASSWORD)
    return page


def _problems(page: Page, viewport: str) -> list[str]:
    problems = []
    results = AXE.run(page)
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        problems.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']} — {targets}")
    if viewport == "phone":
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(
                f"scrolls sideways: {width[0]} px wide in a {width[1]} px window: {page.evaluate(TOO_WIDE)}"
            )
        problems += [f"figure split across lines: {figure}" for figure in page.evaluate(FIGURES_SPLIT_ACROSS_LINES)]
        problems += [f"table scrolls sideways: {table}" for table in page.evaluate(TABLES_TOO_WIDE)]
    return problems


def _audit(browser: Browser, live_server, viewport: str, pages: dict) -> dict[str, list[str]]:
    found = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for email, visits in pages.items():
        page = _open_as(browser, live_server, email, viewport)
        for name, path in visits:
            response = page.goto(url(live_server, path))
            assert response is not None and response.ok, f"{path} answered {response and response.status}"
            page.wait_for_load_state("networkidle")
            problems = _problems(page, viewport)
            if problems:
                found[f"{name} ({path}, {email or 'visitor'}, {viewport})"] = problems
                page.screenshot(path=str(SCREENSHOTS / f"{name}-{viewport}.png"), full_page=True)
        page.context.close()
    return found


@pytest.fixture
def demo():
    call_command("load_demo", verbosity=0)
    return WasteLot.objects.filter(status=WasteLot.Status.OPEN, bids__isnull=False).order_by("pk").first()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_key_pages_have_no_axe_violation_and_fit_a_phone(browser: Browser, live_server, demo, viewport):
    """One test per viewport (loading the demo world takes half a minute): the audit of every key page, then
    the navigation (desktop) or the browse page's phone layout (phone)."""
    found = _audit(browser, live_server, viewport, _pages(demo))
    assert not found, "\n".join(f"{page}:\n  " + "\n  ".join(problems) for page, problems in found.items())
    if viewport == "desktop":
        _check_navigation(browser, live_server)
    else:
        _check_lots_on_a_phone(browser, live_server)


def test_the_audit_finds_a_split_figure_and_a_page_wider_than_a_phone(browser: Browser, live_server, db):
    """The checks above can fail: a figure that may wrap, in a box too narrow, and a box too wide are found."""
    page = browser.new_context(viewport=VIEWPORTS["phone"]).new_page()
    page.goto(url(live_server, "/catalogue/"))
    page.evaluate(
        """() => {
          const box = document.createElement("p");
          box.style.width = "40px";
          box.style.whiteSpace = "normal";
          box.style.wordBreak = "break-all";
          box.textContent = "Rp\u00a02.476.643.864";
          document.querySelector("main").prepend(box);
          const wide = document.createElement("div");
          wide.style.width = "600px";
          wide.textContent = "x";
          document.querySelector("main").append(wide);
          const scroller = document.createElement("div");
          scroller.className = "table-responsive";
          scroller.innerHTML = '<table class="table"><tr><th>Wide</th></tr></table>';
          scroller.querySelector("table").style.minWidth = "800px";  // through the DOM: CSP refuses style=""
          document.querySelector("main").append(scroller);
        }"""
    )
    problems = _problems(page, "phone")
    assert any(problem.startswith("table scrolls sideways") and "Wide" in problem for problem in problems), problems
    assert any(problem.startswith("scrolls sideways") for problem in problems), problems
    assert any("Rp\u00a02.476.643.864" in problem for problem in problems), problems
    page.evaluate("() => { document.querySelector('h1').style.color = '#ddd'; }")
    assert any(problem.startswith("axe color-contrast") for problem in _problems(page, "desktop"))
    page.context.close()


def _check_navigation(browser: Browser, live_server) -> None:
    """At most six items in the bar for each role, on one line at 1280 px in both languages; people awaiting
    verification see only what they can use."""
    for language in ("id", "en"):
        for email in ("plant@demo.test", "processor@demo.test", "official@demo.test", "unverified@demo.test"):
            context = browser.new_context(viewport=VIEWPORTS["desktop"])
            context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
            page = context.new_page()
            log_in(page, live_server, email, DEMO_PASSWORD)
            assert page.locator("[data-testid=primary-nav] > li").count() <= 6, (email, language)
            height = page.locator("nav.navbar").evaluate("(nav) => nav.getBoundingClientRect().height")
            assert height < 64, f"the navigation wraps for {email} in {language}: {height} px high"
            if email == "unverified@demo.test":  # no bids, matches, dashboard or directory
                nav = page.locator("nav.navbar")
                for hidden in ("/my/bids/", "/my/matches/", "/dashboard/", "/org/"):
                    expect(nav.locator(f'a[href="{hidden}"]')).to_have_count(0)
            context.close()


def _check_lots_on_a_phone(browser: Browser, live_server) -> None:
    """/lots/ on a phone, with no script at all: the filters are folded in the markup itself (so nothing moves
    when scripts run), the cards are compact, and the page says how many lots there are."""
    context = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=False)
    page = context.new_page()
    page.goto(url(live_server, "/accounts/login/"))
    page.locator("#main [name=username]").fill("processor@demo.test")
    page.locator("#main [name=password]").fill(DEMO_PASSWORD)
    page.locator("#main form button[type=submit]").click()
    page.goto(url(live_server, "/lots/"))
    expect(page.locator("details.lot-filters")).not_to_have_attribute("open", re.compile(".*"))
    expect(page.locator("#lot-filters")).to_be_hidden()
    expect(page.locator("[data-testid=result-count]")).to_have_text(re.compile(r"^\d+ lot"))
    height = page.locator("[data-testid=lot-card]").first.evaluate("(card) => card.getBoundingClientRect().height")
    assert height < 220, f"a lot card is {height} px high on a phone"
    context.close()

    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page = context.new_page()
    log_in(page, live_server, "processor@demo.test", DEMO_PASSWORD)
    page.goto(url(live_server, "/lots/"))
    expect(page.locator("#lot-filters")).to_be_visible()  # a wide screen shows them open
    context.close()
