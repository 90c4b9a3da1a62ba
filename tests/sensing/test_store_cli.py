"""Raw streams in Parquet (by line and day), CSV replay, scenario errors and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from junkan import sensing
from junkan.cli.main import app
from junkan.core.errors import JunkanError, ModelError
from junkan.sensing.generator import LineParams

EXAMPLE = "examples/sensing/jam_and_gas.yaml"


def test_raw_store_round_trip(tmp_path: Path) -> None:
    rec = sensing.generate(sensing.Scenario(duration_s=5, seed=9))
    store = sensing.RawStore(tmp_path, every=20)
    t0 = 1_764_547_197.5  # 23:59:57.5 UTC: the 5 s recording crosses midnight
    for i in range(50):
        s = slice(i * 10, i * 10 + 10)
        store.add(sensing.Batch("L7", i, t0 + i * 0.1, {k: v[s] for k, v in rec.signals.items()}))
    store.flush()
    days = sorted(p.name for p in (tmp_path / "line=L7").glob("day=*"))  # beside: _last.json
    assert days == ["day=2025-11-30", "day=2025-12-01"]
    back = sensing.read_raw(tmp_path, "L7", rec.params)  # type: ignore[arg-type]
    assert np.allclose(back.signals["current"], rec.signals["current"][:500])


def test_csv_errors_name_line_and_column(tmp_path: Path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("t,rpm,current\n0,600,1000\n0.01,600,-3\n", encoding="utf-8")
    params = LineParams.of(sensing.Scenario(duration_s=2))
    with pytest.raises(JunkanError, match="line 3, column 'current'"):
        sensing.read_csv(p, "L1", params)


def test_csv_text_and_time_errors_name_line_and_column(tmp_path: Path) -> None:
    """Text in a number column was read as a missing value, silently; a time going backwards
    was refused without saying where."""
    params = LineParams.of(sensing.Scenario(duration_s=2))
    p = tmp_path / "r.csv"
    p.write_text("t,rpm,current\n0,600,1000\n0.01,600,abc\n", encoding="utf-8")
    with pytest.raises(JunkanError, match=f"{p}: line 3, column 'current': 'abc' is not a number"):
        sensing.read_csv(p, "L1", params)
    p.write_text("t,rpm,current\n0,600,1000\n0.01,600,1000\n0.005,600,1000\n", encoding="utf-8")
    with pytest.raises(JunkanError, match=f"{p}: line 4, column 't': 0.005 does not come after"):
        sensing.read_csv(p, "L1", params)


def test_raw_store_errors_name_the_part_file(tmp_path: Path) -> None:
    """A damaged part file failed with pyarrow's error (not a JunkanError); a value out of
    range was reported against the store's folder with a CSV line number."""
    params = LineParams.of(sensing.Scenario(duration_s=2))
    rec = sensing.generate(sensing.Scenario(duration_s=2, seed=9))
    store = sensing.RawStore(tmp_path, every=1)
    for i in range(2):
        s = slice(i * 10, i * 10 + 10)
        store.add(sensing.Batch("L7", i, 1_764_547_200 + i * 0.1,
                                {k: v[s] for k, v in rec.signals.items()}))
    first, second = sorted((tmp_path / "line=L7").glob("day=*/part-*.parquet"))
    df = pd.read_parquet(second)
    df.loc[4, "current"] = -7.0
    df.to_parquet(second, index=False)
    with pytest.raises(JunkanError, match=f"{second}: row 5, column 'current': -7.0 is outside"):
        sensing.read_raw(tmp_path, "L7", params)
    first.write_bytes(b"not parquet")
    with pytest.raises(JunkanError, match=f"{first}: cannot read the raw data"):
        sensing.read_raw(tmp_path, "L7", params)


def test_scenario_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"events\[0\]"):
        sensing.load(text="duration_s: 10\nevents: [{type: jam, start_s: 20}]\n")
    with pytest.raises(ModelError, match="severity"):
        sensing.load(text="duration_s: 10\nevents: [{type: jam, start_s: 2, severity: .nan}]")
    with pytest.raises(ModelError, match="duration_s"):
        sensing.load(text="duration_s: 1e9\n")


@pytest.mark.slow
def test_cli_run_and_evaluate(
    tmp_path: Path, models: sensing.Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sensing, "train", lambda *a, **k: models)
    monkeypatch.setattr("junkan.sensing.api.train", lambda *a, **k: models)
    r = CliRunner().invoke(app, ["sensing", "run", EXAMPLE, "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "reverse" in r.output and (tmp_path / "o" / "report.html").exists()
    bad = tmp_path / "t.yaml"
    bad.write_text("duration_s: 30\nseed: 1\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["sensing", "evaluate", "--scenario", str(bad)])
    assert r.exit_code == 2 and "tuning" in r.output


def test_listen_needs_one_transport() -> None:
    from junkan.cli.sensing import app as sensing_app

    r = CliRunner().invoke(sensing_app, ["listen", "--seconds", "1"])
    assert r.exit_code != 0 and "--broker or --opcua" in r.output
    r = CliRunner().invoke(sensing_app, ["listen", "--opcua", "opc.tcp://127.0.0.1:1/"])
    assert r.exit_code != 0 and "--line" in r.output


@pytest.mark.slow
def test_publish_to_no_broker_says_so() -> None:
    """A past bug (docs walk): with no broker at the address, ``sensing publish`` replayed
    the hour-long recording to nobody, printing nothing; it now fails naming the broker, as
    soon as the connection is refused (it waited out 10 s before, 2026-12-05)."""
    example = Path(__file__).parents[2] / "examples" / "sensing" / "normal_shift.yaml"
    res = CliRunner().invoke(app, ["sensing", "publish", str(example),
                                   "--broker", "mqtt://127.0.0.1:1"])
    assert res.exit_code == 2
    assert "--broker mqtt://127.0.0.1:1: no connection (unreachable)" in " ".join(
        res.output.split())
