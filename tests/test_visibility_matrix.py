"""Who gets what from every URL of the project: every URL pattern × every role, with the status each must get.

`MATRIX` has one entry per URL pattern (by its name, or its route when it has none), each with one or more
targets (which lot, organisation or object fills the URL) and the status per role. A pattern without an entry
fails `test_every_url_pattern_has_an_entry`, naming it: a new page is added here with who may open it. The
admin (`/admin/…`, about a hundred patterns, all staff-only by construction) is checked by one rule below,
every one of its patterns requested.

Statuses: a number, or LOGIN (302 to the log-in page), ADMIN_LOGIN (302 to the admin's log-in page),
REDIRECT (302 elsewhere: a signed-in person sent on). A 405 is a GET on a POST-only endpoint; the POSTs that
a role may not make are refused in `REFUSED_POSTS`, each with the reason it gives. Every 403 of the matrix
must say why (never the generic "You do not have access to this page.").
"""

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from documents.models import Document
from listings.models import Handover, Rating, VisitBooking, VisitSlot, WasteLot
from tests.factories import log_in
from tests.visibility_world import OUTSIDERS, ROLES, World, build_world, deal_secrets, leaks

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
REDIRECT = "redirect"
GENERIC_403 = "You do not have access to this page."


def row(default, **by_role) -> dict:
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: by_role.get(role, default) for role in ROLES}


PUBLIC = row(200)
SIGNED_IN = row(200, visitor=LOGIN)
POST_ONLY = row(405, visitor=LOGIN)
STAFF_ONLY = row(403, visitor=LOGIN, staff=200)
ANONYMOUS_ONLY = row(REDIRECT, visitor=200)
PLANT_PEOPLE = row(403, visitor=LOGIN, plant_member=200, plant_admin=200)
ANY_PLANT = row(403, visitor=LOGIN, plant_member=200, plant_admin=200, other_plant=200)
VERIFIED_PROCESSORS = row(403, visitor=LOGIN, processor=200, winner=200, loser=200)
# The plant's people and staff see a draft; to everyone else it does not exist.
DRAFT = row(404, visitor=LOGIN, plant_member=200, plant_admin=200, staff=200)
# Pages a visitor may open for an open lot: for a draft, they get the 404 everyone else gets.
DRAFT_HIDDEN = row(404, plant_member=200, plant_admin=200, staff=200)
# A document has no thumbnail: 404 for those who may see the draft too.
DRAFT_HIDDEN_FILE = row(404)


@dataclass(frozen=True)
class Target:
    label: str
    kwargs: Callable[[World], dict] = lambda world: {}
    query: str = ""


NONE = Target("")


def lot(state: str, query: str = "") -> Target:
    return Target(f"{state} lot{query}", lambda w: {"reference": w.lots[state].reference}, query)


def lot_file(state: str, name: str) -> Target:
    return Target(
        f"{name} of the {state} lot", lambda w: {"reference": w.lots[state].reference, "pk": w.objects[name].pk}
    )


def org(key: str) -> Target:
    return Target(f"{key}'s organisation", lambda w: {"slug": w.organisations[key].slug})


def obj(name: str, **extra) -> Target:
    return Target(name, lambda w: {"pk": w.objects[name].pk, **extra})


INVITATION = Target("a pending invitation", lambda w: {"token": w.objects["invitation"].token})
FORGED_TOKEN = Target("a forged link", lambda w: {"token": "forged-token"})
BAD_INVITATION = Target("a forged invitation", lambda w: {"token": "forged-token"})
REVOKE = Target(
    "the plant's invitation", lambda w: {"slug": w.organisations["plant"].slug, "pk": w.objects["invitation"].pk}
)
RESET_LINK = Target("an invalid reset link", lambda w: {"uidb64": "MQ", "token": "not-a-token"})
DEALS_CSV = Target("deals.csv", lambda w: {"table": "deals", "fmt": "csv"})
MISMATCHES_CSV = Target("mismatches.csv", lambda w: {"table": "mismatches", "fmt": "csv"})


# The deal's documents: the download of the award letter, and the public verification page of the certificate.
def document(kind: str) -> Target:
    def kwargs(w):
        found = Document.objects.get(lot=w.lots["deal"], kind=kind, status="valid")
        return {"reference": w.lots["deal"].reference, "number": found.number}

    return Target(f"the deal's {kind}", kwargs)


def verification(kind: str) -> Target:
    return Target(
        f"the code of the deal's {kind}",
        lambda w: {"code": Document.objects.get(lot=w.lots["deal"], kind=kind, status="valid").code},
    )


UNKNOWN_CODE = Target("an unknown code", lambda w: {"code": "no-such-code-" + "x" * 20})


# The plant's yearly evidence pack: /my/… names no organisation, so each plant gets its own (another plant its
# own, empty one); the download is of the plant's pack built for the target (another plant has none: 404).
def evidence_year(year: int | None = None) -> Target:
    return Target(f"the evidence pack of {year or 'this year'}", lambda w: {"year": year or timezone.localdate().year})


def _built_evidence_pack(world: World) -> dict:
    from documents import evidence, evidence_build

    year = timezone.localdate().year
    pack = evidence.evidence_request(organisation=world.organisations["plant"], year=year)
    evidence_build.build(pack.pk)
    return {"year": year}


