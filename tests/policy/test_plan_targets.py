"""A recycled-content plan's targets are all checked: one the report would never look at
(a repeat, or a characteristic the product does not report) is refused when the plan is read,
and a characteristic listed twice no longer doubles its rows in the filing."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junkan import policy
from junkan.core.errors import ModelError

PLAN = Path(__file__).resolve().parents[2] / "examples" / "policy" / "plan.yaml"
PRODUCT = {"id": "bottle", "name": "PET bottle", "category": "容器包装", "site": "plant",
           "lots": ["BTL-*"], "characteristics": ["post_consumer"]}


def _refused(**product: object) -> ModelError:
    doc = {"kind": "recycled_content_plan", "maker": "org-maker",
           "products": [{**PRODUCT, **product}]}
    with pytest.raises(ModelError) as exc:
        policy.load(text=yaml.safe_dump(doc, allow_unicode=True))
    return exc.value


def test_a_second_target_for_the_same_period_is_refused_not_ignored() -> None:
    err = _refused(targets=[{"period": "FY2028", "share": 0.3},
                            {"period": "FY2028", "share": 0.5}])
    (p,) = err.problems
    assert (p.path, p.kind) == ("products[0]", "target-repeated")
    assert "targets[0] and targets[1] are both for FY2028 total" in p.message


def test_a_target_on_a_characteristic_the_product_does_not_report_is_refused() -> None:
    err = _refused(targets=[{"period": "FY2028", "characteristic": "pre_consumer",
                             "share": 0.3}])
    (p,) = err.problems
    assert (p.path, p.kind) == ("products[0]", "target-characteristic-unreported")
    assert "pre_consumer is not among the product's characteristics" in p.message


def test_a_characteristic_listed_twice_is_refused() -> None:
    err = _refused(characteristics=["post_consumer", "post_consumer"])
    (p,) = err.problems
    assert (p.path, p.kind) == ("products[0]", "characteristic-repeated")


def test_the_shipped_plan_still_reads() -> None:
    assert isinstance(policy.load(PLAN), policy.Plan)


def test_the_filing_csv_shows_formula_like_text_as_text() -> None:
    """A category or product id a spreadsheet would run (``=HYPERLINK(…)``, ``-1-1``) is
    written with a leading apostrophe in the filing CSV, as the service's other tables."""
    import csv
    import io

    doc = {"kind": "recycled_content_plan", "maker": "@org", "products": [
        {**PRODUCT, "id": "-1-1", "category": '=HYPERLINK("http://x","y")'}]}
    plan = policy.load(text=yaml.safe_dump(doc, allow_unicode=True))
    assert isinstance(plan, policy.Plan)
    rep = policy.run(plan, statement={"org": "@org", "accounts": []}, period="FY2028")
    rows = list(csv.reader(io.StringIO(rep.to_csv())))[1:]
    assert {(r[1], r[2], r[3]) for r in rows} == {
        ("'@org", '\'=HYPERLINK("http://x","y")', "'-1-1")}
    assert rep.to_json()["products"][0]["product"] == "-1-1"  # the data itself is unchanged


def _account(ch: str, lot: str, kg: float, basis: float) -> dict[str, object]:
    return {"site": "plant", "characteristic": ch, "period": "2028Q2", "closed": True,
            "balance_kg": 0.0, "uncovered_claims": 0,
            "entries": [{"kind": "claim", "lot": lot, "mass_kg": kg, "basis_kg": basis,
                         "uncovered": False}]}


def test_a_characteristics_share_is_of_the_whole_product() -> None:
    """BTL-1 (10 t) claims 3.5 t post-consumer, BTL-2 (10 t) 2 t pre-consumer: the product's
    post-consumer share is 3.5 / 20 = 17.5 %, not 3.5 / 10 = 35 % over the one lot that
    carries it (which passed a 30 % target); pre-consumer 2 / 20; total 5.5 / 20."""
    doc = {"kind": "recycled_content_plan", "maker": "org-maker", "products": [
        {**PRODUCT, "characteristics": ["pre_consumer", "post_consumer"],
         "targets": [{"period": "FY2028", "characteristic": "post_consumer", "share": 0.3}]}]}
    plan = policy.load(text=yaml.safe_dump(doc, allow_unicode=True))
    assert isinstance(plan, policy.Plan)
    statement = {"org": "org-maker", "accounts": [
        _account("post_consumer", "BTL-1", 3_500, 10_000),
        _account("pre_consumer", "BTL-2", 2_000, 10_000)]}
    rep = policy.run(plan, statement=statement, period="FY2028")
    rows = {p["characteristic"]: p for p in rep.products}
    assert (rows["post_consumer"]["recycled_kg"], rows["post_consumer"]["basis_kg"]) == (
        3_500, 20_000)
    assert rows["post_consumer"]["share"] == pytest.approx(0.175)
    assert "below the planned 30.0 %" in rows["post_consumer"]["gap"]
    assert rows["pre_consumer"]["share"] == pytest.approx(0.1)
    assert (rows["total"]["basis_kg"], rows["total"]["share"]) == (20_000, 0.275)
    assert rows["post_consumer"]["lots"] == 1  # the lots carrying it
