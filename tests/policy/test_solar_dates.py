"""Solar-panel status dates in calendar terms (review 283, low): "approaching" was an end of
business within round(365.25 × 3) = 1,096 days of ``as_of``, so one 3 years and 1 day away
(2029-01-01 → 2032-01-02) was approaching; and an end of business on ``as_of`` itself was
"overdue" though overdue means past it. Now: approaching up to the same date 3 years later
(29 February → 28 February), overdue only after the day."""

from __future__ import annotations

from datetime import date
from typing import Any

from junkan.policy.data import years_after
from junkan.policy.solar import load_registry, view

MODEL = {"id": "PV-A", "maker": "maker-a", "technology": "c-Si", "mass_kg": 20,
         "glass_share": 0.75, "substances": []}


def statuses(as_of: str, **ends: str | None) -> dict[str, Any]:
    """Each installation's (status, end of business) as of ``as_of``; an end of None: none
    registered (commissioned 2012-02-29 then)."""
    insts = [{"id": k, "owner": "o1", "municipality": "13101", "model": "PV-A", "count": 10,
              "commissioned": "2012-01-01" if v else "2012-02-29",
              **({"end_of_business": v} if v else {})} for k, v in ends.items()]
    reg = load_registry({"kind": "solar_registry", "as_of": as_of,
                         "municipalities": {"city-a": "13101"}, "models": [MODEL],
                         "installations": insts}, "x")
    return {d["id"]: (d["status"], d["end_of_business"]) for d in view(reg, "o1")}


def test_the_reviewers_registry() -> None:
    got = statuses("2029-01-01", I1="2029-01-01", I2="2032-01-02", I3=None, I4="2032-01-01")
    assert got["I1"][0] == "approaching"  # ends today: not past it (was overdue)
    assert got["I2"][0] == "operating"  # 3 years and 1 day away (was approaching)
    assert got["I4"][0] == "approaching"  # exactly 3 years away
    # no end registered: commissioning + 20 years, the same date (2032 has a 29 February;
    # it was taken as the 28th)
    assert got["I3"] == ("operating", "2032-02-29")
    assert statuses("2029-01-02", I1="2029-01-01")["I1"][0] == "overdue"


def test_a_29_february_counts_to_28_february() -> None:
    got = statuses("2028-02-29", A="2031-02-28", B="2031-03-01")
    assert (got["A"][0], got["B"][0]) == ("approaching", "operating")
    # the 2032-02-29 end of commissioning 2012-02-29 + 20: 3 years after 2029-02-28 is
    # 2032-02-28, a day short; after 2029-03-01, 2032-03-01
    assert statuses("2029-02-28", C=None)["C"] == ("operating", "2032-02-29")
    assert statuses("2029-03-01", C=None)["C"] == ("approaching", "2032-02-29")
    assert years_after(date(2012, 2, 29), 3) == date(2015, 2, 28)
    assert years_after(date(2012, 2, 29), 4) == date(2016, 2, 29)


def test_years_after_the_last_date_is_the_last_date() -> None:
    """An installation commissioned in 9990 (stored by the registry) made every view of it
    fail with 'year 10010 is out of range' (review 318)."""
    assert years_after(date(9990, 1, 1), 20) == date.max
    assert years_after(date(9979, 12, 31), 20) == date(9999, 12, 31)
    assert years_after(date(2, 1, 1), -5) == date.min
