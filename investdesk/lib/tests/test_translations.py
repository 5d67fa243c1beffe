"""The Chinese catalogue is complete, and the committed .mo is compiled from the committed .po."""

import ast
import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries() -> list[tuple[str, str, bool, str | None]]:
    """(msgid, first msgstr, fuzzy, context) for every entry of the .po but the header."""
    text = (LOCALE / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        fuzzy = "#, fuzzy" in block
        strings: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            match = re.match(r"^(msgctxt|msgid|msgid_plural|msgstr(?:\[0\])?) (\".*\")$", line)
            if match:
                key = match.group(1)
                strings[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                strings[key] += ast.literal_eval(line)
        if strings.get("msgid"):
            entries.append(
                (strings["msgid"], strings.get("msgstr", strings.get("msgstr[0]", "")), fuzzy, strings.get("msgctxt"))
            )
    return entries


def test_every_message_has_a_chinese_translation():
    entries = _entries()
    assert len(entries) > 100
    missing = [msgid for msgid, msgstr, fuzzy, _ in entries if not msgstr or fuzzy]
    assert missing == [], f"untranslated or fuzzy in zh_Hans: {missing}"


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _, context in _entries()
        if "%" not in msgid and (compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)) != msgstr
    ]
    assert stale == [], f"django.mo is older than django.po; run `make messages`: {stale[:5]}"
