"""A small market with one person per role and a lot in each state that matters for who sees what.

Used by tests/test_visibility_matrix.py (every URL × every role) and tests/listings/test_deal_visibility.py
(no page, export or message shows a deal's parties to anyone but the plant, the winner, staff and officials).
Every name and handover detail of the deal is distinctive, so a sweep can look for each of them."""

import io
from dataclasses import dataclass, field
from datetime import time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from api import services as api_services
from api import webhooks as api_webhooks
from core import uploads
from listings import services
from listings.models import Capability, Match, SavedSearch, WantedNotice
from listings.services import BidOffer
from members import services as members_services
from members.models import Membership, Notification, VerificationEvent
from tests.factories import (
    InvitationFactory,
    LicenceFactory,
    LotFactory,
    OrganisationFactory,
    category,
    member_of,
)

# The matrix's roles. "plant_member" and "plant_admin" belong to the plant that owns the lots; "winner" and
# "loser" bid on its deal lot; "processor" is a verified processor that did not bid; "other_plant" is a person
# of another verified plant; "unverified" is the admin of a processor awaiting verification.
ROLES = (
    "visitor",
    "unverified",
    "plant_member",
    "plant_admin",
    "other_plant",
    "processor",
    "winner",
    "loser",
    "official",
    "staff",
)
# Who sees a deal's parties and handover (listings.selectors.can_see_deal_parties).
PARTIES = ("plant_member", "plant_admin", "winner", "official", "staff")
OUTSIDERS = tuple(role for role in ROLES if role not in PARTIES)

# How far the deal lot has gone.
STAGES = ("awarded", "collected", "processed", "completed")

NAMES = {
    "unverified": "Umar Belumverif",
    "plant_member": "Dewinta Pabrikanggota",
    "plant_admin": "Rinawati Pabrikadmin",
    "other_plant": "Oki Pabriklain",
    "processor": "Joko Takterkait",
    "winner": "Sutrisno Pemenangorang",
    "loser": "Larasati Kalahbid",
    "official": "Nurul Pejabatkota",
    "staff": "Andi Stafplatform",
}
WINNER_ORGANISATION = "CV Pemenang Tersembunyi"
WINNER_SLUG = "pemenang-tersembunyi"
WINNER_EMAIL_DOMAIN = "@pemenang.test"
WINNER_LICENCE = "PERTEK/RHS/0077"
AWARD_NOTE = "Armada sendiri, hanya 4 km dari gerbang"
CARRIER = "PT Angkutan Rahasiawan"
VEHICLE = "B 9876 RHS"
MANIFEST = "FESTRONIK-RHS-4242"
SENT = Decimal("4987.654")
RECEIVED = Decimal("4765.432")
MISMATCH_TEXT = "Sent and received differ by more than 2 %: flagged for staff."
PLANT_RATING_COMMENT = "Sangat tertib dan rapi"
WINNER_RATING_COMMENT = "Pembayaran tepat waktu"
WINNING_PRICE = 200_000
LOSING_PRICE = 250_000

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def number_spellings(value: Decimal) -> tuple[str, ...]:
    """A quantity as any page or export might write it: plain, English and Indonesian separators."""
    whole, _dot, fraction = f"{value:f}".partition(".")
    grouped = f"{int(whole):,}"
    return (
        f"{whole}.{fraction}",
        f"{whole},{fraction}",
        f"{grouped}.{fraction}",
        f"{grouped.replace(',', '.')},{fraction}",
    )


@dataclass
class World:
    people: dict = field(default_factory=dict)
    organisations: dict = field(default_factory=dict)
    lots: dict = field(default_factory=dict)
    objects: dict = field(default_factory=dict)
    stage: str = "completed"

    def person(self, role: str):
        return self.people.get(role)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _attach(lot, person, *, photo: bool):
    if photo:
        clean = uploads.clean_photo(SimpleUploadedFile("foto-lot.png", png(), content_type="image/png"))
        kind = "photo"
    else:
        clean = uploads.clean_document(SimpleUploadedFile("analisis-lab.pdf", PDF, content_type="application/pdf"))
        kind = "document"
    return services.attachment_add(
        lot=lot, acting_user=person, kind=kind, original_name=f"lampiran.{clean.extension}", clean=clean
    )


