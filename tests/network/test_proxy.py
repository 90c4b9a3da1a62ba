"""Proxy tables (issue 25, item 3): a caller's per-prefecture table (vehicle registrations,
installed solar capacity, …) with its source and date splits a national supply; every bad
table is refused naming the file and the line or field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from junkan import network
from junkan.core.errors import ModelError
from junkan.network.geo import prefectures
from junkan.network.lifecycle_link import Proxy
from junkan.network.proxy import ProxyTable, parse_proxy_csv, read_proxy_table

HEAD = (
    "# kind: vehicle_registrations\n# quantity: motor vehicles registered\n"
    "# unit: vehicles\n# source: test table\n# as_of: 2024-03-31\nprefecture,value\n"
)


def _weights() -> dict[str, float]:
    """Hand-checkable weights: Tokyo 3, Osaka 1, every other prefecture 0."""
    return {p.name: {"Tokyo": 3.0, "Osaka": 1.0}.get(p.name, 0.0) for p in prefectures()}


def _csv(weights: dict[str, float]) -> str:
    return HEAD + "".join(f"{k},{v:g}\n" for k, v in weights.items())


def test_a_csv_table_splits_a_national_total_by_its_weights(tmp_path: Path) -> None:
    path = tmp_path / "vehicles.csv"
    path.write_text(_csv(_weights()), encoding="utf-8")
    table = read_proxy_table(path)
    assert table.kind == "vehicle_registrations"
    assert table.as_of.isoformat() == "2024-03-31"
    doc = {
        "name": "proxy",
        "commodities": {
            "hulk": {
                "supply": {
                    "national_total": "1000 t",
                    "source": "test total",
                    "distribute_by": table.model_dump(mode="json"),
                }
            }
        },
        "hubs": {
            "extra": [{"name": "H", "prefecture": "Aichi"}],
            "tiers": [{"capacity": "2000 t", "fixed_cost": "1 JPY"}],
        },
        "destinations": [{"name": "R", "prefecture": "Aichi", "capacity": {"hulk": "2000 t"}}],
        "modes": {
            "truck": {
                "cost": "30 JPY/(t*km)",
                "co2e": "208 gCO2e/(t*km)",
                "detour_factor": 1.3,
                "source": "test",
            }
        },
    }
    net = network.load(doc=doc)
    assert net.collected[12, 0] == pytest.approx(750.0)  # Tokyo: 3 / 4 of 1000 t
    assert net.collected[26, 0] == pytest.approx(250.0)  # Osaka
    assert net.collected.sum() == pytest.approx(1000.0)
    src = net.scenario.commodities["hulk"].supply.source or ""
    assert "vehicle registrations" in src and "test table" in src and "2024-03-31" in src
    # the same table as the lifecycle link's proxy
    proxy = Proxy.from_table(path)
    shares = proxy.shares()
    assert shares[12] == pytest.approx(0.75) and shares[26] == pytest.approx(0.25)
    assert "2024-03-31" in proxy.source


def test_a_yaml_table_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "solar.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "kind": "installed_solar_capacity",
                "quantity": "PV capacity installed",
                "unit": "kW",
                "source": "test",
                "as_of": "2025-03-31",
                "by_prefecture": _weights(),
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    assert read_proxy_table(path).weights()[12] == 3.0


@pytest.mark.parametrize(
    ("edit", "where", "what"),
    [
        (
            lambda t: t.replace("Osaka,1\n", "Osaka,1\n東京都,2\n"),
            "line 34, prefecture",
            "already given on line 19",
        ),
        (lambda t: t.replace("Osaka,1\n", "Osaka,nan\n"), "line 33, value", "finite"),
        (lambda t: t.replace("Osaka,1\n", "Osaka,-4\n"), "line 33, value", "finite"),
        (lambda t: t.replace("Osaka,1\n", "Osaka,lots\n"), "line 33, value", "not a number"),
        (lambda t: t.replace("Osaka,1\n", "Osaca,1\n"), "line 33, prefecture", "unknown"),
        (lambda t: t.replace("# as_of: 2024-03-31\n", ""), "# as_of", "missing"),
        (lambda t: t.replace("prefecture,value", "pref,count"), "line 6", "header"),
        (lambda t: t.replace("Okinawa,0\n", ""), "", "1 prefecture(s) missing (Okinawa)"),
        (
            lambda t: t.replace("Tokyo,3\n", "Tokyo,0\n").replace("Osaka,1\n", "Osaka,0\n"),
            "",
            "sum to 0",
        ),
    ],
)
def test_bad_tables_are_refused_naming_the_line(edit, where: str, what: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelError) as info:
        parse_proxy_csv(edit(_csv(_weights())), source="v.csv")
    text = str(info.value)
    assert "v.csv" in text and what in text
    assert any(p.path == where for p in info.value.problems), text


def test_a_proxy_cannot_split_what_is_already_split_and_files_are_bounded(tmp_path: Path) -> None:
    table = ProxyTable.model_validate(
        {
            "kind": "other",
            "quantity": "households",
            "source": "test",
            "as_of": "2024-01-01",
            "by_prefecture": _weights(),
        }
    )
    with pytest.raises(ValueError, match="already split"):
        network.NetworkScenario.model_validate(
            {
                "name": "x",
                "commodities": {
                    "c": {
                        "supply": {
                            "by_prefecture": {"Tokyo": "1 t"},
                            "source": "t",
                            "distribute_by": table.model_dump(mode="json"),
                        }
                    }
                },
                "hubs": {
                    "extra": [{"name": "H", "prefecture": "Aichi"}],
                    "tiers": [{"capacity": "2 t", "fixed_cost": "1 JPY"}],
                },
                "destinations": [{"name": "R", "prefecture": "Aichi", "capacity": {"c": "2 t"}}],
                "modes": {
                    "truck": {
                        "cost": "30 JPY/(t*km)",
                        "co2e": "208 gCO2e/(t*km)",
                        "detour_factor": 1.3,
                        "source": "t",
                    }
                },
            }
        )
    big = tmp_path / "big.csv"
    big.write_text(HEAD + "Tokyo,1\n" * 8_000, encoding="utf-8")
    with pytest.raises(ModelError, match="bytes"):
        read_proxy_table(big)
    many = tmp_path / "many.csv"
    many.write_text(HEAD + "Tokyo,1\n" * 500, encoding="utf-8")
    with pytest.raises(ModelError) as info:
        read_proxy_table(many)
    assert len(info.value.problems) <= 25 and "stopped reading" in str(info.value)
    with pytest.raises(ModelError, match="not found"):
        read_proxy_table(tmp_path / "none.csv")
