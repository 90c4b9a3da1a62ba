"""An assessment holds at most ``nature_areas`` sourcing areas: each costs 0.1–0.2 s (its
flood-frequency bootstrap, trends and statistics), so the 10,000 features a file may hold
took half an hour. The areas are counted when the file is read, before any polygon is checked
or any scene read, and the refusal names the file, the limit and its setting."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from junkan.core.limits import limits, override_limits
from junkan.nature.sample import _fc, _rect, _xy
from tests.nature.conftest import SIZE


def _assessment(sample: Path, tmp_path: Path, n: int) -> Path:
    """The sample's assessment with ``n`` sourcing areas (small squares on a grid)."""
    k = int(n**0.5) + 1
    cell = SIZE / k
    feats = []
    for i in range(n):
        r, c = divmod(i, k)
        x0, y1 = _xy(round(r * cell), round(c * cell))
        x1, y0 = _xy(round(r * cell) + 2, round(c * cell) + 2)
        feats.append(({"id": f"A{i}", "commodity": "coffee", "supplier": f"S{i}"},
                      _rect(x0, y0, x1, y1)))
    (tmp_path / "areas.geojson").write_text(json.dumps(_fc(feats)))
    doc = yaml.safe_load(sample.read_text())
    doc.pop("water"), doc.pop("portfolio")  # they name the sample's areas A, B, C
    doc["areas"] = str(tmp_path / "areas.geojson")
    doc["scenes"] = [{**s, "path": str(sample.parent / s["path"])} for s in doc["scenes"]]
    for key in ("training", "protected", "precipitation"):
        doc[key] = str(sample.parent / doc[key])
    path = tmp_path / "assessment.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_too_many_areas_are_refused_before_any_is_assessed(sample: Path,
                                                           tmp_path: Path) -> None:
    from junkan import nature

    most = limits().nature_areas
    a = nature.load(_assessment(sample, tmp_path, most + 1))
    t = time.perf_counter()
    with pytest.raises(nature.NatureInputError) as err:
        nature.run(a)
    assert time.perf_counter() - t < 1.0
    assert str(err.value).startswith(
        f"{tmp_path / 'areas.geojson'}: {most + 1:,} sourcing areas (the assessment's areas), "
        f"more than the limit {most:,} (JUNKAN_LIMIT_NATURE_AREAS)"), str(err.value)


def test_the_limit_counts_sourcing_areas_only(sample: Path, tmp_path: Path) -> None:
    """Protected areas, KBAs and training polygons are not assessed one by one: a file of
    them may hold more features than the limit on areas."""
    from junkan.nature.geo import NatureInputError, read_layer

    path = _assessment(sample, tmp_path, 5).parent / "areas.geojson"
    with override_limits(nature_areas=4):
        with pytest.raises(NatureInputError, match="5 sourcing areas .* limit 4 "):
            read_layer(path, areas=True)
        assert len(read_layer(path).polygons) == 5
