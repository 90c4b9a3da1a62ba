"""The streamed answer: the first feasible plan as soon as HiGHS has one, then each improved
plan, then the polished final (checked on the small test network, where it is cheap)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from junkan import network
from junkan.cli.network import app
from junkan.network.solver import backend
from tests.network.test_plan import SMALL


def test_streamed_plans_improve_and_end_at_the_final() -> None:
    net = network.load(text=yaml.safe_dump(SMALL))
    seen: list[network.Plan] = []
    final = network.run(net, mip_rel_gap=1e-6, on_plan=seen.append)
    if backend() != "highspy":  # the scipy fallback has no callbacks
        assert seen == []
        return
    assert seen, "no streamed plan"
    objs = [p.objective for p in seen]
    assert all(b <= a * (1 + 1e-9) for a, b in zip(objs, objs[1:], strict=False))
    assert all(p.stopped == "improving" and p.open_hubs for p in seen)
    # polishing only re-solves the flows of the last incumbent exactly: never worse
    assert final.objective <= objs[-1] * (1 + 1e-9)
    # every streamed plan is a feasible plan: all collected supply reaches a hub
    collected = float(net.collected.sum())
    for p in seen:
        inflow = sum(h["inflow_t"] for h in p.open_hubs)
        assert abs(inflow - collected) <= 1e-6 * collected
    doc = network.progress_document(seen[0])
    assert doc["stopped"] == "improving" and doc["hubs_opened"]
    assert final.work["lp_iterations"] >= 0 and final.work["cpu_seconds"] >= 0


def test_cli_solve_prints_the_streamed_answers(tmp_path: Path) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL), encoding="utf-8")
    res = CliRunner().invoke(app, ["solve", str(path), "--gap", "0.000001"])
    assert res.exit_code == 0, res.output
    if backend() == "highspy":
        assert "answer at" in res.output and "hubs, gap" in res.output


def test_process_age_counts_from_the_process_start() -> None:
    import time

    from junkan.cli.network import process_age

    a = process_age()
    time.sleep(0.05)
    b = process_age()
    assert 0 <= a <= b < 24 * 3600  # this test process started before this test
