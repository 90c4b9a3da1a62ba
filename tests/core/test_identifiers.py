"""LEI and 法人番号 check digits (junkan.core.fields), against real identifiers."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from junkan.core.fields import CorporateNumber, Lei

LEI = TypeAdapter(Lei)
NUMBER = TypeAdapter(CorporateNumber)


@pytest.mark.parametrize("lei", ["506700GE1G29325QX363", "HWUPKR0MPOU8FGXBT394",
                                 "5299000J2N45DDNE4Y28"])
def test_real_leis_pass(lei: str) -> None:
    assert LEI.validate_python(lei) == lei


@pytest.mark.parametrize(("lei", "why"), [
    ("506700GE1G29325QX336", "check digits do not match"),  # two digits swapped
    ("N721CB7UD31YR6G4E401", "check digits do not match"),  # MOD 97 holds, 01 is never issued
    ("506700ge1g29325qx363", "20 characters"),
])
def test_bad_leis_refused(lei: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why):
        LEI.validate_python(lei)


def test_corporate_numbers() -> None:
    assert NUMBER.validate_python("7000012050002") == "7000012050002"  # 国税庁
    with pytest.raises(ValidationError, match="check digit does not match"):
        NUMBER.validate_python("7000012050003")
    with pytest.raises(ValidationError, match="quoted text"):
        NUMBER.validate_python(7000012050002)
