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
from pypinyin.core import Pinyin

_SPACES = re.compile(r"\s+")


@functools.cache
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@functools.cache
def _t2s_triggers() -> frozenset[str]:
    """The characters without which OpenCC's t2s leaves a text as it is: every character it maps,
    and the characters of the few phrases it rewrites that contain none of those (沈默 → 沉默).

    OpenCC's Python port walks its dictionaries character by character (about 50 µs for a company
    name); most texts are already simplified and are returned at once."""
    dictionaries = [mapping for group in _t2s()._dict_chain_data for _max, _min, mapping in group]
    chars = {key for mapping in dictionaries for key in mapping if len(key) == 1}
    for mapping in dictionaries:
        for key, value in mapping.items():
            if len(key) > 1 and value != key and chars.isdisjoint(key):
                chars.update(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    if not text or text.isascii() or _t2s_triggers().isdisjoint(text):
        return text or ""
    return _t2s().convert(text)


def fold(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    return _SPACES.sub(" ", to_simplified(text)).strip().lower()


_segmenter = Pinyin()


@functools.lru_cache(maxsize=65_536)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(lazy_pinyin(word, style=Style.NORMAL, errors="ignore"))


def pinyin_keys(text: str) -> tuple[str, str]:
    """Full pinyin without spaces and the initials: 成都市 → ("chengdushi", "cds").

    pypinyin reads each word of its segmentation on its own, so the words' readings are cached:
    enterprise names are made of the same few thousand words (places, trades, 有限公司)."""
    words = _segmenter.seg(text) if text else []
    syllables = [s for word in words for s in _word_pinyin(word) if s.strip()]
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
