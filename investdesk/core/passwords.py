"""Password rules beyond Django's validators (MLPS 2.0 level 3): mixed character classes, no reuse
of the last five, no common word or keyboard pattern at the core; docs/security.md lists where they
deviate from OWASP ASVS."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class CharacterClassValidator:
    """Require characters from at least `min_classes` of: lower case, upper case, digits, symbols."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            [
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            ]
        )

    def validate(self, password: str, user=None) -> None:
        if self.classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(n)d kind of character: lower case, upper case, digits, symbols.",
            "Your password must mix at least %(n)d kinds of characters: lower case, upper case, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}


class PasswordHistoryValidator:
    """Refuse the current password and the last `count` ones (MLPS: no reuse of recent passwords)."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password: str, user=None) -> None:
        if user is None or user.pk is None:
            return
        from django.contrib.auth.hashers import check_password

        from investdesk.core.models import PasswordHistory, User

        current = User.objects.filter(pk=user.pk).values_list("password", flat=True).first()
        previous = PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[: self.count]
        if any(encoded and check_password(password, encoded) for encoded in [current, *previous]):
            raise ValidationError(self.get_help_text(), code="password_reused")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must differ from your current one and your last %(n)d.",
            "Your password must differ from your current one and your last %(n)d.",
            self.count,
        ) % {"n": self.count}


def remember_password(user, keep: int = 5) -> None:
    """Record the user's current (new) password hash and forget all but the last `keep`."""
    from investdesk.core.models import PasswordHistory

    PasswordHistory.objects.create(user=user, password=user.password)
    stale = PasswordHistory.objects.filter(user=user).order_by("-created_at", "-id").values_list("id", flat=True)[keep:]
    PasswordHistory.objects.filter(id__in=list(stale)).delete()


# Keyboard walks and words that sit at the core of passwords seen in breaches, Chinese ones included
# (woaini, 5201314 …). Django's CommonPasswordValidator already refuses 20,000 whole passwords; this
# catches the same cores dressed up to pass the character-class rule, e.g. "P@ssw0rd2024!".
_WEAK_CORES = {
    "password",
    "passwd",
    "admin",
    "administrator",
    "root",
    "welcome",
    "letmein",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "asdfghjkl",
    "zxcvbn",
    "zxcvbnm",
    "qazwsx",
    "qazwsxedc",
    "1qaz2wsx",
    "1q2w3e4r",
    "abc",
    "abcd",
    "abcdef",
    "abcdefg",
    "iloveyou",
    "woaini",
    "aini",
    "woaiwojia",
    "nihao",
    "zhongguo",
    "china",
    "beijing",
    "investdesk",
    "test",
    "guest",
    "user",
    "system",
    "manager",
    "changeme",
    "default",
    "aaaaaa",
    "huawei",
    "baidu",
    "tencent",
    "taobao",
    "alibaba",
    "wangyi",
    "dragon",
    "monkey",
    "football",
}
_LEET = str.maketrans({"@": "a", "4": "a", "0": "o", "1": "i", "!": "i", "3": "e", "$": "s", "5": "s", "7": "t"})
_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")


def _walk(text: str) -> bool:
    """Whether `text` is a run along a keyboard row or the alphabet (forwards or backwards)."""
    return len(text) >= 4 and any(text in row or text in row[::-1] for row in _ROWS)


class BreachedPatternValidator:
    """Refuse passwords whose core is a common word or keyboard walk, once symbols, digits around
    it and look-alike characters (P@ssw0rd) are taken away, and numeric love codes (5201314)."""

    def validate(self, password: str, user=None) -> None:
        lowered = password.lower()
        core = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)  # "Admin@2024!" → "admin"
        unleet = re.sub(r"[\W_]+", "", core.translate(_LEET))  # "p@ssw0rd" → "password"
        candidates = {core, unleet, re.sub(r"[\W_]+", "", lowered), re.sub(r"[\W_\d]+", "", lowered)}
        weak = any(c in _WEAK_CORES or _walk(c) for c in candidates if c)
        if weak or "5201314" in lowered or "1314520" in lowered:
            raise ValidationError(self.get_help_text(), code="password_breached_pattern")

    def get_help_text(self) -> str:
        return _("Your password must not be built on a common word or keyboard pattern (such as P@ssw0rd or 1qaz2wsx).")
