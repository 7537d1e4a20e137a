"""The yearly evidence pack of a plant (/my/evidence/<year>/): the ZIP (summary PDF, CSV, documents), its
figures equal to the dashboard's, who may not have it, bad years, the task's idempotence and the progress the
page shows."""

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pypdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core import numbers
from dashboard.filters import Selection
from dashboard.selectors import Scope, dashboard_figures
from documents import evidence, evidence_build
from documents.evidence_models import EvidencePack
from documents.models import Document
from documents.services import documents_generate_missing
from listings.models import Handover, WasteLot
from tests.dashboard.conftest import at, make_contract, make_deal
from tests.factories import OrganisationFactory, log_in, member_of, staff_user

YEAR = timezone.localdate().year


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def plant(db):
    return OrganisationFactory(name="PT Baja Bukti", slug="baja-bukti")


@pytest.fixture
def person(plant):
    return member_of(plant, email="bukti@baja.test")


@pytest.fixture
def banten(db):
    return OrganisationFactory(name="CV Olah Banten", slug="olah-banten", processor=True)


@pytest.fixture
def outside(db):
    return OrganisationFactory(
        name="PT Olah Jabar", slug="olah-jabar", processor=True, province="jawa-barat", kecamatan=""
    )


def deliveries(plant, banten, outside, *, year=YEAR, count=1):
    """`count` rounds of: 120 t steel slag recycled in Banten, 30.5 t fly ash recovered outside Banten, 2,500 kg
    ferrous scrap to energy recovery in Banten, and a monthly slag stream with two deliveries; each one-off lot
    with a manifest number and its documents."""
    lots = []
    for n in range(count):
        lots += [
            make_deal(
                plant=plant, processor=banten, quantity="120", awarded=at(year, 2, 1), completed=at(year, 2, 20),
                route_used="recycling",
            ),
            make_deal(
                plant=plant, processor=outside, code="fly-ash-pltu", quantity="30.5", awarded=at(year, 3, 1),
                completed=at(year, 4, 2), route="material-recovery", route_used="material-recovery",
            ),
            make_deal(
                plant=plant, processor=banten, code="ferrous-scrap", quantity="2500", unit="kg",
                awarded=at(year, 5, 1), completed=at(year, 6, 3), route_used="energy-recovery",
            ),
        ]  # fmt: skip
        for index, lot in enumerate(lots[-3:]):
            Handover.objects.filter(lot=lot).update(manifest_number=f"MNF-{n}-{index}")
        stream = make_contract(
            plant=plant, shares=[(banten, "10", 50_000)], awarded=at(year, 1, 5),
            deliveries=[(0, 1, at(year, 1, 20), "10"), (0, 2, at(year, 2, 20), "9.5")],
        )  # fmt: skip
        lots.append(stream)
    documents_generate_missing(lots=WasteLot.objects.filter(pk__in=[lot.pk for lot in lots]))
    return lots


def selection(year=YEAR):
    return Selection(first=date(year, 1, 1), last=date(year, 12, 31), period="year")


def build_through_the_page(client, person, year=YEAR, *, capture):
    log_in(client, person)
    with capture(execute=True):
        response = client.post(reverse("documents:evidence", kwargs={"year": year}))
    assert response.status_code == 302
    return EvidencePack.objects.get(organisation=person.membership.organisation, year=year)


