"""Hostile openLCA zips (review of issue 17): malformed entities, non-finite numbers,
emissions in units that are not masses, negative reference amounts."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from junkan.core.errors import JunkanError

pytest.importorskip("olca_schema")
from junkan.lifecycle import olca  # noqa: E402
from tests.lifecycle.test_olca import _sample  # noqa: E402


def _mutated(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The test sample with its steel process changed by ``change``."""
    src = _sample(tmp_path / "s.zip")
    out = tmp_path / "m.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for name in zin.namelist():
            doc = json.loads(zin.read(name))
            if name.startswith("processes/") and doc.get("name") == "steel production":
                change(doc)
            zout.writestr(name, json.dumps(doc))
    return out


def _co2(doc: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in doc["exchanges"] if e["flow"]["name"].startswith("Carbon"))


def test_an_emission_in_m3_is_left_out_with_a_note(tmp_path: Path) -> None:
    """3.6 m³ of CO2 used to count as 3.6 kg."""

    def m3(doc: dict[str, Any]) -> None:
        _co2(doc)["unit"]["name"] = "m3"

    template, notes = olca.import_template(_mutated(tmp_path, m3))
    co2e = float(template["processes"]["steel_production"]["co2e"].split()[0])
    assert co2e == pytest.approx(0.004 * 29.8 / 2)  # the methane only
    assert any("'m3', not a mass; left out" in n for n in notes)


@pytest.mark.parametrize("constant", ["NaN", "Infinity"])
def test_non_finite_numbers_are_refused_by_entry(tmp_path: Path, constant: str) -> None:
    """NaN and Infinity used to become 'nan kgCO2e/kg' factors in the template."""
    src = _mutated(tmp_path, lambda d: None)
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w") as zout:
        for name in zin.namelist():
            text = zin.read(name).decode()
            if name.startswith("processes/") and "steel production" in text:
                text = text.replace('"amount": 3.6', f'"amount": {constant}')
            zout.writestr(name, text)
    with pytest.raises(JunkanError, match=f"processes/.*json: not JSON .*{constant}"):
        olca.import_template(bad)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: _co2(d).update(amount="abc"),
        lambda d: d.update(exchanges="nope"),
        lambda d: d["exchanges"][0].update(unit="kg"),
    ],
    ids=["amount-text", "exchanges-text", "unit-text"],
)
def test_malformed_processes_name_their_entry(tmp_path: Path, change: Any) -> None:
    """These used to escape as ValueError / AttributeError tracebacks; they are now refused
    by their field (:func:`junkan.lifecycle.olca_read.typed`)."""
    with pytest.raises(JunkanError, match=r"m\.zip:processes/[0-9a-f-]+\.json: (not an olca|"
                                          r"exchanges\[\d+\]\.amount is \"abc\", not a number|"
                                          r"exchanges is a JSON str, not a list|"
                                          r"exchanges\[0\]\.unit is \"kg\", not a reference)"):
        olca.import_template(_mutated(tmp_path, change))


def test_a_negative_reference_amount_is_skipped_with_a_note(tmp_path: Path) -> None:
    """It used to give negative factors (−1.86 kgCO2e/kg)."""

    def negative(doc: dict[str, Any]) -> None:
        next(e for e in doc["exchanges"] if e.get("isQuantitativeReference"))["amount"] = -2

    template, notes = olca.import_template(_mutated(tmp_path, negative))
    assert "steel_production" not in template["processes"]
    assert any("negative reference amount" in n for n in notes)


def test_cli_refuses_reversed_years_an_empty_actor_and_an_unwritable_out(
    tmp_path: Path,
) -> None:
    """Reversed years used to say 'outside the model horizon'; an empty actor wrote a
    template whose actor is ''; a missing folder for --out was a FileNotFoundError
    traceback."""
    from typer.testing import CliRunner

    from junkan.cli.main import app
    from tests.lifecycle.test_optimise import MODEL

    runner = CliRunner()
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    out = str(tmp_path / "m.zip")
    res = runner.invoke(
        app, ["olca", "export", str(tmp_path / "m.yaml"), "--out", out, "--years", "2025:2020"]
    )
    assert res.exit_code == 2 and "FIRST must not come after LAST" in res.output
    sample = str(_sample(tmp_path / "s.zip"))
    res = runner.invoke(app, ["olca", "import", sample, "--actor", " "])
    assert res.exit_code == 2 and "--actor" in res.output
    (tmp_path / "a_file").write_text("x", encoding="utf-8")
    blocked = tmp_path / "a_file" / "t.yaml"  # (a missing folder is made: review 231)
    res = runner.invoke(app, ["olca", "import", sample, "--out", str(blocked)])
    assert res.exit_code == 2, res.output
    assert "--out" in res.output and "no folder can be made under it" in res.output


def test_export_years_beyond_the_horizon_are_refused(tmp_path: Path) -> None:
    """``--years 1990:2030`` on a 2020–2028 model summed 2020–2028 and called it 'the
    period': a window reaching beyond the horizon is refused naming the horizon, as
    optimise's years are; a window inside it is exported."""
    from typer.testing import CliRunner

    from junkan.cli.main import app
    from tests.lifecycle.test_optimise import MODEL

    runner = CliRunner()
    (tmp_path / "m.yaml").write_text(MODEL, encoding="utf-8")
    for window in ("1990:2025", "2022:2030", "2030:2031"):
        res = runner.invoke(app, ["olca", "export", str(tmp_path / "m.yaml"), "--out",
                                  str(tmp_path / f"{window[:4]}.zip"), "--years", window])
        assert res.exit_code != 0, (window, res.output)
        assert f"--years '{window}': not within the horizon of" in res.output, res.output
        assert "m.yaml, 2020–2028" in res.output, res.output
        assert not (tmp_path / f"{window[:4]}.zip").exists()
    res = runner.invoke(app, ["olca", "export", str(tmp_path / "m.yaml"), "--out",
                              str(tmp_path / "ok.zip"), "--years", "2021:2028"])
    assert res.exit_code == 0 and (tmp_path / "ok.zip").exists(), res.output
