"""openLCA formulas are grouped as openLCA groups them, not as Python does.

Source: GreenDelta/olca-formula, src/main/java/org/openlca/expressions/FormulaParser.jj —
``power() := unary() (<POW> unary())*`` (``^`` left-associative) and
``unary() := (<MINUS> | <PLUS>) element() | element()`` (one sign, bound tighter than ``^``).
The first group of cases failed before the fix: the formula was rewritten to Python's
``**``, which is right-associative and binds looser than a sign (the past value in the
comment)."""

from __future__ import annotations

import re

import pytest

from junkan.lifecycle.olca_formula import formula

PARAMS = {"x": 3.0, "y": 2.0}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2^3^2", 64.0),  # (2^3)^2; Python's 2**3**2 = 512
        ("2^2^3", 64.0),  # (2^2)^3; Python 256
        ("-2^2", 4.0),  # (-2)^2; Python's -2**2 = -4
        ("-x^2", 9.0),  # (-x)^2; Python -9
        ("2 * -3^2", 18.0),  # 2 * (-3)^2; Python -18
        ("1 - -2^2", -3.0),  # 1 - (-2)^2; Python 1 - -(2**2) = 5
        ("2^-1^2", 0.25),  # (2^-1)^2; Python 2**-(1**2) = 0.5
        ("x^y^3", 729.0),  # (3^2)^3; Python 3**8 = 6561
        ("4^0.5^2", 4.0),  # (4^0.5)^2; Python 4**0.25 = 1.414
    ],
)
def test_power_groups_as_openlca_does(text: str, value: float) -> None:
    assert formula(text, PARAMS) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "value"),
    [  # openLCA and Python agree on these (several from olca-formula's own tests)
        ("2^3", 8.0),
        ("2^2^2", 16.0),  # OperatorTest: equal either way
        ("(2+2)^2", 16.0),
        ("1+2^2", 5.0),
        ("- 2  ^  - 3  *  8 ", -1.0),  # OperatorTest
        ("-2^-3", -0.125),  # SpecificationTest
        ("2^-1", 0.5),
        ("2^(3^2)", 512.0),  # brackets group as written
        ("(-2)^2", 4.0),
        ("-(2^2)", -4.0),
        ("-(-1)", 1.0),  # SpecificationTest
        ("2 *-2", -4.0),  # SpecificationTest
        ("6/2/2", 1.5),  # SpecificationTest: left-associative division
        ("4 + -2", 2.0),  # SpecificationTest
        ("3 - 6", -3.0),  # SpecificationTest
        ("10 - 4 - 3", 3.0),
        ("+x", 3.0),
        ("x^2 * y + 1", 19.0),
        ("1.8*10^-5", 1.8e-5),  # RealWorldTest
    ],
)
def test_grouping_both_agree_on_still_holds(text: str, value: float) -> None:
    assert formula(text, PARAMS) == pytest.approx(value)


def test_a_line_break_is_white_space_as_in_openlca() -> None:
    """openLCA's grammar skips line breaks; Python's parser refused ``1 +`` then ``2``."""
    assert formula(" 1 +\n 2 ", PARAMS) == 3.0


@pytest.mark.parametrize("text", ["--2", "+-2", "2^--1", "2 - - -3"])
def test_a_second_sign_is_refused_as_openlca_refuses_it(text: str) -> None:
    """openLCA's ``unary()`` takes one sign then an element; Python read ``--2`` as 2."""
    with pytest.raises(ValueError, match="not arithmetic"):
        formula(text, PARAMS)


@pytest.mark.parametrize(
    "text", ["2^", "(2", "2 3", "2^^3", "sqrt(4)", "().__class__", "x[0]", "x.real", "2 // 3"]
)
def test_anything_else_is_still_refused(text: str) -> None:
    with pytest.raises(ValueError):
        formula(text, PARAMS)


@pytest.mark.parametrize(
    ("text", "value"),
    [  # openLCA's tokens, not Python's (review of 2026-12-05: each was refused or misread)
        ("2 +\n    3 +\n  4", 9.0),  # uneven indents were Python's "unindent does not match"
        ("05", 5.0),  # leading zeros: Python refuses 05
        ("007*2", 14.0),
        ("4.", 4.0),  # openLCA's NumberTest
        ("4.e1", 40.0),
        (".4e2", 40.0),
        ("$a + a$", 5.0),  # '$' in names (openLCA's ParameterNamesTest)
    ],
)
def test_openlca_tokens(text: str, value: float) -> None:
    assert formula(text, {"$a": 2.0, "a$": 3.0}) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2)", "')' at column 2"),  # was Python's "EOF in multi-line statement"
        ("1+(2", "')' is due there"),
        ("2 \\\n+3", "at column 3"),  # a backslash is no white space in openLCA
        ("(-8)^(1/3)", "has no real value"),  # was "float() argument … not 'complex'"
        ("(" * 60 + "1" + ")" * 60, "nested more than 50 deep"),  # was a RecursionError
    ],
)
def test_refusals_say_what_is_wrong(text: str, said: str) -> None:
    with pytest.raises(ValueError, match=re.escape(said)):
        formula(text, {})
