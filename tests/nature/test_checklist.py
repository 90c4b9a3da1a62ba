"""Site species checklists (CSV/JSON) checked line by line, used by the Darwin Core export
and by the species-richness indicators of an assessment's field survey."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from junkan import nature
from junkan.core.errors import JunkanError
from junkan.nature import (
    Checklists,
    NatureInputError,
    Observation,
    darwin_core,
    parse_checklist,
    read_checklist,
)
from junkan.nature.fieldwork import chao1

CSV = """scientific_name,local_name,group,source
Copsychus malabaricus,シキチョウ,bird,Robson 2015 Birds of South-East Asia
Pycnonotus jocosus,コウラウン,bird,Robson 2015 Birds of South-East Asia
Apis cerana,トウヨウミツバチ,insect,site survey 2023 (Dak Lak)
Coffea canephora,ロブスタコーヒー,plant,
"""


def _obs(i: str, species: str, area: str | None, count: int = 1, **kw: Any) -> Observation:
    return Observation.model_validate(
        {"id": i, "species": species, "count": count, "lat": 12.67, "lon": 108.04,
         "time": "2024-05-01T07:30:00+07:00", "observer": "N. Lan", "area": area} | kw)


def test_a_csv_checklist_is_read_with_local_names_and_sources(tmp_path: Path) -> None:
    p = tmp_path / "site.csv"
    p.write_text(CSV, encoding="utf-8")
    cl = read_checklist(p, source="Dak Lak site checklist, 2024")
    assert [s.name for s in cl.species][:2] == ["Copsychus malabaricus", "Pycnonotus jocosus"]
    assert cl.get("Apis cerana").local == "トウヨウミツバチ"  # type: ignore[union-attr]
    assert cl.get("Coffea canephora").source is None  # type: ignore[union-attr]
    doc = cl.to_json()  # what the survey page reads
    assert doc["source"] == "Dak Lak site checklist, 2024"
    assert doc["species"][0] == {"name": "Copsychus malabaricus", "group": "bird",
                                 "local": "シキチョウ",
                                 "source": "Robson 2015 Birds of South-East Asia"}
    # the same as JSON, the page's own shape
    j = tmp_path / "site.json"
    j.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert read_checklist(j).species == cl.species


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (CSV + "apis  CERANA,,insect,x\n", r"line 6: 'apis CERANA' is listed twice \(first at "
                                           r"line 4\)"),
        (CSV.replace("Apis cerana", " "), "line 4: scientific_name is empty"),
        (CSV.replace(",insect,", ",,"), "line 4: group of 'Apis cerana' is empty"),
        ("name,colour\nA b,red\n", "line 1: unknown column 'colour'"),
        (CSV + "Bos taurus,牛,mammal,x,extra\n", "line 6: 5 fields, the header has 4"),
        (CSV.replace("Apis cerana", "A" * 201), "line 4: scientific_name is 201 characters"),
        ("scientific_name,group\n", "no species"),
    ],
)
def test_bad_checklists_name_the_line(text: str, message: str) -> None:
    with pytest.raises(NatureInputError, match=rf"^site\.csv: {message}"):
        parse_checklist(text, fmt="csv", path="site.csv", source="s")


def test_sources_and_sizes_are_required_and_bounded(tmp_path: Path) -> None:
    with pytest.raises(NatureInputError, match="line 5: source of 'Coffea canephora' is empty"):
        parse_checklist(CSV, fmt="csv", path="site.csv")  # no checklist-level source
    many = "scientific_name,group\n" + "".join(f"Genus sp{i},plant\n" for i in range(10_001))
    with pytest.raises(NatureInputError, match=r"line 10002: more than 10,000 species"):
        parse_checklist(many, fmt="csv", path="big.csv", source="s")
    huge = tmp_path / "huge.csv"
    huge.write_bytes(b"scientific_name,group\n" + b"x" * (3 * 2**20))
    with pytest.raises(NatureInputError, match=r"huge\.csv: 3\.0 MiB; a checklist is at most 2"):
        read_checklist(huge)
    with pytest.raises(NatureInputError, match=r"species\[1\]: give an object"):
        parse_checklist('{"source": "s", "species": [{"name": "A b", "group": "bird"}, 3]}',
                        fmt="json", path="site.json")
    with pytest.raises(NatureInputError, match="not UTF-8"):
        parse_checklist(b"name,group\n\xff,bird\n", fmt="csv", path="site.csv")
    assert len(nature.bundled_checklist().species) >= 10


def test_darwin_core_uses_each_areas_checklist() -> None:
    site = parse_checklist(CSV, fmt="csv", path="site.csv", source="Dak Lak checklist 2024")
    lists = Checklists(default=nature.bundled_checklist(), by_area={"A": site})
    obs = [_obs("o1", "Apis cerana", "A", 3), _obs("o2", "Coffea canephora", "A"),
           _obs("o3", "Apis cerana", "B", vernacular="Asian bee")]
    rows = list(csv.DictReader(io.StringIO(darwin_core(obs, checklists=lists))))
    assert rows[0]["vernacularName"] == "トウヨウミツバチ"
    assert rows[0]["identificationReferences"] == "site survey 2023 (Dak Lak)"
    assert rows[1]["identificationReferences"] == "Dak Lak checklist 2024"  # the list's own
    assert rows[2]["vernacularName"] == "Asian bee"  # the observer's name is kept
    assert "example checklist" in rows[2]["identificationReferences"]  # B: the bundled list
    with pytest.raises(NatureInputError, match=r"'o4': species 'Passer montanus' is not on "
                       r"the checklist of area 'A' \(site\.csv\)"):
        darwin_core([_obs("o4", "Passer montanus", "A")], checklists=lists)
    assert "identificationReferences" in darwin_core(obs).splitlines()[0]  # always a column


def test_chao1() -> None:
    assert chao1([1, 1, 1, 2, 5]) == pytest.approx(5 + 3 * 2 / (2 * 2))
    assert chao1([4, 4]) == 2


def _survey_doc(sample: Path, tmp_path: Path, obs: list[dict[str, Any]],
                checklists: list[dict[str, Any]]) -> dict[str, Any]:
    (tmp_path / "obs.json").write_text(json.dumps(obs), encoding="utf-8")
    doc = yaml.safe_load(sample.read_text())
    for k in ("training", "water", "precipitation", "portfolio"):
        doc.pop(k)
    doc["scenes"] = [doc["scenes"][0], doc["scenes"][-1]]
    return doc | {"survey": {"observations": str(tmp_path / "obs.json"),
                             "checklists": checklists}}


def _lonlat_of(sample: Path, fid: str) -> tuple[float, float]:
    from rasterio.warp import transform

    doc = json.loads((sample.parent / "areas.geojson").read_text())
    (f,) = [f for f in doc["features"] if f["properties"]["id"] == fid]
    ring = f["geometry"]["coordinates"][0]
    x = sum(p[0] for p in ring[:4]) / 4
    y = sum(p[1] for p in ring[:4]) / 4
    (lon,), (lat,) = transform("EPSG:32648", "EPSG:4326", [x], [y])
    return lon, lat


def test_richness_per_area_against_its_checklist(sample: Path, tmp_path: Path) -> None:
    (tmp_path / "site.csv").write_text(CSV, encoding="utf-8")
    lon, lat = _lonlat_of(sample, "B")
    obs = [
        _obs("o1", "Apis cerana", "A", 3).model_dump(mode="json"),
        _obs("o2", "Copsychus malabaricus", "A", 1).model_dump(mode="json"),
        _obs("o3", "Pycnonotus jocosus", "A", 1).model_dump(mode="json"),
        # no area given: located in B by its GPS point; B uses the bundled example list
        _obs("o4", "Passer montanus", None, 2, lat=lat, lon=lon).model_dump(mode="json"),
        _obs("o5", "Passer montanus", None, 1, lat=1.0, lon=1.0).model_dump(mode="json"),
    ]
    lists = [{"path": str(tmp_path / "site.csv"), "areas": ["A"], "source": "Dak Lak 2024"}]
    res = nature.run(nature.load(doc=_survey_doc(sample, tmp_path, obs, lists),
                                 base=sample.parent))
    by = {a["id"]: a["survey"] for a in res.areas}
    assert by["A"]["species"] == 3 and by["A"]["individuals"] == 5
    assert by["A"]["species_by_group"] == {"bird": 2, "insect": 1}
    assert by["A"]["checklist_share"] == pytest.approx(3 / 4)
    assert by["A"]["chao1"] == pytest.approx(3 + 2 * 1 / 2)
    assert by["B"]["species"] == 1 and "survey_checklist.yaml" in by["B"]["checklist"]
    assert by["C"]["observations"] == 0
    assert res.survey == {"observations": 5, "outside_areas": 1,
                          "input": str(tmp_path / "obs.json"),
                          "checklists": sorted([str(tmp_path / "site.csv"),
                                                "junkan/data/nature/survey_checklist.yaml"])}
    html = res.report(tmp_path / "r.html", lang="ja").read_text()
    assert "現地調査：調達地域ごとの種数" in html and "75 %" in html
    # an observation off its area's checklist, or a checklist for an unknown area: refused
    obs[1]["species"] = "Passer montanus"
    with pytest.raises(NatureInputError, match="'o2': species 'Passer montanus' is not on the "
                                               "checklist of area 'A'"):
        nature.run(nature.load(doc=_survey_doc(sample, tmp_path, obs, lists), base=sample.parent))
    lists[0]["areas"] = ["Z"]
    with pytest.raises(NatureInputError, match=r"survey\.checklists\[0\]\.areas: 'Z' is not"):
        nature.run(nature.load(doc=_survey_doc(sample, tmp_path, obs, lists), base=sample.parent))
    with pytest.raises(JunkanError, match="'A' already has"):
        nature.load(doc=_survey_doc(sample, tmp_path, obs, [lists[0] | {"areas": ["A"]}] * 2))


def test_the_surveys_darwin_core_export_is_read_back(tmp_path: Path) -> None:
    obs = [_obs("o1", "Apis cerana", "A", 3, accuracy_m=8), _obs("o2", "Coffea canephora", None)]
    p = tmp_path / "export.csv"
    p.write_text(darwin_core(obs), encoding="utf-8")
    assert nature.read_observations(p) == obs
    p.write_text(darwin_core(obs).replace(",3,", ",three,"), encoding="utf-8")
    with pytest.raises(NatureInputError, match=r"export\.csv: line 2: individualCount: 'three'"):
        nature.read_observations(p)
