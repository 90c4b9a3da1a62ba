"""The solar-panel registry kept in the store (SQLite always, PostgreSQL when
JUNKAN_TEST_POSTGRES_URL is set): the fixture registry entered the way the parties enter it
(makers, owners, handovers, certified recyclers) reads, for every organisation, exactly as
the same registry sent as a document; a record the caller has no role for is the same 404 as
a missing one; every write is checked."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from junkan import policy
from junkan.core.documents import read_document
from junkan.core.errors import ModelError
from junkan.store.db import Database
from junkan.store.policy_repo import SolarConflict, SolarForbidden, SolarNotFound, SolarRepo
from junkan.store.repo import Store
from tests.api.conftest import store_url

FIX = Path(__file__).parent / "fixtures" / "solar.yaml"
ORGS = [
    "maker-a",
    "maker-b",
    "owner-1",
    "owner-2",
    "city-chiyoda",
    "city-other",
    "dismantler-1",
    "recycler-1",
    "recycler-2",
    "outsider",
]


class Loaded:
    def __init__(
        self, repo: SolarRepo, ids: dict[str, str], rids: dict[str, str], doc: dict[str, Any]
    ) -> None:
        self.repo, self.ids, self.rids, self.doc = repo, ids, rids, doc
        self.names = {v: k for k, v in rids.items()}


def _enter(repo: SolarRepo, ids: dict[str, str], doc: dict[str, Any]) -> dict[str, str]:
    """The fixture registry entered record by record; installation name → record id."""
    for org, code in doc["municipalities"].items():
        repo.grant_role(org, "municipality", code)
    repo.grant_role("recycler-1", "certified_recycler", "産廃 第01320000001号")
    for m in doc["models"]:
        body = {k: v for k, v in m.items() if k not in ("id", "maker")}
        repo.register_model(ids[m["maker"]], {"name": m["id"], **body})
    makers = {m["id"]: m["maker"] for m in doc["models"]}
    rids = {}
    for x in doc["installations"]:
        body = {
            k: (v.isoformat() if hasattr(v, "isoformat") else v)
            for k, v in x.items()
            if k not in ("id", "owner")
        }
        rids[x["id"]] = repo.register_installation(
            ids[x["owner"]], {**body, "name": x["id"], "maker": makers[x["model"]]}
        )
    owners = {x["id"]: x["owner"] for x in doc["installations"]}
    for h in doc["handovers"]:
        body = {k: str(v) for k, v in h.items() if k in ("to", "role", "date")}
        repo.handover(
            ids[owners[h["installation"]]], rids[h["installation"]], {**body, "count": h["count"]}
        )
    for t in doc["treatments"]:
        body = {k: v for k, v in t.items() if k not in ("installation", "recycler")}
        body["date"] = str(body["date"])
        repo.report_treatment(ids[t["recycler"]], rids[t["installation"]], body)
    return rids


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
    url = store_url(request.param, tmp_path_factory.mktemp("solar"), "solar.db")
    db = Database(url)
    db.migrate()
    store = Store(db)
    ids = {name: store.create_organisation(name).id for name in ORGS}
    doc = dict(read_document(FIX))
    repo = SolarRepo(db)
    yield Loaded(repo, ids, _enter(repo, ids, copy.deepcopy(doc)), doc)
    db.engine.dispose()


def _normal_stored(d: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A stored view keyed like the document's: the owner's names for record ids."""
    d = copy.deepcopy(d)
    d["id"] = d.pop("name")
    if isinstance(d.get("model"), dict):
        d["model"]["id"] = d["model"].pop("name", d["model"]["id"])
    for e in d.get("handovers", []) + d.get("treatments", []):
        e["installation"] = names[e["installation"]]
    return d


