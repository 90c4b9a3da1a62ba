"""Disclosure packs: ESRS E5 figures by hand from a tiny flow model, the inline XBRL read
back (structure without the taxonomy), concepts resolved against a taxonomy package, and
Arelle's validation where the real EFRAG package and Arelle are present."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy.disclosure import _concept_note, xbrl_map

FIX = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def pack() -> policy.DisclosurePack:
    p = policy.run(policy.load(FIX / "pack.yaml"))
    assert isinstance(p, policy.DisclosurePack)
    return p


def test_esrs_figures_by_hand(pack: policy.DisclosurePack) -> None:
    got = {f["key"]: f["value"] for f in pack.facts if "dims" not in f}
    # inflows 600 + 400 t; secondary = 600 × 0.5 = 300 t (30 %); biological 400 t of which
    # renewable 0.25 → 25 % sustainably sourced
    assert got["esrs_e5.4.total_inflow"] == 1000
    assert got["esrs_e5.4.secondary_t"] == 300
    assert got["esrs_e5.4.secondary_share"] == pytest.approx(0.3)
    assert got["esrs_e5.4.biological_sustainably_sourced"] == pytest.approx(0.25)
    # outflows: recycling 500, reuse 100 (diverted 600); landfill 300, incineration 20
    # (disposed 320); total 920; non-recycled 920 − 500 = 420 (45.65 %); hazardous 20
    assert got["esrs_e5.5.waste_total"] == 920
    assert got["esrs_e5.5.waste_diverted"] == 600
    assert got["esrs_e5.5.waste_disposed"] == 320
    assert got["esrs_e5.5.waste_non_recycled"] == 420
    assert got["esrs_e5.5.waste_non_recycled_share"] == pytest.approx(420 / 920)
    assert got["esrs_e5.5.hazardous_waste"] == 20
    # the E5-5 breakdowns, tagged with the taxonomy's explicit dimensions (the same table)
    dims = {
        (f["key"], tuple(f["breakdown"].values())): f["value"] for f in pack.facts if "dims" in f
    }
    assert len(dims) == 22  # per side: 2 hazard classes × 3 operations + 2 + 3 subtotals
    assert dims[("esrs_e5.5.waste_diverted", ("non_hazardous", "recycling"))] == 500
    assert dims[("esrs_e5.5.waste_diverted", ("non_hazardous", "preparation_for_reuse"))] == 100
    assert dims[("esrs_e5.5.waste_diverted", ("hazardous",))] == 0
    assert dims[("esrs_e5.5.waste_diverted", ("recycling",))] == 500
    assert dims[("esrs_e5.5.waste_disposed", ("hazardous", "incineration"))] == 20
    assert dims[("esrs_e5.5.waste_disposed", ("non_hazardous",))] == 300
    assert dims[("esrs_e5.5.waste_disposed", ("other",))] == 0
    w = pack.waste_table
    assert w["disposed"]["hazardous"]["incineration"] == 20
    assert w["diverted"]["non_hazardous"]["preparation_for_reuse"] == 100
    doc = pack.to_json()
    assert {r["key"] for r in doc["cti"]} >= {"cti.circular_inflow", "cti.circularity"}
    assert doc["iso59020"] and doc["notes"]


def test_inline_xbrl_reads_back(pack: policy.DisclosurePack) -> None:
    x = pack.ixbrl()
    assert policy.check_ixbrl(x, pack.facts) == []
    facts = policy.ixbrl_facts(x)
    ns = xbrl_map()["taxonomy"]["namespace"]
    assert facts[0]["concept"] == f"{{{ns}}}ProductsAndTechnicalAndBiologicalMaterialsUsed"
    pct = next(f for f in facts if f["concept"].endswith("}PercentageOfNonrecycledWaste"))
    assert pct["unit"] == "u_pure" and pct["value"] == pytest.approx(0.4565, abs=1e-9)
    assert "45.65</ix:nonFraction>" in x and "920.0</ix:nonFraction>" in x
    assert 'scheme="http://standards.iso.org/iso/17442">5299000J2N45DDNE4Y28<' in x
    # a breakdown: its own context with the explicit members in the scenario
    assert (
        '<xbrli:scenario><xbrldi:explicitMember dimension="esrs:TypeOfWasteAxis">'
        'esrs:HazardousWasteMember</xbrldi:explicitMember><xbrldi:explicitMember dimension="'
        'esrs:TypeOfWasteTreatmentAxis">esrs:IncinerationMember</xbrldi:explicitMember>'
        "</xbrli:scenario>"
    ) in x
    assert x.count("<xbrli:context ") == 1 + 2 + 3 + 3 + 6 + 6
    cell = next(
        f
        for f in facts
        if f["dims"]
        == {
            f"{{{ns}}}TypeOfWasteAxis": f"{{{ns}}}HazardousWasteMember",
            f"{{{ns}}}TypeOfWasteTreatmentAxis": f"{{{ns}}}IncinerationMember",
        }
    )
    assert cell["concept"] == f"{{{ns}}}WasteGeneratedDirectedToDisposal" and cell["value"] == 20


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda x: x.replace(
                'contextRef="c_period" unitRef="u_t"', 'contextRef="c9" unitRef="u_t"', 1
            ),
            "has no context",
        ),
        (lambda x: x.replace('unitRef="u_pure"', 'unitRef="u_x"', 1), "has no unit"),
        (lambda x: x.replace(">920.0<", ">9x0<", 1), "does not read"),
        (lambda x: x.replace(">920.0<", ">930.0<", 1), "esrs_e5.5.waste_total: read back 930.0"),
        (
            lambda x: x.replace("<xbrli:startDate>2025-04-01", "<xbrli:startDate>2027-04-01"),
            "startDate before endDate",
        ),
        (lambda x: re.sub(r"<link:schemaRef[^>]*/>", "", x), "schemaRef"),
        # the contexts' dimensions
        (
            lambda x: x.replace(">esrs:HazardousWasteMember<", ">xx:HazardousWasteMember<", 1),
            "is not a QName",
        ),
        (
            lambda x: x.replace(
                "<xbrli:scenario>",
                '<xbrli:scenario><xbrldi:explicitMember dimension="esrs:TypeOfWasteAxis">'
                "esrs:NonhazardousWasteMember</xbrldi:explicitMember>",
                1,
            ),
            "TypeOfWasteAxis given twice",
        ),
        (
            lambda x: x.replace(
                "<xbrli:scenario>",
                '<xbrli:scenario><xbrldi:typedMember dimension="esrs:NameOfProductTypedAxis"/>',
                1,
            ),
            "needs one element",
        ),
        (
            lambda x: x.replace(
                'contextRef="c_hazardous_incineration"', 'contextRef="c_non_hazardous_landfill"'
            ),
            "esrs_e5.5.waste_disposed[hazardous][incineration]: dimensions read back",
        ),
        (
            lambda x: x.replace(
                ">esrs:RecyclingMember<", ">esrs:OtherRecoveryOperationsMember<", 1
            ),
            "the same entity, period and dimensions as",
        ),
        (lambda x: x.replace("</body>", "<p>", 1), "not well-formed"),
    ],
)
def test_structure_check_catches(pack: policy.DisclosurePack, edit, problem: str) -> None:
    problems = policy.check_ixbrl(edit(pack.ixbrl()), pack.facts)
    assert any(problem in p for p in problems), problems


def _dimension_elements(skip: str = "") -> str:
    """The breakdowns' axes (explicit dimensions) and their domains and members, as
    esrs_cor.xsd declares them."""
    out = []
    for ax in xbrl_map()["dimensions"]["axes"].values():
        out.append(
            f'<xs:element id="esrs_{ax["axis"]}" name="{ax["axis"]}" type="xbrli:stringItemType" '
            'substitutionGroup="xbrldt:dimensionItem" abstract="true" nillable="true" '
            'xbrli:periodType="duration"/>'
        )
        out += [
            f'<xs:element id="esrs_{m}" name="{m}" type="dtr-types:domainItemType" '
            'substitutionGroup="xbrli:item" abstract="true" nillable="true" '
            'xbrli:periodType="duration"/>'
            for m in (ax["domain"], *ax["members"].values())
            if m != skip
        ]
    return "".join(out)


def _taxonomy_zip(
    path: Path, labels: dict[str, str], types: dict[str, str], skip: str = ""
) -> Path:
    """A tiny package in the EFRAG layout: esrs_cor.xsd and an English label linkbase."""
    ns = "https://xbrl.efrag.org/taxonomy/esrs/2023-12-22"
    els = "".join(
        f'<xs:element id="esrs_{n}" name="{n}" type="{types[n]}" substitutionGroup="xbrli:item" '
        f'xbrli:periodType="duration" nillable="true"/>'
        for n in labels
    ) + _dimension_elements(skip)
    xsd = (
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:xbrli="http://www.xbrl.org/2003/instance" targetNamespace="{ns}">{els}'
        "</xs:schema>"
    )
    locs = "".join(
        f'<link:loc xlink:type="locator" xlink:href="../esrs_cor.xsd#esrs_{n}" xlink:label="l{i}"/>'
        f'<link:label xlink:type="resource" xlink:label="t{i}" xml:lang="en" '
        f'xlink:role="http://www.xbrl.org/2003/role/label">{lab}</link:label>'
        f'<link:labelArc xlink:type="arc" xlink:from="l{i}" xlink:to="t{i}"/>'
        for i, (n, lab) in enumerate(labels.items())
    )
    lab = (
        '<link:linkbase xmlns:link="http://www.xbrl.org/2003/linkbase" '
        'xmlns:xlink="http://www.w3.org/1999/xlink"><link:labelLink xlink:type="extended">'
        f"{locs}</link:labelLink></link:linkbase>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("ESRS/xbrl.efrag.org/taxonomy/esrs/2023-12-22/common/esrs_cor.xsd", xsd)
        z.writestr(
            "ESRS/xbrl.efrag.org/taxonomy/esrs/2023-12-22/common/labels/lab_esrs-en.xml", lab
        )
    return path


def test_concepts_resolved_from_a_taxonomy_package(
    pack: policy.DisclosurePack, tmp_path: Path
) -> None:
    specs = xbrl_map()["facts"]
    labels = {f"C{i}": s["label"] for i, s in enumerate(specs)}
    types = {
        f"C{i}": ("dtr-types:massItemType" if s["type"] == "mass" else "dtr-types:percentItemType")
        for i, s in enumerate(specs)
    }
    concepts, ns = policy.resolve_taxonomy(_taxonomy_zip(tmp_path / "t.zip", labels, types))
    assert (
        concepts["esrs_e5.5.waste_total"]
        == f"C{[s['key'] for s in specs].index('esrs_e5.5.waste_total')}"
    )
    x = pack.ixbrl(concepts, ns)
    assert policy.check_ixbrl(x, pack.facts) == []
    assert 'name="esrs:C0"' in x
    # a label missing from the package, and a wrong type, are refused by name
    del labels["C0"]
    types["C4"] = "xbrli:stringItemType"
    with pytest.raises(ModelError) as exc:
        policy.resolve_taxonomy(
            _taxonomy_zip(tmp_path / "bad.zip", labels, types, skip="LandfillMember")
        )
    assert f"facts.{specs[0]['key']}" in str(exc.value) and "not massItemType" in str(exc.value)
    assert "dimensions.axes.treatment" in str(exc.value) and "LandfillMember" in str(exc.value)
    (tmp_path / "x.zip").write_text("not a zip")
    with pytest.raises(ModelError, match="not a taxonomy package"):
        policy.resolve_taxonomy(tmp_path / "x.zip")


def test_bad_pack_documents(tmp_path: Path) -> None:
    base = (FIX / "pack.yaml").read_text()
    with pytest.raises(ModelError, match="company"):
        policy.load(text=base.replace("lei: 5299000J2N45DDNE4Y28", "lei: SHORT"))
    with pytest.raises(ModelError, match="end must be after start"):
        policy.load(text=base.replace("end: 2026-03-31", "end: 2024-03-31"))
    # a mistyped identifier (one character changed) is caught by its check digits
    with pytest.raises(ModelError, match="company.lei.*check digits do not match"):
        policy.load(text=base.replace("lei: 5299000J2N45DDNE4Y28", "lei: 5299000J2N45DDNE4Y82"))
    numbered = base.replace("lei: 5299000J2N45DDNE4Y28", "corporate_number: '7000012050002'")
    (tmp_path / "flows_tiny.yaml").write_text((FIX / "flows_tiny.yaml").read_text())
    (tmp_path / "n.yaml").write_text(numbered)
    assert policy.load(tmp_path / "n.yaml").request.company.corporate_number == "7000012050002"
    with pytest.raises(ModelError, match="corporate_number.*check digit does not match"):
        policy.load(text=numbered.replace("7000012050002", "7000012050003"))
    (tmp_path / "p.yaml").write_text(base.replace("flows_tiny.yaml", "missing.yaml"))
    with pytest.raises(ModelError, match="no file 'missing.yaml'"):
        policy.load(tmp_path / "p.yaml")


def test_pages(pack: policy.DisclosurePack, tmp_path: Path) -> None:
    ja = pack.report(tmp_path / "d.ja.html", lang="ja").read_text("utf-8")
    assert "ESRS E5-4 資源の投入" in ja and "esrs_e5.5.waste_total" in ja


TAXONOMY = os.environ.get("JUNKAN_ESRS_TAXONOMY")
ARELLE = os.environ.get("JUNKAN_ARELLE") or shutil.which("arelleCmdLine")


DIM = "http://xbrl.org/int/dim/arcrole/"
DRS_ROLE = "http://www.xbrl.org/2003/role/link"
DEFAULTS_ROLE = "https://xbrl.efrag.org/taxonomy/role-dim"  # "[990000] Dimension defaults"


def _drs() -> tuple[str, str]:
    """The E5-5 breakdowns' dimensional structure as EFRAG's def_esrs_305050.xml and
    dim_esrs_990000.xml give it: per breakdown a closed scenario hypercube over the fact
    with its axes, each axis's domain and members, and the domain as the default. Returns
    (hypercube element declarations, definition linkbase)."""
    dims = xbrl_map()["dimensions"]
    concept = {f["key"]: f["concept"] for f in xbrl_map()["facts"]}
    links: dict[str, tuple[dict[str, str], list[str]]] = {
        DRS_ROLE: ({}, []),
        DEFAULTS_ROLE: ({}, []),
    }

    def arc(role: str, a: str, b: str, extra: str = "") -> None:
        locs, arcs = links[DEFAULTS_ROLE if role == "dimension-default" else DRS_ROLE]
        for n in (a, b):
            locs[n] = (
                f'<link:loc xlink:type="locator" xlink:href="esrs_all.xsd#esrs_{n}" '
                f'xlink:label="{n}"/>'
            )
        arcs.append(
            f'<link:definitionArc xlink:type="arc" xlink:arcrole="{DIM}{role}" '
            f'xlink:from="{a}" xlink:to="{b}"{extra}/>'
        )

    for ax in dims["axes"].values():
        arc("dimension-domain", ax["axis"], ax["domain"])
        arc("dimension-default", ax["axis"], ax["domain"])  # in its own link, as EFRAG's
        for m in ax["members"].values():
            arc("domain-member", ax["domain"], m)
    for b in dims["breakdowns"]:
        arc(
            "all",
            concept[b["fact"]],
            b["hypercube"],
            ' xbrldt:closed="true" xbrldt:contextElement="scenario"',
        )
        for a in b["axes"]:
            arc("hypercube-dimension", b["hypercube"], dims["axes"][a]["axis"])
    refs = "".join(
        f'<link:arcroleRef arcroleURI="{DIM}{r}" xlink:type="simple" '
        f'xlink:href="http://www.xbrl.org/2005/xbrldt-2005.xsd#{r}"/>'
        for r in (
            "all",
            "hypercube-dimension",
            "dimension-domain",
            "domain-member",
            "dimension-default",
        )
    )
    linkbase = (
        '<link:linkbase xmlns:link="http://www.xbrl.org/2003/linkbase" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xbrldt="http://xbrl.org/2005/xbrldt">'
        f'<link:roleRef roleURI="{DEFAULTS_ROLE}" xlink:type="simple" '
        f'xlink:href="esrs_all.xsd#dim_def_990000"/>{refs}'
        + "".join(
            f'<link:definitionLink xlink:type="extended" xlink:role="{role}">'
            f"{''.join(locs.values())}{''.join(arcs)}</link:definitionLink>"
            for role, (locs, arcs) in links.items()
        )
        + "</link:linkbase>"
    )
    cubes = "".join(
        f'<xs:element id="esrs_{b["hypercube"]}" name="{b["hypercube"]}" '
        'type="xbrli:stringItemType" substitutionGroup="xbrldt:hypercubeItem" abstract="true" '
        'nillable="true" xbrli:periodType="duration"/>'
        for b in dims["breakdowns"]
    )
    return cubes, linkbase


def _standin_package(path: Path) -> Path:
    """A taxonomy package standing in for EFRAG's: the entry point's URL remapped (catalog)
    to one schema declaring the pack's concepts (decimal / pure items, duration) and the
    E5-5 breakdowns' axes, members and hypercubes, with their definition linkbase."""
    m = xbrl_map()
    # the item types of esrs_cor.xsd (the data file records them where they were read)
    kind = {"mass": "dtr-types:massItemType", "percent": "dtr-types:percentItemType"}
    els = "".join(
        f'<xs:element id="esrs_{f["concept"]}" name="{f["concept"]}" type="'
        f'{kind[f["type"]]}" '
        'substitutionGroup="xbrli:item" xbrli:periodType="duration" nillable="true"/>'
        for f in m["facts"]
    )
    cubes, linkbase = _drs()
    xsd = (
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xbrli="http://www.xbrl.org/2003/instance" '
        'xmlns:xbrldt="http://xbrl.org/2005/xbrldt" '
        'xmlns:link="http://www.xbrl.org/2003/linkbase" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        'xmlns:dtr-types="http://www.xbrl.org/dtr/type/2024-01-31" '
        f'targetNamespace="{m["taxonomy"]["namespace"]}" elementFormDefault="qualified">'
        '<xs:annotation><xs:appinfo><link:linkbaseRef xlink:type="simple" xlink:href="def.xml" '
        'xlink:role="http://www.xbrl.org/2003/role/definitionLinkbaseRef" '
        'xlink:arcrole="http://www.w3.org/1999/xlink/properties/linkbase"/>'
        f'<link:roleType roleURI="{DEFAULTS_ROLE}" id="dim_def_990000"><link:definition>'
        "[990000] Dimension defaults</link:definition><link:usedOn>link:definitionLink"
        "</link:usedOn></link:roleType></xs:appinfo></xs:annotation>"
        '<xs:import namespace="http://www.xbrl.org/2003/instance" '
        'schemaLocation="http://www.xbrl.org/2003/xbrl-instance-2003-12-31.xsd"/>'
        '<xs:import namespace="http://xbrl.org/2005/xbrldt" '
        'schemaLocation="http://www.xbrl.org/2005/xbrldt-2005.xsd"/>'
        '<xs:import namespace="http://www.xbrl.org/dtr/type/2024-01-31" '
        'schemaLocation="https://www.xbrl.org/dtr/type/2024-01-31/types.xsd"/>'
        f"{els}{_dimension_elements()}{cubes}</xs:schema>"
    )
    tp = (
        '<tp:taxonomyPackage xmlns:tp="http://xbrl.org/2016/taxonomy-package" '
        'xml:lang="en"><tp:identifier>https://example.org/junkan-test</tp:identifier>'
        "<tp:name>stand-in</tp:name><tp:version>1</tp:version><tp:entryPoints>"
        "<tp:entryPoint><tp:name>all</tp:name><tp:entryPointDocument "
        f'href="{m["taxonomy"]["entry_point"]}"/></tp:entryPoint></tp:entryPoints>'
        "</tp:taxonomyPackage>"
    )
    cat = (
        '<catalog xmlns="urn:oasis:names:tc:entity:xmlns:xml:catalog"><rewriteURI '
        'uriStartString="https://xbrl.efrag.org/taxonomy/esrs/2023-12-22/" '
        'rewritePrefix="../taxonomy/"/></catalog>'
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("standin/META-INF/taxonomyPackage.xml", tp)
        z.writestr("standin/META-INF/catalog.xml", cat)
        z.writestr("standin/taxonomy/esrs_all.xsd", xsd)
        z.writestr("standin/taxonomy/def.xml", linkbase)
    return path


def _arelle(package: str | Path, report: Path, log: Path) -> int:
    assert ARELLE is not None
    return subprocess.run(
        [
            ARELLE,
            "--workOffline",
            "--packages",
            str(package),
            "--file",
            str(report),
            "--validate",
            "--utr",
            "--validationExitCode",
            "--logFile",
            str(log),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    ).returncode


@pytest.mark.slow
@pytest.mark.skipif(ARELLE is None, reason="needs Arelle (arelleCmdLine or JUNKAN_ARELLE)")
def test_arelle_validates_the_inline_xbrl_structure(
    pack: policy.DisclosurePack, tmp_path: Path
) -> None:
    """Arelle's Inline XBRL 1.1 validation (schema, contexts, units, transforms, the Units
    Registry, XBRL Dimensions) of the pack against a stand-in taxonomy declaring the eleven
    concepts with esrs_cor.xsd's item types (massItemType, percentItemType) and the E5-5
    breakdowns' hypercubes as EFRAG's definition linkbases give them; a broken value, a mass
    in a ratio's unit and a member of the wrong axis are caught with exit code 3."""
    pkg = _standin_package(tmp_path / "standin.zip")
    good = tmp_path / "esrs_e5.xhtml"
    good.write_text(pack.ixbrl(), encoding="utf-8")
    assert _arelle(pkg, good, tmp_path / "good.log") == 0, (tmp_path / "good.log").read_text()
    bad = tmp_path / "bad.xhtml"
    bad.write_text(pack.ixbrl().replace(">920.0<", ">9x0<"), encoding="utf-8")
    assert _arelle(pkg, bad, tmp_path / "bad.log") == 3
    assert "transformValueError" in (tmp_path / "bad.log").read_text()
    # the taxonomy's item types hold the units: a mass in a ratio's unit breaks the UTR rule
    unit = bad.with_name("unit.xhtml")
    mass = 'name="esrs:ProductsAndTechnicalAndBiologicalMaterialsUsed" contextRef="c_period" '
    text = pack.ixbrl().replace(mass + 'unitRef="u_t"', mass + 'unitRef="u_pure"')
    unit.write_text(text, encoding="utf-8")
    assert _arelle(pkg, unit, tmp_path / "unit.log") == 3
    assert "NumericFactUtrInvalid" in (tmp_path / "unit.log").read_text()
    # the hypercubes hold the breakdowns: a disposal operation as a recovery member is refused
    dim = bad.with_name("dim.xhtml")
    dim.write_text(
        pack.ixbrl().replace(">esrs:RecyclingMember<", ">esrs:LandfillMember<", 1), "utf-8"
    )
    assert _arelle(pkg, dim, tmp_path / "dim.log") == 3
    assert "PrimaryItemDimensionallyInvalidError" in (tmp_path / "dim.log").read_text()


@pytest.mark.slow
@pytest.mark.skipif(
    not TAXONOMY or ARELLE is None,
    reason="needs the EFRAG ESRS taxonomy package (JUNKAN_ESRS_TAXONOMY) and "
    "Arelle (arelleCmdLine or JUNKAN_ARELLE)",
)
def test_arelle_validates_against_the_esrs_taxonomy(
    pack: policy.DisclosurePack, tmp_path: Path
) -> None:
    assert TAXONOMY is not None
    concepts, ns = policy.resolve_taxonomy(TAXONOMY)
    report = tmp_path / "esrs_e5.xhtml"
    report.write_text(pack.ixbrl(concepts, ns), encoding="utf-8")
    log = tmp_path / "log.txt"
    assert _arelle(TAXONOMY, report, log) == 0, log.read_text() if log.exists() else ""


def test_every_concept_name_says_whether_it_was_verified(pack: policy.DisclosurePack) -> None:
    """The names are checked against esrs_cor.xsd and the E5 presentation linkbases
    (verified, with where and when in the data file) or marked unverified; a verified
    name's XBRL type agrees with how junkan tags it; the pack says which is which."""
    doc = xbrl_map()
    statuses = {f["key"]: f["concept_status"] for f in doc["facts"]}
    assert set(statuses.values()) <= {"verified", "unverified"}
    assert "verified" in doc  # when the names were last checked, and the outcome
    item = {"mass": "dtr-types:massItemType", "percent": "dtr-types:percentItemType"}
    for f in doc["facts"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", f["concept"]), f["key"]
        if f["concept_status"] == "verified":
            role = "305040" if f["dr"].startswith("E5-4") else "305050"
            assert f"pre_esrs_{role}.xml" in f["verified_in"], f["key"]
            assert f["xsd_type"] in {item[f["type"]], "not read"}, f["key"]
    unverified = [f["concept"] for f in doc["facts"] if f["concept_status"] != "verified"]
    note = next(n for n in pack.notes if n.startswith("XBRL concept names"))
    if unverified:
        assert f"{len(unverified)} of {len(statuses)} are derived" in note
        assert all(c in note for c in unverified)
    else:
        assert f"all {len(statuses)} checked against" in note
        assert doc["taxonomy"]["version"] in note


def test_concept_note_names_what_is_unverified() -> None:
    doc = xbrl_map()
    facts = [dict(f) for f in doc["facts"]]
    facts[4]["concept_status"] = "unverified"
    note = _concept_note({**doc, "facts": facts})
    assert f"1 of {len(facts)} are derived" in note and facts[4]["concept"] in note