def download(client, year=YEAR) -> zipfile.ZipFile:
    response = client.get(reverse("documents:evidence_download", kwargs={"year": year}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "private" in response["Cache-Control"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def member(archive: zipfile.ZipFile, suffix: str) -> bytes:
    (name,) = [name for name in archive.namelist() if name.endswith(suffix)]
    return archive.read(name)


def csv_rows(archive, name) -> list[dict]:
    return list(csv.DictReader(io.StringIO(member(archive, f"/csv/{name}.csv").decode())))


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


# --- The ZIP and its figures -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_zip_holds_the_pdf_the_csv_and_the_documents_with_the_dashboards_figures(
    client, plant, person, banten, outside, django_capture_on_commit_callbacks
):
    lots = deliveries(plant, banten, outside)
    # Not in the pack: a delivery of last year, another plant's delivery this year, a deal not yet delivered.
    make_deal(plant=plant, processor=banten, quantity="7", awarded=at(YEAR - 1, 3, 1), completed=at(YEAR - 1, 3, 9))
    other = OrganisationFactory(name="PT Pabrik Lain", slug="pabrik-lain-bukti")
    make_deal(plant=other, processor=banten, quantity="999", awarded=at(YEAR, 3, 1), completed=at(YEAR, 3, 9))
    make_deal(plant=plant, processor=banten, quantity="55", awarded=at(YEAR, 3, 1))

    pack = build_through_the_page(client, person, capture=django_capture_on_commit_callbacks)
    assert pack.status == "ready" and pack.progress == 100 and pack.finished_at is not None

    completed = dashboard_figures(selection(), Scope("plant", plant))["completed"]
    # 120 + 30.5 + 2.5 + 10 + 9.5 t; Banten: all but the fly ash.
    assert completed["tonnes"] == Decimal("172.500")
    assert completed["banten_share"] == Decimal("82.3")

    archive = download(client)
    assert archive.testzip() is None
    names = archive.namelist()
    folder = f"wastex-evidence-{plant.slug}-{YEAR}/"
    assert all(name.startswith(folder) for name in names)

    # 1. The PDF: the totals as the dashboard has them, and every lot with its manifest and document numbers.
    text = pdf_text(member(archive, f"/evidence-{YEAR}.pdf"))
    assert numbers.quantity(completed["tonnes"], "t", language="id").replace("\u00a0", " ") in text
    assert numbers.share(completed["banten_share"], language="id").replace("\u00a0", " ") in text
    assert numbers.quantity(completed["co2e_tonnes"], "t CO2e", language="id").replace("\u00a0", " ") in text
    assert f"PAKET BUKTI TAHUNAN {YEAR}" in text and f"Yearly evidence pack {YEAR}" in text
    assert "Tonase dikirim / Tonnes delivered" in text and "Porsi diolah di Banten / Share processed in Banten" in text
    assert "Jawa Barat" in text and "Banten" in text
    for lot in lots:
        assert lot.reference in text
    for manifest in ("MNF-0-0", "MNF-0-1", "MNF-0-2"):
        assert manifest in text
    documents = Document.objects.filter(plant=plant, status="valid", lot__in=lots)
    assert documents.count() >= 7  # three per one-off lot, the award letter of the stream
    for document in documents:
        assert document.number in text
    assert "999" not in text.replace(str(YEAR), "")  # another plant's 999 t is not counted

    # 2. The CSV: the same figures, each table adding up to the total.
    summary = {row["figure"]: row["value"] for row in csv_rows(archive, "summary")}
    assert summary["tonnes_delivered"] == numbers.plain(completed["tonnes"])
    assert summary["banten_share"] == numbers.plain(completed["banten_share"])
    assert summary["co2e_avoided"] == numbers.plain(completed["co2e_tonnes"])
    assert summary["deliveries_completed"] == str(completed["deals"]) == "5"
    for table, column in (
        ("categories", "tonnes_delivered"),
        ("routes", "tonnes_delivered"),
        ("provinces", "tonnes_delivered"),
    ):
        assert sum(Decimal(row[column]) for row in csv_rows(archive, table)) == completed["tonnes"], table
    provinces = {row["processor_province"]: Decimal(row["share_pct"]) for row in csv_rows(archive, "provinces")}
    assert provinces["Banten"] == completed["banten_share"]
    categories = {row["category"]: row for row in csv_rows(archive, "categories")}
    assert sum(Decimal(row["co2e_avoided_t"]) for row in categories.values()) == completed["co2e_tonnes"]
    assert categories["steel-slag"]["co2e_source"]  # the catalogue's source of the factor
    rows = csv_rows(archive, "deliveries")
    assert len(rows) == 5
    assert {row["manifest_number"] for row in rows} >= {"MNF-0-0", "MNF-0-1", "MNF-0-2"}

    # 3. The documents themselves, byte for byte.
    listed = {row["number"] for row in csv_rows(archive, "documents")}
    assert listed == {document.number for document in documents}
    for document in documents:
        with document.file.open("rb") as handle:
            assert member(archive, f"/documents/{document.number}.pdf") == handle.read()
    assert pack.document_count == len(listed)


@pytest.mark.django_db
def test_a_stream_delivered_over_two_years_brings_only_the_years_periods(plant, banten):
    """The handover record and certificate of each period delivered in the year, and its contract's award letter;
    a period delivered the year before stays in that year's pack."""
    stream = make_contract(
        plant=plant, shares=[(banten, "10", 50_000)], awarded=at(YEAR - 1, 11, 5),
        deliveries=[(0, 1, at(YEAR - 1, 12, 20), "10"), (0, 2, at(YEAR, 1, 20), "9.5")],
    )  # fmt: skip
    documents_generate_missing(lots=WasteLot.objects.filter(pk=stream.pk))
    by_period = {
        (document.kind, document.period.number if document.period else None): document.number
        for document in Document.objects.filter(lot=stream).select_related("period")
    }
    assert len(by_period) == 5

    def of_period(number):
        kinds = ("handover-record", "processing-certificate")
        return {by_period[("award-letter", None)], *(by_period[(kind, number)] for kind in kinds)}

    expected = {YEAR: of_period(2), YEAR - 1: of_period(1)}
    for year, numbers_expected in expected.items():
        pack = EvidencePack.objects.create(organisation=plant, year=year)
        assert evidence_build.build(pack.pk) == "ready"
        pack.refresh_from_db()
        with pack.file.open("rb") as handle:
            archive = zipfile.ZipFile(io.BytesIO(handle.read()))
        included = {
            name.rsplit("/", 1)[-1].removesuffix(".pdf") for name in archive.namelist() if "/documents/" in name
        }
        assert included == numbers_expected, year
        completed = dashboard_figures(selection(year), Scope("plant", plant))["completed"]
        summary = {row["figure"]: row["value"] for row in csv_rows(archive, "summary")}
        assert summary["tonnes_delivered"] == numbers.plain(completed["tonnes"])


@pytest.mark.django_db
def test_text_from_people_is_safe_in_the_csv(
    client, plant, person, banten, outside, django_capture_on_commit_callbacks
):
    lot = make_deal(plant=plant, processor=banten, quantity="5", awarded=at(YEAR, 2, 1), completed=at(YEAR, 2, 5))
    WasteLot.objects.filter(pk=lot.pk).update(title='=HYPERLINK("http://evil.test","klik")')
    Handover.objects.filter(lot=lot).update(manifest_number="+62<b>&")
    build_through_the_page(client, person, capture=django_capture_on_commit_callbacks)
    archive = download(client)
    (row,) = csv_rows(archive, "deliveries")
    assert row["title"].startswith("'=HYPERLINK")
    assert row["manifest_number"] == "'+62<b>&"
    assert "+62<b>&" in pdf_text(member(archive, f"/evidence-{YEAR}.pdf"))


@pytest.mark.django_db
def test_an_empty_year_still_makes_a_pack(client, plant, person, django_capture_on_commit_callbacks):
    pack = build_through_the_page(client, person, year=2020, capture=django_capture_on_commit_callbacks)
    assert pack.status == "ready" and pack.document_count == 0
    archive = download(client, 2020)
    assert "Tidak ada pengiriman pada tahun ini." in pdf_text(member(archive, "/evidence-2020.pdf"))
    assert {row["figure"]: row["value"] for row in csv_rows(archive, "summary")}["tonnes_delivered"] == "0"


@pytest.mark.django_db
def test_the_queries_do_not_grow_with_the_lots(plant, banten, outside):
    deliveries(plant, banten, outside, count=1)
    small = EvidencePack.objects.create(organisation=plant, year=YEAR)
    with CaptureQueriesContext(connection) as few:
        assert evidence_build.build(small.pk) == "ready"
    deliveries(plant, banten, outside, count=4)
    large = EvidencePack.objects.create(organisation=plant, year=YEAR, generation=2)
    with CaptureQueriesContext(connection) as many:
        assert evidence_build.build(large.pk) == "ready"

    def counted(context):
        # The progress is written every few per cent (at most twenty times), whatever the size.
        progress = [
            q for q in context.captured_queries if q["sql"].startswith('UPDATE "documents_evidencepack" SET "progress"')
        ]
        assert len(progress) <= 20
        return len(context.captured_queries) - len(progress)

    # The one more: the second generation clears the first one's file (an UPDATE).
    assert counted(many) == counted(few) + 1, [q["sql"][:120] for q in many.captured_queries]
    # The first generation's file went when the second was ready.
    small.refresh_from_db()
    large.refresh_from_db()
    assert not small.file and large.file


# --- Who may not ---------------------------------------------------------------------------------------------------


PATHS = ("documents:evidence", "documents:evidence_status", "documents:evidence_download")


@pytest.mark.django_db
def test_another_plant_gets_its_own_pack_never_this_ones(
    client, plant, person, banten, outside, django_capture_on_commit_callbacks
):
    deliveries(plant, banten, outside)
    build_through_the_page(client, person, capture=django_capture_on_commit_callbacks)
    stranger = member_of(OrganisationFactory(name="PT Tetangga", slug="tetangga"), email="oki@tetangga.test")
    client.logout()
    log_in(client, stranger)
    page = client.get(reverse("documents:evidence", kwargs={"year": YEAR}))
    assert page.status_code == 200
    assert "PT Tetangga" in page.content.decode() and "PT Baja Bukti" not in page.content.decode()
    assert client.get(reverse("documents:evidence_download", kwargs={"year": YEAR})).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:evidence", kwargs={"year": YEAR}))
    archive = download(client)
    text = pdf_text(member(archive, f"/evidence-{YEAR}.pdf"))
    assert "PT Tetangga" in text and "PT Baja Bukti" not in text and "MNF-0-0" not in text
    assert not [name for name in archive.namelist() if "/documents/WX-" in name]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["processor", "official", "operator", "staff", "unverified_plant"])
def test_who_may_not_open_it_is_told_why(client, plant, person, who, django_capture_on_commit_callbacks):
    EvidencePack.objects.create(organisation=plant, year=YEAR, status="ready", progress=100)
    if who == "staff":
        user = staff_user(email="staf@wastex.test")
    else:
        kind = {"processor": {"processor": True}, "official": {"authority": True}, "operator": {"operator": True}}
        organisation = OrganisationFactory(**kind.get(who, {"unverified": who == "unverified_plant"}))
        user = member_of(organisation, email=f"{who}@x.test")
    log_in(client, user)
    for name in PATHS:
        response = client.get(reverse(name, kwargs={"year": YEAR}))
        assert response.status_code == 403, (name, response.status_code)
        assert "evidence pack" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("documents:evidence", kwargs={"year": YEAR})).status_code == 403
    assert EvidencePack.objects.count() == 1