def build_world(stage: str = "completed") -> World:
    """Everything through the services where one exists; notifications delivered as after a commit."""
    assert stage in STAGES
    world = World(stage=stage)
    with TestCase.captureOnCommitCallbacks(execute=True):
        _build(world, stage)
    # The winner heard that its bid was accepted (delivered above, as after the award's commit).
    world.objects["notification"] = Notification.objects.filter(recipient=world.people["winner"]).order_by("pk").first()
    assert world.objects["notification"] is not None
    return world


def _build(world: World, stage: str) -> None:
    slag = category("steel-slag")
    orgs = world.organisations
    orgs["plant"] = OrganisationFactory(name="PT Baja Terbuka", slug="baja-terbuka")
    orgs["other_plant"] = OrganisationFactory(name="PT Pabrik Lain", slug="pabrik-lain")
    orgs["winner"] = OrganisationFactory(
        name=WINNER_ORGANISATION, slug=WINNER_SLUG, processor=True, japnas_number="JPN-RHS-77"
    )
    orgs["loser"] = OrganisationFactory(name="CV Kalah Bersaing", slug="kalah-bersaing", processor=True)
    orgs["processor"] = OrganisationFactory(name="CV Tidak Ikut", slug="tidak-ikut", processor=True)
    orgs["unverified"] = OrganisationFactory(
        name="CV Menunggu Verifikasi", slug="menunggu-verifikasi", processor=True, unverified=True
    )
    orgs["authority"] = OrganisationFactory(name="DLH Kota Uji", slug="dlh-kota-uji", authority=True)
    orgs["operator"] = OrganisationFactory(name="Sekretariat Uji", slug="sekretariat-uji", operator=True)

    people = world.people
    people["visitor"] = None
    people["plant_admin"] = member_of(orgs["plant"], email="rinawati@baja.test", full_name=NAMES["plant_admin"])
    people["plant_member"] = member_of(
        orgs["plant"], role=Membership.Role.MEMBER, email="dewinta@baja.test", full_name=NAMES["plant_member"]
    )
    people["other_plant"] = member_of(orgs["other_plant"], email="oki@lain.test", full_name=NAMES["other_plant"])
    people["winner"] = member_of(orgs["winner"], email=f"sutrisno{WINNER_EMAIL_DOMAIN}", full_name=NAMES["winner"])
    people["loser"] = member_of(orgs["loser"], email="larasati@kalah.test", full_name=NAMES["loser"])
    people["processor"] = member_of(orgs["processor"], email="joko@tidak.test", full_name=NAMES["processor"])
    people["unverified"] = member_of(orgs["unverified"], email="umar@menunggu.test", full_name=NAMES["unverified"])
    people["official"] = member_of(orgs["authority"], email="nurul@dlh.test", full_name=NAMES["official"])
    people["staff"] = member_of(
        orgs["operator"], email="andi@staf.test", full_name=NAMES["staff"], is_staff=True, is_superuser=True
    )

    lots = world.lots
    lots["open"] = LotFactory(plant=orgs["plant"], title="Mill scale terbuka", bidding_mode="open")
    world.objects["photo"] = _attach(lots["open"], people["plant_admin"], photo=True)
    world.objects["document"] = _attach(lots["open"], people["plant_admin"], photo=False)
    lots["draft"] = LotFactory(plant=orgs["plant"], title="Draf rahasia pabrik", status="draft", published_at=None)
    world.objects["draft_document"] = _attach(lots["draft"], people["plant_admin"], photo=False)

    deal = LotFactory(plant=orgs["plant"], title="Slag baja kesepakatan", bidding_mode="open", quantity=Decimal("5000"))
    lots["deal"] = deal
    world.objects["deal_photo"] = _attach(deal, people["plant_admin"], photo=True)
    pickup_day = timezone.localdate() + timedelta(days=1)
    bids = {}
    for role, price in (("loser", LOSING_PRICE), ("winner", WINNING_PRICE)):
        bids[role] = services.bid_place(
            lot=deal,
            acting_user=people[role],
            offer=BidOffer(price_per_unit=price, quantity=Decimal("5000"), pickup_date=pickup_day, route="recycling"),
        )
    # Not the best price: the plant says why, in the fixed list and in its own words (which name the winner's fleet).
    services.lot_award(
        lot=deal, bid=bids["winner"], acting_user=people["plant_admin"], reason="local-business", note=AWARD_NOTE
    )
    if STAGES.index(stage) >= STAGES.index("collected"):
        deal.refresh_from_db()
        services.pickup_record(
            lot=deal,
            acting_user=people["plant_member"],
            pickup_date=timezone.localdate(),
            carrier=CARRIER,
            vehicle=VEHICLE,
            manifest_number=MANIFEST,
            quantity_sent=SENT,
        )
    if STAGES.index(stage) >= STAGES.index("processed"):
        deal.refresh_from_db()
        proof = uploads.clean_document(SimpleUploadedFile("sertifikat.pdf", PDF, content_type="application/pdf"))
        services.processing_record(
            lot=deal, acting_user=people["winner"], quantity_received=RECEIVED, route_used="recycling", proof=proof
        )
    if stage == "completed":
        deal.refresh_from_db()
        services.lot_confirm_completion(lot=deal, acting_user=people["plant_admin"])
        services.rating_give(lot=deal, acting_user=people["plant_admin"], stars=5, comment=PLANT_RATING_COMMENT)
        services.rating_give(lot=deal, acting_user=people["winner"], stars=4, comment=WINNER_RATING_COMMENT)
    deal.refresh_from_db()

    objects = world.objects
    objects["licence"] = LicenceFactory(organisation=orgs["winner"], number=WINNER_LICENCE, covers=[slag])
    objects["capability"] = Capability.objects.create(
        organisation=orgs["winner"],
        category=slag,
        route="recycling",
        capacity_tonnes_per_month=Decimal("500"),
        latitude=Decimal("-6.0"),
        longitude=Decimal("106.0"),
        radius_km=50,
    )
    objects["wanted"] = WantedNotice.objects.create(
        organisation=orgs["winner"],
        created_by=people["winner"],
        category=slag,
        quantity_tonnes_per_month=Decimal("100"),
        kecamatan="ciwandan",
    )
    objects["search"] = SavedSearch.objects.create(user=people["plant_admin"], name="Slag", query="q=slag")
    objects["invitation"] = InvitationFactory(organisation=orgs["plant"], invited_by=people["plant_admin"])
    objects["match"] = Match.objects.create(lot=lots["open"], organisation=orgs["processor"], score=70, reasons=[])
    # A question the winner's organisation asked on the open lot, answered by the plant, and an addendum: the
    # questions page never says who asked (the winner's name is among the secrets every outsider's sweep
    # looks for).
    objects["question"] = services.question_ask(
        lot=lots["open"], acting_user=people["winner"], text="Apakah kadar air di bawah 5 persen?"
    )
    services.question_answer(question=objects["question"], acting_user=people["plant_admin"], answer="Ya, 3 persen.")
    objects["addendum"] = services.addendum_publish(
        lot=lots["open"],
        acting_user=people["plant_admin"],
        change=services.AddendumChange(text="Kadar air diperbarui menurut uji lab terbaru."),
    )
    # A site visit on the open lot, booked by the winner's organisation with the winner's name and vehicle: every
    # outsider's sweep of the visits page looks for both (a processor reads only the places left); the gate list
    # is the plant's and staff's.
    objects["visit_slot"] = services.slot_offer(
        lot=lots["open"],
        acting_user=people["plant_admin"],
        offer=services.SlotOffer(
            day=timezone.localdate() + timedelta(days=2),
            start=time(9, 0),
            end=time(11, 0),
            capacity=10,
            meeting_point="Pos satpam gerbang 2",
        ),
    )
    objects["visit_booking"] = services.visit_book(
        slot=objects["visit_slot"], acting_user=people["winner"], visitors=[NAMES["winner"]], plate=VEHICLE
    )
    objects["group"] = Group.objects.create(name="Verifiers")
    # staff's second factor: an authenticator and recovery codes (the admin lists both)
    TOTPDevice.objects.create(user=people["staff"], name="authenticator", confirmed=True)
    StaticDevice.objects.create(user=people["staff"], name="recovery codes", confirmed=True).token_set.create(
        token="recover1"
    )
    objects["change_request"] = members_services.organisation_update(
        organisation=orgs["plant"], acting_user=people["plant_admin"], fields={"name": "PT Baja Terbuka Baru"}
    )
    members_services.japnas_list_replace(
        members=[("JPN-RHS-77", WINNER_ORGANISATION)], filename="anggota.csv", acting_user=people["staff"]
    )
    # An API token of the plant and a write made with it (the admin lists both).
    objects["token"] = api_services.token_create(
        organisation=orgs["plant"], acting_user=people["plant_admin"], name="ERP pabrik", scopes=["read", "lots"]
    ).token
    objects["api_write"] = api_services.write_record(
        token=objects["token"], method="POST", path=f"/api/v1/lots/{lots['open'].reference}/close/", status=403
    )
    # A webhook of the plant (its admins manage it on /org/<slug>/webhooks/).
    objects["webhook"] = api_webhooks.subscription_create(
        organisation=orgs["plant"], acting_user=people["plant_admin"], url="http://127.0.0.1:9/hook", events=["new_bid"]
    ).subscription
    objects["verification_event"] = VerificationEvent.objects.create(
        organisation=orgs["unverified"], to_status="unverified", reason="Registered"
    )


