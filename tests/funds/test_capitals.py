"""Amounts in capital numerals (大写), as the notice's 附件1 prints them (DOCUMENTS.md)."""

from decimal import Decimal

import pytest

from wanyuan.money import amount_in_capitals

# The acceptance list's awkward values, and the rules around them: zeros inside, 角 and
# 分, exact 万, 整 after 元 or 角 but not after 分.
AWKWARD = [
    ("0.01", "壹分"),
    ("100000.00", "壹拾万元整"),
    ("30000.50", "叁万元伍角整"),
    ("1001000.01", "壹佰万壹仟元零壹分"),
    ("10000000.00", "壹仟万元整"),
    ("170000.00", "壹拾柒万元整"),
    ("200000.00", "贰拾万元整"),
    ("1010.10", "壹仟零壹拾元壹角整"),
    ("10.05", "壹拾元零伍分"),
    ("0.50", "伍角整"),
    ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ("0.00", "零元整"),
]


@pytest.mark.parametrize(("amount", "words"), AWKWARD)
def test_awkward_amounts_are_written_out_right(amount, words):
    assert amount_in_capitals(Decimal(amount)) == words


def test_an_amount_is_quantized_to_the_fen_first():
    assert amount_in_capitals(Decimal("0.005")) == "壹分"
    assert amount_in_capitals(170000) == "壹拾柒万元整"


def test_a_negative_amount_says_so():
    assert amount_in_capitals(Decimal("-0.50")) == "负伍角整"
