"""Uncertainty propagation (issue 17, item 2): the batched path equals the engine run by
run, percentiles converge to an analytic answer, shared sources correlate draws, bad
sections are refused with their paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

from junkan import lifecycle
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.lifecycle import uncertainty as U
from junkan.lifecycle.uncertainty.evaluate import Evaluator
from junkan.lifecycle.uncertainty.montecarlo import percentiles
from junkan.lifecycle.uncertainty.sampling import draw
from tests.conftest import EXAMPLES

MAGNET_SPEC = EXAMPLES / "uncertainty" / "compressor_magnet.yaml"


def _section(doc: dict) -> U.UncertaintySection:
    return U.UncertaintySection.model_validate(doc)


@pytest.fixture(scope="module")
def magnet() -> lifecycle.ModelFile:
    return lifecycle.load(EXAMPLES / "compressor_magnet.yaml")


@pytest.fixture(scope="module")
def atm() -> lifecycle.ModelFile:
    return lifecycle.load(EXAMPLES / "atm_reuse.yaml")


def _engine_outputs(st: U.Study, theta: np.ndarray) -> U.Outputs:
    ev = Evaluator(st)
    ev.engine_only = set(st.scenarios)  # the engine itself, one compiled model per run
    return ev.evaluate(theta)


def _assert_same(a: U.Outputs, b: U.Outputs) -> None:
    for s in a.totals:
        for k in a.totals[s]:
            np.testing.assert_allclose(a.totals[s][k], b.totals[s][k], rtol=1e-8, atol=1e-9)
        for k in a.headline[s]:
            np.testing.assert_allclose(a.headline[s][k], b.headline[s][k], rtol=1e-8, atol=1e-9)


@pytest.mark.slow
def test_batched_runs_equal_the_engine_run_by_run(magnet: lifecycle.ModelFile) -> None:
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    st = U.resolve(magnet, section)
    theta = draw(st, 6, seed=3)
    fast = Evaluator(st).evaluate(theta)
    assert set(fast.methods.values()) == {"multilinear"}
    _assert_same(fast, _engine_outputs(st, theta))


@pytest.mark.slow
def test_interacting_shares_from_zero_and_lifetimes(atm: lifecycle.ModelFile) -> None:
    """ATM: reuse shares and collection rate multiply; in the reference they start from 0,
    where a positive rate adds routes (the structure changes: every run is compiled); a
    lifetime enters through survival curves (not multilinear: every run is compiled)."""
    section = _section(
        {
            "parameters": [
                {
                    "parameter": "parts.bill_unit.recovery.reuse.pass_rate",
                    "distribution": "uniform",
                    "min": 0.6,
                    "max": 0.95,
                    "source": "test",
                },
                {
                    "parameter": "products.atm.eol.collection.rate",
                    "distribution": "uniform",
                    "min": 0.0,
                    "max": 1.0,
                    "source": "test",
                },
                {
                    "parameter": "parts.bill_unit.recovery.reuse.share",
                    "distribution": "uniform",
                    "min": 0.0,
                    "max": 1.0,
                    "source": "test",
                },
                {
                    "parameter": "processes.partner_haul.distance",
                    "distribution": "triangular",
                    "min": 30,
                    "mode": 60,
                    "max": 120,
                    "source": "test",
                },
            ]
        }
    )
    st = U.resolve(atm, section)
    theta = draw(st, 5, seed=1)
    fast = Evaluator(st).evaluate(theta)
    assert fast.methods["reference"] == "compiled per run"
    assert fast.methods["improvement_1"] == "multilinear"
    _assert_same(fast, _engine_outputs(st, theta))
    section = _section(
        {
            "parameters": [
                {
                    "parameter": "products.atm.lifetime.mean",
                    "distribution": "normal",
                    "mean": 10,
                    "std": 1.5,
                    "range": [6, 14],
                    "source": "test",
                }
            ]
        }
    )
    st = U.resolve(atm, section)
    theta = draw(st, 4, seed=2)
    slow = Evaluator(st).evaluate(theta)
    assert set(slow.methods.values()) == {"compiled per run"}
    _assert_same(slow, _engine_outputs(st, theta))


@pytest.mark.slow
def test_percentiles_converge_to_the_analytic_answer(atm: lifecycle.ModelFile) -> None:
    """Total CO2e is affine in a unit factor: with the factor normal, the total's
    percentiles are known exactly."""
    mu, sd = 200.0, 20.0
    section = _section(
        {
            "parameters": [
                {
                    "parameter": "processes.atm_assembly.co2e",
                    "distribution": "normal",
                    "mean": mu,
                    "std": sd,
                    "source": "test",
                }
            ]
        }
    )
    st = U.resolve(atm, section)
    ev = Evaluator(st)
    ends = ev.evaluate(np.array([[0.0], [1.0]])).totals["reference"]["co2e_t"]
    a, b = ends[0], ends[1] - ends[0]
    errors = []
    for runs in (100, 1200):
        ens = U.propagate(atm, runs, seed=5, section=section)
        got = ens.to_json()["scenarios"][0]["totals"]["co2e_t"]
        exact = {q: a + b * (mu + sd * stats.norm.ppf(q / 100)) for q in (5, 25, 50, 75, 95)}
        errors.append(max(abs(got[f"p{q}"] - v) for q, v in exact.items()) / (b * sd))
    assert errors[1] < 0.12  # within an eighth of a standard deviation at 1,200 runs
    assert errors[1] < errors[0]


def test_shared_source_correlates_draws(magnet: lifecycle.ModelFile) -> None:
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    st = U.resolve(magnet, section)
    theta = draw(st, 4000, seed=0)
    names = st.names
    i = names.index("materials.rare_earth.virgin.co2e")
    j = names.index("processes.re_regeneration.co2e")
    k = names.index("processes.magnet_extraction.cost")
    rho = stats.spearmanr(theta[:, i], theta[:, j]).statistic
    assert 0.6 < rho < 0.8  # group correlation 0.7 on the normal scale
    assert abs(stats.spearmanr(theta[:, i], theta[:, k]).statistic) < 0.05
    assert np.array_equal(draw(st, 50, seed=9), draw(st, 50, seed=9))
    # more runs leave the first ones as they were, grouped draws too (review 250: the
    # groups' common factors followed every run's own, so 251 runs changed the first 249)
    assert np.array_equal(draw(st, 251, seed=11)[:249], draw(st, 249, seed=11))


@pytest.mark.slow
def test_p_b_beats_a_from_paired_draws(magnet: lifecycle.ModelFile) -> None:
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    ens = U.propagate(magnet, 40, seed=1, section=section)
    o = ens.outputs
    manual = float(np.mean(o.totals["B"]["co2e_t"] < o.totals["A"]["co2e_t"]))
    assert ens.beats("A", "B", "co2e_t") == manual
    doc = ens.to_json()
    json.dumps(doc)
    scen = {s["name"]: s for s in doc["scenarios"]}
    assert set(scen["B"]["by_actor"]) >= {"magnet_maker", "regenerator"}
    p = scen["B"]["headline"]["co2_reduction_t"]
    assert p["p5"] <= p["p25"] <= p["p50"] <= p["p75"] <= p["p95"]


def test_bad_sections_name_the_field(magnet: lifecycle.ModelFile) -> None:
    bad = _section(
        {
            "parameters": [
                {
                    "parameter": "products.room_ac.nope",
                    "source": "x",
                    "distribution": "uniform",
                    "min": 0,
                    "max": 1,
                }
            ]
        }
    )
    with pytest.raises(ModelError, match=r"uncertainty\.parameters\[0\]\.parameter"):
        U.resolve(magnet, bad)
    with pytest.raises(ValueError, match="triangular distribution takes min, mode, max"):
        _section(
            {
                "parameters": [
                    {"parameter": "x", "distribution": "triangular", "min": 0, "source": "s"}
                ]
            }
        )
    with pytest.raises(ValueError, match="finite|nan|inf"):
        _section(
            {
                "parameters": [
                    {
                        "parameter": "x",
                        "distribution": "normal",
                        "mean": float("nan"),
                        "std": 1,
                        "source": "s",
                    }
                ]
            }
        )
    with pytest.raises(ModelError, match="no uncertain parameters"):
        U.resolve(magnet)
    with pytest.raises(ValueError, match="runs must be"):
        U.propagate(magnet, 0, section=_section(yaml.safe_load(MAGNET_SPEC.read_text())))


def test_pedigree_widens_a_lognormal() -> None:
    from junkan.lifecycle.uncertainty.distributions import marginal, pedigree_sigma2

    assert pedigree_sigma2((1, 1, 1, 1, 1), 1.05) == pytest.approx(np.log(1.05) ** 2)
    assert pedigree_sigma2((5, 5, 5, 5, 5), 1.05) == pytest.approx(
        np.log(1.05) ** 2 + 0.04 + 0.008 + 0.04 + 0.0008 + 0.12
    )
    narrow = marginal(
        U.UncertainParameter(
            parameter="x", distribution="lognormal", median=2, gsd=1.05, source="s"
        )
    )
    wide = marginal(
        U.UncertainParameter(
            parameter="x",
            distribution="lognormal",
            median=2,
            gsd=1.05,
            pedigree=(4, 4, 4, 4, 4),
            source="s",
        )
    )
    assert np.ptp(wide.support()) > np.ptp(narrow.support())
    assert narrow.median() == pytest.approx(2.0)


def test_the_default_basic_uncertainty_is_ecoinvents_smallest_variance() -> None:
    """Without ``gsd`` the basic variance is 0.0006 (Weidema et al. 2013, table 10.4), the
    v2 basic factor 1.05 read as the σg² it was: (ln 1.05 / 2)² — not 1.05 as the geometric
    standard deviation, ln(1.05)² = 0.0024, four times as much (review 218)."""
    from junkan.lifecycle.uncertainty.distributions import marginal, pedigree_sigma2

    assert pedigree_sigma2((1, 1, 1, 1, 1)) == pytest.approx(0.0006)
    assert pedigree_sigma2((1, 1, 1, 1, 1)) == pytest.approx((np.log(1.05) / 2) ** 2, rel=0.01)
    m = marginal(U.UncertainParameter(parameter="x", distribution="lognormal", median=0.8,
                                      pedigree=(4, 3, 2, 2, 3), source="s"))
    s = np.sqrt(0.0006 + 0.008 + 0.0006 + 0.0002 + 0.000025 + 0.008)
    assert float(m.dist.ppf(0.999)) == pytest.approx(0.8 * np.exp(3.090232 * s), rel=1e-6)


@pytest.mark.parametrize("scores", [(0, 1, 1, 1, 1), (1, 1, 1, 1, 6), (9, 9, 9, 9, 9)])
def test_a_pedigree_score_outside_1_to_5_is_refused_by_the_schema(scores: tuple[int, ...]
                                                                   ) -> None:
    """Review 219: refused only when the job ran, not when the service took the request."""
    with pytest.raises(ValueError, match="pedigree"):
        U.UncertainParameter(parameter="x", distribution="lognormal", median=2,
                             pedigree=scores, source="s")


@pytest.mark.slow
def test_cli_uncertainty_json(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "uncertainty",
            str(EXAMPLES / "compressor_magnet.yaml"),
            "--spec",
            str(MAGNET_SPEC),
            "--runs",
            "12",
            "--seed",
            "4",
            "--format",
            "json",
            "--out",
            str(tmp_path / "u"),
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["runs"] == 12 and doc["seed"] == 4
    assert (tmp_path / "u" / "uncertainty.html").exists()
    assert (tmp_path / "u" / "runs.csv").exists()
    res = CliRunner().invoke(
        app, ["uncertainty", str(EXAMPLES / "compressor_magnet.yaml"), "--runs", "5"]
    )
    assert res.exit_code == 2 and "uncertainty" in res.output


@pytest.mark.slow
def test_dask_localcluster_gives_the_same_numbers(magnet: lifecycle.ModelFile) -> None:
    distributed = pytest.importorskip("dask.distributed")
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    local = U.propagate(magnet, 300, seed=11, section=section)
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cl,
        distributed.Client(cl) as client,
    ):
        remote = U.propagate(magnet, 300, seed=11, section=section, backend="dask", client=client)
    assert np.array_equal(local.theta, remote.theta)
    _assert_same(local.outputs, remote.outputs)


def test_the_percentile_table_gives_each_figures_unit(magnet: lifecycle.ModelFile) -> None:
    """Review 222: percentiles.csv had no units (an actor's cost in what currency?)."""
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    frame = U.propagate(magnet, 4, seed=1, section=section).to_frame().set_index(
        ["scenario", "section", "figure"])
    assert frame.loc[("B", "totals", "co2e_t"), "unit"] == "tCO2e"
    assert frame.loc[("B", "headline", "co2_reduction_t"), "unit"] == "tCO2e/year"
    actor = next(s for s in frame.index.get_level_values("section") if s.startswith("actor:"))
    assert frame.loc[("B", actor, "cost"), "unit"] == "JPY"


def test_a_cluster_that_cannot_finish_is_an_error_that_says_so(
        magnet: lifecycle.ModelFile) -> None:
    """Review 222: every worker holding the scattered evaluator killed, every chunk was
    cancelled and the CLI printed a 60-line traceback. The evaluator is now a task (run
    again elsewhere when its worker dies) and a cluster that cannot finish says so."""
    pytest.importorskip("dask.distributed")
    from types import SimpleNamespace

    from distributed import KilledWorker

    from junkan.core.errors import JunkanError

    class Dying:
        """A client whose workers all die."""

        def submit(self, fn: Any, *args: Any, **kw: Any) -> str:
            return fn.__name__

        def gather(self, futures: list[str]) -> None:
            assert futures[0] == "_chunk"  # the evaluator went as a task's argument
            raise KilledWorker("_chunk-1", SimpleNamespace(address="tcp://127.0.0.1:1"), 3)

    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    with pytest.raises(JunkanError, match="the Dask cluster did not finish the 20 runs "
                       r"\(KilledWorker: .*its workers were lost or killed"):
        U.propagate(magnet, 20, seed=1, section=section, backend="dask", client=Dying())


def test_every_figure_and_parameter_says_its_unit(magnet: lifecycle.ModelFile) -> None:
    """Past gap: the results of uncertainty, sensitivity and calibration gave numbers without
    units (a new user read 'materials.rare_earth.virgin.co2e 24.8 / 38.93 / 63.07')."""
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    doc = U.propagate(magnet, 4, seed=1, section=section).to_json()
    units = {p["parameter"]: p["unit"] for p in doc["parameters"]}
    assert units["materials.rare_earth.virgin.co2e"] == "kgCO2e/kg"
    assert units["products.room_ac.eol.collection.rate"] == ""  # a plain share
    assert doc["units"]["headline"]["co2_reduction_t"] == "tCO2e/year"  # as compare says
    assert doc["units"]["headline"]["recycled_rare_earth_share"] == "fraction"
    assert doc["units"]["totals"]["co2e_t"] == "tCO2e"
    assert doc["units"]["by_actor"]["margin"] == "JPY"
    cal = U.calibrate(magnet, section=section, max_evaluations=2).to_json()
    assert {o["figure"]: o["unit"] for o in cal["observations"]}["co2_reduction_t"] == "tCO2e/year"
    assert all(p["unit"] == units[p["parameter"]] for p in cal["parameters"])


def test_percentiles_say_how_many_runs_gave_a_number(magnet: lifecycle.ModelFile) -> None:
    """Runs whose figure is not a number (a ratio 0/0) used to be dropped from the
    percentiles without a word: the result now says how many runs each figure stands on."""
    assert percentiles(np.array([1.0, np.nan, 3.0]))["n_defined"] == 2
    assert percentiles(np.array([np.nan]))["n_defined"] == 0
    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    ens = U.propagate(magnet, 6, seed=1, section=section)
    whole = ens.to_json()
    assert whole["undefined"] == []
    assert all(v["n_defined"] == 6 for s in whole["scenarios"] for v in s["totals"].values())
    ens.outputs.headline["B"]["co2_reduction_t"][[1, 4]] = np.nan  # two runs undefined
    doc = ens.to_json()
    figure = next(s for s in doc["scenarios"] if s["name"] == "B")["headline"]["co2_reduction_t"]
    assert figure["n_defined"] == 4 and figure["p50"] is not None
    assert doc["undefined"] == [{"scenario": "B", "section": "headline",
                                 "figure": "co2_reduction_t", "n_defined": 4, "runs": 6}]
    frame = ens.to_frame()
    row = frame[(frame.scenario == "B") & (frame.figure == "co2_reduction_t")]
    assert list(row.n_defined) == [4]


def test_the_terminal_table_says_how_many_runs_a_figure_stands_on(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The terminal showed p5/p50/p95 of a figure undefined in some runs as if over all."""
    real = U.propagate

    def two_undefined(*args: object, **kw: object) -> U.Ensemble:
        ens = real(*args, **kw)  # type: ignore[arg-type]
        ens.outputs.headline["B"]["co2_reduction_t"][[1, 4]] = np.nan
        return ens

    monkeypatch.setattr(U, "propagate", two_undefined)
    out = CliRunner().invoke(app, ["uncertainty", str(EXAMPLES / "compressor_magnet.yaml"),
                                   "--spec", str(MAGNET_SPEC), "--runs", "6", "--seed", "1"])
    assert out.exit_code == 0, out.output
    said = " ".join(out.output.split())
    assert "defined" in said
    assert "B · headline · co2_reduction_t is defined in 4 of 6 runs" in said


def test_the_multilinear_form_is_checked_away_from_the_nominal_point(
        magnet: lifecycle.ModelFile, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 250: a sensitivity or a calibration evaluates the nominal point first, where the
    form is exact by construction, and the form was checked at the first rows asked for only:
    for them the check proved nothing. Two draws of the distributions are checked too."""
    from junkan.lifecycle.uncertainty import evaluate

    section = _section(yaml.safe_load(MAGNET_SPEC.read_text(encoding="utf-8")))
    st = U.resolve(magnet, section)
    seen: list[np.ndarray] = []
    real = evaluate.surrogate

    def spy(*args: Any) -> Any:
        seen.append(args[-1])
        return real(*args)

    monkeypatch.setattr(evaluate, "surrogate", spy)
    Evaluator(st).evaluate(st.nominal())
    assert seen and all(len(c) == 3 for c in seen)
    nominal = st.nominal()
    assert all(any(not np.allclose(row, nominal) for row in c) for c in seen)