BUILT_EVIDENCE = Target("the plant's evidence pack, built", _built_evidence_pack)
PLANT_OWN = row(403, visitor=LOGIN, plant_member=200, plant_admin=200, other_plant=200)
PLANT_OWN_BAD_YEAR = row(403, visitor=LOGIN, plant_member=404, plant_admin=404, other_plant=404)
QUESTION_READERS = row(200, visitor=LOGIN, unverified=403, other_plant=403)


GATE_LIST_READERS = row(403, visitor=LOGIN, plant_member=200, plant_admin=200, staff=200)
VISIT_DAY = Target(
    "the open lot's visit day",
    lambda w: {
        "reference": w.lots["open"].reference,
        "day": timezone.localtime(w.objects["visit_slot"].starts_at).date().isoformat(),
    },
)
BAD_VISIT_DAY = Target(
    "a day that is not a date", lambda w: {"reference": w.lots["open"].reference, "day": "2026-13-40"}
)


def obj_of_lot(state: str, name: str) -> Target:
    return Target(
        f"{name} of the {state} lot", lambda w: {"reference": w.lots[state].reference, "pk": w.objects[name].pk}
    )


# The deal's parties: the plant's people, the winner's, officials and staff.
DEAL_PARTIES = row(403, visitor=LOGIN, plant_member=200, plant_admin=200, winner=200, official=200, staff=200)
# A contract (an award) and its schedule: the plant's people, that contract's processor, officials and staff; to
# everyone else it does not exist (tests/listings/test_contract_pages.py: the other processors sharing a stream).
CONTRACT_PARTIES = row(404, visitor=LOGIN, plant_member=200, plant_admin=200, winner=200, official=200, staff=200)


TOKEN = Target("a token of the plant", lambda w: {"slug": w.organisations["plant"].slug, "pk": w.objects["token"].pk})
WEBHOOK = Target(
    "a webhook of the plant", lambda w: {"slug": w.organisations["plant"].slug, "pk": w.objects["webhook"].pk}
)
# The deal's contract (its only award) and its period (tests/api/test_contracts.py has the API's own matrix).
DEAL_CONTRACT = Target(
    "the deal's contract", lambda w: {"reference": w.lots["deal"].reference, "pk": w.lots["deal"].awards.get().pk}
)
DEAL_PERIOD = Target(
    "the deal's contract's period",
    lambda w: {"reference": w.lots["deal"].reference, "pk": w.lots["deal"].awards.get().pk, "number": 1},
)
# The API answers every session with 401: it takes organisation tokens only.
API_ONLY = row(401)

CHANGE = Target(
    "the plant's change request",
    lambda w: {"slug": w.organisations["plant"].slug, "pk": w.objects["change_request"].pk},
)

