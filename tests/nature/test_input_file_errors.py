"""Errors about nature input files name the file (and the line or area where known): a
deeply nested GeoJSON, a precipitation month 13, a precipitation series shorter than the SPI
scale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from junkan.nature.assess import read_precipitation
from junkan.nature.engine import spi_by_area
from junkan.nature.geo import Layer, NatureInputError, Polygon, read_layer
from junkan.nature.schema import load

AREAS = Layer("areas.geojson", "EPSG:4326", [Polygon("A", {
    "type": "Polygon",
    "coordinates": [[[105.8, 21.0], [105.81, 21.0], [105.81, 21.01], [105.8, 21.0]]]})])


def test_deeply_nested_geojson_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "areas.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(NatureInputError, match="nested too deeply") as err:
        read_layer(path)
    assert str(err.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("index", "month"), [(11, "2020-00"), (24, "2020-13")])
def test_precipitation_month_out_of_range_names_file_and_line(tmp_path: Path, index: int,
                                                               month: str) -> None:
    # 2020-00 in place of 2019-12 and 2020-13 in place of 2021-01 were read as those months
    rows = [f"{2019 + i // 12}-{i % 12 + 1:02d},50" for i in range(36)]
    rows[index] = f"{month},50"
    path = tmp_path / "p.csv"
    path.write_text("month,mm\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(NatureInputError) as err:
        read_precipitation(path)
    assert str(err.value).startswith(f"{path}: line {index + 2}: month '{month}'")
    assert "MM 01 to 12" in str(err.value)


def test_series_shorter_than_spi_scale_names_file_and_area(tmp_path: Path) -> None:
    rows = [f"A,{2020 + i // 12}-{i % 12 + 1:02d},{40 + i % 7}" for i in range(30)]
    (tmp_path / "p.csv").write_text("area,month,mm\n" + "\n".join(rows) + "\n",
                                    encoding="utf-8")
    doc = {"areas": "areas.geojson", "scenes": [{"path": "s.tif", "date": "2022-12-01"}],
           "precipitation": "p.csv", "spi_scale": 36}
    with pytest.raises(NatureInputError) as err:
        spi_by_area(load(doc=doc, base=tmp_path), AREAS)
    assert str(err.value).startswith("p.csv (area 'A'): 30 months, fewer than spi_scale (36)")


@pytest.mark.parametrize("bad", [10**400, True])
def test_huge_integer_or_boolean_coordinate_names_file_feature_and_position(
    tmp_path: Path, bad: object
) -> None:
    # 10**400 used to escape as OverflowError (no file named), true was read as 1
    path = tmp_path / "areas.geojson"
    ring = [[0, 0], [bad, 0], [1, 1], [0, 0]]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "A"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}]}), encoding="utf-8")
    with pytest.raises(NatureInputError) as err:
        read_layer(path, crs="EPSG:32648")
    assert str(err.value).startswith(f"{path}: features[0].geometry ring 0.0: position 1 is ")
    assert "finite numbers" in str(err.value)


def test_precipitation_and_withdrawals_saved_by_excel_with_a_bom_are_read(tmp_path: Path) -> None:
    """Before: Excel's UTF-8 byte-order mark made the first header '\\ufeffmonth' and the file
    was refused for a missing column."""
    from junkan.nature.water import read_withdrawals

    rows = [f"{2019 + i // 12}-{i % 12 + 1:02d},50" for i in range(24)]
    path = tmp_path / "p.csv"
    path.write_text("month,mm\n" + "\n".join(rows) + "\n", encoding="utf-8-sig")
    assert len(read_precipitation(path)[""][0]) == 24
    water = tmp_path / "w.csv"
    water.write_text("area,water_source,withdrawal_m3\nA,surface,5\n", encoding="utf-8-sig")
    assert read_withdrawals(water, {"A"})[0]["withdrawal_m3"] == 5.0


def test_an_unclosed_quote_does_not_echo_the_file(tmp_path: Path) -> None:
    """Before: an unclosed quote made the rest of the file one cell, quoted whole in the
    message."""
    from junkan.nature.water import read_withdrawals

    rest = "\n".join(f"{2019 + i // 12}-{i % 12 + 1:02d},50" for i in range(1, 2000))
    path = tmp_path / "p.csv"
    path.write_text(f'month,mm\n"2019-01,50\n{rest}\n', encoding="utf-8")
    with pytest.raises(NatureInputError) as err:
        read_precipitation(path)
    assert str(err.value).startswith(f"{path}: line 2: month '2019-01,50\\n")
    assert len(str(err.value)) < 400
    water = tmp_path / "w.csv"
    water.write_text('area,water_source,withdrawal_m3\n"A,surface,5\n' + "A,surface,5\n" * 2000,
                     encoding="utf-8")
    with pytest.raises(NatureInputError) as err:
        read_withdrawals(water, {"A"})
    assert str(err.value).startswith(f"{water}: line 2: area 'A,surface,5\\n")
    assert len(str(err.value)) < 400
