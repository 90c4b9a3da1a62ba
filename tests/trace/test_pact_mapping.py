"""A lot's PACT v3 footprint, value by value, against the v3 specification (OpenAPI of
github.com/wbcsd/data-exchange-protocol spec/v3, docs.carbon-transparency.org 3.0.x) and the
reference data of junkan/data/trace."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import ValidationError

from junkan.trace.pact import (
    EXTENSION_PATH,
    NotFinite,
    Unpublishable,
    content,
    dec,
    finish,
    matches,
    per_kg,
)
from junkan.trace.pcf import DEFAULT_STANDARDS, PcfFacts, derived_facts
from junkan.trace.pcf_data import carbon_content, carbon_table, pact_defaults

RECORDED = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def lot(material: str = "polyethylene", mass: float = 100, total: float = 200,
        biogenic: float = 0.0, custody: str = "declared", **facts: Any) -> dict[str, Any]:
    """A lot view as ``lot_view`` makes it (cfp, recycled, claims visible)."""
    return {"lot": "L1", "material": material, "mass_kg": mass, "owner": "org-A",
            "creator": "org-A", "custody": custody, "updated_at": RECORDED.isoformat(),
            "cfp_kgco2e": {"total": total, "fossil": total - biogenic, "biogenic": biogenic,
                           "per_kg": total / mass},
            "pcf_facts": PcfFacts(**facts).model_dump() if custody == "declared" else facts,
            "recycled": {"pre_consumer": 0.1, "post_consumer": 0.2, "total": 0.3},
            "claims": [{"type": "dd", "issuer": "x", "id": "c1"}]}


def pcf_of(view: dict[str, Any]) -> dict[str, Any]:
    return dict(content(view, "urn:junkan:org:o1", key="o1/L1", recorded=RECORDED)["pcf"])


def test_decimals_are_exact_with_nine_significant_digits() -> None:
    assert per_kg(100, 300) == "0.333333333"  # not 0.3333333333333333
    assert dec(0.1 + 0.2) == "0.3"  # 0.30000000000000004 in binary
    assert dec(12.000000000000002) == "12"
    assert dec(1234567.891234) == "1234567.89"
    assert dec(1e-7) == "0.0000001" and dec(-0.0) == "0" and dec(2e20).isdigit()
    assert pact_defaults()["decimal"]["significant_digits"] == 9
    for bad in (float("nan"), float("inf")):
        with pytest.raises(NotFinite):
            dec(bad)


def test_biogenic_uptake_follows_v3_meanings() -> None:
    """v3: 'excluding uptake' counts biogenic emissions; 'including' adds the uptake (≤ 0),
    so it never exceeds 'excluding' (OpenAPI CarbonFootprint x-note formulas)."""
    plain = pcf_of(lot(total=200))  # no biogenic part: both the same
    assert plain["pcfExcludingBiogenicUptake"] == plain["pcfIncludingBiogenicUptake"] == "2"
    # net biogenic -25 = emissions 5 + uptake -30 (declared): fossil 225
    up = pcf_of(lot(total=200, biogenic=-25, biogenic_uptake_kg=-30, fossil_carbon_kg=0))
    assert up["pcfIncludingBiogenicUptake"] == "2"  # 225 + 5 - 30
    assert up["pcfExcludingBiogenicUptake"] == "2.3"  # 225 + 5
    assert up["fossilGhgEmissions"] == "2.25" and up["biogenicCO2Uptake"] == "-0.3"
    # net biogenic +10 of emissions only (nothing declared): both 2
    emit = pcf_of(lot(total=200, biogenic=10))
    assert emit["pcfExcludingBiogenicUptake"] == emit["pcfIncludingBiogenicUptake"] == "2"
    # net -20 without a declared uptake: the uptake is at least -20; stated as assumed
    neg = content(lot(total=180, biogenic=-20), "urn:x", key="o/L", recorded=RECORDED)
    assert neg["pcf"]["pcfExcludingBiogenicUptake"] == "2"
    assert neg["pcf"]["pcfIncludingBiogenicUptake"] == "1.8"
    assert "biogenicCO2Uptake" not in neg["pcf"] and "taken as uptake" in neg["comment"]
    for view in (lot(total=200, biogenic=-25, biogenic_uptake_kg=-30), lot(biogenic=-20)):
        p = pcf_of(view)
        assert float(p["pcfIncludingBiogenicUptake"]) <= float(p["pcfExcludingBiogenicUptake"])
    with pytest.raises(Unpublishable, match="exceeds the net biogenic"):
        pcf_of(lot(total=200, biogenic=-40, biogenic_uptake_kg=-30))  # emissions < 0


def test_fossil_carbon_declared_or_from_the_sourced_table() -> None:
    pe = content(lot("polyethylene"), "urn:x", key="o/L", recorded=RECORDED)
    assert pe["pcf"]["fossilCarbonContent"] == "0.8563"  # (C2H4)n, ~0.86 kg C/kg
    assert "carbon_content.yaml" in pe["comment"]
    assert pcf_of(lot("Aluminium ")).get("fossilCarbonContent") == "0"  # case, spaces
    assert pcf_of(lot("polyethylene", fossil_carbon_kg=40))["fossilCarbonContent"] == "0.4"
    for unknown in ("aluminium scrap", "steel", "mixed plastics"):  # must be declared
        with pytest.raises(Unpublishable, match="fossilCarbonContent"):
            pcf_of(lot(unknown))
    assert pcf_of(lot("steel", fossil_carbon_kg=0.2))["fossilCarbonContent"] == "0.002"


ATOMIC = {"C": 12.011, "H": 1.008, "N": 14.007, "O": 15.999, "Cl": 35.45}  # CIAAW 2021


def test_carbon_table_values_follow_their_stated_formula() -> None:
    """Every polymer value is the carbon mass fraction of the repeat unit it names: the
    table's numbers are checkable, not typed in."""
    import re
    from importlib import resources

    import yaml

    doc = yaml.safe_load((resources.files("junkan.data") / "trace" /
                          "carbon_content.yaml").read_text("utf-8"))
    assert doc["read"] and carbon_table()
    for entry, row in doc["materials"].items():
        assert row["source"], entry
        if "formula" not in row:
            assert row["carbon_kg_per_kg"] == 0, entry  # metals
            continue
        atoms = {el: int(n or 1) for el, n in re.findall(r"([A-Z][a-z]?)(\d*)",
                                                         row["formula"])}
        mass = sum(ATOMIC[el] * n for el, n in atoms.items())
        assert row["carbon_kg_per_kg"] == pytest.approx(ATOMIC["C"] * atoms["C"] / mass,
                                                        abs=5e-5), entry
    assert carbon_content("HDPE") == carbon_content("polyethylene")
    assert carbon_content("PVC")[0] == pytest.approx(0.3844)  # type: ignore[index]