MATRIX: dict[str, list[tuple[Target, dict]]] = {
    # wastex/urls.py
    "landing": [(NONE, PUBLIC)],
    "home": [(NONE, SIGNED_IN)],
    "healthz": [(NONE, PUBLIC)],
    "healthz_live": [(NONE, PUBLIC)],
    "healthz_ready": [(NONE, PUBLIC)],
    # Not a person's page: by address (the test client comes from 127.0.0.1, allowed by default) or token;
    # tests/test_operations.py checks who else is refused.
    "metrics": [(NONE, PUBLIC)],
    "robots_txt": [(NONE, PUBLIC)],
    "sitemap": [(NONE, PUBLIC)],
    "set_language": [(NONE, row(405))],
    "login": [(NONE, ANONYMOUS_ONLY)],
    "logout": [(NONE, POST_ONLY)],
    "password_change": [(NONE, SIGNED_IN)],
    "password_change_done": [(NONE, SIGNED_IN)],
    "password_reset": [(NONE, PUBLIC)],
    "password_reset_done": [(NONE, PUBLIC)],
    "password_reset_confirm": [(RESET_LINK, PUBLIC)],
    "password_reset_complete": [(NONE, PUBLIC)],
    # members/urls.py
    "members:signup": [(NONE, ANONYMOUS_ONLY)],
    "members:invitation_accept": [(INVITATION, ANONYMOUS_ONLY), (BAD_INVITATION, row(404))],
    "members:profile": [(NONE, SIGNED_IN)],
    "members:signup_sent": [(NONE, PUBLIC)],
    "members:signup_confirm": [(FORGED_TOKEN, row(404))],
    "members:email_change_confirm": [(FORGED_TOKEN, row(404, visitor=LOGIN))],
    "members:two_factor": [(NONE, SIGNED_IN)],
    "members:two_factor_setup": [(NONE, SIGNED_IN)],
    # the code step is for a session that still owes its code: everyone here has passed it (or has no device)
    "members:two_factor_verify": [(NONE, row(REDIRECT, visitor=LOGIN))],
    "members:two_factor_recovery_codes": [(NONE, SIGNED_IN)],
    "members:two_factor_disable": [(NONE, POST_ONLY)],
    "members:notifications": [(NONE, SIGNED_IN)],
    "members:notifications_unread": [(NONE, SIGNED_IN)],
    "members:notifications_read_all": [(NONE, POST_ONLY)],
    "members:notification_preferences": [(NONE, SIGNED_IN)],
    "members:notification_open": [(obj("notification"), POST_ONLY)],
    "members:directory": [(NONE, row(200, visitor=LOGIN, unverified=403))],
    "members:organisation_detail": [
        (org("plant"), SIGNED_IN),
        (org("winner"), SIGNED_IN),
        (org("unverified"), row(404, visitor=LOGIN, unverified=200, staff=200)),
    ],
    "members:organisation_edit": [(org("plant"), row(404, visitor=LOGIN, plant_admin=200))],
    "members:organisation_team": [(org("plant"), row(404, visitor=LOGIN, plant_admin=200, plant_member=200))],
    "members:invitation_revoke": [(REVOKE, POST_ONLY)],
    "members:licences": [(org("winner"), row(404, visitor=LOGIN, winner=200))],
    "members:licence_document": [(obj("licence"), row(404, visitor=LOGIN, winner=200, staff=200))],
    "members:staff_licence_list": [(NONE, STAFF_ONLY)],
    "members:organisation_change_withdraw": [(CHANGE, POST_ONLY)],
    "members:staff_change_list": [(NONE, STAFF_ONLY)],
    "members:staff_change_decide": [(obj("change_request"), row(403, visitor=LOGIN, staff=405))],
    "members:staff_japnas_list": [(NONE, STAFF_ONLY)],
    "members:staff_audit": [(NONE, STAFF_ONLY)],
    "members:staff_audit_export": [(NONE, STAFF_ONLY)],
    "members:staff_licence_review": [(obj("licence"), row(403, visitor=LOGIN, staff=405))],
    "members:staff_organisation_list": [(NONE, STAFF_ONLY)],
    "members:staff_organisation_review": [(org("unverified"), STAFF_ONLY)],
    # listings/urls.py
    # Visitors browse the open lots and open an open lot's page (issue 13); a lot past its deadline or decided
    # asks them to sign in; a draft does not exist for them.
    "listings:lot_list": [(NONE, PUBLIC)],
    "listings:lot_create": [(NONE, ANY_PLANT)],
    "listings:lot_detail": [(lot("open"), PUBLIC), (lot("draft"), DRAFT_HIDDEN), (lot("deal"), SIGNED_IN)],
    "listings:lot_edit": [
        (lot("open"), PLANT_PEOPLE),
        (lot("draft"), row(404, visitor=LOGIN, plant_member=200, plant_admin=200, staff=403)),
        # A decided lot cannot be edited: the plant is sent back to it with the reason.
        (lot("deal"), row(403, visitor=LOGIN, plant_member=REDIRECT, plant_admin=REDIRECT)),
    ],
    "listings:lot_publish": [(lot("draft"), POST_ONLY)],
    "listings:lot_cancel": [(lot("open"), POST_ONLY)],
    "listings:lot_close": [(lot("open"), POST_ONLY)],
    "listings:attachment": [
        (lot_file("open", "photo"), SIGNED_IN),
        (lot_file("open", "document"), SIGNED_IN),
        (lot_file("draft", "draft_document"), DRAFT_HIDDEN),
    ],
    # A visitor gets the thumbnails of an open lot's photos (the cards, the page, a link's preview), nothing else.
    "listings:attachment_thumbnail": [
        (lot_file("open", "photo"), PUBLIC),
        (lot_file("deal", "deal_photo"), SIGNED_IN),
        (lot_file("draft", "draft_document"), DRAFT_HIDDEN_FILE),
    ],
    "listings:attachment_delete": [(lot_file("open", "photo"), POST_ONLY)],
    "listings:bid_submit": [(lot("open"), POST_ONLY)],
    "listings:bid_withdraw": [(lot("open"), POST_ONLY)],
    "listings:lot_bids": [
        (lot("open"), row(403, visitor=LOGIN, plant_member=200, plant_admin=200, staff=200)),
        (lot("deal"), row(403, visitor=LOGIN, plant_member=200, plant_admin=200, staff=200)),
        (lot("deal", "?format=csv"), row(403, visitor=LOGIN, plant_member=200, plant_admin=200, staff=200)),
        (lot("draft"), DRAFT),
    ],
    "listings:lot_unawarded": [(lot("deal"), POST_ONLY)],
    # Questions and answers: verified processors, the plant's people, officials and staff; never another plant,
    # an unverified business or a visitor. Read-only once the lot is decided; a draft has none to see.
    "listings:lot_questions": [
        (lot("open"), QUESTION_READERS),
        (lot("deal"), QUESTION_READERS),
        (lot("draft"), DRAFT),
    ],
    "listings:question_answer": [(obj_of_lot("open", "question"), POST_ONLY)],
    # The addendum: the plant's people, on an open lot (a decided one sends them back with the reason).
    "listings:lot_addendum": [
        (lot("open"), PLANT_PEOPLE),
        (lot("deal"), row(403, visitor=LOGIN, plant_member=REDIRECT, plant_admin=REDIRECT)),
        (lot("draft"), row(404, visitor=LOGIN, plant_member=REDIRECT, plant_admin=REDIRECT, staff=403)),
    ],
    # Site visits: the questions' readers see the slots (a processor only the places left and its own booking);
    # the plant offers and cancels slots; verified processors book; the gate list is the plant's and staff's.
    "listings:lot_visits": [
        (lot("open"), QUESTION_READERS),
        (lot("deal"), QUESTION_READERS),
        (lot("draft"), DRAFT),
    ],
    "listings:visit_slot_new": [
        (lot("open"), PLANT_PEOPLE),
        (lot("deal"), row(403, visitor=LOGIN, plant_member=REDIRECT, plant_admin=REDIRECT)),
        (lot("draft"), row(404, visitor=LOGIN, plant_member=REDIRECT, plant_admin=REDIRECT, staff=403)),
    ],
    "listings:visit_slot_cancel": [(obj_of_lot("open", "visit_slot"), POST_ONLY)],
    "listings:visit_book": [(obj_of_lot("open", "visit_slot"), VERIFIED_PROCESSORS)],
    "listings:visit_booking_cancel": [(obj_of_lot("open", "visit_booking"), POST_ONLY)],
    "listings:visit_gate_list": [(obj_of_lot("open", "visit_slot"), GATE_LIST_READERS)],
    "listings:visit_gate_list_day": [
        (VISIT_DAY, GATE_LIST_READERS),
        (
            BAD_VISIT_DAY,
            row(
                404, visitor=LOGIN, unverified=403, other_plant=403, processor=403, winner=403, loser=403, official=403
            ),
        ),
    ],
    "listings:lot_watch": [(lot("open"), POST_ONLY)],
    "listings:pickup": [(lot("deal"), POST_ONLY)],
    "listings:processing": [(lot("deal"), POST_ONLY)],
    # The proof of processing: the deal's parties only (the plant, the winner, staff, officials).
    "listings:proof": [
        (lot("deal"), row(403, visitor=LOGIN, plant_member=200, plant_admin=200, winner=200, official=200, staff=200)),
        (lot("open"), row(403, visitor=LOGIN, plant_member=404, plant_admin=404, official=404, staff=404)),
    ],
    "listings:complete": [(lot("deal"), POST_ONLY)],
    "listings:lot_awarding_finish": [(lot("deal"), POST_ONLY)],
    "listings:contract_detail": [(DEAL_CONTRACT, CONTRACT_PARTIES)],
    "listings:contract_end": [(DEAL_CONTRACT, POST_ONLY)],
    "listings:contract_rate": [(DEAL_CONTRACT, POST_ONLY)],
    "listings:period_pickup": [(DEAL_PERIOD, POST_ONLY)],
    "listings:period_processing": [(DEAL_PERIOD, POST_ONLY)],
    # A period's proof of processing: those who see the contract.
    "listings:period_proof": [(DEAL_PERIOD, CONTRACT_PARTIES)],
    "listings:rate": [(lot("deal"), POST_ONLY)],
    "listings:my_lots": [(NONE, ANY_PLANT)],
    "listings:my_bids": [(NONE, row(403, visitor=LOGIN, unverified=200, processor=200, winner=200, loser=200))],
    "listings:my_matches": [(NONE, VERIFIED_PROCESSORS)],
    "listings:capabilities": [(NONE, VERIFIED_PROCESSORS)],
    "listings:capability_edit": [(obj("capability"), row(403, visitor=LOGIN, processor=404, loser=404, winner=200))],
    "listings:capability_delete": [(obj("capability"), POST_ONLY)],
    "listings:my_searches": [(NONE, SIGNED_IN)],
    "listings:search_save": [(NONE, POST_ONLY)],
    "listings:search_delete": [(obj("search"), POST_ONLY)],
    "listings:wanted_list": [(NONE, SIGNED_IN)],
    "listings:wanted_new": [(NONE, VERIFIED_PROCESSORS)],
    "listings:wanted_detail": [(obj("wanted"), SIGNED_IN)],
    "listings:wanted_withdraw": [(obj("wanted"), POST_ONLY)],
    "listings:staff_handovers": [(NONE, STAFF_ONLY)],
    "listings:catalogue": [(NONE, PUBLIC)],
    # documents/urls.py: the deal's parties list and download; anyone holding a code verifies it.
    "documents:lot_documents": [
        (lot("deal"), DEAL_PARTIES),
        # before an award: the plant's people, officials and staff see an empty list; no winner exists yet
        (lot("open"), row(403, visitor=LOGIN, plant_member=200, plant_admin=200, official=200, staff=200)),
        (lot("draft"), DRAFT),
    ],
    "documents:download": [
        (document("award-letter"), DEAL_PARTIES),
        (document("handover-record"), DEAL_PARTIES),
        (document("processing-certificate"), DEAL_PARTIES),
    ],
    "documents:revoke": [(lot("deal"), POST_ONLY)],
    "documents:supersede": [(lot("deal"), POST_ONLY)],
    "documents:verify_lookup": [(NONE, PUBLIC)],
    "documents:verify": [(verification("processing-certificate"), PUBLIC), (UNKNOWN_CODE, row(404))],
    # The yearly evidence pack: a verified plant's people, for their own plant only.
    "documents:evidence": [(evidence_year(), PLANT_OWN), (evidence_year(2019), PLANT_OWN_BAD_YEAR)],
    "documents:evidence_status": [(evidence_year(), PLANT_OWN), (evidence_year(2019), PLANT_OWN_BAD_YEAR)],
    "documents:evidence_download": [
        (BUILT_EVIDENCE, row(403, visitor=LOGIN, plant_member=200, plant_admin=200, other_plant=404)),
        (evidence_year(2019), PLANT_OWN_BAD_YEAR),
    ],
    # dashboard/urls.py: officials and staff see the city, a verified organisation its own figures.
    "dashboard:dashboard": [(NONE, row(200, visitor=LOGIN, unverified=403))],
    "dashboard:export": [
        (DEALS_CSV, row(200, visitor=LOGIN, unverified=403)),
        (MISMATCHES_CSV, row(200, visitor=LOGIN, unverified=403)),
    ],
    # api/urls.py: the API takes organisation tokens only (tests/api/test_permissions.py is its matrix per
    # token); a session, signed in or not, gets 401 with problem details. Its schema and docs are public.
    "api:schema": [(NONE, PUBLIC)],
    "api:docs": [(NONE, PUBLIC)],
    **{
        f"api:{name}": [(NONE, API_ONLY)]
        for name in (
            "me",
            "catalogue",
            "lots",
            "my_lots",
            "my_bids",
            "notifications",
            "notifications_read",
            "dashboard",
        )
    },
    **{
        f"api:{name}": [(lot("open"), API_ONLY)]
        for name in (
            "lot",
            "lot_publish",
            "lot_close",
            "lot_cancel",
            "lot_bids",
            "lot_award",
            "lot_awarding_finish",
            "lot_unawarded",
            "my_bid",
            "pickup",
            "processing",
            "complete",
            "lot_documents",
            "lot_questions",
            "lot_addenda",
        )
    },
    "api:document_pdf": [(document("award-letter"), API_ONLY)],
    **{
        f"api:{name}": [(target, API_ONLY)]
        for name, target in (
            ("contract_periods", DEAL_CONTRACT),
            ("contract_end", DEAL_CONTRACT),
            ("contract_period_pickup", DEAL_PERIOD),
            ("contract_period_processing", DEAL_PERIOD),
        )
    },
    "api:question_answer": [(obj_of_lot("open", "question"), API_ONLY)],
    "api:not_found": [(NONE, row(404))],
    # The organisation's API tokens (api/pages.py): its admins only.
    "api_tokens": [(org("plant"), row(404, visitor=LOGIN, plant_admin=200))],
    "api_token_revoke": [(TOKEN, POST_ONLY)],
    # The organisation's webhooks (api/webhook_pages.py): its admins only (POSTs: test_webhooks_are_its_admins_own).
    "api_webhooks": [(org("plant"), row(404, visitor=LOGIN, plant_admin=200))],
    "api_webhook_pause": [(WEBHOOK, POST_ONLY)],
    "api_webhook_delete": [(WEBHOOK, POST_ONLY)],
    "api_webhook_test": [(WEBHOOK, POST_ONLY)],
}

