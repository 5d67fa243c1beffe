"""Chinese identifiers: the unified social credit code (统一社会信用代码, GB 32100-2015) and the resident
ID number (居民身份证号, GB 11643-1999)."""

import datetime
import re

from django.utils.translation import gettext as _
from stdnum import exceptions
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc


class IdentifierError(ValueError):
    pass


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9]{8}[0-9A-HJ-NPQRTUWXY]{10}")


def _uscc_quick(value: str) -> str | None:
    """The code if it is a valid one written plainly (ASCII, spaces or hyphens at most), else None.

    The same rules as python-stdnum's, without its per-character Unicode clean-up: an import checks a
    code per row, and this is six times faster. Anything else takes stdnum's path and its messages."""
    if not value.isascii():
        return None
    number = value.replace(" ", "").replace("-", "").upper().strip()
    if not _USCC_SHAPE.fullmatch(number):
        return None
    total = sum(_USCC_VALUE[c] * w for c, w in zip(number, _USCC_WEIGHTS, strict=False))
    return number if number[17] == _USCC_ALPHABET[(31 - total) % 31] else None


def validate_uscc(value: str) -> str:
    """The compact, upper-case USCC, or IdentifierError saying what is wrong with it."""
    quick = _uscc_quick(value or "")
    if quick is not None:
        return quick
    number = _uscc.compact(value or "")
    if len(number) != 18:
        raise IdentifierError(
            _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(number)}
        )
    try:
        return _uscc.validate(number)
    except exceptions.InvalidChecksum:
        raise IdentifierError(
            _("The check digit (the last character) does not match: check the code for a mistyped character.")
        ) from None
    except exceptions.ValidationError:
        raise IdentifierError(
            _(
                "Only digits and capital letters other than I, O, Z, S, V may appear, and the first 8 "
                "characters are digits."
            )
        ) from None


def make_uscc(*, division: str, organisation: str, kind: str = "91") -> str:
    """A valid code from its parts (demo and synthetic data): kind + 6-digit division + 9-char organisation."""
    body = f"{kind}{division}{organisation}".upper()
    if len(body) != 17:
        raise IdentifierError(f"USCC body must be 17 characters, got {len(body)}")
    return body + _uscc.calc_check_digit(body)


def validate_resident_id(value: str) -> str:
    """The 18-character resident ID number (居民身份证号, GB 11643-1999) in upper case, or IdentifierError.

    Checks the length, the digits, the birth date and the check character (ISO 7064 MOD 11-2, X for
    10). The region code is not looked up: codes change, and a valid card keeps its old one.
    """
    number = _ric.compact(value or "")
    if len(number) != 18:
        raise IdentifierError(_("A resident ID number has 18 characters; this one has %(n)d.") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentifierError(_("A resident ID number is 17 digits followed by a digit or X."))
    if number[17] != _ric.calc_check_digit(number):
        raise IdentifierError(
            _("The check character (the last one) does not match: check the number for a mistyped digit.")
        )
    try:
        born = _ric.get_birth_date(number)
    except exceptions.ValidationError:
        born = None
    if born is None or born > datetime.date.today() or born.year < 1900:
        raise IdentifierError(_("Characters 7 to 14 are not a date of birth (YYYYMMDD)."))
    return number


def make_resident_id(body: str) -> str:
    """A valid number from its first 17 digits (demo and synthetic data)."""
    if len(body) != 17 or not body.isdigit():
        raise IdentifierError(f"A resident ID body is 17 digits, got {body!r}")
    return body + _ric.calc_check_digit(body + "0")
