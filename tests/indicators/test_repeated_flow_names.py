"""Inflow and outflow names are labels, not keys: two entries may share one (steel from two
suppliers with different recycled shares; one waste stream split between two routes) and every
framework counts both, exactly as if they were named apart — the same answer from the library,
``junkan indicators FILE`` and ``POST /api/indicators``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from junkan import indicators
from junkan.api import create_app
from junkan.cli.main import app
from junkan.store.db import Settings
from tests.api.conftest import demo_tokens, store_url

REPEATED = """
name: acme
inflows:
  - {name: steel, mass: 600 t, recycled: 0.5}
  - {name: steel, mass: 400 t}
outflows:
  - {name: scrap, mass: 300 t, route: recycling, actual_recovery: 1}
  - {name: scrap, mass: 200 t, route: landfill}
"""
# by hand: inflow 600 + 400 = 1000 t, of which 600 × 0.5 = 300 t recycled; outflow 300 + 200
# = 500 t, 300 t recycled (diverted) and 200 t landfilled (disposed). Keeping only the last
# "steel" or "scrap" would give 400 t in (0 recycled) and 200 t out (all landfilled).
BY_HAND = {
    "cti.circular_inflow": 0.3,
    "cti.circular_outflow": 0.6,
    "iso59020.inflow_recycled": 0.3,
    "iso59020.outflow_recycled": 0.6,
    "esrs_e5.4.total_inflow": 1000.0,
    "esrs_e5.5.waste_total": 500.0,
    "esrs_e5.5.waste_diverted": 300.0,
    "esrs_e5.5.waste_disposed": 200.0,
}
# the same flows with every name its own
DISTINCT = (REPEATED.replace("{name: steel, mass: 400 t}", "{name: steel B, mass: 400 t}")
            .replace("{name: scrap, mass: 200 t", "{name: scrap B, mass: 200 t"))


def _values(doc: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    return {i["key"]: i["value"] for inds in doc.values() for i in inds}


def _check(doc: dict[str, list[dict[str, Any]]]) -> None:
    values = _values(doc)
    for key, expected in BY_HAND.items():
        assert values[key] == pytest.approx(expected), key


def test_repeated_names_are_two_flows_each_counted_once() -> None:
    model = indicators.load(text=REPEATED)
    assert [i.name for i in model.inflows] == ["steel", "steel"]
    assert [o.name for o in model.outflows] == ["scrap", "scrap"]
    doc = indicators.run(model).to_json()
    _check(doc)
    # and everything else (values, inputs, notes, reasons) as with distinct names
    assert doc == indicators.run(indicators.load(text=DISTINCT)).to_json()


def _cli(tmp_path: Path, text: str) -> dict[str, Any]:
    path = tmp_path / "flows.yaml"
    path.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["indicators", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_cli_counts_each_repeated_name(tmp_path: Path) -> None:
    doc = _cli(tmp_path, REPEATED)
    _check(doc["acme"]["indicators"])
    assert doc == _cli(tmp_path, DISTINCT)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    service = create_app(Settings(database_url=store_url("sqlite", tmp_path)), seed=True)
    with TestClient(service) as c:
        yield c


def test_api_route_counts_each_repeated_name(client: TestClient) -> None:
    auth, _ = demo_tokens(client)

    def post(text: str) -> dict[str, Any]:
        res = client.post("/api/indicators", content=text,
                          headers={**auth, "Content-Type": "application/yaml"})
        assert res.status_code == 200, res.text
        doc: dict[str, Any] = res.json()
        return doc

    doc = post(REPEATED)
    _check(doc)
    assert doc == post(DISTINCT)