# The admin: staff only (staff are superusers here). A visitor opening one of its model pages is sent to the
# site's log-in page (LoginRequiredMiddleware), one of its own pages to the admin's; anyone else signed in to the
# admin's log-in page, which tells them they may not. Its 403s are Django's own (not checked for a reason).
ADMIN_PREFIX = "admin/"
ADMIN_RULE = row(ADMIN_LOGIN, visitor=LOGIN, staff=200)
ADMIN_SITE = row(ADMIN_LOGIN, staff=200)
# What the admin refuses even to staff: records written only by the services are not added or deleted by hand.
ADMIN_READ_ONLY = row(ADMIN_LOGIN, visitor=LOGIN, staff=403)
ADMIN_EXCEPTIONS = {
    "admin:index": ADMIN_SITE,
    "admin:app_list": ADMIN_SITE,
    "admin:password_change": ADMIN_SITE,
    "admin:password_change_done": ADMIN_SITE,
    "admin:jsi18n": ADMIN_SITE,
    # the admin signs in through our own log-in page (password, then the second factor)
    "admin:login": row(403, visitor=LOGIN, staff=REDIRECT),
    "admin:logout": row(REDIRECT, visitor=ADMIN_LOGIN, staff=405),
    "admin:view_on_site": row(ADMIN_LOGIN, staff=REDIRECT),
    "admin:autocomplete": row(ADMIN_LOGIN, staff=403),
    "admin:members_verificationevent_add": ADMIN_READ_ONLY,
    "admin:members_verificationevent_delete": ADMIN_READ_ONLY,
    "admin:core_outboxevent_add": ADMIN_READ_ONLY,
    "admin:members_notification_add": ADMIN_READ_ONLY,
    "admin:listings_wastelot_delete": ADMIN_READ_ONLY,
    "admin:listings_match_add": ADMIN_READ_ONLY,
    # questions are asked and answered on the site (staff may delete an abusive one); addenda stay on record
    "admin:listings_lotquestion_add": ADMIN_READ_ONLY,
    "admin:listings_lotaddendum_add": ADMIN_READ_ONLY,
    "admin:listings_lotaddendum_delete": ADMIN_READ_ONLY,
    # site visits: offered, booked and cancelled on the site; staff read them
    "admin:listings_visitslot_add": ADMIN_READ_ONLY,
    "admin:listings_visitslot_delete": ADMIN_READ_ONLY,
    "admin:listings_visitbooking_add": ADMIN_READ_ONLY,
    "admin:listings_visitbooking_delete": ADMIN_READ_ONLY,
    "admin:dashboard_deal_add": ADMIN_READ_ONLY,
    # documents are issued, revoked and replaced by the services only
    "admin:documents_document_add": ADMIN_READ_ONLY,
    "admin:documents_document_delete": ADMIN_READ_ONLY,
    **{
        f"admin:members_{model}_{action}": ADMIN_READ_ONLY
        for model in ("organisationchangerequest", "japnaslistupload", "auditentry")
        for action in ("add", "delete")
    },
    **{
        f"admin:api_{model}_{action}": ADMIN_READ_ONLY
        for model in ("organisationtoken", "apiwrite")
        for action in ("add", "delete")
    },
    "admin:dashboard_deal_delete": ADMIN_READ_ONLY,
    # /admin/<app>/<model>/<pk>/ sends staff on to the change page.
    "admin/<app>/<model>/<path:object_id>/": row(ADMIN_LOGIN, visitor=LOGIN, staff=REDIRECT),
    # Anything else under /admin/ is a 404 for staff.
    "admin/(?P<url>.*)$": row(ADMIN_LOGIN, staff=404),
}


