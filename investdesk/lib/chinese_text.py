"""Chinese text for search: simplified/traditional folding and pinyin keys.

A record stores one `search_text` built by `search_key(...)` from its names; a query is folded with
`normalize_query` and matched with a plain case-insensitive containment, so 成都, 成都 in 繁體,
"chengdu" and the initials "cd" all find the same row, on SQLite and PostgreSQL alike.
"""

import functools
import re
import unicodedata

from opencc import OpenCC
from pypinyin import Style, lazy_pinyin

_SPACES = re.compile(r"\s+")


@functools.cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text) if text else ""


def fold(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", to_simplified(text)).strip().lower()


def pinyin_keys(text: str) -> tuple[str, str]:
    """Full pinyin without spaces and the initials: 成都市 → ("chengdushi", "cds")."""
    syllables = [s for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if s.strip()]
    full = "".join(syllables).lower()
    initials = "".join(s[0] for s in syllables).lower()
    return full, initials


def search_key(*parts: str | None) -> str:
    """The text a record is searched by: its folded names plus their pinyin and initials."""
    keys: list[str] = []
    for part in parts:
        if part:
            keys.extend(part_keys(part))
    return " | ".join(dict.fromkeys(keys))


@functools.lru_cache(maxsize=65_536)
def part_keys(part: str) -> tuple[str, ...]:
    """One name's keys: folded, full pinyin, initials (cached: people's and places' names repeat)."""
    folded = fold(part)
    full, initials = pinyin_keys(folded)
    return tuple(k for k in (folded.replace(" ", ""), full, initials) if k)


def normalize_query(q: str | None) -> str:
    """Fold a query the way search_key folded the records; pinyin queries pass through lowered."""
    return fold(q or "").replace(" ", "")