def test_geography_one_level_or_none_with_the_reason() -> None:
    assert pcf_of(lot(country="JP"))["geographyCountry"] == "JP"
    sub = pcf_of(lot(subdivision="JP-13"))
    assert sub["geographyCountrySubdivision"] == "JP-13" and "geographyCountry" not in sub
    assert pcf_of(lot(region="Eastern Asia"))["geographyRegionOrSubregion"] == "Eastern Asia"
    unknown = content(lot(), "urn:x", key="o/L", recorded=RECORDED)
    assert not {k for k in unknown["pcf"] if k.startswith("geography")}
    assert "Geography not known" in unknown["comment"] and "not a global" in \
        unknown["comment"]
    with pytest.raises(ValidationError, match="one of country"):
        PcfFacts(country="JP", region="Eastern Asia")


def test_reference_and_validity_periods() -> None:
    """Declared where given; else 12 months up to recording (assumption, pact_defaults.yaml)
    and the spec's default validity: 3 years from referencePeriodEnd."""
    default = content(lot(), "urn:x", key="o/L", recorded=RECORDED)
    assert default["pcf"]["referencePeriodStart"] == "2025-05-01T12:00:00Z"
    assert default["pcf"]["referencePeriodEnd"] == "2026-05-01T12:00:00Z"
    assert (default["validityPeriodStart"], default["validityPeriodEnd"]) == (
        "2026-05-01T12:00:00Z", "2029-05-01T12:00:00Z")
    assert "Reference period: assumed" in default["comment"]
    declared = content(lot(reference_period_start="2024-01-01T00:00:00Z",
                           reference_period_end="2025-01-01T00:00:00+00:00",
                           validity_period_end="2026-06-30T00:00:00Z"),
                       "urn:x", key="o/L", recorded=RECORDED)
    assert declared["pcf"]["referencePeriodEnd"] == "2025-01-01T00:00:00Z"
    assert declared["validityPeriodStart"] == "2025-01-01T00:00:00Z"
    assert declared["validityPeriodEnd"] == "2026-06-30T00:00:00Z"
    assert "Reference period" not in declared["comment"]
    ref = {"reference_period_start": "2024-01-01T00:00:00Z",
           "reference_period_end": "2025-01-01T00:00:00Z"}
    for bad, why in ((ref | {"validity_period_start": "2024-06-01T00:00:00Z"}, "not be before"),
                     (ref | {"validity_period_end": "2028-06-01T00:00:00Z"}, "3 years"),
                     ({"validity_period_end": "2026-01-01T00:00:00Z"}, "needs the reference"),
                     ({"reference_period_start": "2024-01-01T00:00:00Z"}, "together"),
                     ({"reference_period_start": "2024-01-01T00:00:00",
                       "reference_period_end": "2025-01-01T00:00:00"}, "time zone")):
        with pytest.raises(ValidationError, match=why):
            PcfFacts(**bad)