def url_patterns(patterns=None, prefix="", namespace=None):
    """(key, route) of every URL pattern of the project: its namespaced name, or its route when unnamed."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route


def project_patterns() -> dict[str, str]:
    return {key: route for key, route in url_patterns() if not route.startswith(ADMIN_PREFIX)}


def admin_patterns() -> dict[str, str]:
    return {key: route for key, route in url_patterns() if route.startswith(ADMIN_PREFIX)}


def test_every_url_pattern_has_an_entry():
    patterns = project_patterns()
    missing = sorted(set(patterns) - set(MATRIX))
    assert not missing, "URL patterns with no entry in the visibility matrix (add who may open them): " + ", ".join(
        f"{key} ({patterns[key]})" for key in missing
    )
    stale = sorted(set(MATRIX) - set(patterns))
    assert not stale, f"Matrix entries for URL patterns that no longer exist: {stale}"
    for key, cases in MATRIX.items():
        assert cases, key
        for _target, expected in cases:
            assert set(expected) == set(ROLES), key


def test_the_admin_rule_covers_only_the_admin():
    assert admin_patterns(), "the admin is mounted under /admin/"
    assert "admin:index" in admin_patterns()


# --- The world, built once for the module ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One world for every request of this module, rolled back at the end (each test runs in a savepoint)."""
    with (
        tempfile.TemporaryDirectory() as media,
        override_settings(MEDIA_ROOT=media),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = build_world("completed")
        yield built
        transaction.set_rollback(True)


def client_for(world: World, role: str) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    person = world.person(role)
    if person is not None:
        log_in(client, person)
    return client


def project_url(world: World, key: str, target: Target) -> str:
    return reverse(key, kwargs=target.kwargs(world)) + target.query


ADMIN_MODEL = re.compile(r"^admin/(\w+)/(\w+)/")


def admin_url(world: World, key: str, route: str) -> tuple[str, str]:
    """A concrete URL for an admin pattern, and the key of its rule (an exception or the general rule)."""
    if route.endswith("(?P<url>.*)$"):
        return "/admin/no-such-page/", "admin/(?P<url>.*)$"
    if key == "admin:view_on_site":
        deal = world.lots["deal"]
        return reverse(
            key, kwargs={"content_type_id": ContentType.objects.get_for_model(WasteLot).pk, "object_id": deal.pk}
        ), key
    if key == "admin:app_list":
        return reverse(key, kwargs={"app_label": "listings"}), key
    kwargs = {}
    found = ADMIN_MODEL.match(route)
    if "<path:object_id>" in route or "<id>" in route or "<int:pk>" in route:
        model = apps.get_model(found.group(1), found.group(2))
        instance = model.objects.order_by("pk").first()
        assert instance is not None, f"the world needs a {model.__name__} for {route}"
        name = "object_id" if "<path:object_id>" in route else "id" if "<id>" in route else "pk"
        kwargs[name] = instance.pk
    if key == route:  # unnamed: /admin/<app>/<model>/<pk>/
        return "/" + route.replace(
            "<path:object_id>", str(kwargs["object_id"])
        ), "admin/<app>/<model>/<path:object_id>/"
    return reverse(key, kwargs=kwargs), key


def outcome(response) -> object:
    """What a response amounts to, in the matrix's terms."""
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return response.status_code


def every_request(world: World):
    """Every request the matrix makes: (key, label, url, expected row, in the admin?)."""
    for key, cases in MATRIX.items():
        for target, expected in cases:
            label = f"{key} [{target.label}]" if target.label else key
            yield key, label, project_url(world, key, target), expected, False
    for key, route in admin_patterns().items():
        url, rule = admin_url(world, key, route)
        yield key, key, url, ADMIN_EXCEPTIONS.get(rule, ADMIN_RULE), True


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_status_the_matrix_says(world, role):
    """And, for those who are not the deal's parties, no response of any page, fragment or export they can
    reach shows who won the deal lot or how it was handed over (the world's deal is completed: every detail
    exists). tests/listings/test_deal_visibility.py sweeps the earlier stages."""
    client = client_for(world, role)
    secrets = deal_secrets(world) if role in OUTSIDERS else {}
    wrong, vague, leaked = [], [], []
    for key, label, url, expected, in_admin in every_request(world):
        response = client.get(url)
        got = outcome(response)
        if got != expected[role]:
            wrong.append(f"{label} {url}: expected {expected[role]}, got {got}")
        body = b"".join(response) if response.streaming else response.content
        text = body.decode(errors="replace")
        if response.status_code == 403 and not in_admin and GENERIC_403 in text:
            vague.append(f"{label} {url}")
        found = leaks(text, secrets, key=key, requested=url)
        if found:
            leaked.append(f"{label} {url}: {', '.join(found)}")
    assert not wrong, f"{role}:\n  " + "\n  ".join(wrong)
    assert not vague, f"{role}: a 403 that does not say why:\n  " + "\n  ".join(vague)
    assert not leaked, f"{role} sees the deal's parties:\n  " + "\n  ".join(leaked)


# --- POSTs a role may not make: refused, with the reason, and nothing changes ----------------------------------

ONLY_PLANT = "Only people of the verified plant that owns this lot can change it."
ONLY_PICKUP = "Only the plant or the winning processor records the pickup."
ONLY_PROCESSING = "Only the winning processor records the processing."
ONLY_RATERS = "Only the plant and the winning processor rate this deal."
ONLY_BIDS = "Only the plant that owns this lot sees its bids."
ONLY_STAFF = "This page is for platform staff."
ONLY_FOLLOWERS = "Only people of verified processing businesses can follow lots."
ONLY_STAFF_DOCUMENTS = "Only platform staff revoke or replace documents."
ONLY_QUESTION_READERS = "Questions and answers are for verified processing businesses and the plant that owns the lot."
ONLY_ASKERS = "Only people of verified processing businesses can ask questions."
ONLY_ANSWERERS = "Only people of the verified plant that owns this lot answer its questions."
ONLY_VISIT_READERS = "Site visits are for verified processing businesses and the plant that owns the lot."
ONLY_BOOKERS = "Only people of verified processing businesses can book a site visit."
ONLY_GATE_LIST = "Only the plant that owns this lot and platform staff print its gate list."
PROOF_PARTIES = "The handover's documents are only for the plant, the winning processor, platform staff and officials."

PICKUP = {
    "pickup_date": "2026-01-01",
    "carrier": "PT Penyusup",
    "vehicle": "X 1 X",
    "manifest_number": "FAKE-1",
    "quantity_sent": "1",
}
REFUSED_POSTS = [
    # (url name, lot, data, roles that may not, the reason they are given)
    ("listings:pickup", "deal", PICKUP, ("loser", "processor", "other_plant", "official", "staff"), ONLY_PICKUP),
    (
        "listings:processing",
        "deal",
        {"quantity_received": "1", "route_used": "disposal"},
        ("plant_admin", "plant_member", "loser", "processor", "official", "staff"),
        ONLY_PROCESSING,
    ),
    ("listings:complete", "deal", {}, ("winner", "loser", "processor", "other_plant", "official", "staff"), ONLY_PLANT),
    ("listings:rate", "deal", {"stars": "1", "comment": "x"}, ("loser", "processor", "official", "staff"), ONLY_RATERS),
    (
        "listings:lot_bids",
        "deal",
        {"bid": "999999", "reason": "other", "note": "x"},
        ("winner", "loser", "official"),
        ONLY_BIDS,
    ),
    ("listings:lot_bids", "deal", {"bid": "999999", "reason": "other", "note": "x"}, ("staff",), ONLY_PLANT),
    ("listings:lot_unawarded", "deal", {"reason": "x"}, ("winner", "loser", "official", "staff"), ONLY_PLANT),
    ("listings:lot_awarding_finish", "deal", {}, ("winner", "loser", "official", "staff", "other_plant"), ONLY_PLANT),
    (
        "listings:lot_cancel",
        "open",
        {"reason": "x"},
        ("winner", "loser", "official", "staff", "other_plant"),
        ONLY_PLANT,
    ),
    ("listings:lot_close", "open", {}, ("winner", "loser", "official", "staff", "other_plant"), ONLY_PLANT),
    (
        "listings:lot_watch",
        "open",
        {"follow": "1"},
        ("unverified", "plant_admin", "plant_member", "other_plant", "official", "staff"),
        ONLY_FOLLOWERS,
    ),
    (
        "listings:lot_questions",
        "open",
        {"text": "Berapa kadar airnya?"},
        ("unverified", "other_plant"),
        ONLY_QUESTION_READERS,
    ),
    (
        "listings:lot_questions",
        "open",
        {"text": "Berapa kadar airnya?"},
        ("plant_admin", "plant_member", "official", "staff"),
        ONLY_ASKERS,
    ),
    (
        "listings:lot_addendum",
        "open",
        {"text": "Tenggat diperpanjang."},
        ("winner", "loser", "processor", "official", "staff", "other_plant", "unverified"),
        ONLY_PLANT,
    ),
    (
        "listings:visit_slot_new",
        "open",
        {"day": "2030-01-01", "start": "09:00", "end": "10:00", "capacity": "5", "meeting_point": "Gerbang"},
        ("winner", "loser", "processor", "official", "staff", "other_plant", "unverified"),
        ONLY_PLANT,
    ),
    *[
        (
            name,
            "deal",
            {"document": "WX-SP-0000-000000", "reason": "x"},
            ("plant_admin", "plant_member", "winner", "loser", "official", "other_plant"),
            ONLY_STAFF_DOCUMENTS,
        )
        for name in ("documents:revoke", "documents:supersede")
    ],
]


def deal_state(lot: WasteLot) -> tuple:
    lot.refresh_from_db()
    handover = Handover.objects.filter(lot=lot).values_list("carrier", "quantity_received", "route_used").first()
    clarifications = (
        list(lot.questions.values_list("text", "answer")),
        list(lot.addenda.values_list("text", flat=True)),
        lot.quantity,
        lot.closes_at,
        list(VisitSlot.objects.filter(lot=lot).values_list("pk", "cancelled_at")),
        list(VisitBooking.objects.filter(lot=lot).values_list("pk", "people", "plate", "cancelled_at")),
    )
    return lot.status, handover, Rating.objects.filter(lot=lot).count(), lot.transitions.count(), clarifications


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "state", "data", "role", "reason"),
    [(name, state, data, role, reason) for name, state, data, roles, reason in REFUSED_POSTS for role in roles],
)
def test_a_post_the_role_may_not_make_is_refused_with_its_reason(world, name, state, data, role, reason):
    the_lot = world.lots[state]
    before = deal_state(the_lot)
    response = client_for(world, role).post(reverse(name, kwargs={"reference": the_lot.reference}), data)
    assert response.status_code == 403, response.status_code
    assert escape(reason) in response.content.decode()
    assert deal_state(the_lot) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "reason"),
    [
        *[(role, ONLY_ANSWERERS) for role in ("winner", "loser", "processor", "official", "staff")],
        *[(role, ONLY_QUESTION_READERS) for role in ("unverified", "other_plant")],
    ],
)
def test_only_the_plant_answers_questions(world, role, reason):
    the_lot, question = world.lots["open"], world.objects["question"]
    before = deal_state(the_lot)
    response = client_for(world, role).post(
        reverse("listings:question_answer", kwargs={"reference": the_lot.reference, "pk": question.pk}),
        {f"q{question.pk}-answer": "Jawaban palsu"},
    )
    assert response.status_code == 403 and escape(reason) in response.content.decode()
    assert deal_state(the_lot) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "reason"),
    [
        *[(role, ONLY_BOOKERS) for role in ("plant_admin", "plant_member", "official", "staff")],
        *[(role, ONLY_VISIT_READERS) for role in ("unverified", "other_plant")],
    ],
)
def test_only_verified_processors_book_a_site_visit(world, role, reason):
    the_lot, slot = world.lots["open"], world.objects["visit_slot"]
    before = deal_state(the_lot)
    response = client_for(world, role).post(
        reverse("listings:visit_book", kwargs={"reference": the_lot.reference, "pk": slot.pk}),
        {"visitors": "Penyusup Satu", "plate": "X 1 X"},
    )
    assert response.status_code == 403 and escape(reason) in response.content.decode()
    assert deal_state(the_lot) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["winner", "loser", "processor", "official", "other_plant", "unverified"])