WINNER_ORGANISATION_SECRET = "the winner's organisation"
# Pages that list organisations for what they are (the directory, a profile, wanted notices, a home page's
# suggested partners): the winner's name may appear there, never as the winner of anything.
ORGANISATION_LISTINGS = {
    "home",
    "members:directory",
    "members:organisation_detail",
    "listings:wanted_list",
    "listings:wanted_detail",
}


def deal_secrets(world: World) -> dict[str, tuple[str, ...]]:
    """Everything about the deal lot that only its parties (the plant, the winner, staff, officials) may see."""
    deal = world.lots["deal"]
    return {
        WINNER_ORGANISATION_SECRET: (WINNER_ORGANISATION, WINNER_SLUG, "JPN-RHS-77"),
        "the people's names": (NAMES["plant_admin"], NAMES["plant_member"], NAMES["winner"]),
        "the winner's e-mail": (WINNER_EMAIL_DOMAIN,),
        "the winner's licence": (WINNER_LICENCE,),
        "the award's note": (AWARD_NOTE,),
        "the carrier": (CARRIER,),
        "the vehicle": (VEHICLE,),
        "the manifest number": (MANIFEST,),
        "the weight out": number_spellings(SENT),
        "the weight in": number_spellings(RECEIVED),
        "the proof": (f"/lots/{deal.reference}/processing/proof/",),
        "the mismatch flag": (MISMATCH_TEXT,),
        "the ratings": (PLANT_RATING_COMMENT, WINNER_RATING_COMMENT),
    }


