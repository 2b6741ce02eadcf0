"""Money helpers: amounts are Decimal yuan with two places; people read 万元."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TEN_THOUSAND = Decimal(10000)


def to_yuan(value) -> Decimal:
    """Quantize any number to yuan with two decimals, the one place this happens."""
    if value is None:
        return Decimal("0.00")
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_wan(value) -> Decimal:
    """Yuan → 万元 with two decimals, for display."""
    return (to_yuan(value) / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP)


def format_wan(value) -> str:
    return f"{to_wan(value):,.2f}"


def format_yuan(value) -> str:
    return f"{to_yuan(value):,.2f}"


def cents_to_yuan(cents) -> Decimal:
    """Integer cents (summed exactly by the database) → Decimal yuan."""
    return (Decimal(int(cents or 0)) / 100).quantize(CENT)


def rate(part, whole) -> Decimal | None:
    """part ÷ whole as a fraction with four decimals (shown as a percentage), or None."""
    whole = to_yuan(whole)
    if not whole:
        return None
    return (to_yuan(part) / whole).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def percent(fraction) -> Decimal | None:
    """A rate as a percentage with two decimals (12.34 for 0.1234), or None."""
    return None if fraction is None else (fraction * 100).quantize(CENT, rounding=ROUND_HALF_UP)


def format_percent(fraction) -> str:
    return "—" if fraction is None else f"{percent(fraction)}%"


def amount_in_capitals(value) -> str:
    """An amount in yuan as written on a cheque or a 公文 (大写): 170000 → 壹拾柒万元整.

    cn2an spells the digits, the units and the zeros (one 零 for a run of zeros); what it
    leaves out is the 整 after an amount that ends at 角 (会计基础工作规范: an amount that
    ends at 元 or 角 ends with 整, one with 分 does not), added here.
    """
    import cn2an

    amount = to_yuan(value)
    sign = "负" if amount < 0 else ""
    words = cn2an.an2cn(f"{abs(amount):.2f}", "rmb")
    if words.endswith("角"):
        words += "整"
    return sign + words
