"""Money arithmetic: parsing, allocation that sums exactly, Italian formatting."""

from decimal import Decimal

import pytest
from hypothesis import given, strategies as st

from pdz_docs.finance.money import AmountError, YamlFloat, allocate, fmt_euro, fmt_pct, parse_importo


@pytest.mark.parametrize("text,value", [("€ 1.234.567,89", "1234567.89"), ("1234.56", "1234.56"), (12, "12.00"),
                                        ("146.210,31", "146210.31"), ("-0,00", "0.00"), ("€ 0", "0.00")])
def test_parse_ok(text, value):
    assert parse_importo(text) == Decimal(value)


@pytest.mark.parametrize("text,code", [(YamlFloat("1.234"), "importo-ambiguo"), (YamlFloat("12.5"), "importo-ambiguo"),
                                       ("12,345", "importo-decimali"), ("-5", "importo-negativo"),
                                       ("NaN", "importo-non-valido"), ("Infinity", "importo-non-valido"),
                                       ("1.23.4", "importo-non-valido"), ("1e9", "importo-non-valido"),
                                       ("9" * 20, "importo-non-valido")])
def test_parse_refused(text, code):
    with pytest.raises(AmountError) as exc:
        parse_importo(text)
    assert exc.value.code == code


@given(st.integers(min_value=0, max_value=10**12), st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=50))
def test_allocate_sums_exactly(cents, weights):
    total = Decimal(cents) / 100
    parts = allocate(total, weights)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    # each part is within one cent of its exact share
    for p, w in zip(parts, weights):
        assert abs(p - total * w / sum(weights)) < Decimal("0.01")


def test_cofinanziamento_minimo_halves():
    assert allocate(Decimal("54411.81"), [1, 1]) == [Decimal("27205.91"), Decimal("27205.90")]


def test_formatting():
    assert fmt_euro(Decimal("1234567.89")) == "€ 1.234.567,89"
    assert fmt_pct(Decimal("47.14")) == "47,14%"
