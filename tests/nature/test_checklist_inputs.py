"""Checklist and observation inputs that used to escape as raw tracebacks or slip through:
a CSV field over the csv module's limit, deeply nested JSON/YAML, a byte-order mark in
text, NFC/NFD spellings of one name; and the cost of checking and locating many
observations."""

from __future__ import annotations

import datetime as dt
import math
import time
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from junkan.nature import Checklists, NatureInputError, Observation, parse_checklist
from junkan.nature.fieldwork import locate, read_observations
from junkan.nature.geo import WGS84, Layer, Polygon
from junkan.nature.survey import check_species, darwin_core
from tests.nature.test_checklist import CSV, _obs

HUGE = "x" * 131_073
"""One more character than the csv module's default field limit."""


def test_a_field_over_the_csv_limit_names_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(NatureInputError, match=r"^site\.csv: line 6: not valid CSV \(field "
                       r"larger than field limit"):
        parse_checklist(CSV + f'Bos taurus,"{HUGE}",mammal,x\n', fmt="csv", path="site.csv")
    with pytest.raises(NatureInputError, match=r"^site\.csv: line 1: not valid CSV"):
        parse_checklist(f'"{HUGE}"\n', fmt="csv", path="site.csv")
    obs = [_obs("o1", "Apis cerana", "A"), _obs("o2", "Apis cerana", "A", remarks="REMARK")]
    p = tmp_path / "export.csv"
    p.write_text(darwin_core(obs).replace("REMARK", f'"{HUGE}"'), encoding="utf-8")
    with pytest.raises(NatureInputError, match=r"export\.csv: line 3: not valid CSV"):
        read_observations(p)
    p.write_text(f'"{HUGE}"\n', encoding="utf-8")
    with pytest.raises(NatureInputError, match=r"export\.csv: line 1: not valid CSV"):
        read_observations(p)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_deeply_nested_documents_are_refused(fmt: str, tmp_path: Path) -> None:
    with pytest.raises(NatureInputError, match=rf"^site\.{fmt}: not a checklist: nested too "
                       "deeply"):
        parse_checklist("[" * 100_000, fmt=fmt, path=f"site.{fmt}")
    p = tmp_path / "obs.json"
    p.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(NatureInputError, match=r"obs\.json: not observations: nested too "
                       "deeply"):
        read_observations(p)


def test_a_byte_order_mark_in_text_is_ignored() -> None:
    cl = parse_checklist("\ufeff" + CSV, fmt="csv", path="site.csv", source="s")
    assert cl.species[0].name == "Copsychus malabaricus"
    doc = '\ufeff{"source": "s", "species": [{"name": "Apis cerana", "group": "insect"}]}'
    assert parse_checklist(doc, fmt="json", path="site.json").species[0].name == "Apis cerana"


def test_nfc_and_nfd_spellings_of_a_name_are_one_name() -> None:
    name = "Rhinolophus affinis élégans"
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    text = f"scientific_name,group,source\n{name},mammal,x\n{nfd},mammal,x\n"
    with pytest.raises(NatureInputError, match=r"line 3: .* is listed twice \(first at line "
                       r"2\)"):
        parse_checklist(text, fmt="csv", path="site.csv")


def _observations(n: int, species: int) -> list[Observation]:
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    return [Observation(id=str(i), species=f"Sp {i % species}", count=1, lat=10.0, lon=100.0,
                        time=when, observer="a") for i in range(n)]


def test_checking_many_observations_reads_the_names_once() -> None:
    text = "scientific_name,group,source\n" + "".join(f"Sp {i},bird,s\n" for i in range(10_000))
    cl = parse_checklist(text, fmt="csv", path="x.csv")
    assert cl.names is cl.names and isinstance(cl.names, frozenset)
    obs = _observations(20_000, 10_000)
    t = time.perf_counter()
    check_species(obs, Checklists(default=cl))
    assert time.perf_counter() - t < 5  # 20,000 × 10,000 set insertions before


def _circle(fid: str, lon: float, lat: float, r: float, n: int = 400) -> Polygon:
    ring = [[lon + r * math.cos(2 * math.pi * k / n), lat + r * math.sin(2 * math.pi * k / n)]
            for k in range(n)]
    return Polygon(fid, {"type": "Polygon", "coordinates": [[*ring, ring[0]]]})


def test_locating_many_observations_is_vectorised() -> None:
    rng = np.random.default_rng(0)
    areas = Layer("areas.geojson", WGS84, [_circle("A", 100.0, 10.0, 0.1),
                                           _circle("B", 100.3, 10.0, 0.1),
                                           _circle("C", 100.6, 10.0, 0.1)])
    n = 100_000
    lon, lat = rng.uniform(99.85, 100.75, n), rng.uniform(9.85, 10.15, n)
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    obs = [Observation.model_construct(id=str(i), species="Sp", count=1, lat=float(y),
                                       lon=float(x), time=when, observer="a", area=None)
           for i, (x, y) in enumerate(zip(lon, lat, strict=True))]
    t = time.perf_counter()
    out = locate(obs, areas, "obs.csv")
    assert time.perf_counter() - t < 20  # about a minute point by point, edge by edge
    for fid, cx in (("A", 100.0), ("B", 100.3), ("C", 100.6)):
        d = np.hypot(lon - cx, lat - 10.0)
        got = np.array([o.area == fid for o in out])
        sure = np.abs(d - 0.1) > 1e-3  # away from the (polygonal) boundary
        assert (got[sure] == (d < 0.1)[sure]).all(), fid
    assert sum(o.area is None for o in out) > 0


def test_an_observation_file_names_the_item_and_each_wrong_field(tmp_path: Path) -> None:
    """Every wrong field of an observation is named (not only the first), after the file
    and the item."""
    p = tmp_path / "obs.json"
    p.write_text('[{"id": "o1", "species": "Apis cerana", "count": 0, "lat": 95, "lon": 0, '
                 '"time": "2026-01-01T00:00:00Z", "observer": "a", "colour": "red"}]')
    with pytest.raises(NatureInputError) as err:
        read_observations(p)
    lines = str(err.value).splitlines()
    assert all(line.startswith(f"{p}: [0]: ") for line in lines)
    assert any("count:" in x for x in lines) and any("lat:" in x for x in lines)
    assert any("colour: unknown field" in x for x in lines)


@pytest.mark.parametrize(("fmt", "text"), [
    ("json", '{"source": "survey A", "source": "survey B", "species": []}'),
    ("yaml", "source: survey A\nsource: survey B\nspecies: []\n")])
def test_a_key_given_twice_is_refused(fmt: str, text: str) -> None:
    """A reader keeps the last of a repeated key: the checklist is refused, naming it."""
    with pytest.raises(NatureInputError, match=rf"^site\.{fmt}: not valid {fmt.upper()} .*"
                       "'source' is given twice"):
        parse_checklist(text, fmt=fmt, path=f"site.{fmt}")

