"""The new ``junkan policy`` commands through typer's runner: solar, reuse-key, reuse-sign,
reuse and disclose (the lead registers the sub-app as ``policy``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.policy import app

FIX = Path(__file__).parent / "fixtures"
run = CliRunner().invoke


def test_solar_view_and_supply(tmp_path: Path) -> None:
    r = run(app, ["solar", str(FIX / "solar.yaml"), "--org", "dismantler-1", "--format", "json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert [d["id"] for d in doc["installations"]] == ["I1"]
    assert "owner" not in doc["installations"][0]
    r = run(app, ["solar", str(FIX / "solar.yaml"), "--org", "x", "--supply-year", "2032"])
    assert json.loads(r.output)["by_prefecture"] == {"Tokyo": "0.6 t"}
    r = run(
        app, ["solar", str(FIX / "solar.yaml"), "--org", "owner-1", "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 0 and (tmp_path / "o" / "solar.ja.html").exists()
    r = run(app, ["solar", str(FIX / "pack.yaml"), "--org", "x"])
    assert r.exit_code == 2 and "kind must be 'solar_registry'" in r.output


def test_reuse_sign_and_verify(tmp_path: Path) -> None:
    keys = json.loads(run(app, ["reuse-key"]).output)
    (tmp_path / "key").write_text(keys["private_key"])
    (tmp_path / "rec.yaml").write_text(
        "type: repair\nby: repairer\nat: 2026-03-01T10:00:00+09:00\n"
        "parts_replaced: [{part: drain pump}]\n"
    )
    r = run(
        app,
        [
            "reuse-sign",
            str(FIX / "reuse_history.yaml"),
            "--record",
            str(tmp_path / "rec.yaml"),
            "--key",
            str(tmp_path / "key"),
        ],
    )
    assert r.exit_code == 0, r.output
    (tmp_path / "h.json").write_text(r.output)
    (tmp_path / "trust.yaml").write_text(f"repairer: {keys['public_key']}\n")
    r = run(app, ["reuse", str(tmp_path / "h.json"), "--trusted", str(tmp_path / "trust.yaml")])
    assert r.exit_code == 0 and "valid" in r.output
    # no trusted keys: anyone could have signed as repairer — not valid, and said so
    r = run(app, ["reuse", str(tmp_path / "h.json")])
    assert r.exit_code == 1 and "authors NOT VERIFIED" in r.output
    assert "unverified authors (no trusted key): repairer" in r.output and "--trusted" in r.output
    r = run(app, ["reuse", str(tmp_path / "h.json"), "--format", "json"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 1 and doc["valid"] is False and doc["intact"] is True
    edited = json.loads((tmp_path / "h.json").read_text())
    edited["records"][0]["parts_replaced"][0]["part"] = "door seal"
    (tmp_path / "h2.json").write_text(json.dumps(edited))
    r = run(app, ["reuse", str(tmp_path / "h2.json")])
    assert r.exit_code == 1 and "DOES NOT VERIFY" in r.output
    (tmp_path / "bad").write_text("AAAA")
    r = run(
        app,
        [
            "reuse-sign",
            str(FIX / "reuse_history.yaml"),
            "--record",
            str(tmp_path / "rec.yaml"),
            "--key",
            str(tmp_path / "bad"),
        ],
    )
    assert r.exit_code == 2 and "32 bytes" in r.output
    r = run(app, ["reuse-sign", str(FIX / "reuse_history.yaml"), "--record",
                  str(tmp_path / "rec.yaml"), "--key", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "missing: cannot read the key file (No such file" in r.output
    assert "Errno" not in r.output


@pytest.mark.parametrize("key", ["not base64!!", "AAAA"])
def test_a_malformed_trusted_key_is_named_not_a_forgery(tmp_path: Path, key: str) -> None:
    """Before: a trusted key that is no Ed25519 public key made the history "DOES NOT
    VERIFY", as if it had been forged."""
    (tmp_path / "trust.yaml").write_text(f"repairer: '{key}'\n")
    r = run(app, ["reuse", str(FIX / "reuse_history.yaml"), "--trusted",
                  str(tmp_path / "trust.yaml")])
    assert r.exit_code == 2 and "DOES NOT VERIFY" not in r.output
    assert "trust.yaml:repairer: is not an Ed25519 public key" in " ".join(r.output.split())


def test_disclose_writes_the_inline_xbrl(tmp_path: Path) -> None:
    r = run(app, ["disclose", str(FIX / "pack.yaml"), "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    assert "esrs_e5.5.waste_total" in r.output and "920" in r.output
    x = (tmp_path / "p" / "esrs_e5.xhtml").read_text("utf-8")
    assert x.startswith('<?xml version="1.0" encoding="UTF-8"?>') and "ix:nonFraction" in x
    assert {p.name for p in (tmp_path / "p").iterdir()} == {
        "esrs_e5.xhtml",
        "disclosure.json",
        "disclosure.ja.html",
        "disclosure.en.html",
        ".junkan-results",  # the record: the next run may replace only these
    }
    r = run(app, ["disclose", str(FIX / "pack.yaml"), "--taxonomy", str(FIX / "pack.yaml")])
    assert r.exit_code == 2 and "not a taxonomy package" in r.output
