"""The API's documentation renders in a browser under the site's Content-Security-Policy, from files served
here (no request leaves for a CDN); and an admin creates a token on the organisation's page and sees it once."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_bidding import english
from tests.browser.test_journeys import log_in, url
from tests.factories import PASSWORD, OrganisationFactory, member_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("transactional_db")]


def test_the_docs_render_every_operation_from_local_files(page: Page, live_server):
    outside = []
    page.on("request", lambda request: None if request.url.startswith(live_server.url) else outside.append(request.url))
    page.goto(url(live_server, "/api/v1/docs/"))
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("/api/v1/lots/{reference}/my-bid/").first).to_be_visible()
    assert outside == []


def test_an_admin_creates_a_token_and_sees_it_once(page: Page, live_server):
    organisation = OrganisationFactory(name="PT Pabrik Token", slug="pabrik-token")
    admin = member_of(organisation, email="admin@pabrik-token.test")
    english(page, live_server)
    log_in(page, live_server, admin.email, PASSWORD)
    page.goto(url(live_server, "/org/pabrik-token/"))
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("SAP ERP")
    page.get_by_label("Post and manage lots, award them").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("[data-testid=token-secret] code").inner_text()
    assert secret.startswith("wx_")
    page.reload()  # the page after the redirect: reloading it neither shows the secret again nor makes a token
    expect(page.locator("li strong", has_text="SAP ERP")).to_have_count(1)
    assert secret not in page.content()
