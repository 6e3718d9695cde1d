"""The zh-Hant catalogue is complete, zh-Hant is the default, and English is one switch away.

The code's msgids are English; locale/zh_Hant/LC_MESSAGES/django.po supplies the Chinese.
A msgid without a translation would show English to every city user, and Django ignores
fuzzy entries, so both count as gaps. The compiled .mo is not committed (`make` builds it);
the page tests compile it here when it is missing or stale, and skip without gettext.
"""

import ast
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import setting_changed
from django.utils import translation

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hant" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
BROWSER_EN = "en-US,en;q=0.9"


def _unquote(text):
    # A PO string is a C-style quoted string; Python's literal syntax reads it the same way
    # for the escapes gettext writes (\" \\ \n \t).
    return ast.literal_eval(text)


def parse_po(path):
    """The catalogue's live entries as dicts: msgid, msgid_plural, msgstrs {index: text}, flags.

    gettext writes one entry per blank-line-separated block; obsolete (#~) entries are skipped.
    """
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstrs": {}, "flags": set()}
        field = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif match := re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line):
                keyword, index, value = match.groups()
                if keyword == "msgstr":
                    field = int(index or 0)
                    entry["msgstrs"][field] = _unquote(value)
                else:
                    field = keyword
                    entry[keyword] = _unquote(value)
            elif line.startswith('"') and field is not None:
                if isinstance(field, int):
                    entry["msgstrs"][field] += _unquote(line)
                else:
                    entry[field] += _unquote(line)
        if entry["msgid"]:  # skips the header (msgid "") and obsolete or comment-only blocks
            entries.append(entry)
    return entries


def test_zh_hant_catalogue_has_no_untranslated_or_fuzzy_entry():
    entries = parse_po(PO_PATH)
    assert len(entries) > 100, "the catalogue looks empty: run makemessages -l zh_Hant"
    untranslated = [e["msgid"] for e in entries if not e["msgstrs"] or not all(e["msgstrs"].values())]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [], f"{len(untranslated)} msgid(s) without a zh-Hant translation: {untranslated[:10]}"
    assert fuzzy == [], f"{len(fuzzy)} fuzzy entr(y/ies), which Django ignores: {fuzzy[:10]}"


def test_zh_hant_translations_keep_their_placeholders():
    placeholder = re.compile(r"%\(\w+\)[sdf]|\{\{\s*\w+\s*\}\}")
    wrong = []
    for e in parse_po(PO_PATH):
        if "python-format" not in e["flags"]:
            continue
        wanted = sorted(placeholder.findall(e["msgid"]))
        for msgstr in e["msgstrs"].values():
            if sorted(placeholder.findall(msgstr)) != wanted:
                wrong.append((e["msgid"], msgstr))
    assert wrong == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_zh_hant_catalogue_passes_msgfmt_check():
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(PO_PATH)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.fixture(scope="session")
def compiled_catalogue():
    """The zh-Hant .mo, compiled from the .po when it is missing or older."""
    if MO_PATH.exists() and MO_PATH.stat().st_mtime >= PO_PATH.stat().st_mtime:
        return MO_PATH
    if shutil.which("msgfmt") is None:
        pytest.skip(f"{MO_PATH.name} is not compiled and gettext's msgfmt is not installed (run `make messages`)")
    # Compile beside the target and rename: atomic, so parallel test workers never read half a file.
    fd, tmp = tempfile.mkstemp(suffix=".mo", dir=MO_PATH.parent)
    os.close(fd)
    try:
        subprocess.run(["msgfmt", "--check-format", "-o", tmp, str(PO_PATH)], check=True, capture_output=True)
        os.replace(tmp, MO_PATH)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    # Forget any catalogue this process loaded before the .mo existed, the way Django's
    # test machinery does when LOCALE_PATHS changes.
    setting_changed.send(
        sender=settings._wrapped.__class__, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )
    return MO_PATH


def test_pages_are_in_zh_hant_even_for_an_english_browser(client, staff, compiled_catalogue):
    client.force_login(staff)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=BROWSER_EN)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="zh-Hant-TW">' in body
    assert "登出" in body
    assert "施政計畫" in body
    assert "待填報" in body
    assert "Sign out" not in body


def test_switching_to_english_sticks(client, staff, compiled_catalogue):
    client.force_login(staff)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=BROWSER_EN)
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Sign out" in body
    assert "My updates" in body
    assert "登出" not in body

    client.post("/i18n/setlang/", {"language": "zh-hant", "next": "/"})
    body = client.get("/", HTTP_ACCEPT_LANGUAGE=BROWSER_EN).content.decode()
    assert "登出" in body


# --- Labels read in the request's language ----------------------------------------------------


def test_choice_label_reads_as_django_display_in_either_language(compiled_catalogue):
    """`common.wording.choice_label` is what `get_FOO_display()` returns, without rebuilding the
    field's choices (the KPI page's record asks for dozens of labels)."""
    from common.wording import choice_label
    from kpi.models import ReportAction, ReportEvent, ReportStatus, TargetRevision

    for language in ("zh-hant", "en"):
        with translation.override(language):
            for action in ReportAction.values:
                assert choice_label(ReportAction, action) == ReportEvent(action=action).get_action_display()
            for source in TargetRevision.Source.values:
                assert choice_label(TargetRevision.Source, source) == TargetRevision(source=source).get_source_display()
            # Not one of the choices: shown as stored, as Django shows it.
            assert choice_label(ReportStatus, "archived") == "archived"
            assert ReportEvent(action="archived").get_action_display() == "archived"
    with translation.override("zh-hant"):
        zh = choice_label(ReportAction, ReportAction.APPROVED)
    with translation.override("en"):
        assert choice_label(ReportAction, ReportAction.APPROVED) == "Approved" != zh


def test_unit_symbols_follow_the_language(compiled_catalogue):
    from kpi.models import Unit
    from kpi.units import symbol

    with translation.override("zh-hant"):
        assert [symbol(u) for u in Unit.values] == ["%", "式", "場", "件", "處"]
    with translation.override("en"):
        assert [symbol(u) for u in Unit.values] == ["%", "set", "sessions", "cases", "places"]
    assert symbol("噸") == "噸"  # not a unit of the plan: written as stored
