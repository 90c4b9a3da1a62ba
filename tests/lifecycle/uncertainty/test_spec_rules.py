"""Rules of the ``uncertainty`` section a user relies on (review: one test per bug): an
observation counts once in a fit, gives its error once, a correlation group is declared
before parameters name it, and a lognormal has some spread."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError

from junkan import lifecycle
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from tests.lifecycle.test_optimise import MODEL

RATE = "products.kettle.eol.collection.rate"
CAL = {"parameter": RATE, "source": "t", "distribution": "uniform", "min": 0.3, "max": 0.6,
       "calibrate": True}


def _obs(**kw: object) -> dict[str, object]:
    return {"total": "co2e_t", "scenario": "baseline", "value": 800.0, "source": "t", **kw}


def _section(**kw: object) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate({"parameters": [CAL], **kw})


def test_the_same_observation_twice_is_refused_naming_both() -> None:
    """It used to be fitted twice, weighing that figure double."""
    with pytest.raises(ValidationError) as err:
        _section(observations=[_obs(), _obs(headline="x", total=None), _obs(value=810)])
    said = str(err.value)
    assert "observations[0] and observations[2]" in said and "totals.co2e_t" in said
    assert "baseline" in said and "double" in said


def test_an_observation_repeated_but_not_fitted_is_kept() -> None:
    section = _section(observations=[_obs(), _obs(value=810, fit=False),
                                     _obs(scenario="other")])
    assert len(section.observations) == 3


def test_observations_given_to_calibrate_are_checked_for_repeats() -> None:
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    obs = [U.Observation.model_validate(_obs()), U.Observation.model_validate(_obs())]
    with pytest.raises(ModelError, match=r"observations\[1\]: observations\[0\] and "
                                         r"observations\[1\] both observe"):
        U.calibrate(kettle, section=_section(), observations=obs)


@pytest.mark.parametrize("other", ["products.kettle.sales.02020",
                                   "products.kettle.sales.2020"])
def test_one_field_written_two_ways_is_refused_naming_both(other: str) -> None:
    """Review 258: ``sales.2020`` and ``sales.02020`` of ``sales: {2020: …}`` are one field,
    which was drawn twice, the last draw used and the first reported as a non-driver."""
    kettle = lifecycle.load(text=MODEL, source="kettle.yaml")
    sales = {"source": "t", "distribution": "uniform", "min": 5000, "max": 6000}
    section = U.UncertaintySection.model_validate({"parameters": [
        {**sales, "parameter": "products.kettle.sales.2020"} if other.endswith("02020") else
        {**sales, "parameter": "products.kettle.sales.02020"},
        {**sales, "parameter": other, "min": 500, "max": 600}]})
    with pytest.raises(ModelError) as err:
        U.resolve(kettle, section)
    (problem,) = err.value.problems
    assert problem.path == "uncertainty.parameters[1].parameter"
    assert problem.kind == "unc-parameter-same-field"
    assert "parameters[0]" in problem.message and "written another way" in problem.message
    # the two years are two fields
    section.parameters[1].parameter = "products.kettle.sales.2028"
    assert len(U.resolve(kettle, section).parameters) == 2


def test_an_observation_with_sigma_and_rel_sigma_is_refused() -> None:
    """It used to take ``sigma`` and drop ``rel_sigma`` silently."""
    with pytest.raises(ValidationError, match=r"'sigma' \(5, .*'rel_sigma' \(0\.2, .*not "
                                              r"both"):
        _section(observations=[_obs(sigma=5, rel_sigma=0.2)])
    assert _section(observations=[_obs(sigma=5)]).observations[0].error == 5
    assert _section(observations=[_obs(rel_sigma=0.2)]).observations[0].error == 160


def test_an_undeclared_group_is_refused_with_the_declared_ones() -> None:
    """It used to pass validation and fail as a KeyError when drawing."""
    grouped = {**CAL, "calibrate": False, "group": "gird"}
    with pytest.raises(ValidationError, match=r"group gird, which 'groups' does not declare "
                                              r"\(declared: grid\)"):
        U.UncertaintySection.model_validate(
            {"parameters": [grouped], "groups": {"grid": {"correlation": 0.5}}})
    with pytest.raises(ValidationError, match=r"\(declared: none\)"):
        U.UncertaintySection.model_validate({"parameters": [grouped]})
    ok = U.UncertaintySection.model_validate(
        {"parameters": [grouped], "groups": {"gird": {"correlation": 0.5}}})
    assert ok.parameters[0].group == "gird"


@pytest.mark.parametrize("gsd", [1, 1.0, 0.5])
def test_a_lognormal_gsd_of_one_or_below_is_refused(gsd: float) -> None:
    """gsd 1 (no spread) and below 1 used to be accepted."""
    param = {"parameter": RATE, "source": "t", "distribution": "lognormal", "median": 0.4,
             "gsd": gsd}
    with pytest.raises(ValidationError, match=r"gsd must be above 1.*means no uncertainty"
                                              r".*distribution: fixed"):
        U.UncertaintySection.model_validate({"parameters": [param]})
    with pytest.raises(ValidationError, match="gsd must be above 1"):
        U.UncertaintySection.model_validate(
            {"parameters": [{**param, "pedigree": [1, 1, 1, 1, 1]}]})
    U.UncertaintySection.model_validate({"parameters": [{**param, "gsd": 1.01}]})


def test_a_lognormal_with_std_zero_is_refused() -> None:
    param = {"parameter": RATE, "source": "t", "distribution": "lognormal", "mean": 0.4,
             "std": 0}
    with pytest.raises(ValidationError, match="lognormal distribution needs std above 0"):
        U.UncertaintySection.model_validate({"parameters": [param]})


_P = {"parameter": RATE, "source": "t"}


@pytest.mark.parametrize(("section", "rule", "ctx"), [
    ({"parameters": [{**_P, "distribution": "lognormal", "median": 0.4, "gsd": 0.5}]},
     "unc-gsd-not-above-1", {"value": "0.5"}),
    ({"parameters": [{**_P, "distribution": "triangular", "min": 0.3, "max": 0.5}]},
     "unc-distribution-takes", {"distribution": "triangular", "given": "max, min"}),
    ({"parameters": [{**_P, "distribution": "uniform", "min": 0.5, "max": 0.3}]},
     "unc-min-not-below-max", {"min": 0.5, "max": 0.3}),
    ({"parameters": [{**_P, "distribution": "triangular", "min": 0.3, "mode": 0.9,
                      "max": 0.5}]}, "unc-mode-outside", {"mode": 0.9}),
    ({"parameters": [{**_P, "distribution": "normal", "mean": 0.4, "std": 0}]},
     "unc-std-zero", {"distribution": "normal"}),
    ({"parameters": [{**_P, "distribution": "normal", "mean": 0.4, "std": 0.1,
                      "calibrate": True}]}, "unc-calibrate-needs-range", {}),
    ({"parameters": [CAL, CAL]}, "unc-parameter-twice", {"parameter": RATE}),
    ({"parameters": [{**CAL, "group": "gird"}]}, "unc-group-undeclared",
     {"names": "gird", "known": "none"}),
    ({"parameters": [CAL], "observations": [_obs(), _obs(value=810)]},
     "unc-observation-repeated", {"first": 0, "repeat": 1, "scenario": "baseline"}),
    ({"parameters": [CAL], "observations": [_obs(value=0.0)]},
     "unc-observation-zero-needs-sigma", {}),
    ({"parameters": [CAL], "observations": [_obs(sigma=1.0, rel_sigma=0.2)]},
     "unc-observation-error-twice", {"sigma": "1", "rel_sigma": "0.2"}),
])
def test_the_section_s_refusals_are_coded_for_the_page_s_language(
        section: dict[str, object], rule: str, ctx: dict[str, object]) -> None:
    """The section's refusals were a validator's own English words ("Value error, …"): the
    web page showed them in English on its Japanese side. Each is a coded rule now, with the
    figures it quotes, which the page's catalogues (``val.<rule>``) say in both languages."""
    from junkan.core.errors import rule_of

    with pytest.raises(ValidationError) as err:
        U.UncertaintySection.model_validate(section)
    (e,) = err.value.errors()
    kind, limits = rule_of(e)
    assert kind == rule, (kind, e["msg"])
    assert not e["msg"].startswith("Value error")
    assert ctx.items() <= (limits or {}).items(), limits