def test_only_the_plant_and_staff_print_the_gate_list_and_cancel_slots(world, role):
    the_lot, slot = world.lots["open"], world.objects["visit_slot"]
    before = deal_state(the_lot)
    client = client_for(world, role)
    kwargs = {"reference": the_lot.reference, "pk": slot.pk}
    response = client.get(reverse("listings:visit_gate_list", kwargs=kwargs))
    assert response.status_code == 403 and escape(ONLY_GATE_LIST) in response.content.decode()
    response = client.post(reverse("listings:visit_slot_cancel", kwargs=kwargs))
    assert response.status_code == 403 and escape(ONLY_PLANT) in response.content.decode()
    # nobody but the winner's organisation, which booked it, cancels the winner's booking: a 404, as if none
    response = client.post(
        reverse(
            "listings:visit_booking_cancel",
            kwargs={"reference": the_lot.reference, "pk": world.objects["visit_booking"].pk},
        )
    )
    # (another plant and an unverified business may not read the lot's visits at all: 403 with the reason)
    expected = {"winner": 302, "unverified": 403, "other_plant": 403}.get(role, 404)
    assert response.status_code == expected
    if role != "winner":
        assert deal_state(the_lot) == before


@pytest.mark.django_db
def test_the_proof_refusal_says_who_may_see_it(world):
    response = client_for(world, "loser").get(
        reverse("listings:proof", kwargs={"reference": world.lots["deal"].reference})
    )
    assert response.status_code == 403 and escape(PROOF_PARTIES) in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["plant_admin", "winner", "official", "unverified"])
