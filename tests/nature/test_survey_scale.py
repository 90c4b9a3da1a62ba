"""The survey's requests cost what they touch: a sync or an export reads and parses only the
checklists of the observations' areas, and each stored version once (kept parsed between
requests, within a bound); a page of observations reads the page, not every observation
(the richness summary is counted by the database). Counted, never timed."""

from __future__ import annotations

import csv
import io
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient

import junkan.nature
from junkan.store.nature_survey import SurveyRepo
from tests.api.conftest import app_client, database_url, demo_tokens  # noqa: F401
from tests.nature.survey_helpers import BASE, observation, sync

pytest.importorskip("rioxarray", reason="needs the 'nature' extra")

pytestmark = pytest.mark.slow  # an app per store, > 0.5 s each


# the species and area the checklists below are uploaded with
_obs = partial(observation, species="Sp0", area="A0")


def _put(c: TestClient, h: dict[str, str], area: str, *names: str) -> None:
    body = "scientific_name,local_name,group,source\n" + "".join(
        f"{n},{n} ({area}),plant,list {area}\n" for n in names)
    res = c.put(f"{BASE}/checklist?area={area}&format=csv", content=body.encode(), headers=h)
    assert res.status_code == 200, res.text


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the stored checklists read back by the library (by the parser, from
    JSON, in the code before; an upload is CSV here)."""
    seen: list[str] = []
    real = junkan.nature.parse_checklist

    def counted(data: Any, *, fmt: str, path: str, source: str | None = None) -> Any:
        if fmt == "json":
            seen.append(path)
        return real(data, fmt=fmt, path=path, source=source)

    monkeypatch.setattr(junkan.nature, "parse_checklist", counted)
    stored = getattr(junkan.nature, "stored_checklist", None)
    if stored is not None:

        def read(doc: Any, path: str, names: Any = None) -> Any:
            seen.append(path)
            return stored(doc, path, names)

        monkeypatch.setattr(junkan.nature, "stored_checklist", read)
    return seen


def test_sync_and_export_parse_only_the_areas_involved_once(
    app_client: TestClient, parses: list[str]  # noqa: F811
) -> None:
    demo, _ = demo_tokens(app_client)
    for k in range(4):
        _put(app_client, demo, f"A{k}", "Sp0", f"Only{k}")
    assert parses == []
    res = sync(app_client, demo, _obs("o1"), _obs("o2", area="A1", species="Only1"))
    assert res.status_code == 200, res.text
    assert len(parses) == 2  # A0 and A1: not A2, A3
    # the same checklists again: already parsed (the code before parsed them per request)
    assert sync(app_client, demo, _obs("o3")).status_code == 200
    res = app_client.get(f"{BASE}/export.csv", headers=demo)
    assert res.status_code == 200, res.text
    assert len(parses) == 2  # the export read none again, and not A2, A3 at all
    rows = {r["occurrenceID"]: r for r in csv.DictReader(io.StringIO(res.text))}
    assert rows["o2"]["vernacularName"] == "Only1 (A1)"
    assert rows["o2"]["identificationReferences"] == "list A1"
    # a replaced checklist is read again, once, and rules at once
    _put(app_client, demo, "A0", "Sp0")
    res = sync(app_client, demo, _obs("o4", species="Only0"))
    assert res.status_code == 422 and "Only0" in res.json()["detail"]
    assert len(parses) == 3
    assert sync(app_client, demo, _obs("o4")).status_code == 200
    assert len(parses) == 3
    # removed: the area falls back to the bundled example at once
    assert app_client.delete(f"{BASE}/checklist?area=A1", headers=demo).status_code == 204
    res = sync(app_client, demo, _obs("o5", area="A1", species="Only1"))
    assert res.status_code == 422 and "bundled" in res.json()["detail"]


def test_checklists_stay_per_organisation(
    app_client: TestClient, parses: list[str]  # noqa: F811
) -> None:
    demo, partner = demo_tokens(app_client)
    _put(app_client, demo, "A0", "Sp0")
    assert sync(app_client, demo, _obs("o1")).status_code == 200
    # the partner has no checklist of A0: the bundled one serves it, not demo's parsed one
    res = sync(app_client, partner, _obs("p1"))
    assert res.status_code == 422 and "bundled" in res.json()["detail"]


def test_a_page_of_observations_reads_the_page(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    demo, partner = demo_tokens(app_client)
    species = ["Copsychus saularis", "Apis cerana", "Mimosa pudica"]
    areas = ["A", "B", None]
    obs = [_obs(f"o{i}", species=species[i % 3], count=i + 1, area=areas[(i // 2) % 3])
           for i in range(12)]
    assert sync(app_client, demo, *obs).status_code == 200
    edited = obs[0] | {"count": 100}
    res = sync(app_client, demo, (edited, 1))
    assert res.json()["results"][0]["status"] == "updated"
    assert sync(app_client, partner, _obs("p1", species="Apis cerana")).status_code == 200
    limits: list[int] = []
    real = SurveyRepo.observations

    def spied(self: SurveyRepo, org_id: str, *, limit: int = 1000, offset: int = 0) -> Any:
        limits.append(limit)
        return real(self, org_id, limit=limit, offset=offset)

    monkeypatch.setattr(SurveyRepo, "observations", spied)
    doc = app_client.get(f"{BASE}/observations?limit=2", headers=demo).json()
    assert limits == [2]  # the code before read all of them too, for the richness
    assert doc["total"] == 12 and len(doc["observations"]) == 2
    # over all 12 (o0 as edited), the partner's not among them
    want: dict[str, tuple[set[str], int]] = {}
    for o in [edited, *obs[1:]]:
        names, n = want.get(o["area"] or "—", (set(), 0))
        want[o["area"] or "—"] = (names | {o["species"]}, n + o["count"])
    assert doc["richness"] == {
        k: {"species": len(s), "individuals": n} for k, (s, n) in sorted(want.items())
    }


def test_the_cache_keeps_at_most_its_bound() -> None:
    from junkan.api.routers.nature_checklist import ParsedCache
    from junkan.nature import Checklist, Species

    def cl(n: int) -> Checklist:
        return Checklist("x", "s", tuple(Species(f"S{i}", "plant") for i in range(n)))

    cache = ParsedCache(limit=10)
    cache.put("o", "a", "v1", "a.csv", cl(4))
    cache.put("o", "b", "v1", "b.csv", cl(4))
    assert cache.get("o", "a", "v1") is not None  # a is now the most recently used
    cache.put("o", "c", "v1", "c.csv", cl(4))  # 12 > 10: b goes
    assert cache.get("o", "b", "v1") is None and cache.species == 8
    assert cache.get("o", "a", "v2") is None  # another version is not this one
    cache.put("o", "a", "v2", "a.csv", cl(2))
    assert cache.species == 6 and cache.get("o", "a", "v2") is not None
    cache.put("o", "d", "v1", "d.csv", cl(11))  # larger than the bound: not kept
    assert cache.get("o", "d", "v1") is None and cache.species == 6


def test_the_table_comes_in_pieces_refused_before_the_first() -> None:
    from junkan.nature import (
        Checklist,
        Checklists,
        NatureInputError,
        Observation,
        Species,
        darwin_core,
        darwin_core_chunks,
        survey,
    )

    obs = [Observation.model_validate(_obs(f"o{i}")) for i in range(2 * survey.CHUNK_ROWS + 5)]
    lists = Checklists(default=Checklist("x", "s", (Species("Sp0", "plant", local="L"),)))
    pieces = list(darwin_core_chunks(obs, None, lists))
    assert len(pieces) == 4  # the header, then 1,000 + 1,000 + 5 rows
    assert "".join(pieces) == darwin_core(obs, None, lists)
    assert len(list(csv.DictReader(io.StringIO("".join(pieces))))) == len(obs)
    bad = [*obs, Observation.model_validate(_obs("z", species="Other"))]
    with pytest.raises(NatureInputError, match="'z'"):
        next(darwin_core_chunks(bad, None, lists))


def test_a_stored_checklist_reads_back_as_parsed() -> None:
    from junkan.nature import NatureInputError, parse_checklist, stored_checklist

    text = ("scientific_name,local_name,english_name,group,source\n"
            "Copsychus saularis,シキチョウ,Oriental magpie-robin,bird,Guide A\n"
            "Apis  cerana,,,insect,\n")
    for source in ("Site list 2024", None):
        if source is None:
            text = text.replace("insect,", "insect,Guide B")
        cl = parse_checklist(text, fmt="csv", path="site.csv", source=source)
        assert stored_checklist(cl.to_json(), "site.csv") == cl
    for doc in ({}, {"source": "s", "species": []}, {"source": "s", "species": [{"name": "x"}]},
                {"source": "s", "species": [{"name": "x", "group": "g", "colour": "red"}]},
                {"source": "s", "species": [{"name": "x", "group": 3}]}, ["x"]):
        with pytest.raises(NatureInputError, match="site.csv"):
            stored_checklist(doc, "site.csv")


def test_past_the_cache_a_request_reads_only_its_species(
    app_client: TestClient, parses: list[str]  # noqa: F811
) -> None:
    from junkan.api.routers.nature_checklist import ParsedCache

    demo, _ = demo_tokens(app_client)
    for k in range(3):
        _put(app_client, demo, f"A{k}", "Sp0", f"Only{k}", "Sp9")
    cache = app_client.app.state.nature_checklists = ParsedCache(limit=4)  # type: ignore[attr-defined]
    res = sync(app_client, demo, _obs("o1"), _obs("o2", area="A1", species="Only1"))
    assert res.status_code == 200, res.text
    res = sync(app_client, demo, _obs("o3", area="A2", species="Only1"))
    assert res.status_code == 422 and "'A2'" in res.json()["detail"]
    res = app_client.get(f"{BASE}/export.csv", headers=demo)
    rows = {r["occurrenceID"]: r for r in csv.DictReader(io.StringIO(res.text))}
    assert rows["o2"]["vernacularName"] == "Only1 (A1)"
    assert rows["o1"]["vernacularName"] == "Sp0 (A0)"
    assert cache.species == 0  # 6 + 3 species would not fit in 4 // 2: none kept, each read
    assert len(parses) == 5
    # the checklist served to the page is the whole one
    doc = app_client.get(f"{BASE}/checklist?area=A1", headers=demo).json()
    assert [s["name"] for s in doc["species"]] == ["Sp0", "Only1", "Sp9"]


def test_a_stored_checklist_read_for_some_species() -> None:
    from junkan.nature import parse_checklist, stored_checklist

    cl = parse_checklist("name,group,source\nA a,plant,x\nB b,bird,y\nC c,bird,z\n",
                         fmt="csv", path="s.csv")
    some = stored_checklist(cl.to_json(), "s.csv", {"B b", "D d"})
    assert some.names == {"B b"} and some.get("B b") == cl.get("B b")
    assert some.source == cl.source and some.path == "s.csv"
