"""The diagnosis says what it compared with (review 283): with peers listed by code the
council report named a population size class ("compared with municipalities of
10,000–49,999 inhabitants", "Peers (population size class)") the listed peers need not be
in; and the CLI printed a cost of 10,000 JPY as ``1e+04`` where the report shows 10,000."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from junkan.cli.main import app
from junkan.core.report import format_number

HERE = Path(__file__).parent / "fixtures"
DOC = HERE / "diagnosis_tiny.yaml"


def listed(tmp_path: Path) -> Path:
    """試験市A (10,000 inhabitants) against 試験市D (20,000: another size class) and 試験市E."""
    for name in ("survey_tiny.csv", "measures_tiny.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    doc = DOC.read_text(encoding="utf-8").replace(
        "peers: {size_class_bounds: [19000]}", 'peers: {codes: ["99004", "99005"]}')
    (tmp_path / "d.yaml").write_text(doc, encoding="utf-8")
    return tmp_path / "d.yaml"


def test_listed_peers_are_named_in_both_reports(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["policy", "diagnose", str(listed(tmp_path)), "--out",
                                 str(out)])
    assert r.exit_code == 0, r.output
    assert "ranks among 3 peers (as listed)" in r.output
    en = (out / "diagnosis.en.html").read_text(encoding="utf-8")
    ja = (out / "diagnosis.ja.html").read_text(encoding="utf-8")
    assert "compared with the listed peers: 試験市D (99004), 試験市E (99005)" in en
    assert "Peers (as listed)" in en and "inhabitants" not in en
    assert "指定した類似団体（試験市D（99004）、試験市E（99005））と比較" in ja
    assert "類似団体（指定した団体）" in ja and "人の団体と比較" not in ja
    assert "list more peer codes" in en and "指定する団体コードを増やすこと" in ja
    doc = CliRunner().invoke(app, ["policy", "diagnose", str(listed(tmp_path)), "--format",
                                   "json"])
    assert '"peers_by": "codes"' in doc.output


def test_a_size_class_is_still_said_as_one(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["policy", "diagnose", str(DOC), "--out", str(out)])
    assert r.exit_code == 0, r.output
    en = (out / "diagnosis.en.html").read_text(encoding="utf-8")
    assert "compared with municipalities of 0–18,999 inhabitants" in en
    assert "Peers (population size class)" in en
    assert "人口 0〜18,999人の団体と比較" in (out / "diagnosis.ja.html").read_text("utf-8")


def test_the_cli_prints_figures_as_the_report_shows_them() -> None:
    """試験市A: cost 10,000 JPY/person/yr (was 1e+04), R 600 / 3,650 = 16.44 % (was 0.164)."""
    r = CliRunner().invoke(app, ["policy", "diagnose", str(DOC)], terminal_width=200)
    assert r.exit_code == 0, r.output
    assert "10,000" in r.output and "1e+04" not in r.output
    assert "16.44 %" in r.output
    # and the report's own format never falls to an exponent just below 10,000
    assert [format_number(v) for v in (9999.4, 9999.5, 9999.96, -9999.7)] == [
        "9,999", "10,000", "10,000", "-10,000"]
