"""Mainland China phone numbers."""

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalize_mobile(value: str) -> str | None:
    """Return the 11-digit mainland mobile number, or None when it is not one.

    Accepts spaces, dashes and a +86 / 0086 / 86 prefix: "+86 138-1234-5678" → "13812345678".
    """
    digits = _SEPARATORS.sub("", value or "")
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    return digits if _MOBILE.match(digits) else None
