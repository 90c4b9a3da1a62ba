"""Field observations → Darwin Core occurrences; species richness; checks at the boundary."""

from __future__ import annotations

import csv
import io

import pytest
from pydantic import ValidationError

from junkan.nature import NatureInputError, Observation, check_species, darwin_core, richness

OBS = [
    {
        "id": "o1",
        "species": "Copsychus malabaricus",
        "count": 2,
        "lat": 12.6675,
        "lon": 108.0377,
        "time": "2024-05-01T07:30:00+07:00",
        "observer": "N. Lan",
        "area": "A",
        "photo": "photos/o1.jpg",
    },
    {
        "id": "o2",
        "species": "Pycnonotus jocosus",
        "count": 5,
        "lat": 12.668,
        "lon": 108.04,
        "time": "2024-05-01T07:45:00+07:00",
        "observer": "N. Lan",
        "area": "A",
    },
    {
        "id": "o3",
        "species": "Copsychus malabaricus",
        "count": 1,
        "lat": 12.70,
        "lon": 108.10,
        "time": "2024-05-02T06:10:00+07:00",
        "observer": "T. Minh",
        "area": "B",
        "accuracy_m": 8,
    },
]


def test_darwin_core_export() -> None:
    obs = [Observation.model_validate(o) for o in OBS]
    rows = list(csv.DictReader(io.StringIO(darwin_core(obs))))
    assert len(rows) == 3
    first = rows[0]
    assert first["occurrenceID"] == "o1" and first["basisOfRecord"] == "HumanObservation"
    assert first["eventDate"] == "2024-05-01T07:30:00+07:00"
    assert first["decimalLatitude"] == "12.667500" and first["geodeticDatum"] == "EPSG:4326"
    assert first["individualCount"] == "2" and first["associatedMedia"] == "photos/o1.jpg"
    assert rows[2]["coordinateUncertaintyInMeters"] == "8"
    assert richness(obs) == {
        "A": {"species": 2, "individuals": 7},
        "B": {"species": 1, "individuals": 1},
    }


def test_boundary_checks() -> None:
    for bad in (
        {"lat": 91},
        {"count": 0},
        {"time": "2024-05-01T07:30:00"},
        {"lon": float("nan")},
        {"extra": 1},
    ):
        with pytest.raises(ValidationError):
            Observation.model_validate({**OBS[0], **bad})
    obs = [Observation.model_validate(o) for o in OBS]
    with pytest.raises(NatureInputError, match="'Pycnonotus jocosus' is not on"):
        check_species(obs, ["Copsychus malabaricus"])
    with pytest.raises(NatureInputError, match="used twice"):
        darwin_core([obs[0], obs[0]])
