"""Bahasa Indonesia by default, English one click away, and every string translated."""

import gettext
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.mark.django_db
def test_indonesian_is_the_default_even_for_an_english_browser():
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("landing"))
    body = response.content.decode()
    assert '<html lang="id">' in body
    assert "Bergabung" in body or "Daftar" in body
    assert response["Content-Language"] == "id"


@pytest.mark.django_db
def test_switching_language_sets_a_cookie_and_returns_to_the_page():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response["Location"] == reverse("login")
    assert response.cookies["django_language"].value == "en"
    assert '<html lang="en">' in client.get(reverse("login")).content.decode()


@pytest.mark.django_db
def test_switching_language_is_remembered_for_the_person(plant_admin):
    client = Client()
    client.force_login(plant_admin)
    client.post(reverse("set_language"), {"language": "id", "next": "/home/"})
    plant_admin.refresh_from_db()
    assert plant_admin.language == "id"
    # On another device (no cookie) the saved choice applies.
    other = Client()
    other.force_login(plant_admin)
    assert '<html lang="id">' in other.get(reverse("home")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_language_switch_never_redirects_off_site(next_url):
    response = Client().post(reverse("set_language"), {"language": "en", "next": next_url})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_unknown_language_is_ignored():
    client = Client()
    response = client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    assert "django_language" not in response.cookies
    assert '<html lang="id">' in client.get("/").content.decode()


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr(s) and flags (enough for our own catalogue)."""
    entries, entry, key = [], None, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"flags": "", "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"] += line
        elif line.startswith("#"):
            continue
        else:
            match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[(\d+)\])?|msgctxt)\s+"(.*)"$', line)
            if match:
                key = match.group(1) if not match.group(2) else f"msgstr[{match.group(2)}]"
                value = match.group(3)
            else:
                value = re.match(r'^"(.*)"$', line).group(1)
            if key.startswith("msgstr"):
                entry["msgstr"][key] = entry["msgstr"].get(key, "") + value
            else:
                entry[key] = entry.get(key, "") + value
    return entries


def unescape(value: str) -> str:
    return value.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = [e for e in parse_po(PO) if e.get("msgid")]
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not all(e["msgstr"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_survive_translation():
    for entry in parse_po(PO):
        if not entry.get("msgid"):
            continue
        wanted = sorted(set(re.findall(r"%\(\w+\)[sd]", entry["msgid"])))
        for msgstr in entry["msgstr"].values():
            assert sorted(set(re.findall(r"%\(\w+\)[sd]", msgstr))) == wanted, entry["msgid"]


def test_compiled_catalogue_matches_the_po_file():
    catalogue = gettext.GNUTranslations(MO.open("rb"))
    for entry in parse_po(PO):
        if not entry.get("msgid") or "msgid_plural" in entry or "msgctxt" in entry:
            continue
        assert catalogue.gettext(unescape(entry["msgid"])) == unescape(entry["msgstr"]["msgstr"]), entry["msgid"]


def test_no_string_in_the_code_is_missing_from_the_catalogue(tmp_path):
    """Run makemessages on a copy of the code: it must find nothing new to translate."""
    if not shutil.which("xgettext"):
        if IN_CI:
            pytest.fail("CI installs gettext; xgettext is missing")
        pytest.skip("GNU gettext (xgettext) not installed")
    apps = [p.name for p in ROOT.iterdir() if (p / "apps.py").is_file() or (p / "celery.py").is_file()]
    for name in ("manage.py", "templates", "locale", *apps):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy(source, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "id", "--no-obsolete"],
        cwd=tmp_path,
        env={**env, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "wastex.settings", "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    fresh = parse_po(tmp_path / "locale" / "id" / "LC_MESSAGES" / "django.po")
    missing = [e["msgid"] for e in fresh if e.get("msgid") and (not all(e["msgstr"].values()) or "fuzzy" in e["flags"])]
    assert missing == [], "run `make messages` and translate these"
