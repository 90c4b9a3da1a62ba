"""Values that gave a wrong match without a word are refused where they are read, naming
the file, the field and the value: a lot of 1e14 kg (the match said "optimal", 43 million
JPY, and delivered nothing), a negative handling cost (added to every margin through it)
and a negative transport cost (loaded, and refused only by the match, without the file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from junkan import market
from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD, PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.cli.main import app
from junkan.core.errors import ModelError
from tests.market.test_api import DEMO, PARTNER, _token, client  # noqa: F401

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def _doc() -> dict[str, Any]:
    d: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(EX.read_text("utf-8")),
                                              default=str))
    return d


def _set(d: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    d = copy.deepcopy(d)
    o = d
    for p in path[:-1]:
        o = o[p]
    o[path[-1]] = value
    return d


@pytest.mark.parametrize(("path", "value", "words"), [
    (["lots", 0, "item", "quantity", "mass"], "1e14 kg",
     "lots[0].item.quantity.mass: lot y-1: item.quantity.mass 100,000,000,000,000 kg is above "
     "100,000,000 kg"),
    (["conditions", 0, "handling"], "-500 JPY/kg",
     "conditions[0].handling: a negative handling cost (-500 JPY/kg)"),
    (["pools", 0, "handling"], -3, "pools[0].handling: a negative handling cost (-3 JPY/kg)"),
    (["transport", "cost"], "-30 JPY/(t*km)",
     "transport.cost: transport cost must not be negative, got '-30 JPY/(t*km)'"),
    (["transport", "co2e"], "208 kg", "transport.co2e: transport co2e '208 kg' has unit 'kg'"),
    (["transport", "detour_factor"], 50,
     "transport.detour_factor: detour factor 50: the road distance divided by the "
     "straight-line distance is at most 5"),
])
def test_a_match_refuses_absurd_values_naming_file_field_and_value(
    path: list[Any], value: Any, words: str, tmp_path: Path
) -> None:
    f = tmp_path / "m.json"
    f.write_text(json.dumps(_set(_doc(), path, value)))
    with pytest.raises(ModelError) as err:
        market.load(f)
    assert words in str(err.value) and "m.json" in str(err.value)
    for verb in (["match"], ["condition"]):
        out = CliRunner().invoke(app, ["market", *verb, str(f)])
        assert out.exit_code == 2 and "m.json" in out.output, out.output


def test_a_lot_of_100_000_t_is_still_matched() -> None:
    d = _set(_doc(), ["lots", 0, "item", "quantity", "mass"], "1e8 kg")
    res = market.run(market.Market.model_validate(d))
    assert res.summary()["status"] == "optimal"
    assert any(a["lot"] == "y-1" for a in res.assignments())


def test_the_offer_and_condition_routes_refuse_a_huge_lot_and_a_negative_handling(
    client: TestClient,  # noqa: F811
) -> None:
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    lot = {**_doc()["lots"][0], "seller": PARTNER}
    lot["item"] = {**lot["item"], "quantity": {"mass": "1e14 kg"}}
    res = client.post("/api/market/offers", json=lot, headers=seller)
    assert res.status_code == 422 and "100,000,000 kg" in json.dumps(res.json())
    buyer = _token(client, DEMO_EMAIL, DEMO_PASSWORD)
    cond = {**_doc()["conditions"][0], "buyer": DEMO, "granted_to": [PARTNER],
            "handling": "-500 JPY/kg"}
    res = client.post("/api/market/conditions", json=cond, headers=buyer)
    assert res.status_code == 422 and "negative handling cost" in json.dumps(res.json())


def test_a_match_with_too_many_routes_is_refused_before_solving(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from junkan.market import api

    monkeypatch.setattr(api, "MAX_ROUTES", 10)
    monkeypatch.setattr(api, "solve", None)  # never reached
    f = tmp_path / "m.json"
    f.write_text(json.dumps(_doc()))
    with pytest.raises(ModelError, match=r"candidate routes \(7 lots, 2 conditions, 2 pooling "
                                         r"points, up to 2 per lot\) are more than the 10"):
        market.run(market.load(f))
    out = CliRunner().invoke(app, ["market", "match", str(f)])
    assert out.exit_code == 2 and "m.json" in out.output and "more than the 10" in out.output


def test_a_few_kg_of_a_100_000_t_lot_are_shown_where_the_margin_counts_them() -> None:
    """5 kg of a 100,000 t lot is a share of 5e-8, below the share tolerance: the margin
    counted it, the assignments, the matched mass and the explanation did not."""
    d = _set(_doc(), ["lots", 0, "item", "quantity", "mass"], "1e8 kg")
    for c in d["conditions"]:
        c.update(capacity="5 kg", min_lot=0)
    res = market.run(market.Market.model_validate(d))
    s, rows = res.summary(), res.assignments()
    assert s["margin_JPY"] == pytest.approx(sum(a["margin_JPY"] for a in rows), rel=1e-9)
    assert s["matched_kg"] == pytest.approx(sum(a["kg"] for a in rows)) == pytest.approx(10.0)
    assert any(a["lot"] == "y-1" for a in rows)
    y1 = next(u for u in res.unmatched_rows() if u["lot"] == "y-1")
    assert y1["code"] != "not_granted" and "adc12-feed" in y1["message"]


def test_ids_with_brackets_are_printed_as_written(tmp_path: Path) -> None:
    """A lot or site id such as ``[/]`` was read as console markup: a traceback
    (MarkupError) instead of the table; ``[red]…`` would have been swallowed."""
    d = _set(_doc(), ["lots", 6, "id"], "[/]")
    f = tmp_path / "m.json"
    f.write_text(json.dumps(d))
    out = CliRunner().invoke(app, ["market", "match", str(f)])
    assert out.exit_code == 0, out.output
    assert "unmatched [/] (6.0 t): not_granted" in out.output
    soil = yaml.safe_load((Path(market.__file__).parents[1] / "data" / "examples" / "soil"
                           / "soil.yaml").read_text("utf-8"))
    soil["sources"][2]["id"] = "[/x]"
    g = tmp_path / "s.yaml"
    g.write_text(yaml.safe_dump(soil))
    out = CliRunner().invoke(app, ["market", "soil", str(g)])
    assert out.exit_code == 0, out.output
    assert "not matched [/x] 2027-04" in out.output
