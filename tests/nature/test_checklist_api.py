"""``/api/nature/survey/checklist``: an organisation's own site checklist (CSV or JSON) for
its survey or one sourcing area, checked by the library line by line, stored per
organisation (migration 0017), editable by administrators only, invisible to another
organisation; the sync refuses species not on it and the Darwin Core exports carry its
local names and sources."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from junkan.store.db import Database
from tests.api.conftest import (  # noqa: F401
    app_client,
    bearer,
    database_url,
    demo_tokens,
    empty_database_url,
)
from tests.migrating import add_owner, migrate, schema_diff
from tests.nature.survey_helpers import BASE, observation, sync

pytest.importorskip("rioxarray", reason="needs the 'nature' extra")

URL = f"{BASE}/checklist"
pytestmark = pytest.mark.slow  # an app per store, > 0.5 s each

SITE_CSV = (
    "scientific_name,local_name,english_name,group,source\n"
    "Copsychus saularis,シキチョウ,Oriental magpie-robin,bird,Field guide A (2020)\n"
    '"Apis cerana",トウヨウミツバチ,,insect,\n'
)
"""A site checklist: the second row's source is the checklist's (``?source=``)."""
AREA_JSON = (
    '{"source": "Area B survey report 2023", "species": ['
    '{"scientific_name": "Hevea brasiliensis", "local_name": "パラゴムノキ", "group": "plant"}]}'
)


def _put_site(c: TestClient, h: dict[str, str]) -> None:
    res = c.put(f"{URL}?source=Site+list+2024", content=SITE_CSV.encode(),
                headers=h | {"Content-Type": "text/csv"})
    assert res.status_code == 200, res.text
    assert (res.json()["scope"], res.json()["name"]) == ("survey", "checklist.csv")
    res = c.put(f"{URL}?area=B", files={"file": ("area-b.json", AREA_JSON, "application/json")},
                headers=h)
    assert res.status_code == 200, res.text


def _member(c: TestClient, admin: dict[str, str]) -> dict[str, str]:
    res = c.post("/api/admin/users", headers=admin,
                 json={"email": "surveyor@demo.example", "role": "member"})
    assert res.status_code == 201, res.text
    return bearer(c, "surveyor@demo.example", res.json()["password"])


def test_put_get_delete_roles_and_isolation(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    from junkan.api.routers import nature_checklist

    c = app_client
    demo, partner = demo_tokens(c)
    member = _member(c, demo)
    assert c.get(URL, headers=demo).json()["scope"] == "bundled"
    # a member syncs observations but does not decide the organisation's checklist
    for res in (c.put(URL, content=SITE_CSV.encode(), headers=member),
                c.delete(URL, headers=member)):
        assert res.status_code == 403, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
    assert c.get(URL, headers=demo).json()["scope"] == "bundled"
    _put_site(c, demo)
    got = c.get(URL, headers=member).json()  # every member's page reads it
    assert got["scope"] == "survey" and got["source"] == "Site list 2024"
    # area B's own checklist rides along, for a device that checks offline
    assert got["areas"]["B"]["name"] == "area-b.json"
    assert got["areas"]["B"]["species"] == [{"name": "Hevea brasiliensis", "group": "plant",
                                             "local": "パラゴムノキ"}]
    monkeypatch.setattr(nature_checklist, "MAX_INLINE", 0)  # past the inline limit: named only
    assert c.get(URL, headers=demo).json()["areas"]["B"] == {
        "name": "area-b.json", "source": None, "species": None}
    monkeypatch.undo()
    assert got["species"][0] == {"name": "Copsychus saularis", "group": "bird",
                                 "local": "シキチョウ", "en": "Oriental magpie-robin",
                                 "source": "Field guide A (2020)"}
    assert got["species"][1] == {"name": "Apis cerana", "group": "insect",
                                 "local": "トウヨウミツバチ"}
    # an area without its own checklist uses the survey's; area B has its own
    assert c.get(f"{URL}?area=A", headers=demo).json()["scope"] == "survey"
    b = c.get(f"{URL}?area=B", headers=demo).json()
    assert (b["scope"], b["area"], b["name"]) == ("area", "B", "area-b.json")
    assert [s["local"] for s in b["species"]] == ["パラゴムノキ"]
    listed = c.get(f"{URL}s", headers=demo).json()["checklists"]
    assert [(x["area"], x["name"], x["species"]) for x in listed] == [
        (None, "checklist.csv", 2), ("B", "area-b.json", 1)]
    # another organisation sees the bundled example, lists nothing, removes nothing
    assert c.get(f"{URL}?area=B", headers=partner).json()["scope"] == "bundled"
    assert c.get(URL, headers=partner).json()["areas"] == {}
    assert c.get(f"{URL}s", headers=partner).json() == {"checklists": []}
    assert c.delete(f"{URL}?area=B", headers=partner).status_code == 404
    assert c.delete(f"{URL}?area=C", headers=demo).status_code == 404
    # replacing, then removing: area B back to the survey's, the survey to the bundled one
    res = c.put(f"{URL}?area=B&format=csv", content=b"name,group,source\nMimosa pudica,plant,x\n",
                headers=demo)
    assert res.json()["species"] == [{"name": "Mimosa pudica", "group": "plant", "source": "x"}]
    assert len(c.get(f"{URL}s", headers=demo).json()["checklists"]) == 2
    assert c.delete(f"{URL}?area=B", headers=demo).status_code == 204
    assert c.get(f"{URL}?area=B", headers=demo).json()["scope"] == "survey"
    assert c.delete(URL, headers=demo).status_code == 204
    assert c.get(URL, headers=demo).json()["scope"] == "bundled"
    assert c.delete(URL, headers=demo).status_code == 404
    for method in ("GET", "PUT", "DELETE"):
        assert c.request(method, URL).status_code == 401


BAD = [
    ("scientific_name,group,source\nApis cerana,insect,x\nMimosa pudica,,x\n", "csv",
     "line 3: group of 'Mimosa pudica' is empty"),
    ("scientific_name,group,colour\nApis cerana,insect,red\n", "csv", "line 1: unknown column"),
    ("scientific_name,group,source\nApis cerana,insect,x\napis  CERANA,insect,x\n", "csv",
     "line 3: 'apis CERANA' is listed twice (first at line 2)"),
    ('{"species": [{"name": "Apis cerana", "group": "insect", "source": "x"}, {"name": ""}]}',
     "json", "species[1]: scientific_name is empty"),
    ('{"species": [', "json", "not valid JSON"),
    ("scientific_name,group\nApis cerana,insect\n", "csv", "line 2: source of 'Apis cerana'"),
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_bad_files_are_refused_naming_the_line(app_client: TestClient) -> None:  # noqa: F811
    c = app_client
    demo, _ = demo_tokens(c)
    for body, fmt, words in BAD:
        res = c.put(URL, files={"file": (f"site.{fmt}", body.encode(), "text/plain")},
                    headers=demo)
        assert res.status_code == 422, (words, res.text)
        assert res.headers["content-type"].startswith("application/problem+json")
        assert f"site.{fmt}: " in res.json()["detail"] and words in res.json()["detail"], (
            words, res.json()["detail"])
    res = c.put(URL, content=b"scientific_name,group,source\n" + b"x" * (2 * 1024 * 1024),
                headers=demo | {"Content-Type": "text/csv"})
    assert res.status_code == 413 and "at most 2 MiB" in res.json()["detail"]
    assert c.put(URL, content=b"  \n", headers=demo).status_code == 422
    assert c.put(f"{URL}?area=", content=SITE_CSV.encode(), headers=demo).status_code == 422
    assert c.put(f"{URL}?area={'a' * 101}", content=SITE_CSV.encode(),
                 headers=demo).status_code == 422
    # nothing of the refused uploads was stored
    assert c.get(f"{URL}s", headers=demo).json() == {"checklists": []}


def test_sync_checks_species_and_exports_carry_names(app_client: TestClient) -> None:  # noqa: F811
    c = app_client
    demo, partner = demo_tokens(c)
    # before any checklist, any species is taken (as before checklists could be uploaded)
    early = observation("early", species="Passer montanus", area="Z")
    assert sync(c, demo, early).status_code == 200
    _put_site(c, demo)
    ok = [observation("a-1"), observation("b-1", species="Hevea brasiliensis", area="B", count=1)]
    # a species on the survey's checklist but not on area B's own one is refused
    res = sync(c, demo, *ok, observation("b-2", area="B"))
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    detail = res.json()["detail"]
    assert detail.startswith("observations[2].observation.species: observation 'b-2'"), detail
    assert "'Copsychus saularis' is not on the checklist of area 'B' (area-b.json)" in detail
    res = sync(c, demo, observation("a-2", species="Homo sapiens"))
    assert res.status_code == 422 and "not on the survey's checklist" in res.json()["detail"]
    # the refused requests stored nothing; the good observations sync
    assert c.get(f"{BASE}/observations", headers=demo).json()["total"] == 1
    # 'early' (Passer montanus, area Z) is on no checklist now: the export says which
    res = c.get(f"{BASE}/export.csv", headers=demo)
    assert res.status_code == 409 and "observation 'early'" in res.json()["detail"]
    assert sync(c, demo, (observation("early", area="Z"), 1)).status_code == 200
    assert sync(c, demo, *ok).status_code == 200
    rows = {r["occurrenceID"]: r for r in csv.DictReader(
        io.StringIO(c.get(f"{BASE}/export.csv", headers=demo).text))}
    assert rows["a-1"]["vernacularName"] == "シキチョウ"
    assert rows["a-1"]["identificationReferences"] == "Field guide A (2020)"
    assert rows["b-1"]["vernacularName"] == "パラゴムノキ"
    assert rows["b-1"]["identificationReferences"] == "Area B survey report 2023"
    z = zipfile.ZipFile(io.BytesIO(c.get(f"{BASE}/export.zip", headers=demo).content))
    occ = {r["occurrenceID"]: r for r in csv.DictReader(
        io.StringIO(z.read("occurrence.csv").decode()))}
    assert occ["b-1"]["vernacularName"] == "パラゴムノキ"
    # another organisation keeps no checklist: the bundled example serves, as it does for
    # 'junkan nature assess', so what the service syncs the assessment accepts
    res = sync(c, partner, observation("p-1", species="Homo sapiens"))
    assert res.status_code == 422 and "PUT /api/nature/survey/checklist" in res.json()["detail"]
    assert sync(c, partner, observation("p-1", area="Z")).status_code == 200
    prow = next(csv.DictReader(io.StringIO(c.get(f"{BASE}/export.csv", headers=partner).text)))
    assert prow["vernacularName"] == "Oriental magpie-robin"
    assert prow["identificationReferences"].startswith("example checklist (assumption)")


def _to(db: Database, revision: str, up: bool = True) -> set[str]:
    migrate(db, revision, up)
    return set(inspect(db.engine).get_table_names())


def test_0017_up_and_down(empty_database_url: str, tmp_path: Path) -> None:  # noqa: F811
    db = Database(empty_database_url)
    try:
        assert "nature_checklists" not in _to(db, "0016")
        assert "nature_checklists" in _to(db, "0017")
        from junkan.store.nature_checklists import SurveyChecklist

        # the migration creates the table the store declares
        assert schema_diff(db, SurveyChecklist.__table__) == []
        with db.engine.begin() as conn:
            add_owner(conn)
            row = ("INSERT INTO nature_checklists (id, org_id, area, name, species, doc, "
                   "uploaded_by, updated_at) VALUES (:id, 'o1', :area, 'c.csv', 1, '{}', 'u1', "
                   "'2026-01-01 00:00:00')")
            conn.execute(text(row), {"id": "c1", "area": ""})
            conn.execute(text(row), {"id": "c2", "area": "B"})
        with pytest.raises(Exception, match="(?i)unique"), db.engine.begin() as conn:
            conn.execute(text(row), {"id": "c3", "area": "B"})  # one per area
        assert "nature_checklists" not in _to(db, "0016", up=False)
        assert "nature_checklists" in _to(db, "head")
    finally:
        db.engine.dispose()