def test_staff_pages_tell_others_they_are_for_staff(world, role):
    client = client_for(world, role)
    for url in (
        reverse("members:staff_organisation_list"),
        reverse("members:staff_licence_list"),
        reverse("members:staff_organisation_review", kwargs={"slug": world.organisations["unverified"].slug}),
    ):
        response = client.get(url)
        assert response.status_code == 403 and ONLY_STAFF in response.content.decode(), url
    licence = world.objects["licence"]
    before = licence.status
    response = client.post(reverse("members:staff_licence_review", kwargs={"pk": licence.pk}), {"action": "verify"})
    assert response.status_code == 403
    licence.refresh_from_db()
    assert licence.status == before


@pytest.mark.django_db
def test_a_plant_cannot_bid_and_is_told_why(world):
    the_lot = world.lots["open"]
    client = client_for(world, "plant_admin")
    response = client.post(
        reverse("listings:bid_submit", kwargs={"reference": the_lot.reference}),
        {"price_per_unit": "1", "quantity": "1", "pickup_date": "2030-01-01", "route": "reuse"},
        follow=True,
    )
    assert "Only processing businesses can bid." in response.content.decode()
    assert not the_lot.bids.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [role for role in ROLES if role != "plant_admin"])
@pytest.mark.parametrize("name", ["api_webhooks", "api_webhook_pause", "api_webhook_delete", "api_webhook_test"])
def test_webhooks_are_its_admins_own(world, role, name):
    """A member, another organisation's admin, staff, a visitor: none lists, adds, pauses, deletes or tests the
    plant's webhooks (404, or the log-in page for a visitor), and nothing changes."""
    from api.models import WebhookDelivery, WebhookSubscription

    webhook = world.objects["webhook"]
    slug = world.organisations["plant"].slug
    kwargs = {"slug": slug} if name == "api_webhooks" else {"slug": slug, "pk": webhook.pk}
    data = {"url": "http://127.0.0.1:9/other", "events": ["new_bid"]}
    before = list(WebhookSubscription.objects.values_list("pk", "is_active", "url"))
    deliveries = WebhookDelivery.objects.filter(subscription=webhook).count()
    response = client_for(world, role).post(reverse(name, kwargs=kwargs), data)
    assert response.status_code == (302 if role == "visitor" else 404), response.status_code
    if role == "visitor":
        assert "/accounts/login/" in response.url
    assert list(WebhookSubscription.objects.values_list("pk", "is_active", "url")) == before
    assert WebhookDelivery.objects.filter(subscription=webhook).count() == deliveries  # no test delivery
