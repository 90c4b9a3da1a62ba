"""Quantities are read by a grammar, never by pint's expression evaluator (issue 13, item 1)."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from junkan.core.base import Strict
from junkan.core.fields import AnnualRate, Fraction, Mass, quantity_converter
from junkan.core.limits import override_limits
from junkan.core.quantities import MAX_EXPONENT, parse_quantity, parse_unit, to_unit
from junkan.core.registry import UnitParseError, ureg

ROOT = Path(__file__).resolve().parents[2]


class _Item(Strict):
    mass: Mass
    share: Fraction = 0.0
    rate: AnnualRate = 0.0


def _refused_fast(fn: Any, *args: Any, match: str, **kwargs: Any) -> str:
    t0 = time.perf_counter()
    with pytest.raises((UnitParseError, ValidationError)) as err:
        fn(*args, **kwargs)
    assert time.perf_counter() - t0 < 0.1
    assert re.search(match, str(err.value)), str(err.value)
    return str(err.value)


@pytest.mark.parametrize("text", ["9**9**9 kg", "9**9**7 kg", "9^9^9 kg", "2 kg**9**9"])
def test_power_towers_are_refused_at_once(text: str) -> None:
    _refused_fast(parse_quantity, text, match="out of range|chained powers")
    _refused_fast(to_unit, text, "kg", match="out of range|chained powers")
    msg = _refused_fast(_Item.model_validate, {"mass": text}, match="mass")
    assert len(msg) < 400


def test_exponents_are_small_whole_numbers() -> None:
    assert to_unit("1 m^4", "m**4") == 1.0
    assert to_unit("1 m^-4", "1/m**4") == 1.0
    assert to_unit("2 s^(-1)", "1/s") == 2.0
    assert to_unit("3 m³", "m**3") == 3.0
    for bad in ("1 m^5", "1 m**-5", "1 m⁵", "10^5 kg"):
        _refused_fast(parse_quantity, bad, match=f"powers go from -{MAX_EXPONENT} to "
                                                 f"{MAX_EXPONENT}")
    _refused_fast(parse_quantity, "1 m^2.5", match="whole number")
    _refused_fast(parse_quantity, "1 m^x", match="whole number")
    _refused_fast(parse_quantity, "2 kg**2**2", match="chained powers")


def test_length_is_capped() -> None:
    _refused_fast(parse_quantity, "1 " + "kg*" * 80 + "kg", match="JUNKAN_LIMIT_QUANTITY_LENGTH")
    _refused_fast(to_unit, "1 " + "(" * 8 + "kg" + ")" * 8 + " " * 200, "kg",
                  match="too long")
    _refused_fast(parse_quantity, "1 " + "(" * 9 + "kg" + ")" * 9, match="nest deeper")


@pytest.mark.parametrize("text", ["nan kg", "NaN kg", "inf kg", "-inf kg", "Infinity kg",
                                  "1e999 kg", "1e300^4 kg", "1e200 kg*1e200",
                                  # YAML's spellings (review 315: "unexpected character '.'")
                                  ".inf year", "-.INF kg", ".nan t"])
def test_non_finite_numbers_are_refused(text: str) -> None:
    _refused_fast(parse_quantity, text, match="finite|out of range")
    msg = _refused_fast(_Item.model_validate, {"mass": text}, match="mass")
    assert "finite" in msg or "out of range" in msg or "beyond" in msg


def test_non_finite_plain_numbers_are_refused() -> None:
    with pytest.raises(UnitParseError, match="finite"):
        parse_quantity(math.nan, default_unit="kg")
    for value in (math.nan, math.inf, "nan%", "inf%"):
        with pytest.raises(ValidationError, match="share") as err:
            _Item.model_validate({"mass": "1 kg", "share": value})
        assert "finite" in str(err.value)
    for value in (math.inf, "inf 1/year", "1e400 1/year"):
        with pytest.raises(ValidationError, match="rate"):
            _Item.model_validate({"mass": "1 kg", "rate": value})


def test_integers_beyond_a_float_are_refused_not_raised() -> None:
    """A past bug: a share or rate given as an integer too large for a float (data not
    read from a document, so not bounded by its limits) raised ``OverflowError``."""
    for field in ("share", "rate"):
        for value in (10**400, -10**400):
            with pytest.raises(ValidationError, match="finite"):
                _Item.model_validate({"mass": "1 kg", field: value})


def test_magnitude_is_bounded_in_the_stored_unit() -> None:
    assert to_unit("1e16 g", "kg") == pytest.approx(1e13)  # 10 Gt, written in grams: fine
    msg = _refused_fast(to_unit, "1e16 kg", "kg", match="JUNKAN_LIMIT_QUANTITY_MAGNITUDE")
    assert "1e+15" in msg
    _refused_fast(to_unit, "-2e15 kg", "kg", match="beyond")
    _refused_fast(_Item.model_validate, {"mass": "1e308 kg"}, match=r"mass\n.*beyond")
    with override_limits(quantity_magnitude=1e20):
        assert to_unit("1e16 kg", "kg") == 1e16


def test_units_combine_as_pint_does() -> None:
    assert to_unit("208 gCO2e/(t*km)", "kgCO2e/(kg*km)") == pytest.approx(208e-6)
    assert to_unit("1 J / kg K", "J*K/kg") == pytest.approx(1.0)  # left to right, as pint
    assert to_unit("1 kg/t/km", "1/km") == pytest.approx(1e-3)
    assert to_unit("2 kg·m", "kg*m") == 2.0
    assert to_unit("5kg", "g") == 5000.0
    assert to_unit("2 kg 3", "kg") == 6.0
    assert to_unit("0.05 1/year", "1/year") == pytest.approx(0.05)
    assert to_unit("70 %", "dimensionless") == pytest.approx(0.7)
    assert to_unit("-5 kg", "kg") == -5.0
    assert parse_quantity("12", default_unit="kg") == ureg.Quantity(12.0, "kg")


@pytest.mark.parametrize("text,words", [
    ("2 blorbs", "unknown unit 'blorbs'"), ("kg", "expected a number first"),
    ("5 kg)", "unexpected '\\)'"), ("5 (kg", "expected '\\)'"),
    ("1,000 kg", "unexpected character"), ("5 kg/0", "division by zero"),
    ("5 J/", "at the end"), ("", "expected a quantity"),
])
def test_garbage_gets_a_clear_message(text: str, words: str) -> None:
    _refused_fast(parse_quantity, text, match=words)


def test_parse_unit_takes_units_only() -> None:
    assert parse_unit("kgCO2e/(t*km)") == ureg.Unit("kgCO2e/(t*km)")
    assert parse_unit("1/year") == 1 / ureg.Unit("year")
    with pytest.raises(UnitParseError, match="number in it"):
        parse_unit("1000 kg")
    _refused_fast(parse_unit, "9**9**9", match="out of range")


def test_converter_names_what() -> None:
    energy = quantity_converter("MWh", "energy")
    assert energy("1000 kWh") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="energy '5 kg' has unit 'kg'"):
        energy("5 kg")
    with pytest.raises(ValueError, match="must not be negative"):
        energy("-1 MWh")


def _shipped_quantity_strings() -> set[str]:
    number_unit = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*[A-Za-z°%µ(]"
                             r"[A-Za-z0-9_*/() ^.°%µ·-]*$")
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and number_unit.match(node) and "**" not in node \
                and len(node) < 60:
            found.add(node)

    files = [*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("src/junkan/data/**/*.yaml")]
    for f in files:
        walk(yaml.safe_load(f.read_text(encoding="utf-8")))
    return found


@pytest.mark.slow
def test_every_shipped_quantity_reads_as_pint_read_it() -> None:
    strings = _shipped_quantity_strings()
    assert len(strings) > 50  # the walk found the examples' quantities
    checked = 0
    for text in sorted(strings):
        try:
            expected = ureg.Quantity(text)  # shipped, known-safe strings only
        except Exception:
            continue  # not a quantity (e.g. a title that starts with a number)
        got = parse_quantity(text)
        assert got.dimensionality == expected.dimensionality, text
        assert got.to_base_units().magnitude == pytest.approx(
            float(expected.to_base_units().magnitude), rel=1e-12), text
        checked += 1
    assert checked > 50


_UNITS = ["kg", "g", "t", "km", "m", "year", "day", "piece", "pcs", "kgCO2e", "gCO2e",
          "tCO2e", "MJ", "kWh", "MWh", "JPY", "USD", "EUR", "L", "percent", "s", "h"]
_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**9).map(str),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False).map(repr),
    st.builds(lambda m, e: f"{m}e{e}", st.integers(0, 999), st.integers(-6, 6)),
)


def _unit_expr() -> st.SearchStrategy[str]:
    name = st.sampled_from(_UNITS)
    power = st.builds(lambda u, op, n: f"{u}{op}{n}", name, st.sampled_from(["^", "**"]),
                      st.integers(-MAX_EXPONENT, MAX_EXPONENT).filter(bool))
    atom = st.one_of(name, power)
    pair = st.builds(lambda a, op, b: f"{a}{op}{b}", atom, st.sampled_from(["*", "/", " ",
                                                                             " / ", " * "]),
                     atom)
    op = st.sampled_from(["*", "/", " ", " / ", " * ", "·"])
    chain = st.builds(lambda a, o1, b, o2, c: f"{a}{o1}{b}{o2}{c}", atom, op, atom, op, atom)
    grouped = st.builds(lambda a, b: f"{a}/({b})", atom, pair)
    return st.one_of(atom, pair, chain, grouped)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(number=_NUMBERS, unit=_unit_expr(), sign=st.sampled_from(["", "-", "+"]))
def test_grammar_agrees_with_pint(number: str, unit: str, sign: str) -> None:
    text = f"{sign}{number} {unit}"
    expected = ureg.Quantity(text)  # generated from safe parts: small exponents only
    got = parse_quantity(text)
    assert got.dimensionality == expected.dimensionality
    want = float(expected.to_base_units().magnitude)
    assert float(got.to_base_units().magnitude) == pytest.approx(want, rel=1e-9, abs=1e-300)
