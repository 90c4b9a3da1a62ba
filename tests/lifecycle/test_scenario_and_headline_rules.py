"""A scenario named as the baseline and headline windows outside the horizon are refused
when the model is read, naming the file, the field and the values (review of the
lifecycle simulator; one test per bug)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.errors import JunkanError, ModelError
from junkan.lifecycle.schema import Selection
from tests.lifecycle.test_optimise import MODEL


def _doc() -> dict:
    return yaml.safe_load(MODEL)


def _load(doc: dict) -> lifecycle.ModelFile:
    return lifecycle.load(text=yaml.safe_dump(doc), source="kettle.yaml")


def test_a_scenario_named_as_the_baseline_is_refused_naming_file_and_scenario() -> None:
    """It used to be dropped without a word (the baseline always ran as the document), so
    an uncertainty or compare run ignored every value it set."""
    doc = _doc()
    doc["scenarios"]["baseline"] = {"set": {"products.kettle.eol.collection.rate": 0.9}}
    with pytest.raises(ModelError, match=r"kettle\.yaml:scenarios: scenario 'baseline' has "
                       r"the baseline's name \(baseline_name\)"):
        _load(doc)
    doc["baseline_name"] = "today"  # the baseline renamed: 'baseline' is a scenario like any
    model = _load(doc)
    assert model.scenarios[0] == "today" and set(model.scenarios) == {"today", "more", "baseline"}
    doc["scenarios"]["today"] = {"set": {}}
    with pytest.raises(ModelError, match=r"scenario 'today' has the baseline's name"):
        _load(doc)


@pytest.mark.parametrize(("years", "words"), [
    ([2010, 2015], r"\[2010, 2015\] is not a window within the simulated horizon 2020–2028"),
    ([2025, 2035], r"\[2025, 2035\] is not a window within the simulated horizon 2020–2028"),
    ([2027, 2022], r"\[2027, 2022\] is not a window"),
])
def test_headline_years_outside_the_horizon_are_refused_naming_the_figure(
        years: list[int], words: str) -> None:
    """A window partly outside was clipped to the simulated years without a word, and one
    wholly outside passed validate (and failed only in compare)."""
    doc = _doc()
    doc["headline"] = {"co2": {"metric": "co2e", "years": years}}
    with pytest.raises(ModelError, match=r"kettle\.yaml:headline: 'headline\.co2\.years': "
                       + words):
        _load(doc)
    doc["headline"] = {"co2": {"metric": "co2e", "per": {"metric": "products_made",
                                                          "years": years}}}
    with pytest.raises(ModelError, match=r"'headline\.co2\.per\.years': " + words):
        _load(doc)


def test_validate_refuses_headline_years_outside_the_horizon(tmp_path: Path) -> None:
    doc = _doc()
    doc["headline"] = {"co2": {"metric": "co2e", "years": [2030, 2040]}}
    path = tmp_path / "kettle.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    assert "headline.co2.years" in res.output and "2020–2028" in res.output


def test_a_scenario_that_moves_the_horizon_past_a_headline_window_is_refused() -> None:
    doc = _doc()
    doc["headline"] = {"co2": {"metric": "co2e", "years": [2020, 2028]}}
    doc["scenarios"]["short"] = {"set": {"years.end": 2025}}
    with pytest.raises(ModelError, match=r"\[2020, 2028\] is not a window within the "
                       r"simulated horizon 2020–2025.*\(in scenario 'short'\)"):
        _load(doc)


def test_a_selection_partly_outside_the_run_is_refused_not_clipped() -> None:
    result = lifecycle.run(_load(_doc()))
    inside = result.select(Selection(metric="co2e", years=(2020, 2028)))
    assert inside == pytest.approx(result.select(Selection(metric="co2e")))
    with pytest.raises(JunkanError, match="years 2025–2035 are not within the model horizon "
                       "2020–2028"):
        result.select(Selection(metric="co2e", years=(2025, 2035)))


def test_every_headline_window_outside_the_horizon_is_reported_not_only_the_first() -> None:
    """Review 248: a model with three bad windows named the first only, so the user fixed
    them one run at a time."""
    doc = _doc()
    doc["headline"] = {"a": {"metric": "co2e", "years": [2010, 2015]},
                       "ok": {"metric": "co2e", "years": [2021, 2022]},
                       "b": {"metric": "co2e", "per": {"metric": "products_made",
                                                       "years": [2027, 2022]}},
                       "c": {"metric": "co2e", "years": [2025, 2035]}}
    with pytest.raises(ModelError) as err:
        _load(doc)
    bad = [p.message for p in err.value.problems if "is not a window" in p.message]
    assert len(bad) == 3, err.value
    assert [m.split("'")[1] for m in bad] == ["headline.a.years", "headline.b.per.years",
                                             "headline.c.years"]
    assert all(p.path == "headline" and p.kind == "headline-years-outside"
               for p in err.value.problems if "is not a window" in p.message)
