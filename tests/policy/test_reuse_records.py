"""Reuse records as a repairer signs them and a buyer reads them: a record dated before the
history's last one is refused naming the record's ``at`` and file (the CLI blamed the key
file), and a history cut at the end — which the chain cannot show — has another head."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from junkan import policy
from junkan.cli.main import app

HISTORY = Path(__file__).parent / "fixtures" / "reuse_history.yaml"


def test_cli_a_record_earlier_than_the_last_is_blamed_on_the_record(tmp_path: Path) -> None:
    private, _ = policy.new_key()
    (tmp_path / "k").write_text(private, encoding="utf-8")
    (tmp_path / "r1.yaml").write_text("type: repair\nby: shop-1\nat: 2026-03-01T10:00:00+09:00\n")
    (tmp_path / "r2.yaml").write_text("type: repair\nby: shop-1\nat: 2025-03-01T10:00:00+09:00\n")
    runner = CliRunner()
    first = runner.invoke(app, ["policy", "reuse-sign", str(HISTORY), "--record",
                                str(tmp_path / "r1.yaml"), "--key", str(tmp_path / "k")])
    assert first.exit_code == 0, first.output
    (tmp_path / "h1.json").write_text(first.stdout, encoding="utf-8")
    assert len(json.loads(first.stdout)["records"]) == 1
    res = runner.invoke(app, ["policy", "reuse-sign", str(tmp_path / "h1.json"), "--record",
                              str(tmp_path / "r2.yaml"), "--key", str(tmp_path / "k")])
    assert res.exit_code != 0
    out = " ".join(res.output.split())
    assert "r2.yaml" in out and "at: 2025-03-01T10:00:00+09:00 is earlier than" in out, out
    assert str(tmp_path / "k") + ":" not in out


def test_a_history_cut_at_the_end_still_verifies_but_its_head_differs() -> None:
    """The chain cannot show records cut from the end; the head (the last record's hash) the
    buyer compares with the author's does."""
    from junkan.policy.reuse import GENESIS, Record, record_hash

    private, public = policy.new_key()
    h = policy.load(HISTORY)
    assert isinstance(h, policy.History)
    assert policy.run(h, trusted={}).to_json()["head"] == GENESIS
    for day in ("01", "05"):
        r = Record.model_validate({"type": "inspection", "by": "shop-1",
                                   "at": f"2026-03-{day}T10:00:00+09:00"})
        h = policy.sign_record(h, r, private)
    full = policy.run(h, trusted={"shop-1": public}).to_json()
    cut = policy.run(h.model_copy(update={"records": h.records[:1]}),
                     trusted={"shop-1": public}).to_json()
    assert full["valid"] and cut["valid"]  # both verify: the chain alone cannot tell
    assert full["head"] != cut["head"]
    assert full["head"] == record_hash(h.product.serial, h.records[-1])
    assert "cut from the end" in full["method"]
