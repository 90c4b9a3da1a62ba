"""Which climate-change impact category of an openLCA zip gives CO2e when several match.

Before the fix the first category in zip order named like climate change was taken
silently: with EF 3.1 that could be ``Climate change - Fossil`` (a part) instead of
``Climate change`` (the total), with IPCC 2013 ``GWP 20a`` instead of ``GWP 100a``. Zips are
built with olca-schema the way ``test_olca.py`` builds its sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.core.errors import JunkanError

o = pytest.importorskip("olca_schema")
from olca_schema import zipio  # noqa: E402

from junkan.lifecycle import olca  # noqa: E402

AIR = "Elementary flows/Emission to air/unspecified"
EF = ("Climate change - Fossil", "Climate change - Biogenic",
      "Climate change - Land use and LU change", "Climate change")


def _zip(path: Path, cats: dict[str, float], *, extra: tuple[str, ...] = ()) -> Path:
    """A zip of one process (1 kg steel emitting 2 kg CO2) and one impact category per
    ``cats`` item (name → factor of CO2, in kg CO2 eq), written in that order, plus
    categories named ``extra`` without factors."""
    mass = o.Ref(ref_type=o.RefType.FlowProperty, id=olca.REF["kg"][4], name="Mass")
    kg = o.Ref(ref_type=o.RefType.Unit, id=olca.REF["kg"][0], name="kg")
    co2 = o.new_elementary_flow("Carbon dioxide, fossil", mass)
    co2.category = AIR
    steel = o.new_product("steel", mass)
    proc = o.new_process("steel making")
    o.new_output(proc, steel, 1.0, kg).is_quantitative_reference = True
    o.new_output(proc, co2, 2.0, kg)
    entities: list = [co2, steel, proc]
    for i, (name, value) in enumerate(cats.items()):
        cat = o.new_impact_category(name)
        cat.id, cat.ref_unit = f"cat-{i}", "kg CO2 eq"
        cat.impact_factors = [o.ImpactFactor(flow=o.as_ref(co2), value=value)]
        entities.append(cat)
    entities += [o.new_impact_category(name) for name in extra]
    with zipio.ZipWriter(path) as w:
        for e in entities:
            w.write(e)
    return path


def _co2e(template: dict) -> float:
    return float(template["processes"]["steel_making"]["co2e"].split()[0])


def _source(template: dict) -> str:
    return str(template["processes"]["steel_making"]["source"])


def test_the_one_climate_category_is_taken(tmp_path: Path) -> None:
    path = _zip(tmp_path / "one.zip", {"GWP 100a": 1.0}, extra=("Acidification",))
    template, _ = olca.import_template(path)
    assert _co2e(template) == pytest.approx(2.0)
    assert "impact category 'GWP 100a' (kg CO2 eq) of the zip" in _source(template)
    assert "left out" not in _source(template)


def test_the_total_of_ef_climate_change_is_taken_and_its_parts_named(tmp_path: Path) -> None:
    """EF 3.1: the parts come first in the zip; the first (``- Fossil``, 0.9) was taken."""
    path = _zip(tmp_path / "ef.zip", dict(zip(EF, (0.9, 0.05, 0.05, 1.0), strict=True)),
                extra=("Acidification", "Ozone depletion"))
    template, _ = olca.import_template(path)
    assert _co2e(template) == pytest.approx(2.0)
    source = _source(template)
    assert "impact category 'Climate change' (kg CO2 eq) of the zip" in source
    assert "the total of the zip's 3 other climate-change categories" in source
    assert "left out" in source
    for part in EF[:3]:
        assert repr(part) in source


def test_the_total_is_found_whatever_its_case_and_spaces(tmp_path: Path) -> None:
    path = _zip(tmp_path / "case.zip", {"climate change - fossil": 0.9,
                                        "  Climate Change ": 1.0})
    template, _ = olca.import_template(path)
    assert _co2e(template) == pytest.approx(2.0)
    assert "1 other climate-change category, which is left out: " \
           "'climate change - fossil'" in _source(template)


def test_two_unrelated_gwp_categories_are_refused_naming_both(tmp_path: Path) -> None:
    """IPCC 2013: ``GWP 20a`` came first in the zip and was taken silently."""
    path = _zip(tmp_path / "ipcc.zip", {"IPCC 2013 GWP 20a": 2.5, "IPCC 2013 GWP 100a": 1.0})
    with pytest.raises(JunkanError) as err:
        olca.import_template(path)
    said = str(err.value)
    assert said.startswith(f"{path}: the zip has 2 climate-change impact categories")
    assert "'IPCC 2013 GWP 20a' (id 'cat-0')" in said
    assert "'IPCC 2013 GWP 100a' (id 'cat-1')" in said
    assert "--impact NAME" in said


def test_two_totals_of_the_same_name_are_refused(tmp_path: Path) -> None:
    """EF 3.0 and EF 3.1 in one zip: two ``Climate change`` — neither is the one."""
    path = _zip(tmp_path / "two.zip", {"Climate change": 1.0, "Climate change - Fossil": 0.9},
                extra=("Climate change",))
    with pytest.raises(JunkanError, match="3 climate-change impact categories"):
        olca.import_template(path)
    with pytest.raises(JunkanError, match="is the name of 2 categories.*--impact ID"):
        olca.import_template(path, impact="Climate change")
    template, _ = olca.import_template(path, impact="cat-0")  # by id: that one
    assert _co2e(template) == pytest.approx(2.0)


@pytest.mark.parametrize(("impact", "kg"), [("IPCC 2013 GWP 20a", 5.0),
                                            ("IPCC 2013 GWP 100a", 2.0),
                                            ("cat-0", 5.0), ("cat-1", 2.0)])
def test_impact_picks_exactly_that_category(tmp_path: Path, impact: str, kg: float) -> None:
    path = _zip(tmp_path / "ipcc.zip", {"IPCC 2013 GWP 20a": 2.5, "IPCC 2013 GWP 100a": 1.0})
    template, _ = olca.import_template(path, impact=impact)
    assert _co2e(template) == pytest.approx(kg)
    assert "left out" not in _source(template)


def test_impact_picks_a_part_of_ef_when_asked(tmp_path: Path) -> None:
    path = _zip(tmp_path / "ef.zip", dict(zip(EF, (0.9, 0.05, 0.05, 1.0), strict=True)))
    template, _ = olca.import_template(path, impact="Climate change - Fossil")
    assert _co2e(template) == pytest.approx(1.8)
    assert "'Climate change - Fossil'" in _source(template)


def test_an_impact_not_in_the_zip_is_still_refused(tmp_path: Path) -> None:
    path = _zip(tmp_path / "one.zip", {"GWP 100a": 1.0})
    with pytest.raises(JunkanError, match="impact category 'nope' is not in the zip; it has: "
                                          "GWP 100a"):
        olca.import_template(path, impact="nope")


def test_a_category_without_a_name_is_chosen_by_its_id(tmp_path: Path) -> None:
    """A category given by its @id alone (no name) is no climate category by name, but
    ``--impact`` with its id takes it; its factor's flow is an id-only reference. The
    source used to say "impact category 'None'"."""
    path = _zip(tmp_path / "id.zip", {"GWP 100a": 1.0})
    with zipio.ZipReader(path) as r:
        cat = r.read(o.ImpactCategory, "cat-0")
    assert cat is not None and cat.impact_factors
    bare = o.ImpactCategory(id="bare", ref_unit="kg CO2 eq", impact_factors=[
        o.ImpactFactor(flow=o.Ref(id=cat.impact_factors[0].flow.id), value=3.0)])
    with zipio.ZipWriter(tmp_path / "id2.zip") as w:
        with zipio.ZipReader(path) as r:
            for kind in (o.Flow, o.Process, o.ImpactCategory):
                for i in r.ids_of(kind):
                    w.write(r.read(kind, i))
        w.write(bare)
    template, _ = olca.import_template(tmp_path / "id2.zip")
    assert _co2e(template) == pytest.approx(2.0)  # the named one
    template, _ = olca.import_template(tmp_path / "id2.zip", impact="bare")
    assert _co2e(template) == pytest.approx(6.0)
    assert "impact category 'bare' (kg CO2 eq) of the zip" in _source(template)


def test_a_total_is_a_whole_word_prefix() -> None:
    """'GWP 20' is no total of 'GWP 200' (a plain prefix took it: review of 2026-12-05)."""
    from junkan.lifecycle.olca_factors import _begins

    assert _begins("climate change - fossil", "climate change")
    assert _begins("climate change", "climate change")
    assert not _begins("gwp 200", "gwp 20")
