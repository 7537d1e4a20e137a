"""Organisation tokens: the page (admins only; the secret shown once), storage (hashed), revocation and expiry,
the operators' command, the bearer header, the rate per token, and the caching headers."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from api import services
from api.models import ApiWrite, OrganisationToken
from members.models import Membership
from tests.api.conftest import api_client, token_for
from tests.factories import OrganisationFactory, log_in, member_of, staff_user


@pytest.fixture
def plant(db):
    organisation = OrganisationFactory(name="PT Token Uji", slug="token-uji")
    return {
        "organisation": organisation,
        "admin": member_of(organisation),
        "member": member_of(organisation, role=Membership.Role.MEMBER),
    }


def _page(client, slug="token-uji"):
    return client.get(f"/org/{slug}/tokens/")


@pytest.mark.django_db
def test_an_admin_creates_a_token_sees_the_secret_once_and_it_is_stored_hashed(plant):
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(plant["admin"])
    assert _page(client).status_code == 200
    response = client.post(
        "/org/token-uji/tokens/", {"name": "SAP ERP", "scopes": ["read", "lots"], "expires_at": ""}, follow=True
    )
    assert response.status_code == 200 and response.redirect_chain == [("/org/token-uji/tokens/", 302)]
    secret = response.context["created"]["secret"]
    assert secret.startswith("wx_") and secret in response.content.decode()
    token = OrganisationToken.objects.get()
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(OrganisationToken.objects.values().get())
    assert token.scopes == ["read", "lots"] and token.created_by == plant["admin"]
    page = _page(client).content.decode()
    assert secret not in page and token.prefix in page  # shown once; afterwards only its prefix

    me = api_client(secret).get("/api/v1/me/")
    assert me.status_code == 200 and me.json()["scopes"] == ["read", "lots"]
    token.refresh_from_db()
    assert token.last_used_at is not None

    revoked = client.post(f"/org/token-uji/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    refused = api_client(secret).get("/api/v1/me/")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["detail"] == "This token is unknown, revoked or expired."


@pytest.mark.django_db
def test_a_member_who_is_not_admin_and_outsiders_get_no_token_page(plant):
    for person in (plant["member"], member_of(OrganisationFactory())):
        client = Client()
        client.force_login(person)
        assert _page(client).status_code == 404
        assert client.post("/org/token-uji/tokens/", {"name": "x", "scopes": ["read"]}).status_code == 404
    assert not OrganisationToken.objects.exists()


@pytest.mark.django_db
def test_the_page_offers_only_the_scopes_the_organisation_may_give_and_refuses_others(plant):
    unverified = OrganisationFactory(slug="belum", processor=True, unverified=True)
    client = Client()
    client.cookies["django_language"] = "en"
    client.force_login(member_of(unverified))
    page = _page(client, "belum")
    assert [value for value, _label in page.context["form"].fields["scopes"].choices] == ["read"]
    assert "Until platform staff verify your organisation, its tokens can only read." in page.content.decode()
    refused = client.post("/org/belum/tokens/", {"name": "x", "scopes": ["bid"]})
    assert refused.status_code == 400 and not OrganisationToken.objects.exists()


@pytest.mark.django_db
def test_expired_tokens_and_tokens_of_people_who_left_are_refused(plant):
    expiring = services.token_create(
        organisation=plant["organisation"],
        acting_user=plant["admin"],
        name="short",
        scopes=["read"],
        expires_at=timezone.now() + timedelta(minutes=1),
    )
    assert api_client(expiring.secret).get("/api/v1/me/").status_code == 200
    OrganisationToken.objects.filter(pk=expiring.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api_client(expiring.secret).get("/api/v1/me/").status_code == 401

    secret = token_for(plant["member"])
    Membership.objects.filter(user=plant["member"]).update(organisation=OrganisationFactory())
    assert api_client(secret).get("/api/v1/me/").status_code == 401

    tampered = token_for(plant["admin"])[:-2] + "xx"
    assert api_client(tampered).get("/api/v1/me/").status_code == 401


@pytest.mark.django_db
def test_staff_powers_are_never_given_to_a_token(db):
    staff = staff_user()
    with pytest.raises(ValidationError, match="second factor"):
        services.token_create(
            organisation=staff.membership.organisation, acting_user=staff, name="x", scopes=["read"], by_operator=True
        )
    client = Client()
    log_in(client, staff)
    assert client.post(
        f"/org/{staff.membership.organisation.slug}/tokens/", {"name": "x", "scopes": ["read"]}
    ).status_code in (400, 404)
    assert not OrganisationToken.objects.exists()


@pytest.mark.django_db
def test_operators_create_a_token_with_the_command(plant):
    out = io.StringIO()
    call_command(
        "api_token_create",
        "token-uji",
        "--person",
        plant["member"].email,
        "--name",
        "ERP",
        "--scope",
        "read",
        "--scope",
        "lots",
        stdout=out,
    )
    secret = out.getvalue().strip()
    assert api_client(secret).get("/api/v1/me/").json()["scopes"] == ["read", "lots"]
    with pytest.raises(CommandError, match="cannot give a token these scopes: dashboard"):
        call_command(
            "api_token_create", "token-uji", "--person", plant["admin"].email, "--name", "x", "--scope", "dashboard"
        )
    with pytest.raises(CommandError, match="of its own organisation"):
        call_command("api_token_create", "token-uji", "--person", member_of().email, "--name", "x")


@pytest.mark.django_db
def test_the_bearer_header_is_required_and_explained(plant):
    for header in ("Token abc", "Bearer", "Basic dXNlcjpwYXNz"):
        response = Client(HTTP_AUTHORIZATION=header, HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
        assert response["Cache-Control"] == "private, no-store"
    # A session is not a credential for the API (no CSRF to bypass): a signed-in browser gets 401 too.
    client = Client(HTTP_ACCEPT_LANGUAGE="id")
    client.force_login(plant["admin"])
    response = client.get("/api/v1/lots/")
    assert response.status_code == 401
    assert response.json()["title"] == "Not authenticated"
    assert response.json()["detail"] == "Data autentikasi tidak diberikan."
    assert response["Content-Language"] == "id"


@pytest.mark.django_db
@override_settings(API_RATE_PER_MINUTE=3)
def test_the_rate_is_counted_per_token_with_retry_after(plant):
    first, second = token_for(plant["admin"], name="a"), token_for(plant["admin"], name="b")
    for _attempt in range(3):
        assert api_client(first).get("/api/v1/me/").status_code == 200
    limited = api_client(first).get("/api/v1/me/")
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert api_client(second).get("/api/v1/me/").status_code == 200  # another token has its own count


@pytest.mark.django_db
def test_every_write_is_recorded_with_its_token(plant):
    secret = token_for(plant["admin"], scopes=["read"])
    response = api_client(secret).post("/api/v1/notifications/read/", "{}", content_type="application/json")
    assert response.status_code == 200
    write = ApiWrite.objects.get()
    assert (write.token.name, write.method, write.path, write.status) == (
        "ERP",
        "POST",
        "/api/v1/notifications/read/",
        200,
    )


@pytest.mark.django_db
def test_bad_bodies_get_a_4xx_with_the_reason(plant):
    client = api_client(token_for(plant["admin"]))
    for body, content_type in (("[1, 2]", "application/json"), ("{not json", "application/json"), ("x", "text/plain")):
        response = client.post("/api/v1/lots/", body, content_type=content_type)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response["Content-Type"] == "application/problem+json" and response.json()["detail"]
    refused = client.post(
        "/api/v1/lots/", '{"title": ["a"], "quantity": "1e400", "category": "none"}', content_type="application/json"
    )
    assert refused.status_code == 400
    bad_cursor = client.get("/api/v1/lots/?cursor=bm90LWEtY3Vyc29y")
    assert bad_cursor.status_code == 400 and "cursor" in bad_cursor.json()["errors"]
