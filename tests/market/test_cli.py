"""``junkan grade`` and ``junkan market …`` on the examples; bad input exits 2 naming the
field."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from junkan.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "market"
runner = CliRunner()


def test_grade_json_and_records(tmp_path: Path) -> None:
    out = tmp_path / "records.json"
    r = runner.invoke(
        app,
        [
            "grade",
            str(EX / "grade.yaml"),
            "--format",
            "json",
            "--as-of",
            "2026-12-01",
            "--records",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["classes"]["soil-mlit"][2] == "soil-class-3"
    records = json.loads(out.read_text("utf-8"))
    assert records[0]["grades"] and records[0]["id"] == "rpp-17"


def test_grade_bad_input_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "criteria: [rpp-injection]\nitems:\n  - {id: a, kind: part, material: "
        "{name: PP}, quantity: {mass: 1 kg}, properties: {mfr: {value: 3 kg}}}\n"
    )
    r = runner.invoke(app, ["grade", str(bad)])
    assert r.exit_code == 2 and "items[0].properties.mfr.value" in r.output


def test_market_match_offer_condition(tmp_path: Path) -> None:
    r = runner.invoke(
        app,
        [
            "market",
            "match",
            str(EX / "market.yaml"),
            "--format",
            "json",
            "--report",
            str(tmp_path / "m.html"),
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["summary"]["status"] == "optimal" and (tmp_path / "m.html").exists()
    r = runner.invoke(
        app,
        [
            "market",
            "offer",
            str(EX / "market.yaml"),
            "--seller",
            "dismantler-moji",
            "--format",
            "json",
        ],
    )
    assert r.exit_code == 0 and json.loads(r.stdout)["grades"][0]["met"]
    r = runner.invoke(
        app,
        ["market", "condition", str(EX / "market.yaml"), "--partner", "dismantler-moji", "--odrl"],
    )
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 1


def test_condition_partner_sees_only_itself() -> None:
    """``--partner`` shows a condition as that partner sees it: bilateral, so the other
    grantees (in ``granted_to`` and the ODRL access policy) are not named."""
    others = ["dismantler-yahata", "dismantler-kokura", "shredder-wakamatsu"]
    base = ["market", "condition", str(EX / "market.yaml"), "--partner", "dismantler-moji"]
    r = runner.invoke(app, [*base, "--odrl"])
    assert r.exit_code == 0, r.output
    (policy,) = json.loads(r.stdout)
    right = policy["access"]["permission"][0]["constraint"][0]["and"][0]["rightOperand"]
    assert right == ["dismantler-moji"]
    r = runner.invoke(app, [*base, "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [c["granted_to"] for c in json.loads(r.stdout)] == [["dismantler-moji"]]
    assert not any(o in r.stdout for o in others)
    r = runner.invoke(app, ["market", "condition", str(EX / "market.yaml"), "--format", "json"])
    assert "dismantler-yahata" in r.stdout  # without --partner: the buyers' full view


def test_match_json_stdout_is_only_json() -> None:
    """HiGHS prints its banner on C-level stdout when the first ``Highs`` is built (before
    ``output_flag`` can be set; CliRunner cannot see it): in a fresh process, stdout of
    ``--format json`` must parse as JSON."""
    import subprocess
    import sys

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "junkan",
            "market",
            "match",
            str(EX / "market.yaml"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr
    assert "HiGHS" not in r.stdout
    assert json.loads(r.stdout)["summary"]["status"] == "optimal"
