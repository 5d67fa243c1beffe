"""Sichuan's 21 cities and prefectures (市州), with the GB/T 2260 code of each.

Enterprises are registered in one, projects land in one, and each has a city bureau.
"""

SICHUAN_CITIES: list[tuple[str, str, str]] = [
    # (code used in URLs and data, name, GB/T 2260 administrative division code)
    ("chengdu", "成都市", "510100"),
    ("zigong", "自贡市", "510300"),
    ("panzhihua", "攀枝花市", "510400"),
    ("luzhou", "泸州市", "510500"),
    ("deyang", "德阳市", "510600"),
    ("mianyang", "绵阳市", "510700"),
    ("guangyuan", "广元市", "510800"),
    ("suining", "遂宁市", "510900"),
    ("neijiang", "内江市", "511000"),
    ("leshan", "乐山市", "511100"),
    ("nanchong", "南充市", "511300"),
    ("meishan", "眉山市", "511400"),
    ("yibin", "宜宾市", "511500"),
    ("guangan", "广安市", "511600"),
    ("dazhou", "达州市", "511700"),
    ("yaan", "雅安市", "511800"),
    ("bazhong", "巴中市", "511900"),
    ("ziyang", "资阳市", "512000"),
    ("aba", "阿坝州", "513200"),
    ("ganzi", "甘孜州", "513300"),
    ("liangshan", "凉山州", "513400"),
]

CITY_CHOICES = [(code, name) for code, name, _ in SICHUAN_CITIES]
CITY_NAMES = {code: name for code, name, _ in SICHUAN_CITIES}
CITY_DIVISION_CODES = {code: division for code, _, division in SICHUAN_CITIES}


def city_from_text(text: str) -> str | None:
    """The city code for what people type: 成都, 成都市, chengdu, 阿坝, 阿坝藏族羌族自治州 …"""
    value = (text or "").strip().lower()
    if not value:
        return None
    for code, name, _ in SICHUAN_CITIES:
        short = name[:-1]  # 成都市 → 成都, 阿坝州 → 阿坝
        if value in (code, name, short) or value.startswith(short):
            return code
    return None
