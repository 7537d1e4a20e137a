import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Invitation, Membership, User
from members.tasks import purge_expired_invitations
from tests.factories import InvitationFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def team_url(organisation):
    return reverse("members:organisation_team", kwargs={"slug": organisation.slug})


def invite(client, organisation, email="kolega@baja-uji.test", role="member", capture=None):
    return client.post(team_url(organisation), {"email": email, "role": role})


def test_admin_invites_a_colleague_who_joins_with_the_link(
    client, plant, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client, plant, email="Kolega@Baja-Uji.test")
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "kolega@baja-uji.test"
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["kolega@baja-uji.test"]
    assert "PT Baja Uji" in mailoutbox[0].subject
    path = re.search(r"http://127\.0\.0\.1:8000(/accounts/invite/\S+/)", mailoutbox[0].body).group(1)

    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "kolega@baja-uji.test" in page.content.decode()
    response = client.post(
        path, {"full_name": "Kolega Baru", "password1": "Kerja-bareng-2026", "password2": "Kerja-bareng-2026"}
    )
    assert response["Location"] == reverse("home")
    user = User.objects.get(email="kolega@baja-uji.test")
    assert user.membership.organisation == plant
    assert user.membership.role == Membership.Role.MEMBER
    # The link works once.
    client.logout()
    assert client.get(path).status_code == 404


def test_invitation_link_with_bad_signature_or_garbage_is_404(client):
    assert client.get(reverse("members:invitation_accept", kwargs={"token": "garbage"})).status_code == 404
    invitation = InvitationFactory()
    token = invitation.token[:-2] + ("aa" if not invitation.token.endswith("aa") else "bb")
    assert client.get(reverse("members:invitation_accept", kwargs={"token": token})).status_code == 404


def test_expired_invitation_is_refused(client, settings):
    invitation = InvitationFactory(created_at=timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS + 1))
    response = client.get(invitation.get_accept_url())
    assert response.status_code == 404
    assert "expired" in response.content.decode()


def test_accepting_with_weak_password_explains_and_creates_nothing(client):
    invitation = InvitationFactory()
    response = client.post(invitation.get_accept_url(), {"full_name": "X", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email=invitation.email).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_inviting_an_address_with_an_account_looks_the_same_and_tells_its_owner(
    client, plant, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    """Every new sign-up is its organisation's admin, so the team page must not tell who is registered: the
    inviter sees what any invitation gives; the address's owner gets a note in their language, not a link."""
    UserFactory(email="sudah@ada.test", language="id", full_name="Sudah Ada")
    client.force_login(plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        known = invite(client, plant, email="sudah@ada.test")
        unknown = invite(client, plant, email="belum@ada.test")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    messages = [str(m) for m in known.wsgi_request._messages]
    assert messages == ["Invitation sent to sudah@ada.test."]
    assert set(Invitation.objects.values_list("email", flat=True)) == {"sudah@ada.test", "belum@ada.test"}

    to_owner, to_new = mailoutbox
    assert to_owner.to == ["sudah@ada.test"] and to_new.to == ["belum@ada.test"]
    assert "/accounts/invite/" not in to_owner.body and "/accounts/invite/" in to_new.body
    assert "sudah memiliki akun WasteX" in to_owner.body  # the owner's language


def test_bad_invitation_input(client, plant, plant_admin):
    client.force_login(plant_admin)
    response = invite(client, plant, email="not-an-email", role="owner")
    assert set(response.context["form"].errors) == {"email", "role"}
    assert not Invitation.objects.exists()


def test_reinviting_replaces_the_old_link(client, plant, plant_admin):
    client.force_login(plant_admin)
    invite(client, plant)
    first = Invitation.objects.get()
    invite(client, plant)
    assert Invitation.objects.count() == 1
    assert client.get(first.get_accept_url()).status_code in (302, 404)


def test_member_who_is_not_admin_cannot_invite(client, plant):
    member = member_of(plant, role="member")
    client.force_login(member)
    page = client.get(team_url(plant))
    assert page.status_code == 200 and not page.context["is_admin"]
    response = invite(client, plant)
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_other_organisation_cannot_see_or_use_a_team_page(client, plant, processor_admin):
    client.force_login(processor_admin)
    assert client.get(team_url(plant)).status_code == 404
    assert invite(client, plant).status_code == 404
    assert not Invitation.objects.exists()


def test_revoke_only_by_own_admin(client, plant, plant_admin, processor_admin):
    invitation = InvitationFactory(organisation=plant)
    url = reverse("members:invitation_revoke", kwargs={"slug": plant.slug, "pk": invitation.pk})
    client.force_login(processor_admin)
    assert client.post(url).status_code == 404
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    client.force_login(plant_admin)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not Invitation.objects.filter(pk=invitation.pk).exists()


def test_purge_expired_invitations_keeps_live_ones(settings):
    old = InvitationFactory(created_at=timezone.now() - timedelta(days=settings.INVITATION_MAX_AGE_DAYS + 1))
    live = InvitationFactory()
    assert purge_expired_invitations() == 1
    assert list(Invitation.objects.all()) == [live]
    assert not Invitation.objects.filter(pk=old.pk).exists()


def test_signed_in_person_cannot_accept_someone_elses_invitation(client, processor_admin):
    invitation = InvitationFactory()
    client.force_login(processor_admin)
    response = client.post(
        invitation.get_accept_url(),
        {"full_name": "X", "password1": "Kerja-bareng-2026", "password2": "Kerja-bareng-2026"},
    )
    assert response["Location"] == reverse("home")
    assert not User.objects.filter(email=invitation.email).exists()
