"""Model forms (issue 16): a stored model or a shipped template as a form document, live
validation by the lifecycle loader with each error's document path, saving a form edit as a
new version (diffable), creating a model from a template — and each refused to another
organisation."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan.api import create_app
from junkan.api.routers.model_forms import (
    DISTANCE_UNITS,
    DURATION_UNITS,
    MASS_UNITS,
    checked,
    document_text,
    unit_choices,
)
from junkan.api.seed import PARTNER_EMAIL, PARTNER_PASSWORD
from junkan.store.db import Settings
from tests.api.conftest import login


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("forms") / "junkan.db"
    return create_app(Settings(database_url=f"sqlite:///{db}"), seed=True)


@pytest.fixture(scope="module")
def client(app: Any) -> Any:
    """The demo organisation's user, signed in (a session: cheaper than a bearer token)."""
    with TestClient(app) as c:
        login(c)
        yield c


@pytest.fixture(scope="module")
def partner(app: Any, client: TestClient) -> TestClient:
    """A user of another organisation (Partner Recycling), signed in."""
    c = TestClient(app)
    login(c, PARTNER_EMAIL, PARTNER_PASSWORD)
    return c


def _model(client: TestClient, name: str) -> dict[str, Any]:
    return next(m for m in client.get("/api/models").json() if m["name"] == name)


def _problem(res: Any, status: int) -> dict[str, Any]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    doc: dict[str, Any] = res.json()
    return doc


def _paths(res: Any) -> dict[str, str]:
    return {e["path"]: e["message"] for e in _problem(res, 422)["errors"]}


@pytest.mark.slow  # the loader in worker processes: seconds on a loaded machine
def test_form_document_and_choices(client: TestClient) -> None:
    atm = _model(client, "atm_reuse")
    form = client.get(f"/api/models/{atm['id']}/form").json()
    assert form["version"] == 1 and form["owner"] is True and form["format"] == "yaml"
    doc = form["document"]
    assert doc["products"]["atm"]["bom"][4] == {"material": "steel", "mass": "280 kg"}
    assert doc["products"]["atm"]["eol"]["uncollected"] == {"shredding": 1}
    ch = form["choices"]
    assert "kgCO2e/(t*km)" in ch["units"]["co2e"] and "JPY/piece" in ch["units"]["cost"]
    assert "manufacturing" in ch["stage"] and "dismantler" in ch["role"]
    assert ch["distribution"] == ["fixed", "normal", "lognormal", "weibull"]
    assert "truck" in ch["library"]["transport_japan"]["modes"]
    tpl = client.get("/api/forms/templates").json()
    assert {t["name"] for t in tpl} == {"atm_reuse", "compressor_magnet"}
    t = client.get("/api/forms/templates/compressor_magnet").json()
    assert t["template"] == "compressor_magnet" and "products" in t["document"]
    _problem(client.get("/api/forms/templates/network_elv_japan"), 404)
    _problem(client.get("/api/forms/templates/nope"), 404)