def test_declared_constants_and_optional_blocks() -> None:
    p = pcf_of(lot(ipcc_factors=["AR5", "AR6"], standards=["ISO14067", "PACT-3.0"],
                   exempted_percent=1.5, dqi={"technological": 2, "geographical": 1.25,
                                              "temporal": 3},
                   verification={"coverage": "PCF program", "provider_name": "Audit Co",
                                 "completed_at": "2026-02-01T09:00:00+09:00"},
                   ccs={"included": True, "capture_kg": -10, "origin": "site X"},
                   ccu={"carbon_content_kg": 5, "approach": "Credit",
                        "credit_certification": "https://registry.example/c/1"}))
    assert p["ipccCharacterizationFactors"] == ["AR5", "AR6"]
    assert p["crossSectoralStandards"] == ["ISO14067", "PACT-3.0"]
    assert p["exemptedEmissionsPercent"] == "1.5"
    assert p["dqi"] == {"technologicalDQR": "2", "geographicalDQR": "1.25", "temporalDQR": "3"}
    assert p["verification"] == {"coverage": "PCF program", "providerName": "Audit Co",
                                 "completedAt": "2026-02-01T00:00:00Z"}
    assert p["ccsTechnologicalCO2CaptureIncluded"] is True
    assert p["ccsTechnologicalCO2Capture"] == "-0.1"
    assert p["technologicalCO2CaptureOrigin"] == "site X"
    assert (p["ccuCarbonContent"], p["ccuCalculationApproach"]) == ("0.05", "Credit")
    bare = pcf_of(lot())  # nothing declared: defaults of pact_defaults.yaml, no blocks
    assert bare["ipccCharacterizationFactors"] == ["AR6"]
    assert bare["crossSectoralStandards"] == list(DEFAULT_STANDARDS) == ["ISO14067"]
    assert not {"dqi", "verification", "ccsTechnologicalCO2CaptureIncluded"} & set(bare)
    with pytest.raises(ValidationError, match="go with included"):
        PcfFacts(ccs={"included": False, "capture_kg": -1})
    with pytest.raises(ValidationError):
        PcfFacts(dqi={"technological": 6, "geographical": 1, "temporal": 1})


