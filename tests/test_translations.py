"""The Chinese catalogue is complete and the compiled .mo matches the .po."""

import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(text):
    """(msgid, msgstr) pairs of a .po file; plural forms use msgstr[0]."""
    entries, current, key = [], {}, None
    for line in text.splitlines() + [""]:
        if not line.strip():
            if current:
                entries.append(current)
            current, key = {}, None
        elif line.startswith("#"):
            current.setdefault("flags", "")
            if line.startswith("#,"):
                current["flags"] += line
        elif line.startswith(('msgid ', 'msgid_plural ', 'msgstr ', 'msgstr[0] ', 'msgctxt ')):
            key, _sep, value = line.partition(" ")
            current[key] = value.strip().strip('"')
        elif line.startswith('"') and key:
            current[key] += line.strip().strip('"')
    return entries


def test_every_message_has_a_chinese_translation():
    entries = [e for e in _entries((LOCALE / "django.po").read_text()) if e.get("msgid")]
    assert len(entries) > 200
    untranslated = [e["msgid"] for e in entries
                    if not (e.get("msgstr") or e.get("msgstr[0]"))]
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e.get("flags", "")]
    assert untranslated == [] and fuzzy == []


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
def test_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(LOCALE / "django.po")],
                   check=True)
    assert compiled.read_bytes() == (LOCALE / "django.mo").read_bytes(), "run make messages"
