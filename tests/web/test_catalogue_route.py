"""The indicator catalogue route (read-only): sign-in required, the shipped 45 indicators and
the IN/OUT relations as the indicators capability reads them, a malformed data file refused with
the file and entry named; and the UI's JSON copies of the shipped examples match the YAML."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.routers.catalogue import parse_catalogue
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
from junkan.indicators.catalogue import catalogue, relations
from junkan.store.db import Settings

ROOT = Path(__file__).parents[2]
STATIC_EXAMPLES = ROOT / "src" / "junkan" / "web" / "static" / "examples"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    db = tmp_path_factory.mktemp("db") / "junkan.db"
    with TestClient(create_app(Settings(database_url=f"sqlite:///{db}"), seed=True)) as c:
        yield c


def test_the_catalogue_needs_a_signed_in_user(client: TestClient) -> None:
    client.cookies.clear()
    res = client.get("/api/indicators/catalogue")
    assert res.status_code == 401
    assert res.headers["content-type"].startswith("application/problem+json")


def test_the_catalogue_is_the_shipped_data(client: TestClient) -> None:
    res = client.post("/api/session", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
    assert res.status_code == 200
    doc = client.get("/api/indicators/catalogue").json()
    assert [e["number"] for e in doc["indicators"]] == list(range(1, 46))
    shipped = {e.number: e for e in catalogue()}
    for e in doc["indicators"]:
        assert (e["en"], e["ja"], e["level"]) == (
            shipped[e["number"]].name_en,
            shipped[e["number"]].name_ja,
            shipped[e["number"]].level,
        )
        assert e["representative"] == (e["number"] <= 5)
    assert doc["indicators"][2]["en"] == "Recycled-content rate (inflow side)"
    # IN/OUT exactly as the indicators capability reads them; the rest none or unknown
    for rep, cells in relations().items():
        got = doc["relations"][str(rep)]
        assert {int(k): v for k, v in got.items() if v in ("IN", "OUT")} == cells
        assert set(got.values()) <= {"IN", "OUT", "none", "unknown"}
    assert doc["source"] and doc["read"] == "2026-11-23"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            {"indicators": [{"number": 1, "en": "x", "ja": "y"}], "relations": {}},
            "indicators[0] needs number, ja, en and level",
        ),
        (
            {
                "indicators": [{"number": 1, "en": "x", "ja": "y", "level": "vision"}],
                "relations": {1: {2: "IN"}},
            },
            "relations.1.2",
        ),
        (
            {
                "indicators": [
                    {"number": 1, "en": "x", "ja": "y", "level": "vision"},
                    {"number": 2, "en": "x", "ja": "y", "level": "vision"},
                ],
                "relations": {1: {2: "sideways"}},
            },
            "'sideways' is not one of",
        ),
        ([1, 2], "needs a list 'indicators'"),
    ],
)
def test_a_malformed_catalogue_names_file_and_entry(raw: Any, message: str) -> None:
    with pytest.raises(ValueError, match="cat.yaml") as exc:
        parse_catalogue(raw, "cat.yaml")
    assert message in str(exc.value)


def _plain(v: Any) -> Any:
    """YAML's dates as the ISO strings JSON carries."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v.isoformat() if isinstance(v, dt.date) else v


@pytest.mark.parametrize(
    ("copy", "source", "changed"),
    [
        ("sensing_jam_and_gas", "sensing/jam_and_gas.yaml", {}),
        (
            "sensing_normal_20min",
            "sensing/normal_shift.yaml",
            {"duration_s": 1200, "name": "normal running, first 20 minutes"},
        ),
        ("uncertainty_atm_reuse", "uncertainty/atm_reuse.yaml", {}),
        ("uncertainty_compressor_magnet", "uncertainty/compressor_magnet.yaml", {}),
        ("optimise_compressor_magnet", "optimise/compressor_magnet.yaml", {}),
    ],
)
def test_the_pages_example_settings_are_the_shipped_examples(
    copy: str, source: str, changed: dict[str, Any]
) -> None:
    """The web pages offer JSON copies of examples/; a copy that drifts fails here (the
    20-minute monitor example is the shipped hour cut to the service's limit per run)."""
    mine = json.loads((STATIC_EXAMPLES / f"{copy}.json").read_text("utf-8"))
    shipped = _plain(yaml.safe_load((ROOT / "examples" / source).read_text("utf-8")))
    assert mine == {**shipped, **changed}
