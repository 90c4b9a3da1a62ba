"""What a user relies on at the foresight boundaries: a model without a KPI, a CSV row with
stray cells and a CSV that is not UTF-8 are refused naming the file, the line or field and
what to do; the number of scenarios is bounded (below: the fewest that make sense, one
constant shared by the library, the CLI and the service; above: a count and the memory the
run would keep, checked before anything is allocated); and a split is reported only when
its smaller side has at least max(5, 5 % of n) scenarios — a continuum cut into small
groups claims no branch, a real driver is still found."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from junkan import foresight
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.foresight.branching import group_stats, scenario_tree, split
from junkan.foresight.grouping import features
from tests.conftest import EXAMPLES
from tests.foresight.models import calm_model, switch_model

VALIDATION = EXAMPLES / "foresight_validation.yaml"


def _no_kpi() -> dict[str, Any]:
    doc = copy.deepcopy(calm_model())
    for f in doc["factors"]:
        if f["role"] == "kpi":
            f["role"] = "state"
            f.pop("family")
    return doc


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["foresight", *args])


# --- 1. a model without a KPI ---------------------------------------------------------------

def test_a_model_without_a_kpi_is_refused_at_load_naming_the_file_and_the_field(
        tmp_path: Path) -> None:
    with pytest.raises(ModelError) as err:
        foresight.load(doc=_no_kpi(), source="m.yaml")
    assert err.value.source == "m.yaml"
    [problem] = err.value.problems
    assert problem.path == "factors" and problem.kind == "no-kpi"
    assert "role: kpi" in problem.message
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(_no_kpi()))
    for args in (["run", "--out", str(tmp_path / "out")], ["analyse"], ["describe"]):
        res = _cli(args[0], str(tmp_path / "m.yaml"), *args[1:])
        assert res.exit_code == 2, res.output
        assert "m.yaml:factors" in res.output and "role: kpi" in res.output
        assert "Traceback" not in res.output


# --- 2. CSV input ---------------------------------------------------------------------------

def _csv_model(tmp_path: Path, factors: bytes) -> Path:
    (tmp_path / "f.csv").write_bytes(factors)
    (tmp_path / "l.csv").write_text("src,dst,sign,strength\nd,k,+,1\n")
    (tmp_path / "m.yaml").write_text("name: m\nyears: {start: 2024, end: 2030}\n"
                                     "factors: f.csv\nlinks: l.csv\n")
    return tmp_path / "m.yaml"


def test_a_csv_row_with_more_cells_than_the_header_is_refused_with_its_line(
        tmp_path: Path) -> None:
    model = _csv_model(tmp_path, b"id,role,family\nd,driver,\nk,kpi,economy,0.4\n")
    with pytest.raises(ModelError) as err:
        foresight.load(model)
    assert err.value.source == str(tmp_path / "f.csv")
    [problem] = err.value.problems
    assert problem.path == "line 3" and problem.kind == "cells-beyond-header"
    assert "cell 4 ('0.4')" in problem.message and "(3 columns)" in problem.message
    res = _cli("run", str(model), "--out", str(tmp_path / "out"))
    assert res.exit_code == 2 and "f.csv:line 3: cell 4" in res.output, res.output


def test_empty_cells_beyond_the_header_are_harmless(tmp_path: Path) -> None:
    model = _csv_model(tmp_path, b"id,role,family\nd,driver,,\nk,kpi,economy,,\n")
    assert foresight.load(model).ids == ["d", "k"]


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_csv_that_is_not_utf8_is_refused_with_line_offset_and_how_to_fix(
        tmp_path: Path, bom: bytes) -> None:
    head = bom + b"id,role,family\nd,driver,\n"
    model = _csv_model(tmp_path, head + "k,kpi,経済\n".encode("shift_jis"))
    with pytest.raises(ModelError) as err:
        foresight.load(model)
    [problem] = err.value.problems
    assert problem.path == "line 3" and problem.kind == "csv-not-utf8"
    assert f"the byte 0x8c at offset {len(head) + 6} " in problem.message  # after "k,kpi,"
    assert "save it as UTF-8" in problem.message
    res = _cli("analyse", str(model))
    assert res.exit_code == 2 and "f.csv:line 3" in res.output, res.output


# --- 3. the number of scenarios -------------------------------------------------------------

def test_cli_refuses_more_scenarios_than_fit_in_memory_before_allocating(
        tmp_path: Path) -> None:
    japan = str(EXAMPLES / "japan_ce.yaml")
    for args in (["run", japan, "--n", "5000000", "--out", str(tmp_path / "o")],
                 ["analyse", japan, "--n", "2000000"],
                 ["report", japan, "--n", "2000000", "--out", str(tmp_path / "o")]):
        res = _cli(*args)
        assert res.exit_code == 2, res.output
        assert "--n:" in res.output and "GiB in memory" in res.output, res.output
    assert not (tmp_path / "o").exists()
    c = foresight.load(EXAMPLES / "japan_ce.yaml")
    with pytest.raises(ValueError, match="more than the limit 2 GiB"):
        foresight.run(c, 5_000_000, store_states=False)
    assert foresight.ensemble_bytes(c, 5_000_000, False) > foresight.MAX_ENSEMBLE_BYTES


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_cli_refuses_an_absurd_number_of_scenarios_on_either_backend(
        tmp_path: Path, backend: str) -> None:
    res = _cli("run", str(VALIDATION), "--n", str(10**12), "--backend", backend,
               "--out", str(tmp_path / "o"))
    assert res.exit_code == 2, res.output
    assert f"give at most {foresight.MAX_SCENARIOS:,} scenarios" in res.output
    with pytest.raises(ValueError, match="n: give a whole number of scenarios from 1 to"):
        foresight.run_distributed(foresight.load(VALIDATION), 10**12, tmp_path / "d")


@pytest.mark.parametrize("verb,n,least", [("run", "9", foresight.MIN_RUN_SCENARIOS),
                                          ("run", "-3", foresight.MIN_RUN_SCENARIOS),
                                          ("analyse", "99", foresight.MIN_ANALYSE_SCENARIOS),
                                          ("report", "10", foresight.MIN_ANALYSE_SCENARIOS)])
def test_cli_refuses_too_few_scenarios_saying_why(tmp_path: Path, verb: str, n: str,
                                                  least: int) -> None:
    res = _cli(verb, str(VALIDATION), f"--n={n}", "--out", str(tmp_path / "o")) \
        if verb != "analyse" else _cli(verb, str(VALIDATION), f"--n={n}")
    assert res.exit_code == 2, res.output
    assert f"--n: give at least {least} scenarios" in res.output
    assert ("fan bands" if least == foresight.MIN_RUN_SCENARIOS else "smaller side") \
        in res.output


def test_library_cli_and_service_share_the_minimum_of_an_analysis() -> None:
    c = foresight.load(VALIDATION)
    least = foresight.MIN_ANALYSE_SCENARIOS
    with pytest.raises(ValueError, match=f"at least {least} scenarios"):
        foresight.analyse(foresight.run(c, least - 1, seed=0), 2)
    with pytest.raises(ValueError, match=f"between {least} and {foresight.MAX_LIVE}"):
        foresight.analysis_document(c, least - 1)
    res = _cli("analyse", str(VALIDATION), "--n", str(least), "--k", "2")
    assert res.exit_code == 0, res.output


# --- 4. the smallest side of a reported split ------------------------------------------------

def test_min_side_is_five_scenarios_or_five_percent() -> None:
    assert [foresight.min_side(n) for n in (20, 100, 101, 1000, 20_000)] == \
        [5, 5, 6, 50, 1000]


def test_groups_of_a_single_scenario_claim_no_branch() -> None:
    """A continuum of futures cut into groups of one scenario each: a side of one scenario
    has no spread, so every difference looked like a perfect separation."""
    ens = foresight.run(foresight.load(doc=calm_model()), 20, seed=0)
    labels = np.arange(ens.n)
    stats = group_stats(ens, labels, ens.n)
    tree = scenario_tree(stats, labels, features(ens), ens.n)
    assert tree and all(node["branch_year"] is None for node in tree)
    assert all(node["min_side"] == 5 for node in tree)
    pair = split(stats, [0], [1])
    assert pair["branch_year"] is None and pair["smaller_side"] == 1


def test_a_lever_on_in_too_few_scenarios_is_not_reported_as_a_branch() -> None:
    """A lever on in 2 % of 1,000 scenarios parts 20 of them, fewer than the 50 (5 %) a
    reported split needs: the tree says so instead of claiming a branch."""
    c = foresight.load(doc=switch_model([2034]))
    ens = foresight.run(c, 1000, seed=3, lever_override={"switch": 0.02})
    on = ens.lever_on[:, 0].astype(np.int64)  # type: ignore[index]
    assert 5 <= on.sum() < 50
    stats = group_stats(ens, on, 2)
    res = split(stats, [0], [1])
    assert res["branch_year"] is None and res["driver"] is None
    assert res["smaller_side"] == on.sum() and res["min_side"] == 50
    assert res["separation"] > 0.8  # it does part, but too few futures do


@pytest.mark.parametrize("k", [9, 20, "auto"])
@pytest.mark.parametrize("seed", [0, 1])
def test_a_continuum_of_futures_claims_no_split_at_the_fewest_scenarios(
        k: int | str, seed: int) -> None:
    n = foresight.MIN_ANALYSE_SCENARIOS
    res = foresight.analyse(foresight.run(foresight.load(doc=calm_model()), n, seed=seed), k,
                            seed=seed, transitions_every=9)
    assert all(node["branch_year"] is None for node in res.tree)
    assert all(b["branch_year"] is None for b in res.branches)


@pytest.mark.parametrize("k", [2, 9, 20])
def test_a_real_driver_is_found_at_the_fewest_scenarios(k: int) -> None:
    n = foresight.MIN_ANALYSE_SCENARIOS
    res = foresight.analyse(foresight.run(foresight.load(VALIDATION), n, seed=0), k, seed=0,
                            transitions_every=9)
    root = res.tree[-1]
    assert root["branch_year"] == 2030 and root["driver"] == "push"
    assert root["smaller_side"] >= root["min_side"] == 5


def test_groups_alike_in_a_family_are_all_rated_middle_not_thirds_of_noise() -> None:
    """Ratings ranked any groups into thirds: groups drawn at random (alike in every family)
    got ◎ and △ from noise. Real groups of a model with drivers still get all three."""
    from junkan.foresight.analysis import ratings

    ens = foresight.run(foresight.load(VALIDATION), 400, seed=0)
    random_groups = np.random.default_rng(1).integers(0, 6, ens.n)
    marks, _ = ratings(ens, random_groups, 6)
    assert {m for g in marks for m in g.values()} == {"○"}
    res = foresight.analyse(ens, 6, seed=0)
    assert {m for g in res.ratings for m in g.values()} == {"◎", "○", "△"}


def test_groups_past_l_have_letters_as_on_the_page() -> None:
    """Groups 12 to 19 were named '12' … '19' in the report and CLI, so a tree node of groups
    1, 12 and 13 read 'B1213'; the page already said M … T."""
    from junkan.foresight.report import group_name

    assert [group_name(g) for g in (0, 11, 12, 19)] == ["A", "L", "M", "T"]


def test_groups_alike_in_every_value_differ_in_nothing_and_say_nothing() -> None:
    """Review 270: scipy's Kruskal–Wallis now answers NaN with a RuntimeWarning on stderr
    (it raised before) where every value is the same: no difference, and no warning."""
    import warnings

    from junkan.foresight.analysis import groups_differ

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert groups_differ([np.full(5, 2.0), np.full(7, 2.0)]) is False
        assert groups_differ([np.zeros(30), np.ones(30)]) is True


@pytest.mark.parametrize(("k", "marks"), [
    (1, "○"), (2, "◎△"), (3, "◎○△"), (4, "◎○○△"), (5, "◎◎○△△"), (6, "◎◎○○△△"),
    (7, "◎◎○○○△△")])
def test_ratings_are_as_many_top_as_bottom(k: int, marks: str) -> None:
    """Review 283: of two groups that differ the worse was ○ (the bottom third of two was
    empty), so k = auto's usual two groups never showed △; thirds are now as many ◎ as △."""
    from junkan.foresight.analysis import mark

    assert "".join(mark(r, k) for r in range(k)) == marks
