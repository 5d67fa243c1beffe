"""Reading query-string parameters that should be numbers: a wrong one is ignored, never a 500."""


def int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