SHARE_MODEL = MODEL.replace("scenarios:", "headline:\n  steel_share: {metric: recycled_share, "
                            "material: steel}\nscenarios:", 1)


def test_a_share_observed_as_a_percentage_says_so() -> None:
    """Review 259: 35.8 observed for a recycled share (35.8 %) was fitted and found out of
    reach by −99 %; "35.8%" was refused as "unable to parse string as a number"."""
    model = lifecycle.load(text=SHARE_MODEL, source="kettle.yaml")
    obs = {"headline": "steel_share", "scenario": "baseline", "source": "t"}
    section = _section(observations=[{**obs, "value": 35.8}])
    with pytest.raises(ModelError) as err:
        U.resolve(model, section)
    (problem,) = err.value.problems
    assert problem.kind == "unc-observation-share-above-1"
    assert problem.path == "uncertainty.observations[0].value"
    assert "a percentage? write it as a share (0.358)" in problem.message
    assert U.resolve(model, _section(observations=[{**obs, "value": 0.358}]))
    # junkan validate says it too (the model's own section): it said the model was fine
    own = yaml.safe_load(SHARE_MODEL)
    own["uncertainty"] = {"parameters": [CAL], "observations": [{**obs, "value": 35.8}]}
    with pytest.raises(ModelError, match="a percentage\\? write it as a share"):
        U.check(lifecycle.load(text=yaml.safe_dump(own), source="kettle.yaml"))
    with pytest.raises(ValidationError, match=r"35\.8 %: write the observed value as a number "
                                              r"in the figure's unit \(a share from 0 to 1: "
                                              r"0\.358\)"):
        _section(observations=[{**obs, "value": "35.8 %"}])


def test_sections_written_with_nothing_under_them_are_empty() -> None:
    """Review 259: ``observations:`` with nothing under it was "Input should be a valid
    list"; calibration then says there is nothing to fit."""
    section = U.UncertaintySection.model_validate(
        {"parameters": [CAL], "observations": None, "groups": None})
    assert section.observations == [] and section.groups == {}
    with pytest.raises(ModelError, match="no observed figures to fit"):
        U.calibrate(lifecycle.load(text=MODEL, source="kettle.yaml"), section=section)
