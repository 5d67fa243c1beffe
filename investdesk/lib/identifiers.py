"""Chinese identifiers: the unified social credit code (统一社会信用代码, GB 32100-2015)."""

from django.utils.translation import gettext as _
from stdnum import exceptions
from stdnum.cn import uscc as _uscc


class IdentifierError(ValueError):
    pass


def validate_uscc(value: str) -> str:
    """The compact, upper-case USCC, or IdentifierError saying what is wrong with it."""
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
