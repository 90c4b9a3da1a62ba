"""The per-group reach check (cfea5e9) tests the scenario's own supplies and capacities; a plan
over periods replaces them per period (``supply_by_year``, ``demand_by_year``), so a periods
scenario whose base capacity one group cannot meet is still planned (review of 2026-12-03:
the shipped periods example with Hokkaido's recycler at 1,000 t and Kanto's at 300,000 t was
refused, though every period can be served)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan.cli.main import app
from tests.conftest import ROOT

EXAMPLES = ROOT / "src" / "junkan" / "data" / "examples"

pytestmark = pytest.mark.slow


def test_a_periods_plan_is_not_refused_by_the_base_capacities(tmp_path: Path) -> None:
    for csv in EXAMPLES.glob("network_periods_*.csv"):
        shutil.copy(csv, tmp_path)
    text = (EXAMPLES / "network_periods_tables.yaml").read_text(encoding="utf-8")
    text, n1 = re.subn(r"(Recycler Hokkaido.*)capacity: \{panel: 60000 t\}",
                       r"\1capacity: {panel: 1000 t}", text)
    text, n2 = re.subn(r"(Recycler Kanto.*)capacity: \{panel: 150000 t\}",
                       r"\1capacity: {panel: 300000 t}", text)
    assert n1 == n2 == 1, "the example no longer has the lines this test edits"
    scenario = tmp_path / "periods.yaml"
    scenario.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["network", "periods", str(scenario)])
    assert res.exit_code == 0, res.output
