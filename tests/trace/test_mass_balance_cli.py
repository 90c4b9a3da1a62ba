"""Mass balance from the command line: ``import --period``, ``statement`` in three formats,
``close-period``, and ``verify`` finding an edited account entry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.trace.test_cli import run


@pytest.mark.slow
def test_mass_balance_commands(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    d = ("--database", f"sqlite:///{db}")
    batch = tmp_path / "b.json"
    batch.write_text(json.dumps({"events": [
        {"type": "create", "lot": "R", "material": "PE", "mass_kg": 100, "site": "plant",
         "cfp": {"total": 200}, "recycled": {"post_consumer": 0.3}},
        {"type": "process", "lot": "M", "site": "plant", "mass_kg": 20, "custody":
         "mass_balance", "inputs": [{"lot": "R", "mass_kg": 20}],
         "claim": {"post_consumer": 1.0}}]}))
    code, out = run("trace", "import", str(batch), "--org", "org-A", "--create-org",
                    "--period", "2099Q1", *d)
    assert code == 0, out
    code, out = run("trace", "statement", "--org", "org-A", *d)
    assert code == 0 and "plant · post_consumer · 2099Q1: balance 10 kg" in out, out
    code, out = run("trace", "statement", "--org", "org-A", "--format", "csv", *d)
    assert "plant,post_consumer,2099Q1,claim,M,20,1,20,," in out, out
    code, out = run("trace", "statement", "--org", "org-A", "--format", "json", *d)
    assert json.loads(out)["accounts"][0]["balance_kg"] == 10
    code, out = run("trace", "close-period", "--org", "org-A", "--site", "plant",
                    "--period", "2026Q5", *d)
    assert code == 2 and "calendar quarter like 2026Q1" in out
    code, out = run("trace", "close-period", "--org", "org-A", "--site", "plant",
                    "--period", "2099Q1", *d)
    assert code == 0, out
    code, out = run("trace", "statement", "--org", "org-A", "--period", "2099Q2", *d)
    assert "2099Q2: balance 10 kg (carry_in 10 kg)" in out, out
    assert run("trace", "verify", *d)[0] == 0
    con = sqlite3.connect(db)
    con.execute("UPDATE trace_balance_entries SET mass_kg = 15 WHERE kind = 'carry_in'")
    con.commit()
    con.close()
    code, out = run("trace", "verify", *d)
    assert code == 1 and "mass_kg stored 15.0, replayed from the signed log 10.0" in out, out
