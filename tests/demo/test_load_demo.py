import pytest
from django.core.management import call_command

from demo.people import DEMO_PASSWORD
from listings.models import LotAddendum, LotQuestion, VisitBooking, VisitSlot
from members.models import (
    AuditEntry,
    JapnasMember,
    Membership,
    Organisation,
    OrganisationChangeRequest,
    User,
    VerificationEvent,
)

pytestmark = pytest.mark.django_db


def counts():
    return (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        VerificationEvent.objects.count(),
        OrganisationChangeRequest.objects.count(),
        AuditEntry.objects.count(),
        JapnasMember.objects.count(),
        LotQuestion.objects.count(),
        LotAddendum.objects.count(),
        VisitSlot.objects.count(),
        VisitBooking.objects.count(),
    )


def test_load_demo_is_idempotent_and_sends_no_mail(mailoutbox):
    call_command("load_demo")
    first = counts()
    call_command("load_demo")
    assert counts() == first
    assert mailoutbox == []
    # Two questions (one answered, never naming who asked) and an addendum on the steel plant's open lots.
    assert LotQuestion.objects.count() == 2 and LotQuestion.objects.exclude(answer="").count() == 1
    assert LotAddendum.objects.get().quantity_after < LotAddendum.objects.get().quantity_before
    # Two site visit slots on an open lot, the first booked by the demo processor with its plate normalised.
    assert VisitSlot.objects.count() == 2 and VisitBooking.objects.get().plate == "A 1234 BC"


def test_demo_has_every_role_and_kind_of_organisation():
    call_command("load_demo")
    for email in ("plant@demo.test", "processor@demo.test", "official@demo.test", "staff@demo.test"):
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    assert User.objects.get(email="staff@demo.test").is_staff
    processors = Organisation.objects.filter(kind="processor")
    assert processors.verified().banten().japnas_members().exists()
    assert processors.verified().banten().filter(japnas_number="").exists()
    assert processors.verified().exclude(province="banten").exists()
    assert Organisation.objects.awaiting_verification().exists()
    assert Organisation.objects.filter(verification_status="rejected").exists()
    assert all("(Demo)" in name for name in Organisation.objects.values_list("name", flat=True))
    # a change waiting for staff, a Japnas list, and the staff decisions on the audit log
    waiting = OrganisationChangeRequest.objects.pending().get()
    assert waiting.organisation.slug == "b3-karawang-demo" and not waiting.organisation.is_banten
    assert JapnasMember.objects.filter(number="JPN-BTN-0042").exists()
    assert not JapnasMember.objects.filter(number="JPN-BTN-0150").exists()
    assert AuditEntry.objects.filter(kind="organisation_verified").exists()


def test_if_empty_leaves_an_existing_database_alone():
    from tests.factories import OrganisationFactory

    OrganisationFactory()
    call_command("load_demo", "--if-empty")
    assert Organisation.objects.count() == 1


def test_demo_staff_has_the_authenticator_of_the_readme(capsys):
    import base64

    from django.conf import settings
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from demo.people import DEMO_TOTP_SECRET

    call_command("load_demo")
    call_command("load_demo")
    (device,) = TOTPDevice.objects.filter(user__email="staff@demo.test", confirmed=True)
    assert device.bin_key == base64.b32decode(DEMO_TOTP_SECRET)
    assert DEMO_TOTP_SECRET in (settings.BASE_DIR / "README.md").read_text()
    capsys.readouterr()
    call_command("demo_code")
    assert capsys.readouterr().out.strip() == f"staff@demo.test: {totp(device.bin_key):06d}"
