"""Two refusals at the market's boundary: ``junkan market condition --partner`` with a name
the document does not hold (it printed an empty table with exit code 0: a misspelt partner
looked like one granted nothing), and an offer whose composition is 0 wt % in every entry
(a form sent unfilled passed every upper limit and was matched as the cleanest lot)."""

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
from junkan.api.seed import PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.cli.main import app
from junkan.core.errors import ModelError
from tests.market.test_api import _token, client  # noqa: F401  (the fixture)

EX = Path(__file__).resolve().parents[2] / "examples" / "market" / "market.yaml"


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(yaml.safe_load(EX.read_text("utf-8")),
                                                default=str))
    return doc


def test_a_misspelt_partner_is_refused_with_the_nearest_name() -> None:
    for extra in ([], ["--odrl"], ["--format", "json"]):
        res = CliRunner().invoke(app, ["market", "condition", str(EX), "--partner",
                                       "dismantler-mojj", *extra])
        assert res.exit_code == 2, res.output
        said = " ".join(res.stderr.split())
        assert "--partner dismantler-mojj: no organisation of that name in" in said
        assert "(did you mean 'dismantler-moji'?)" in said
        assert "known: alloy-maker-A, alloy-maker-B, dismantler-kokura, dismantler-moji" in said
        assert res.stdout == ""  # no table, no JSON


def test_known_partners_are_every_organisation_the_document_names() -> None:
    assert market.organisations(market.load(EX)) == [
        "alloy-maker-A", "alloy-maker-B", "dismantler-kokura", "dismantler-moji",
        "dismantler-tobata", "dismantler-yahata", "port-hub", "shredder-wakamatsu"]
    # a seller granted nothing is known: its (empty) view, said in words, exit code 0
    res = CliRunner().invoke(app, ["market", "condition", str(EX), "--partner",
                                   "dismantler-tobata"])
    assert res.exit_code == 0 and "no condition is granted to dismantler-tobata" in res.stdout
    res = CliRunner().invoke(app, ["market", "condition", str(EX), "--partner",
                                   "dismantler-moji", "--format", "json"])
    assert res.exit_code == 0 and [c["id"] for c in json.loads(res.stdout)] == ["premium-cast"]


def zero_lot_doc() -> dict[str, Any]:
    doc = example()
    lot = doc["lots"][6]
    assert lot["id"] == "t-1"
    lot["item"]["composition"] = {k: 0 for k in lot["item"]["composition"]}
    return doc


def test_an_all_zero_composition_is_refused_naming_the_lot() -> None:
    with pytest.raises(ModelError) as err:
        market.load(text=json.dumps(zero_lot_doc()))
    [p] = err.value.problems
    assert p.path == "lots[6].item.composition" and p.kind == "composition-all-zero"
    assert p.message.startswith("lot t-1: every entry of item.composition is 0 wt %")
    # one measured entry of 0 (no nickel) among others is a composition, not a blank form
    doc = example()
    doc["lots"][6]["item"]["composition"]["Ni"] = 0
    assert market.load(text=json.dumps(doc)).lots[6].item.composition["Ni"] == 0


def test_the_cli_and_the_offer_route_refuse_it_too(
    tmp_path: Path, client: TestClient  # noqa: F811
) -> None:
    doc = zero_lot_doc()
    bad = tmp_path / "zero.yaml"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(app, ["market", "match", str(bad)])
    assert res.exit_code == 2 and "lots[6].item.composition: lot t-1: every entry" in " ".join(
        res.stderr.split())
    seller = _token(client, PARTNER_EMAIL, PARTNER_PASSWORD)
    lot = copy.deepcopy(doc["lots"][6])
    lot["seller"] = "Partner Recycling"
    res = client.post("/api/market/offers", json=lot, headers=seller)
    assert res.status_code == 422, res.text
    assert "lot t-1: every entry of item.composition is 0 wt %" in res.text
    assert "composition-all-zero" in res.text
    lot["item"]["composition"]["Si"] = 7.0  # the same offer, filled in
    assert client.post("/api/market/offers", json=lot, headers=seller).status_code == 201
