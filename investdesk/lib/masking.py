"""The one place personal data is masked for lists and exports (138****5678).

Every list, export and API list calls these; only detail pages shown to a permitted user
show the full value, and that view is audited.
"""

import re

_DIGITS = re.compile(r"\d")


def mask_phone(value: str | None) -> str:
    """Mask a mobile or landline number, keeping the first 3 and last 4 digits."""
    if not value:
        return ""
    value = str(value).strip()
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    if len(digits) < 8:
        # Too short to keep 7 digits and still hide anything: hide all but the last two.
        keep = set(digits[-2:])
    else:
        keep = set(digits[:3] + digits[-4:])
        if value.startswith("+86") and len(digits) >= 13:
            keep = set(digits[:5] + digits[-4:])
    return "".join("*" if (i in digits and i not in keep) else ch for i, ch in enumerate(value))


def mask_id_number(value: str | None) -> str:
    """Mask a resident ID number (18 chars): keep the first 6 (region) and the last 4."""
    if not value:
        return ""
    value = str(value).strip()
    if len(value) <= 10:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_email(value: str | None) -> str:
    """Keep the first character of the local part and the domain: z***@example.cn."""
    if not value:
        return ""
    local, sep, domain = str(value).partition("@")
    if not sep:
        return mask_id_number(value)
    return (local[:1] + "***" if local else "***") + "@" + domain
