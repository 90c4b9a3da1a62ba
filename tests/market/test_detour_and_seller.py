"""Review items: a detour factor below 1 (road shorter than the straight line) was accepted
and raised the margin; ``market offer --seller`` with no such seller named neither the file
nor the seller meant."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan import grading, market
from junkan.cli.main import app

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"
runner = CliRunner()


def _with_detour(tmp_path: Path, factor: float) -> Path:
    doc = yaml.safe_load(EX.read_text("utf-8"))
    doc["transport"] = {"title": "truck", "cost": "30 JPY/(t*km)", "detour_factor": factor,
                        "source": "test"}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc), "utf-8")
    return path


@pytest.mark.parametrize("factor", [0.5, 0.999])
def test_detour_below_one_is_refused_naming_the_field(tmp_path: Path, factor: float) -> None:
    path = _with_detour(tmp_path, factor)
    with pytest.raises(grading.GradingError) as err:
        market.load(path)
    (p,) = err.value.problems
    assert p.path == "transport.detour_factor" and p.kind == "detour-below-one"
    r = runner.invoke(app, ["market", "match", str(path)])
    assert r.exit_code == 2
    assert "m.yaml" in r.output and "transport.detour_factor" in r.output
    assert f"detour factor {factor:g}" in r.output


def test_detour_of_one_is_accepted(tmp_path: Path) -> None:
    assert market.load(_with_detour(tmp_path, 1.0)).transport.detour_factor == 1.0


def test_offer_unknown_seller_names_the_file_and_the_nearest_seller() -> None:
    r = runner.invoke(app, ["market", "offer", str(EX), "--seller", "dismantler-yahta"])
    assert r.exit_code == 2
    out = " ".join(r.output.split())
    assert "--seller dismantler-yahta: no lots of that seller in" in out and "market.yaml" in out
    assert "did you mean 'dismantler-yahata'?" in out
    assert "sellers: dismantler-kokura" in out
    with pytest.raises(grading.GradingError, match="did you mean 'dismantler-yahata'"):
        market.offer(market.load(EX), "dismantler-yahta")