def _normal_doc(d: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(d)
    d.pop("name", None)
    if isinstance(d.get("model"), dict):
        d["model"].pop("name", None)
    return d


def test_every_organisation_reads_the_store_as_the_document(loaded: Loaded) -> None:
    reg = policy.load(FIX)
    as_of = reg.as_of
    for org in ORGS:
        want = policy.run(reg, org=org).to_json()
        got = loaded.repo.view(loaded.ids[org], as_of=as_of).to_json()
        assert [_normal_stored(d, loaded.names) for d in got["installations"]] == [
            _normal_doc(d) for d in want["installations"]
        ], org
        assert got["status_counts"] == want["status_counts"], org
        assert got["volumes"] == want["volumes"], org
        for d in got["installations"]:
            one = loaded.repo.installation(loaded.ids[org], d["id"], as_of=as_of)
            assert one == d
    # sanity of the comparison: the roles differ by organisation
    mine = loaded.repo.view(loaded.ids["city-chiyoda"], as_of=as_of).to_json()
    assert [d["name"] for d in mine["installations"]] == ["I1", "I2"]
    assert {d["roles"][0] for d in mine["installations"]} == {"municipality"}
    assert "model" not in mine["installations"][0]


def test_no_role_reads_as_missing(loaded: Loaded) -> None:
    r, ids, rids = loaded.repo, loaded.ids, loaded.rids
    messages = set()
    for org, inst in (
        ("outsider", rids["I1"]),
        ("city-other", rids["I1"]),
        ("maker-b", rids["I1"]),
        ("dismantler-1", rids["I2"]),
        ("owner-1", "0" * 32),
        ("recycler-2", rids["I1"]),
    ):
        with pytest.raises(SolarNotFound) as exc:
            r.installation(ids[org], inst)
        messages.add(str(exc.value))
    assert messages == {"not found"}
    assert r.view(ids["outsider"]).to_json()["installations"] == []


def test_writes_are_the_owners_and_checked(loaded: Loaded) -> None:
    r, ids, rids = loaded.repo, loaded.ids, loaded.rids
    hand = {"to": "recycler-1", "role": "recycler", "count": 50, "date": "2025-09-02"}
    for org in ("dismantler-1", "city-chiyoda", "outsider"):  # sees it or not: not theirs
        with pytest.raises(SolarNotFound):
            r.handover(ids[org], rids["I1"], hand)
    with pytest.raises(ModelError) as exc:  # 60 + 50 > 100 panels
        r.handover(ids["owner-1"], rids["I1"], hand)
    assert [p.path for p in exc.value.problems] == ["count"]
    with pytest.raises(ModelError) as exc:
        r.handover(ids["owner-1"], rids["I1"], {**hand, "count": 1, "date": "2001-01-01"})
    assert [p.path for p in exc.value.problems] == ["date"]
    with pytest.raises(SolarNotFound, match="organisation"):
        r.handover(ids["owner-1"], rids["I1"], {**hand, "to": "nobody", "count": 1})
    with pytest.raises(ModelError) as exc:
        r.set_end_of_business(ids["owner-1"], rids["I1"], {"end_of_business": "2009-01-01"})
    assert [p.path for p in exc.value.problems] == ["end_of_business"]
    with pytest.raises(SolarNotFound):
        r.set_end_of_business(ids["maker-a"], rids["I1"], {"end_of_business": "2040-01-01"})
    with pytest.raises(ModelError) as exc:
        r.register_installation(
            ids["owner-1"],
            {
                "name": "I9",
                "maker": "maker-a",
                "model": "PV-A",
                "municipality": "13101",
                "count": 1,
                "commissioned": "2020-01-01",
                "end_of_business": "2019-01-01",
            },
        )
    assert [p.path for p in exc.value.problems] == ["end_of_business"]
    with pytest.raises(SolarNotFound, match="panel model"):
        r.register_installation(
            ids["owner-1"],
            {
                "name": "I9",
                "maker": "maker-a",
                "model": "PV-Z",
                "municipality": "13101",
                "count": 1,
                "commissioned": "2020-01-01",
            },
        )
    with pytest.raises(SolarConflict):
        r.register_model(
            ids["maker-a"],
            {"name": "PV-A", "technology": "c-Si", "mass_kg": 20, "glass_share": 0.7},
        )
    with pytest.raises(ModelError) as exc:
        r.register_model(
            ids["maker-a"],
            {"name": "PV-N", "technology": "c-Si", "mass_kg": float("nan"), "glass_share": 0.7},
        )
    assert [p.path for p in exc.value.problems] == ["mass_kg"]


def test_treatment_only_by_the_certified_recycler_handed_the_panels(loaded: Loaded) -> None:
    r, ids, rids = loaded.repo, loaded.ids, loaded.rids
    t = {"count": 1, "date": "2025-10-02", "method": "crushing", "recovered_kg": {"glass": 10}}
    with pytest.raises(SolarForbidden):  # handed panels, but not certified
        r.report_treatment(ids["dismantler-1"], rids["I1"], t)
    with pytest.raises(SolarNotFound):  # certified, not handed I2
        r.report_treatment(ids["recycler-1"], rids["I2"], t)
    with pytest.raises(ModelError) as exc:  # 60 handed, 60 treated already
        r.report_treatment(ids["recycler-1"], rids["I1"], t)
    assert [p.path for p in exc.value.problems] == ["count"]
    assert r.roles_of(ids["recycler-1"]) == {"certified_recycler": "産廃 第01320000001号"}


def test_owner_lifecycle_changes_what_the_municipality_sees(loaded: Loaded) -> None:
    """Last: it writes. A new installation, its end of business moved, a handover."""
    r, ids = loaded.repo, loaded.ids
    rid = r.register_installation(
        ids["owner-2"],
        {
            "name": "roof-7",
            "maker": "maker-b",
            "model": "PV-B",
            "municipality": "13101",
            "count": 10,
            "commissioned": "2020-01-01",
            "address": "Chiyoda 7-7",
        },
    )
    city = ids["city-chiyoda"]
    d = r.installation(city, rid, as_of=policy.load(FIX).as_of)
    assert d["end_of_business"] == "2040-01-01"  # default: 20 service years (data/policy)
    assert d["status"] == "operating" and d["hazardous"] == ["Cd"]
    r.set_end_of_business(ids["owner-2"], rid, {"end_of_business": "2030-12-31"})
    d = r.installation(city, rid, as_of=policy.load(FIX).as_of)
    assert (d["end_of_business"], d["status"]) == ("2030-12-31", "approaching")
    r.handover(
        ids["owner-2"],
        rid,
        {"to": "recycler-2", "role": "recycler", "count": 10, "date": "2026-01-10"},
    )
    assert r.installation(city, rid)["status"] == "collected"
    assert r.installation(ids["recycler-2"], rid)["roles"] == ["recycler"]
    assert [m["name"] for m in r.models(ids["maker-b"])] == ["PV-B"]
    assert r.revoke_role("city-chiyoda", "municipality")
    with pytest.raises(SolarNotFound):
        r.installation(city, rid)
