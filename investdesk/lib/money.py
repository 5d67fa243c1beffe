"""Money as Chinese reports show it: exact Decimal yuan, displayed in 万元 / 亿元.

6,000,000 yuan → "600万元"; 340,000,000 yuan → "3.4亿元"; 12,345 yuan → "1.23万元".
Amounts in other currencies are converted with the rate recorded beside them (CNY per unit).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN = Decimal(10_000)
YI = Decimal(100_000_000)
CURRENCIES = [("CNY", "人民币"), ("USD", "美元"), ("EUR", "欧元"), ("JPY", "日元"), ("HKD", "港元")]


def to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", "").replace("，", "").strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None


def to_cny(amount, rate) -> Decimal:
    """An amount in a foreign currency, in yuan to the fen (rate = yuan per unit)."""
    return (to_decimal(amount) * to_decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _trim(number: Decimal, places: int) -> str:
    # No thousands separators: Chinese reports write 1530万元 and 12345.68亿元.
    text = f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_cny(value, *, places: int = 2) -> str:
    """Yuan in the unit a Chinese report would use: 亿元 from 1亿, 万元 from 1万, else 元."""
    if value is None or value == "":
        return ""
    amount = to_decimal(value)
    size = abs(amount)
    if size >= YI:
        return f"{_trim(amount / YI, places)}亿元"
    if size >= WAN:
        return f"{_trim(amount / WAN, places)}万元"
    return f"{_trim(amount, places)}元"
