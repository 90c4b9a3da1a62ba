"""Municipal CE diagnosis: a hand-computed example (fixtures/survey_tiny.csv, five
municipalities, FY2022 = 365 days) reproduced exactly, the importer's errors, and the CLI.

Hand computation for 試験市A (99001), peers A, B, C, E (population below 19,000; D is in the
other class and must not count):

* generation g/person/day: A 3650 t ×1e6 / 10,000 / 365 = 1000; B 3942 t / 12,000 → 900;
  C 6022.5 / 15,000 → 1100; E 4672 / 16,000 → 800 → A is 3rd (B and E lower);
* R = recovered ÷ (treated + 集団回収): A 600 / (3400 + 250) = 600/3650; B 720/3942;
  C 900/6022.5; E 960/4672 → A is 3rd (E, B higher);
* final disposal kg/person/yr: A (100 + 280 + 150) × 1000 / 10,000 = 53; B 48.33; C 60;
  E 34.375 → 3rd;
* cost JPY/person/yr: A 100,000 千円 → 10,000; B 9,000; C 12,000; E 10,000 → A and E tie 2nd;
* paper kg/person/yr: A 40, B 50, C 30, E 60 → 75th percentile (linear) of 30,40,50,60 =
  50 + 0.25 × 10 = 52.5 → potential (52.5 − 40) × 10,000 / 1000 = 125 t;
* plastics: A 20, B 10, C 30, E 0 → 20 + 0.25 × 10 = 22.5 → 25 t;
* potential R = (600 + 150) / 3650.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from junkan import policy
from junkan.cli.main import app
from junkan.core.errors import ModelError
from junkan.policy.schema import default_factors

HERE = Path(__file__).parent / "fixtures"
DOC = HERE / "diagnosis_tiny.yaml"


@pytest.fixture(scope="module")
def result() -> policy.DiagnosisResult:
    d = policy.load(DOC)
    assert isinstance(d, policy.Diagnosis)
    return policy.run(d)


def test_per_capita_rates_are_the_hand_computed_ones(result: policy.DiagnosisResult) -> None:
    assert result.days == 365
    a = result.target
    assert a["generation_g_per_person_day"] == pytest.approx(1000.0, rel=1e-12)
    assert a["household_g_per_person_day"] == pytest.approx(700.0, rel=1e-12)
    assert a["recycling_rate"] == pytest.approx(600 / 3650, rel=1e-12)
    assert a["final_disposal_kg_per_person_year"] == pytest.approx(53.0, rel=1e-12)
    assert a["cost_JPY_per_person_year"] == pytest.approx(10_000.0, rel=1e-12)
    by = {p["code"]: p for p in result.peers}
    assert by["99003"]["generation_g_per_person_day"] == pytest.approx(1100.0, rel=1e-12)
    assert by["99002"]["recycling_rate"] == pytest.approx(720 / 3942, rel=1e-12)


def test_peers_are_the_size_class_and_ranks_are_competition_ranks(
    result: policy.DiagnosisResult,
) -> None:
    assert [p["code"] for p in result.peers] == ["99001", "99002", "99003", "99005"]
    assert result.size_class == (0, 19000)
    assert result.ranks == {
        "generation_g_per_person_day": 3,
        "household_g_per_person_day": 3,
        "recycling_rate": 3,
        "final_disposal_kg_per_person_year": 3,
        "cost_JPY_per_person_year": 2,
    }


def test_potential_is_recovery_at_the_best_quartile_rate(result: policy.DiagnosisResult) -> None:
    pot = {p.stream: p for p in result.potential}
    assert pot["紙類"].best_quartile_kg_per_person_year == pytest.approx(52.5, rel=1e-12)
    assert pot["紙類"].potential_t == pytest.approx(125.0, rel=1e-12)
    assert pot["プラスチック類"].best_quartile_kg_per_person_year == pytest.approx(22.5)
    assert pot["プラスチック類"].potential_t == pytest.approx(25.0, rel=1e-12)
    assert result.potential_recycling_rate == pytest.approx(750 / 3650, rel=1e-12)


def test_each_proposal_effect_is_diverted_mass_times_its_factors(
    result: policy.DiagnosisResult,
) -> None:
    f = default_factors()
    avoided = (
        f.avoided_disposal_cost.national_average_JPY_per_t * f.avoided_disposal_cost.variable_share
    )
    by = {p["id"]: p for p in result.proposals}
    plastics = by["plastics"]
    assert plastics["diverted_t"] == pytest.approx(0.6 * 25)
    assert plastics["co2e_reduction_t"] == pytest.approx(
        15 * f.streams["プラスチック類"].co2e_t_per_t
    )
    assert plastics["landfill_avoided_t"] == pytest.approx(15 * 280 / 2800)  # A's ash ratio
    assert plastics["net_cost_kJPY"] == pytest.approx(
        15 * (60_000 - avoided - f.streams["プラスチック類"].revenue_JPY_per_t) / 1000
    )
    assert plastics["recycling_rate_gain"] == pytest.approx(15 / 3650)
    paper = by["paper"]
    assert paper["diverted_t"] == pytest.approx(0.7 * 125)
    assert paper["co2e_reduction_t"] == pytest.approx(87.5 * f.streams["紙類"].co2e_t_per_t)
    # a stream the survey does not carry has no potential: listed, not proposed, and last
    assert by["food"]["proposed"] is False and result.proposals[-1]["id"] == "food"
    assert [p["id"] for p in result.proposals[:2]] == sorted(
        ["plastics", "paper"], key=lambda i: -by[i]["co2e_reduction_t"]
    )



def test_a_measure_on_a_stream_the_survey_lacks_is_named(
    result: policy.DiagnosisResult,
) -> None:
    """survey_tiny.csv has no 資源化量/厨芥類 column: the food-waste measure was listed with
    zero effects as if the stream had no potential, without a word (review 318)."""
    absent = [n for n in result.notes if "no 資源化量 column" in n["en"]]
    assert len(absent) == 1, result.notes
    assert absent[0]["en"].endswith(": 厨芥類 (food)")
    assert absent[0]["ja"].endswith("：厨芥類（food）")
    food = next(p for p in result.proposals if p["id"] == "food")
    assert food["diverted_t"] == 0

def test_explicit_peer_codes_replace_the_size_class(tmp_path: Path) -> None:
    for name in ("survey_tiny.csv", "measures_tiny.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    doc = DOC.read_text(encoding="utf-8").replace(
        "peers: {size_class_bounds: [19000]}", 'peers: {codes: ["99004"]}'
    )
    (tmp_path / "d.yaml").write_text(doc, encoding="utf-8")
    d = policy.load(tmp_path / "d.yaml")
    assert isinstance(d, policy.Diagnosis)
    res = policy.run(d)
    assert [p["code"] for p in res.peers] == ["99001", "99004"]
    # paper: 40 and 100 kg/person → 0.75 quantile 85 → (85 − 40) × 10 t
    assert res.potential[0].potential_t == pytest.approx(450.0)
    assert any("only 2 peers" in n["en"] for n in res.notes)


def test_the_shipped_sample_and_example_run() -> None:
    survey = policy.read_survey(policy.sample_path())
    assert len(survey.municipalities) == 8
    assert all(m.code.startswith("99") for m in survey.municipalities)  # synthetic codes
    ex = Path(__file__).resolve().parents[2] / "examples" / "policy" / "diagnosis.yaml"
    d = policy.load(ex)
    assert isinstance(d, policy.Diagnosis)
    res = policy.run(d)
    assert res.to_frame().shape[0] == len(res.peers) >= 4
    assert any(p["proposed"] for p in res.proposals)
    assert "synthetic" in res.notes[0]["en"] and "架空" in res.notes[0]["ja"]


def _bad(tmp_path: Path, old: str, new: str) -> ModelError:
    text = (HERE / "survey_tiny.csv").read_text(encoding="utf-8").replace(old, new, 1)
    p = tmp_path / "s.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ModelError) as exc:
        policy.read_survey(p)
    return exc.value


@pytest.mark.parametrize(
    "old, new, where, what",
    [
        ("直接搬入量,", "直接搬入,", "header.直接搬入量", "missing"),
        ("10000,3000", "10000,abc", "line 2.計画収集量", "expected a number"),
        ("10000,3000", "10000,nan", "line 2.計画収集量", "finite"),
        ("10000,3000", "10000,-5", "line 2.計画収集量", "finite"),
        ("10000,3000", "0,3000", "line 2.総人口", "whole number"),
        ("99002", "99001", "line 3.地方公共団体コード", "repeats line 2"),
        ("99002", "9902", "line 3.地方公共団体コード", "5-digit"),
        (",400,200,100000", ",400,260,100000", "line 2.資源化量/…", "sum to 660"),
        ("2555,1095", "2555,1000", "line 2.生活系ごみ", "3,555"),
        # an unquoted 10,000 shifts every cell after it: the row has one cell too many
        ("10000,3000", "10,000,3000", "line 2", "is under no column of the header"),
    ],
)
def test_bad_survey_cells_are_named(
    tmp_path: Path, old: str, new: str, where: str, what: str
) -> None:
    err = _bad(tmp_path, old, new)
    assert any(p.path == where and what in p.message for p in err.problems), err.problems


def test_a_survey_saved_as_shift_jis_reads_as_the_utf8_one(tmp_path: Path) -> None:
    """Excel on Japanese Windows saves "CSV" in Shift_JIS (cp932): the same table, either way."""
    text = policy.sample_path().read_text(encoding="utf-8")
    (tmp_path / "sjis.csv").write_bytes(text.encode("cp932"))
    (tmp_path / "bom.csv").write_bytes(text.encode("utf-8-sig"))
    (tmp_path / "utf8.csv").write_text(text, encoding="utf-8")
    want = policy.read_survey(tmp_path / "utf8.csv")
    for name in ("sjis.csv", "bom.csv"):
        got = policy.read_survey(tmp_path / name)
        assert (got.streams, got.municipalities) == (want.streams, want.municipalities)
    assert any("市" in m.name for m in want.municipalities)


def test_a_csv_in_neither_encoding_is_refused_with_the_byte(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_bytes("地方公共団体コード,".encode() + b"\x80\xff\xfe\n")
    with pytest.raises(ModelError) as exc:
        policy.read_survey(p)
    (problem,) = exc.value.problems
    assert problem.kind == "csv-encoding"
    assert problem.message == (
        "the file is neither UTF-8 nor Shift_JIS text (byte 28); save the CSV as UTF-8")


def test_full_width_digits_and_xlsx_are_read(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    rows = [
        r.split(",") for r in (HERE / "survey_tiny.csv").read_text(encoding="utf-8").splitlines()
    ]
    rows[1][3] = "１０，０００"  # 10,000 in full-width digits, as the survey prints them
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "s.xlsx")
    survey = policy.read_survey(tmp_path / "s.xlsx")
    assert survey.municipalities[0].population == 10_000
    assert survey.streams == ("紙類", "プラスチック類")


def test_document_errors_name_the_field() -> None:
    with pytest.raises(ModelError, match="municipality"):
        policy.load(text="kind: diagnosis\nmunicipality: '123'\nfiscal_year: 2023\n")
    with pytest.raises(ModelError, match="not in the survey"):
        policy.load(text="kind: diagnosis\nmunicipality: '12345'\nfiscal_year: 2023\n")
    with pytest.raises(ModelError, match="kind"):
        policy.load(text="kind: other\n")


def test_diagnosis_blames_its_own_fields() -> None:
    with pytest.raises(ModelError) as missing:
        policy.load(text="kind: diagnosis\nmunicipality: '12345'\nfiscal_year: 2023\n")
    assert [p.path for p in missing.value.problems] == ["municipality"]
    assert "survey_sample.csv" not in str(missing.value.source)
    with pytest.raises(ModelError) as old:
        policy.load(text="kind: diagnosis\nmunicipality: '99201'\nfiscal_year: 1800\n")
    assert [p.path for p in old.value.problems] == ["fiscal_year"]
    assert "outside the survey's years" in old.value.problems[0].message


def test_cli_diagnose_writes_the_reports_in_both_languages(tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = CliRunner().invoke(
        app, ["policy", "diagnose", str(DOC), "--out", str(out), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "diagnosis.json").read_text(encoding="utf-8"))
    assert doc["ranks"]["recycling_rate"] == {"rank": 3, "of": 4}
    ja = (out / "diagnosis.ja.html").read_text(encoding="utf-8")
    en = (out / "diagnosis.en.html").read_text(encoding="utf-8")
    assert 'lang="ja"' in ja and "類似団体" in ja and "試験市A" in ja
    assert "Potential by material stream" in en
    bad = CliRunner().invoke(app, ["policy", "diagnose", str(HERE / "nope.yaml")])
    assert bad.exit_code == 2


def test_cli_diagnose_writes_the_proposals_models_that_compare_reproduces(tmp_path: Path) -> None:
    """--models writes each proposal's lifecycle model; `junkan compare` on one gives the
    CO2e the diagnosis reports for that proposal (stdout stays JSON)."""
    r = CliRunner().invoke(
        app, ["policy", "diagnose", str(DOC), "--models", str(tmp_path), "--format", "json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    prop = next(p for p in doc["proposals"] if p["proposed"])
    path = tmp_path / f"{prop['model']}.yaml"
    assert path.is_file(), sorted(p.name for p in tmp_path.iterdir())
    cmp = CliRunner().invoke(app, ["compare", str(path), "--format", "json"])
    assert cmp.exit_code == 0, cmp.output
    measure = json.loads(cmp.stdout)["scenarios"][1]
    assert measure["change_vs_baseline"]["co2e_t"] == pytest.approx(-prop["co2e_reduction_t"])
    assert measure["change_vs_baseline"]["final_disposal_t"] == pytest.approx(
        -prop["landfill_avoided_t"]
    )
    # a file where the folder should go, or a folder that cannot be made: one clear line
    (tmp_path / "afile").write_text("x", encoding="utf-8")
    for bad in (tmp_path / "afile", Path("/proc/junkan-nope")):
        r = CliRunner().invoke(app, ["policy", "diagnose", str(DOC), "--models", str(bad)])
        assert r.exit_code != 0 and r.exception is None or isinstance(r.exception, SystemExit)
        assert "--models" in r.output and "Traceback" not in r.output, r.output


INDUSTRY = """地方公共団体コード,従業者数,第1次産業,第2次産業,第3次産業
99001,4000,200,1000,2800
99002,5000,100,2900,2000
99003,6000,100,1900,4000
99004,9000,0,3000,6000
"""


def _with_industry(tmp_path: Path, table: str) -> Path:
    for name in ("survey_tiny.csv", "measures_tiny.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    (tmp_path / "industry.csv").write_text(table, encoding="utf-8")
    doc = tmp_path / "d.yaml"
    doc.write_text(DOC.read_text(encoding="utf-8") + "industry: industry.csv\n", encoding="utf-8")
    return doc


def test_business_waste_per_person_employed_is_ranked_among_peers_with_a_row(
    tmp_path: Path,
) -> None:
    """By hand (365 days): A 1095 t × 1e6 / 4,000 / 365 = 750 g; B 1000 t / 5,000 → 547.9;
    C 2000 t / 6,000 → 913.2; E has no row (left out, named in the notes) → A is 2nd of the
    three ranked; tertiary share of A 2,800 / 4,000."""
    d = policy.load(_with_industry(tmp_path, INDUSTRY))
    assert isinstance(d, policy.Diagnosis)
    res = policy.run(d)
    a = res.target
    assert a["business_g_per_employed_day"] == pytest.approx(750.0, rel=1e-12)
    assert a["tertiary_share"] == pytest.approx(0.7)
    by = {p["code"]: p for p in res.peers}
    assert by["99002"]["business_g_per_employed_day"] == pytest.approx(1e9 / 5000 / 365)
    assert by["99005"]["business_g_per_employed_day"] is None
    assert res.ranks["business_g_per_employed_day"] == 2
    assert res.to_json()["ranks"]["business_g_per_employed_day"] == {"rank": 2, "of": 3}
    assert any("試験市E (99005)" in n["en"] for n in res.notes)
    assert "従業者1人1日当たり事業系ごみ" in res.report(tmp_path / "r.html", lang="ja").read_text(
        encoding="utf-8")


@pytest.mark.parametrize(("table", "message"), [
    (INDUSTRY.replace("99001,4000", "99009,4000"), "no row for code 99001"),
    (INDUSTRY.replace("99002,5000,100", "99002,1000,100"), "line 3.従業者数: the sectors add up"),
    (INDUSTRY.replace(",第3次産業", "").replace(",2800\n", "\n"), "give all of"),
    (INDUSTRY.replace("99003,6000", "99003,60.5"), "line 4.従業者数: must be a whole number"),
    (INDUSTRY + "99001,1,0,0,1\n", "code 99001 repeats line 2"),
])
def test_industry_table_errors_name_the_line_and_column(
    tmp_path: Path, table: str, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        policy.load(_with_industry(tmp_path, table))


def test_a_stream_without_factors_is_blamed_on_the_file_that_holds_it(tmp_path: Path) -> None:
    """A survey column or a measure whose stream has no factors names the survey table (its
    column) or the measures' file, not the diagnosis document (which named neither)."""
    for name in ("diagnosis_tiny.yaml", "measures_tiny.yaml"):
        shutil.copy(HERE / name, tmp_path / name)
    survey = (HERE / "survey_tiny.csv").read_text(encoding="utf-8")
    (tmp_path / "survey_tiny.csv").write_text(survey.replace("資源化量/紙類", "資源化量/陶器類"),
                                              encoding="utf-8")
    with pytest.raises(ModelError) as got:
        policy.load(tmp_path / "diagnosis_tiny.yaml")
    assert got.value.source.endswith("survey_tiny.csv")
    (problem,) = got.value.problems
    assert (problem.path, problem.kind) == ("資源化量/陶器類", "policy-stream-no-factors")
    assert "stream 陶器類 has no factors" in problem.message
    (tmp_path / "survey_tiny.csv").write_text(survey, encoding="utf-8")
    measures = (HERE / "measures_tiny.yaml").read_text(encoding="utf-8")
    first = next(s for s in default_factors().streams if f"stream: {s}" in measures)
    (tmp_path / "measures_tiny.yaml").write_text(
        measures.replace(f"stream: {first}", "stream: 陶器類", 1), encoding="utf-8")
    with pytest.raises(ModelError) as got:
        policy.load(tmp_path / "diagnosis_tiny.yaml")
    assert got.value.source.endswith("measures_tiny.yaml")
    assert [p.kind for p in got.value.problems] == ["policy-stream-no-factors"]
    assert got.value.problems[0].path.endswith(".stream")