def test_finish_gives_the_version_and_only_visible_extension_data() -> None:
    body = content(lot(), "urn:x", key="o/L", recorded=RECORDED)
    pf = finish(body, pf_id="id-2", created=RECORDED, status="Active", preceding=["id-1"],
                schema_url="https://h.example" + EXTENSION_PATH)
    assert pf["precedingPfIds"] == ["id-1"] and pf["status"] == "Active"
    assert "updated" not in pf and "version" not in pf  # obsolete in v3
    ext = pf["extensions"][0]
    assert ext["dataSchema"] == "https://h.example/3/extensions/junkan/recycled-content/" \
                                "1.0.0/schema.json"
    assert ext["data"]["postConsumerShare"] == "0.2" and ext["data"]["claims"]
    only_cfp = finish(body, pf_id="x", created=RECORDED, status="Active",
                      schema_url="https://h", fields={"cfp"})
    assert "extensions" not in only_cfp and "precedingPfIds" not in only_cfp
    recycled = finish(body, pf_id="x", created=RECORDED, status="Active",
                      schema_url="https://h", fields={"cfp", "recycled"})
    assert set(recycled["extensions"][0]["data"]) == {"preConsumerShare", "postConsumerShare"}


def test_filters_are_case_insensitive_and_ignore_empty_values() -> None:
    pf = finish(content(lot(country="JP"), "urn:X:org", key="o/L", recorded=RECORDED),
                pf_id="i", created=RECORDED, status="Active", schema_url="https://h")
    assert matches(pf, {"status": ["active"], "geography": ["jp"]})
    assert matches(pf, {"companyId": ["URN:x:ORG"], "geography": [""]})
    assert not matches(pf, {"status": ["Deprecated"]})
    assert matches(pf, {"validOn": ["2027-01-01T00:00:00+09:00"]})
    assert not matches(pf, {"validOn": ["2026-05-01T11:59:59Z"]})
    with pytest.raises(ValueError):
        matches(pf, {"validOn": ["yesterday"]})


def _input(material: str, mass: float, biogenic: float = 0.0, **declared: Any
           ) -> SimpleNamespace:
    return SimpleNamespace(material=material, mass_kg=mass, custody="declared",
                           cfp_biogenic=biogenic,
                           declared={"pcf": declared} if declared else {})


def test_derived_facts_carry_carbon_uptake_and_periods() -> None:
    pe, al = _input("polyethylene", 100), _input("aluminium", 300)
    facts = derived_facts([(pe, 100), (al, 300)], "JP")  # nothing declared: fast path
    assert facts["fossil_carbon_kg"] == pytest.approx(100 * 0.8563)
    # a process losing 10 % keeps the carbon per kg of the mix, not all the carbon
    lossy = derived_facts([(pe, 100)], None, mass_kg=90)
    assert lossy["fossil_carbon_kg"] / 90 == pytest.approx(0.8563)
    assert derived_facts([(_input("scrap", 10), 10)], None)["fossil_carbon_kg"] is None
    bio = _input("bio-PE", 10, -30, fossil_carbon_kg=0, biogenic_uptake_kg=-30,
                 reference_period_start="2024-01-01T00:00:00Z",
                 reference_period_end="2025-01-01T00:00:00Z", ipcc_factors=["AR5"])
    pe_jp = _input("polyethylene", 10, country="JP",
                   reference_period_start="2025-01-01T00:00:00Z",
                   reference_period_end="2025-07-01T00:00:00Z")
    mixed = derived_facts([(bio, 5), (pe_jp, 5)], None)
    assert mixed["fossil_carbon_kg"] == pytest.approx(5 * 0.8563)
    # the PE lot declared no uptake: none assumed (no negative net biogenic CFP); rule 1
    # left the whole unknown
    assert (mixed["biogenic_uptake_kg"], mixed["biogenic_uptake_assumed_kg"]) == (-15, 0)
    old = derived_facts([(bio, 5), (pe_jp, 5)], None, assume_uptake=False)
    assert old["biogenic_uptake_kg"] is None and "biogenic_uptake_assumed_kg" not in old
    assert mixed["country"] is None and mixed["ipcc_factors"] == ["AR5", "AR6"]
    assert (mixed["reference_period_start"], mixed["reference_period_end"]) == (
        "2024-01-01T00:00:00Z", "2025-07-01T00:00:00Z")
    two = derived_facts([(bio, 5), (bio, 5)], None)
    assert two["biogenic_uptake_kg"] == pytest.approx(-30)