@pytest.mark.django_db
def test_visitors_are_sent_to_log_in(client):
    for name in PATHS:
        response = client.get(reverse(name, kwargs={"year": YEAR}))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("year", ["2019", str(YEAR + 1), "0", "99999999999999999999999", "0202"])
def test_a_year_out_of_bounds_is_a_404_with_the_reason(client, person, year):
    log_in(client, person)
    for name in PATHS:
        response = client.get(f"/my/evidence/{year}/" + {"documents:evidence": ""}.get(name, name.split("_")[-1] + "/"))
        assert response.status_code == 404, (name, year)
        assert "choose a year from 2020" in response.content.decode()
    response = client.post(f"/my/evidence/{year}/")
    assert response.status_code == 404
    assert not EvidencePack.objects.exists()


@pytest.mark.django_db
def test_a_year_that_is_not_a_number_is_a_404(client, person):
    log_in(client, person)
    assert client.get("/my/evidence/abcd/").status_code == 404
    assert client.get("/my/evidence/-1/").status_code == 404


# --- The task: idempotent; the progress the page shows --------------------------------------------------------------


@pytest.mark.django_db
def test_the_task_is_idempotent_and_asking_again_reuses_the_build(plant, person, banten, outside):
    deliveries(plant, banten, outside)
    first = evidence.evidence_request(organisation=plant, year=YEAR, acting_user=person)
    again = evidence.evidence_request(organisation=plant, year=YEAR, acting_user=person)
    assert again.pk == first.pk and first.status == "pending" and first.generation == 1
    assert evidence_build.build(first.pk) == "ready"
    first.refresh_from_db()
    name, digest = first.file.name, first.sha256
    # A duplicate message, or a second worker, changes nothing.
    assert evidence_build.build(first.pk) == "ready"
    first.refresh_from_db()
    assert (first.file.name, first.sha256, first.status) == (name, digest, "ready")
    assert EvidencePack.objects.count() == 1
    # Asking after it finished builds the next generation (today's data); the last ready one stays downloadable.
    second = evidence.evidence_request(organisation=plant, year=YEAR, acting_user=person)
    assert second.generation == 2 and second.status == "pending"
    assert evidence.latest_ready_pack(plant, YEAR).pk == first.pk
    # A pack being built is not claimed twice.
    EvidencePack.objects.filter(pk=second.pk).update(status="running", started_at=timezone.now())
    assert evidence_build.build(second.pk) == "running"
    assert evidence.evidence_request(organisation=plant, year=YEAR).pk == second.pk