@pytest.mark.slow  # the loader in worker processes: seconds on a loaded machine
def test_errors_by_path_and_save_as_version(client: TestClient) -> None:
    atm = _model(client, "atm_reuse")
    doc = client.get(f"/api/models/{atm['id']}/form").json()["document"]
    bad = copy.deepcopy(doc)
    bad["products"]["atm"]["eol"]["dismantling"]["residual"] = {"shredding": 1.4}
    bad["products"]["atm"]["bom"][5]["mass"] = "25 year"
    bad["processes"]["field_service"]["source"] = ""
    bad["parts"]["bill_unit"]["recovery"]["reuse"]["pass_rate"] = -0.1
    res = client.post(f"/api/models/{atm['id']}/form/validate", json={"document": bad})
    errors = _paths(res)
    assert set(errors) >= {
        "products.atm.eol.dismantling.residual.shredding",
        "products.atm.bom[5].mass",
        "processes.field_service.source",
        "parts.bill_unit.recovery.reuse.pass_rate",
    }, errors
    assert "cannot be converted to 'kg'" in errors["products.atm.bom[5].mass"]
    # the same document without a model (a new one): the same errors
    assert _paths(client.post("/api/forms/validate", json={"document": bad})) == errors
    # unit factors are read once the document's shape is right (the loader's second step)
    factor = copy.deepcopy(doc)
    factor["processes"]["atm_assembly"]["co2e"] = "200 kgCO2e/m"
    assert (
        "not a factor per piece"
        in _paths(client.post("/api/forms/validate", json={"document": factor}))[
            "processes.atm_assembly.co2e"
        ]
    )
    good = copy.deepcopy(doc)
    good["products"]["atm"]["eol"]["collection"]["rate"] = 0.25
    good["products"]["atm"]["bom"][5]["mass"] = "30 kg"
    ok = client.post(
        f"/api/models/{atm['id']}/form/validate",
        json={"document": good, "base_version": 1},
    ).json()
    assert ok["valid"] and len(ok["scenarios"]) == 4
    # the masses the loader computes from the BOM tree: four modules (60 + 9 + 12 + 7 kg) and
    # 280 + 30 (edited) + 6 + 3 kg of materials
    assert ok["masses"]["parts"]["bill_unit"] == pytest.approx(60)
    assert ok["masses"]["products"]["atm"] == pytest.approx(88 + 319)
    saved = client.put(
        f"/api/models/{atm['id']}/form",
        json={"document": good, "base_version": 1, "comment": "form edit"},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["latest_version"] == 2
    v2 = client.get(f"/api/models/{atm['id']}/download", params={"version": 2}).text
    assert v2.startswith("# Case II of seed 003")  # the header comments stay
    assert yaml.safe_load(v2) == json.loads(json.dumps(good))
    # the check announced the lines the version diff counts (written anew the first time)
    d12 = client.get(f"/api/models/{atm['id']}/diff", params={"a": 1, "b": 2}).json()
    assert ok["changes"] == {"added": d12["added"], "removed": d12["removed"]}
    assert d12["added"] > 2 and d12["removed"] > 2  # written anew: flow style unfolds
    versions = client.get(f"/api/models/{atm['id']}/versions").json()
    assert versions[-1]["comment"] == "form edit"
    # the next form edit diffs to just the changed line
    again = copy.deepcopy(good)
    again["products"]["atm"]["sales"] = 1200
    assert (
        client.put(
            f"/api/models/{atm['id']}/form",
            json={"document": again, "base_version": 2},
        ).status_code
        == 200
    )
    d = client.get(f"/api/models/{atm['id']}/diff", params={"a": 2, "b": 3}).json()
    assert (d["added"], d["removed"]) == (1, 1) and "+    sales: 1200" in d["diff"]
    # edited on an old version: 409; an invalid save stores nothing
    _problem(
        client.put(
            f"/api/models/{atm['id']}/form",
            json={"document": good, "base_version": 2},
        ),
        409,
    )
    _paths(client.put(f"/api/models/{atm['id']}/form", json={"document": bad}))
    assert client.get(f"/api/models/{atm['id']}").json()["latest_version"] == 3


def test_create_from_template(client: TestClient) -> None:
    doc = client.get("/api/forms/templates/compressor_magnet").json()["document"]
    doc["name"], doc["title"] = "my_compressor", "My compressor"
    res = client.post("/api/forms", json={"document": doc})
    assert res.status_code == 201, res.text
    m = res.json()
    assert m["name"] == "my_compressor" and m["latest_version"] == 1 and m["owner"]
    assert client.get(f"/api/models/{m['id']}/form").json()["document"] == doc
    doc["name"] = "bad name!"
    assert "name" in _paths(client.post("/api/forms", json={"document": doc}))


def test_other_organisations_cannot_read_check_or_save(
    client: TestClient, partner: TestClient, app: Any
) -> None:
    atm = _model(client, "atm_reuse")
    doc = client.get(f"/api/models/{atm['id']}/form").json()["document"]
    before = client.get(f"/api/models/{atm['id']}").json()["latest_version"]
    _problem(partner.get(f"/api/models/{atm['id']}/form"), 404)
    _problem(
        partner.post(f"/api/models/{atm['id']}/form/validate", json={"document": doc}),
        404,
    )
    _problem(partner.put(f"/api/models/{atm['id']}/form", json={"document": doc}), 404)
    assert client.get(f"/api/models/{atm['id']}").json()["latest_version"] == before
    # shared: the partner may read and check, not save
    assert (
        client.post(
            f"/api/models/{atm['id']}/shares",
            json={"organisation": "Partner Recycling"},
        ).status_code
        == 201
    )
    assert partner.get(f"/api/models/{atm['id']}/form").json()["owner"] is False
    assert (
        partner.post(f"/api/models/{atm['id']}/form/validate", json={"document": doc}).status_code
        == 200
    )
    _problem(partner.put(f"/api/models/{atm['id']}/form", json={"document": doc}), 404)
    # signed out: 401 everywhere
    anonymous = TestClient(app)
    for method, path in [
        ("GET", f"/api/models/{atm['id']}/form"),
        ("POST", "/api/forms/validate"),
        ("GET", "/api/forms/templates"),
        ("POST", "/api/forms"),
    ]:
        assert anonymous.request(method, path, json={"document": doc}).status_code == 401


def test_bodies_refused_at_the_boundary(client: TestClient) -> None:
    v = "/api/forms/validate"
    h = {"Content-Type": "application/json"}
    nan = client.post(v, headers=h, content='{"document": {"years": {"start": NaN}}}')
    assert "finite" in json.dumps(_problem(nan, 422))
    deep: Any = 1
    for _ in range(40):
        deep = {"a": deep}
    assert "nested" in json.dumps(_problem(client.post(v, json={"document": deep}), 422))
    _problem(client.post(v, json={"document": {}, "extra": 1}), 422)
    _problem(client.post(v, json={"document": {}, "base_version": "1"}), 422)
    _problem(client.post(v, json={"document": []}), 422)
    huge = client.post(v, headers=h, content='{"document": {"x": ' + "9" * 400 + "}}")
    assert huge.status_code in (413, 422)
    # an empty document: the loader names the missing fields
    assert {"name", "years", "actors"} <= set(_paths(client.post(v, json={"document": {}})))


def test_every_offered_unit_loads() -> None:
    """Each unit of the pickers is one the lifecycle loader accepts where the form offers it."""
    from junkan import lifecycle
    from tests.conftest import ROOT

    base = yaml.safe_load((ROOT / "examples" / "atm_reuse.yaml").read_text("utf-8"))
    units = unit_choices("JPY")
    doc = copy.deepcopy(base)
    procs = doc["processes"]
    for key in ("co2e", "energy", "cost", "revenue"):
        for i, u in enumerate(units[key]):
            procs[f"p_{key}_{i}"] = {
                "actor": "atm_maker",
                "stage": "transport",
                key: f"1.5 {u}",
                "distance": "10 km",
                "source": "assumption: unit check",
            }
    for i, u in enumerate(DISTANCE_UNITS):
        procs[f"d_{i}"] = {
            "actor": "atm_maker",
            "stage": "transport",
            "mode": "truck",
            "distance": f"100 {u}",
            "source": "assumption: unit check",
        }
    mats = doc["materials"]
    for key in ("co2e", "energy", "cost"):
        for i, u in enumerate(units[f"supply_{key}"]):
            mats[f"m_{key}_{i}"] = {"virgin": {key: f"2 {u}", "source": "assumption: check"}}
    bom = doc["products"]["atm"]["bom"]
    bom += [{"material": "steel", "mass": f"1 {u}"} for u in MASS_UNITS]
    for u in DURATION_UNITS:
        doc["products"]["atm"]["lifetime"] = {"distribution": "fixed", "mean": f"120 {u}"}
        lifecycle.load(text=json.dumps(doc), source="units")
    assert len(units["co2e"]) == 15


def test_checked_walks_without_recursion() -> None:
    deep: Any = []
    for _ in range(5_000):  # deeper than Python's recursion limit
        deep = [deep]
    with pytest.raises(ValueError, match="nested"):
        checked({"x": deep})
    with pytest.raises(ValueError, match="finite"):
        checked({"x": [1.0, float("inf")]})
    assert checked({"x": [1, 2.5, "a", None, True]}) == {"x": [1, 2.5, "a", None, True]}


def test_document_text_keeps_format_and_header() -> None:
    doc = {"name": "x", "title": "循環", "sales": {"2020": 10}}
    assert json.loads(document_text(doc, "json")) == doc  # a JSON model stays JSON
    previous = "# about x\n# source: y\nname: x  # inline comment\n"
    text = document_text(doc, "yaml", previous)
    assert text.startswith("# about x\n# source: y\nname: x\n") and "inline" not in text
    assert "循環" in text and yaml.safe_load(text) == doc
