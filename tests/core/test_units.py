from __future__ import annotations

import pytest

from junkan.core.units import UnitParseError, parse_quantity, to_unit


def test_quantities_convert_to_base_units() -> None:
    assert to_unit("250 g", "kg") == pytest.approx(0.25)
    assert to_unit("208 gCO2e/(t*km)", "kgCO2e/(kg*km)") == pytest.approx(208e-6)
    assert to_unit("8.8 kWh/piece", "MJ/piece") == pytest.approx(31.68)


def test_currencies_do_not_mix() -> None:
    with pytest.raises(UnitParseError, match="cannot be converted"):
        to_unit("100 USD", "JPY")


def test_bare_numbers_need_a_unit() -> None:
    with pytest.raises(UnitParseError, match="has no unit"):
        parse_quantity(5)