@pytest.mark.django_db
def test_the_page_shows_the_progress_then_the_download(client, plant, person):
    log_in(client, person)
    url = reverse("documents:evidence", kwargs={"year": YEAR})
    status_url = reverse("documents:evidence_status", kwargs={"year": YEAR})
    page = client.get(url).content.decode()
    assert 'data-testid="evidence-build"' in page and status_url not in page

    pack = evidence.evidence_request(organisation=plant, year=YEAR, acting_user=person)  # waiting for a worker
    body = client.get(status_url).content.decode()
    assert 'data-status="pending"' in body and f'hx-get="{status_url}"' in body and 'hx-trigger="every 2s"' in body
    assert 'data-testid="evidence-build"' not in body

    EvidencePack.objects.filter(pk=pack.pk).update(status="running", progress=40, started_at=timezone.now())
    body = client.get(status_url).content.decode()
    assert 'data-status="running"' in body and 'value="40"' in body and "hx-trigger" in body

    EvidencePack.objects.filter(pk=pack.pk).update(status="pending", progress=0)
    evidence_build.build(pack.pk)
    body = client.get(status_url).content.decode()
    assert 'data-status="ready"' in body and status_url not in body
    assert reverse("documents:evidence_download", kwargs={"year": YEAR}) in body


@pytest.mark.django_db
def test_a_failed_build_says_so_and_can_be_tried_again(
    client, plant, person, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(figures):
        raise RuntimeError("the printer caught fire")

    monkeypatch.setattr(evidence_build.evidence_pdf, "render", broken)
    pack = build_through_the_page(client, person, capture=django_capture_on_commit_callbacks)
    assert pack.status == "failed" and "printer" in pack.error and not pack.file
    page = client.get(reverse("documents:evidence", kwargs={"year": YEAR})).content.decode()
    assert 'data-testid="evidence-failed"' in page and "Try again" in page and "printer" not in page
    assert client.get(reverse("documents:evidence_download", kwargs={"year": YEAR})).status_code == 404

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:evidence", kwargs={"year": YEAR}))
    retried = evidence.latest_pack(plant, YEAR)
    assert retried.generation == 2 and retried.status == "ready"
    assert download(client).testzip() is None


@pytest.mark.django_db
def test_a_build_whose_worker_died_counts_as_failed(client, plant, person):
    pack = evidence.evidence_request(organisation=plant, year=YEAR)
    EvidencePack.objects.filter(pk=pack.pk).update(status="running", started_at=timezone.now() - timedelta(hours=1))
    log_in(client, person)
    body = client.get(reverse("documents:evidence_status", kwargs={"year": YEAR})).content.decode()
    assert 'data-status="failed"' in body and "hx-get" not in body
    fresh = evidence.evidence_request(organisation=plant, year=YEAR)
    assert fresh.generation == 2
    pack.refresh_from_db()
    assert pack.status == "failed" and "stalled" in pack.error


@pytest.mark.django_db
def test_a_build_left_waiting_for_a_worker_can_be_handed_over_again(
    client, plant, person, django_capture_on_commit_callbacks
):
    """The broker was down when it was asked for: after a while the page offers to ask again, which hands the same
    build to a worker (no second generation)."""
    pack = evidence.evidence_request(organisation=plant, year=YEAR)  # its dispatch never ran (no commit here)
    log_in(client, person)
    status_url = reverse("documents:evidence_status", kwargs={"year": YEAR})
    assert 'data-testid="evidence-build"' not in client.get(status_url).content.decode()
    EvidencePack.objects.filter(pk=pack.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    body = client.get(status_url).content.decode()
    assert 'data-testid="evidence-build"' in body and "Ask again" in body and 'hx-trigger="every 2s"' in body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("documents:evidence", kwargs={"year": YEAR}))
    pack.refresh_from_db()
    assert pack.status == "ready" and EvidencePack.objects.count() == 1


@pytest.mark.django_db
def test_the_plant_dashboard_links_to_the_pack(client, person):
    log_in(client, person)
    body = client.get(reverse("dashboard:dashboard")).content.decode()
    assert reverse("documents:evidence", kwargs={"year": YEAR}) in body


@pytest.mark.django_db
def test_the_page_and_its_refusals_speak_indonesian(client, plant, person):
    client.cookies["django_language"] = "id"
    log_in(client, person)
    body = client.get(reverse("documents:evidence", kwargs={"year": YEAR})).content.decode()
    assert f"Paket bukti tahunan {YEAR}" in body and "Buat paket bukti" in body
    client.logout()  # which forgets the language cookie too
    client.cookies["django_language"] = "id"
    log_in(client, member_of(OrganisationFactory(processor=True), email="olah@x.test"))
    body = client.get(reverse("documents:evidence", kwargs={"year": YEAR})).content.decode()
    assert "Paket bukti tahunan khusus untuk anggota pabrik industri." in body
