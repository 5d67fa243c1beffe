from decimal import Decimal

import pytest

from investdesk.lib.money import format_cny, to_cny, to_decimal


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (6_000_000, "600万元"),  # Toyota's donation in the brief
        (340_000_000, "3.4亿元"),  # the total of the brief
        (Decimal("12345"), "1.23万元"),
        (Decimal("9999.5"), "9999.5元"),
        (0, "0元"),
        (Decimal("1234567890123.45"), "12345.68亿元"),
        (None, ""),
    ],
)
def test_format_cny(yuan, shown):
    assert format_cny(yuan) == shown


def test_conversion_is_exact_to_the_fen():
    assert to_cny("1000000", "7.1234") == Decimal("7123400.00")
    assert to_cny(Decimal("0.015"), 1) == Decimal("0.02")  # half up, as 财务 rounds
    assert to_decimal("1,234.50") == Decimal("1234.50")


def test_mixed_currencies_add_up_in_yuan():
    total = to_cny(100, "7.20") + to_cny(1000, "0.052") + to_cny(500, "7.85")
    assert total == Decimal("720.00") + Decimal("52.00") + Decimal("3925.00")


def test_bad_amounts_are_refused():
    with pytest.raises(ValueError):
        to_decimal("一百万")