# The public verification page of a document (`/verify/<code>/`): whoever holds the paper (its QR code, its
# 32-character random code) reads what the paper states — the parties, the manifest, the carrier, the vehicle
# and the weights — and nothing more: never the people, the award's note, the licence, a price or a rating.
DOCUMENT_PAGES = {"documents:verify"}
ON_THE_DOCUMENT = (
    WINNER_ORGANISATION_SECRET,
    "the carrier",
    "the vehicle",
    "the manifest number",
    "the weight out",
    "the weight in",
)

# Pages of public aggregates (tonnes processed in the last twelve months): with one deal in the world its weight
# is the total, shown without a name.
AGGREGATE_PAGES = {"landing"}
WEIGHTS = ("the weight out", "the weight in")


def leaks(body: str, secrets: dict[str, tuple[str, ...]], *, key: str = "", requested: str = "") -> list[str]:
    """Which secrets a response or message shows (each named with the text found). The address the person asked
    for is left out (pages repeat it, e.g. in the language switcher's return address)."""
    if requested:
        body = body.replace(requested, "")
    found = []
    for what, texts in secrets.items():
        if key in ORGANISATION_LISTINGS and what == WINNER_ORGANISATION_SECRET:
            continue
        if key in AGGREGATE_PAGES and what in WEIGHTS:
            continue
        if key in DOCUMENT_PAGES and what in ON_THE_DOCUMENT:
            continue
        found += [f"{what} ({text!r})" for text in texts if text in body]
    return found
