"""Unit names the unit tables read otherwise than a materials reader would are refused, with
what they mean and what to write: ``600 ton`` was read as 544.31 t (the US short ton) and
``1 kt`` as a knot (past bug, independent review 2026-12-03)."""

import pytest

from junkan.core.errors import CodedError
from junkan.core.quantities import UnitParseError, parse_quantity, to_unit


@pytest.mark.parametrize(("text", "said"), [
    ("600 ton", "'ton' is the US short ton (907.185 kg)"),
    ("600 tons", "'tons' is the US short ton (907.185 kg)"),
    ("5 kt/year", "'kt' is the knot (a speed)"),
    ("2 kts", "'kts' is the knot (a speed)"),
    ("1 kton", "write '1000 t'"),  # prefixed and plural forms too (review of the first fix)
    ("1 kilotons", "the US short ton"),
    ("1 Mton", "write 'Mt'"),
])
def test_ambiguous_names_are_refused_saying_what_they_are(text: str, said: str) -> None:
    with pytest.raises(UnitParseError) as err:
        parse_quantity(text)
    assert said in str(err.value)
    assert isinstance(err.value, CodedError)
    assert err.value.params["reason_code"].startswith("ambiguous-")


def test_the_names_that_say_what_they_mean_still_read() -> None:
    assert to_unit("600 t", "kg") == 600_000
    assert to_unit("600 tonne", "kg") == 600_000
    assert to_unit("2 short_ton", "kg") == pytest.approx(1814.36948)
    assert to_unit("3 Mt", "t") == 3e6
    assert to_unit("1 knot", "km/hour") == pytest.approx(1.852)
