"""``junkan meter photos|enrol|identify`` and the live commands' input errors, through the
sub-app (junkan.cli.meter.app)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from junkan.cli.meter import app

runner = CliRunner()


@pytest.mark.slow
def test_photos_enrol_identify(tmp_path: Path) -> None:
    ph = tmp_path / "ph"
    r = runner.invoke(
        app, ["photos", "--out", str(ph), "--per-model", "6", "--seed", "2", "--models", "3"]
    )
    assert r.exit_code == 0, r.output
    truth = [line.split(",") for line in (ph / "truth.csv").read_text().splitlines()[1:]]
    assert len(truth) == 18
    cat = tmp_path / "cat.yaml"
    for model in ("JK-C100", "JK-M101", "JK-A102"):
        shots = [str(ph / n) for n, m, lab in truth if m == model and lab == "none"][:1]
        shots += [str(ph / n) for n, m, lab in truth if m == model and lab == "qr"][:1]
        r = runner.invoke(
            app, ["enrol", *shots, "--catalogue", str(cat), "--model", model, "--bom", "x#y"]
        )
        assert r.exit_code == 0, r.output
    doc = yaml.safe_load(cat.read_text())
    assert [m["model"] for m in doc["models"]] == ["JK-C100", "JK-M101", "JK-A102"]
    assert all(len(m["shape"]) == 2 for m in doc["models"])
    held = [n for n, m, lab in truth if m == "JK-M101" and lab == "none"]
    r = runner.invoke(
        app, ["identify", str(ph / held[1]), "--catalogue", str(cat), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)[0]
    assert out["model"] == "JK-M101" and out["method"] == "shape"
    r = runner.invoke(app, ["identify", str(tmp_path / "none.png"), "--catalogue", str(cat)])
    assert r.exit_code == 2 and "No such file" in r.output
    # an unreadable photo among good ones: the good ones are identified, the bad one refused
    # with its reason (exit 2), never skipped silently
    (tmp_path / "garbage.png").write_bytes(b"not an image at all")
    good, bad = str(ph / held[1]), str(tmp_path / "garbage.png")
    r = runner.invoke(app, ["identify", good, bad, "--catalogue", str(cat), "--format", "json"])
    assert r.exit_code == 2
    assert "JK-M101" in r.output and "refused" in r.output and "garbage.png" in r.output


def test_live_commands_refuse_bad_input(tmp_path: Path) -> None:
    circuits = tmp_path / "c.yaml"
    circuits.write_text("circuits: {a: {phases: 1}}\n")
    meters = tmp_path / "m.yaml"
    meters.write_text("meters: [{circuit: a, host: h, port: 99999, current_a: {address: 0}}]\n")
    r = runner.invoke(app, ["poll", str(meters), "-c", str(circuits), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "port" in r.output
    r = runner.invoke(
        app, ["listen", "-c", str(circuits), "--out", str(tmp_path / "o"), "--broker", "http://x"]
    )
    assert r.exit_code == 2 and "mqtt://host:port" in r.output
