"""The quick paths the import takes (USCC check, 繁→简, pinyin) give exactly what the libraries give."""

import random

import pytest
from opencc import OpenCC
from pypinyin import Style, lazy_pinyin
from stdnum.cn import uscc as stdnum_uscc

from investdesk.core.generate import BRAND, GIVEN, SURNAMES, TRADES
from investdesk.lib import chinese_text
from investdesk.lib.identifiers import IdentifierError, _uscc_quick, make_uscc, validate_uscc

NAMES = [
    "成都华兴电子科技有限公司",
    "四川长虹电器股份有限公司",
    "重庆银行成都分行",
    "臺灣積體電路製造股份有限公司",
    "沈默是金文化传媒",  # 沈默 → 沉默 although 沈 alone stays 沈
    "沈阳沈船重工",
    "乾隆茶業",
    "著名企業發展",
    "ＡＢＣ科技（成都）有限公司",
    "Sichuan Tianfu Brewing Co., Ltd.",
    "",
    "王磊",
    "欧阳晓",
]


def _corpus() -> list[str]:
    rng = random.Random(7)
    people = [rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) for _ in range(300)]
    brands = [rng.choice(BRAND) + rng.choice(BRAND) + rng.choice(words) for _c, _n, words in TRADES for _ in range(40)]
    made = people + [brand + "有限公司" for brand in brands]
    to_traditional = OpenCC("s2t")
    return NAMES + made + [to_traditional.convert(name) for name in made]


def test_to_simplified_matches_opencc_on_every_text():
    t2s = OpenCC("t2s")
    for text in _corpus():
        assert chinese_text.to_simplified(text) == t2s.convert(text), text


def test_the_phrase_only_conversions_are_kept():
    assert chinese_text.to_simplified("沈默") == "沉默"
    assert chinese_text.to_simplified("沈阳") == "沈阳"
    assert "沈" in chinese_text._t2s_triggers()


def test_pinyin_by_cached_words_matches_pypinyin_on_whole_names():
    for text in _corpus():
        syllables = [s for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore") if s.strip()]
        expected = ("".join(syllables).lower(), "".join(s[0] for s in syllables).lower())
        assert chinese_text.pinyin_keys(text) == expected, text


@pytest.mark.parametrize("seed", [1, 2])
def test_quick_uscc_check_agrees_with_stdnum(seed):
    rng = random.Random(seed)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    valid = [
        make_uscc(division=str(rng.randrange(110000, 660000)), organisation="".join(rng.choices(alphabet, k=9)))
        for _ in range(500)
    ]
    noise = ["".join(rng.choices(alphabet + "IOZSV- ab", k=rng.choice([17, 18, 19]))) for _ in range(2000)]
    typos = [code[:5] + alphabet[(alphabet.index(code[5]) + 1) % 31] + code[6:] for code in valid[:200]]
    spaced = [f" {code[:6]} {code[6:]} ".lower() for code in valid[:100]]
    spaced += [code[:8] + "–" + code[8:] for code in valid[:50]]  # an en dash: stdnum's path
    for value in valid + noise + typos + spaced:
        try:
            expected = stdnum_uscc.validate(value)
        except Exception:
            expected = None
        quick = _uscc_quick(value)
        assert quick is None or quick == expected, value  # never accepts what stdnum refuses
        try:
            assert validate_uscc(value) == expected, value
        except IdentifierError:
            assert expected is None, value
    assert sum(_uscc_quick(v) is not None for v in valid) == len(valid)
