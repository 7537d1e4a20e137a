from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from factory.django import DjangoModelFactory

from members.models import Invitation, Membership, Organisation, User

PASSWORD = "a-Long-test-password-7"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name", locale="id_ID")
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"PT Contoh Industri {n}")
    slug = factory.Sequence(lambda n: f"contoh-industri-{n}")
    kind = Organisation.Kind.PLANT
    nib = factory.Sequence(lambda n: f"{8100000000000 + n}")
    address = "Jl. Contoh No. 1"
    city = "Kota Cilegon"
    kecamatan = "ciwandan"
    province = "banten"
    verification_status = Organisation.Status.VERIFIED

    class Params:
        unverified = factory.Trait(verification_status=Organisation.Status.UNVERIFIED)
        rejected = factory.Trait(verification_status=Organisation.Status.REJECTED)
        processor = factory.Trait(kind=Organisation.Kind.PROCESSOR)
        authority = factory.Trait(kind=Organisation.Kind.AUTHORITY, nib=None)
        operator = factory.Trait(kind=Organisation.Kind.OPERATOR, nib=None)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.ADMIN


class InvitationFactory(DjangoModelFactory):
    class Meta:
        model = Invitation

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Membership.Role.MEMBER


def member_of(organisation=None, *, role=Membership.Role.ADMIN, **user_fields) -> User:
    """A person on an organisation's team (a new verified plant when none is given)."""
    organisation = organisation or OrganisationFactory()
    return MembershipFactory(organisation=organisation, role=role, user=UserFactory(**user_fields)).user


def staff_user(**user_fields) -> User:
    return member_of(OrganisationFactory(operator=True), is_staff=True, **user_fields)


def login_with_second_factor(client, user) -> TOTPDevice:
    """Sign a test client in as after the password and an authenticator code (staff must: SecondFactorMiddleware).

    Gives the person a confirmed TOTP device if they have none and records it in the session, as
    django_otp.login does after a right code.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
        user=user, name="test authenticator", confirmed=True
    )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def log_in(client, user) -> None:
    """force_login for tests that sign in people of every kind: staff also pass their second factor."""
    if user.is_staff or user.is_superuser:
        login_with_second_factor(client, user)
    else:
        client.force_login(user)


def category(code="steel-slag"):
    """A category of the seeded catalogue (migration listings 0002)."""
    from listings.catalogue import ensure_catalogue
    from listings.models import WasteCategory

    ensure_catalogue()  # tests on a flushed (transactional) database
    return WasteCategory.objects.get(code=code)


class LotFactory(DjangoModelFactory):
    """A lot written directly (tests of services build theirs through the services)."""

    class Meta:
        model = "listings.WasteLot"

    reference = factory.Sequence(lambda n: f"WX-2026-{n + 10000:05d}")
    plant = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Slag baja lot {n}")
    category = factory.LazyFunction(category)
    description = "Siap diangkut dari lokasi."
    physical_form = "solid"
    packaging = "bulk"
    quantity = Decimal("100")
    unit = "t"
    site_address = "Jl. Industri 1"
    site_kecamatan = "ciwandan"
    latitude = Decimal("-6.029")
    longitude = Decimal("105.956")
    available_from = factory.LazyFunction(lambda: timezone.localdate())
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))
    status = "open"
    published_at = factory.LazyFunction(timezone.now)
    reserve_price = 100000


class LicenceFactory(DjangoModelFactory):
    class Meta:
        model = "members.Licence"
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory, processor=True)
    kind = "pertek"
    number = factory.Sequence(lambda n: f"PERTEK/{n:04d}/2026")
    issuer = "Kementerian Lingkungan Hidup"
    waste_codes = ""
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=100))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=365))
    document = factory.django.FileField(filename="licence.pdf", data=b"%PDF-1.4\n%%EOF\n")
    status = "verified"

    @factory.post_generation
    def covers(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.categories.set(extracted)
