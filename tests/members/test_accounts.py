import re

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from members.models import User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_with_email_in_any_case_lands_home(client, plant_admin):
    response = client.post(reverse("login"), {"username": "ADMIN@baja-uji.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).context["role"] == "plant"


def test_login_with_wrong_password_says_so(client, plant_admin):
    response = client.post(reverse("login"), {"username": plant_admin.email, "password": "wrong-password-1"})
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode().replace("e-mail", "email")
    assert "_auth_user_id" not in client.session


def test_login_is_rate_limited(client, plant_admin, frozen_ratelimit_clock):
    for _ in range(20):
        client.post(reverse("login"), {"username": plant_admin.email, "password": "guess-guess-1"})
    response = client.post(reverse("login"), {"username": plant_admin.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post_and_ends_the_session(client, plant_admin):
    client.force_login(plant_admin)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response["Location"] == reverse("landing")
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


def test_password_reset_sends_a_working_link_through_the_mail_backend(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": plant_admin.email})
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [plant_admin.email]
    assert "Reset your WasteX password" in message.subject
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.context["validlink"]
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Baru-dan-kuat-2026", "new_password2": "Baru-dan-kuat-2026"}
    )
    assert done["Location"] == reverse("password_reset_complete")
    plant_admin.refresh_from_db()
    assert plant_admin.check_password("Baru-dan-kuat-2026")
    # A used link does not work twice.
    assert not client.get(link, follow=True).context["validlink"]


def test_password_reset_email_is_in_the_persons_language(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    plant_admin.language = "id"
    plant_admin.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": plant_admin.email})
    assert "Atur ulang" in mailoutbox[0].subject


def test_password_reset_for_unknown_address_reveals_nothing(client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.test"})
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


def test_password_reset_answers_known_and_unknown_addresses_alike(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("password_reset"), {"email": plant_admin.email}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody@example.test"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain == [(reverse("password_reset_done"), 302)]
    strip = lambda page: re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", page.content.decode())  # noqa: E731
    assert strip(known) == strip(unknown)
    assert [m.to for m in mailoutbox] == [[plant_admin.email]], "the e-mail goes to the known address only"


def test_password_reset_with_bad_address_explains(client):
    response = client.post(reverse("password_reset"), {"email": "not an address"})
    assert response.status_code == 200
    assert "email" in response.context["form"].errors


def test_change_password(client, plant_admin):
    client.force_login(plant_admin)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Lebih-kuat-lagi-99", "new_password2": "Lebih-kuat-lagi-99"},
    )
    assert response["Location"] == reverse("password_change_done")
    plant_admin.refresh_from_db()
    assert plant_admin.check_password("Lebih-kuat-lagi-99")


def test_change_password_refuses_weak_or_wrong_old_password(client, plant_admin):
    client.force_login(plant_admin)
    response = client.post(
        reverse("password_change"), {"old_password": "wrong", "new_password1": "123", "new_password2": "123"}
    )
    assert response.status_code == 200
    assert {"old_password", "new_password2"} <= set(response.context["form"].errors)
    plant_admin.refresh_from_db()
    assert plant_admin.check_password(PASSWORD)


def email_link(mailoutbox, to):
    (message,) = [m for m in mailoutbox if m.to == [to]]
    return re.search(r"http://127\.0\.0\.1:8000(/accounts/email/confirm/\S+/)", message.body).group(1)


def test_change_email_needs_current_password_and_keeps_session(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(plant_admin)
    url = reverse("members:profile")
    wrong = client.post(url, {"email-email": "new@baja-uji.test", "email-password": "nope"})
    assert "password" in wrong.context["email_form"].errors

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email-email": "New@Baja-Uji.test", "email-password": PASSWORD})
    assert response["Location"] == url
    plant_admin.refresh_from_db()
    assert plant_admin.email == "admin@baja-uji.test", "nothing changes before the new address is confirmed"
    link = email_link(mailoutbox, "new@baja-uji.test")
    assert client.get(link).status_code == 200
    assert client.post(link)["Location"] == url
    plant_admin.refresh_from_db()
    assert plant_admin.email == "new@baja-uji.test"
    assert client.get(reverse("home")).status_code == 200  # still logged in
    assert client.post(link).status_code == 404, "a link works once: the address it came from has changed"
    client.logout()
    assert client.login(username="new@baja-uji.test", password=PASSWORD)


def test_change_email_to_someone_elses_answers_the_same_and_changes_nothing(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory(email="taken@example.test")
    client.force_login(plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        taken = client.post(
            reverse("members:profile"), {"email-email": "TAKEN@example.test", "email-password": PASSWORD}
        )
        free = client.post(reverse("members:profile"), {"email-email": "free@example.test", "email-password": PASSWORD})
    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    assert [str(m) for m in taken.wsgi_request._messages] == [
        "We sent a link to taken@example.test. Your address changes when you follow it."
    ]
    to_owner, to_free = mailoutbox
    assert to_owner.to == ["taken@example.test"] and "/accounts/email/confirm/" not in to_owner.body
    assert "/accounts/email/confirm/" in to_free.body
    assert User.objects.get(pk=plant_admin.pk).email == "admin@baja-uji.test"


def test_an_email_change_link_is_only_for_the_person_who_asked(
    client, plant_admin, plant, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:profile"), {"email-email": "new@baja-uji.test", "email-password": PASSWORD})
    link = email_link(mailoutbox, "new@baja-uji.test")
    from tests.factories import member_of

    client.force_login(member_of(plant))
    assert client.post(link).status_code == 404
    assert client.post(link.replace("/confirm/", "/confirm/x")).status_code == 404
    assert User.objects.get(pk=plant_admin.pk).email == "admin@baja-uji.test"


def test_an_address_taken_before_the_link_is_followed_is_refused_to_its_owner(
    client, plant_admin, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(plant_admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("members:profile"), {"email-email": "new@baja-uji.test", "email-password": PASSWORD})
    UserFactory(email="new@baja-uji.test")
    response = client.post(email_link(mailoutbox, "new@baja-uji.test"))
    assert response.status_code == 200 and "already has an account" in response.content.decode()
    assert User.objects.get(pk=plant_admin.pk).email == "admin@baja-uji.test"


def test_profile_saves_name_and_language(client, plant_admin):
    client.force_login(plant_admin)
    response = client.post(reverse("members:profile"), {"profile-full_name": "Rina H.", "profile-language": "id"})
    assert response.cookies["django_language"].value == "id"
    plant_admin.refresh_from_db()
    assert (plant_admin.full_name, plant_admin.language) == ("Rina H.", "id")


def test_profile_refuses_unknown_language(client, plant_admin):
    client.force_login(plant_admin)
    response = client.post(reverse("members:profile"), {"profile-full_name": "Rina", "profile-language": "xx"})
    assert "language" in response.context["profile_form"].errors


def test_emails_are_unique_whatever_the_case():
    UserFactory(email="one@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="ONE@example.test")  # save() spells it in lower case: the plain unique index refuses it
    assert User.objects.get().email == "one@example.test"


@pytest.mark.parametrize("how", ["bulk_create", "update"])
def test_the_database_refuses_an_email_differing_only_in_case(how):
    """Writes that bypass save()'s lower-casing still meet the database's case-blind unique index."""
    UserFactory(email="one@example.test")
    other = UserFactory(email="two@example.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        if how == "bulk_create":
            User.objects.bulk_create([User(email="One@Example.test", full_name="Same person")])
        else:
            User.objects.filter(pk=other.pk).update(email="ONE@example.test")
    assert sorted(User.objects.values_list("email", flat=True)) == ["one@example.test", "two@example.test"]
