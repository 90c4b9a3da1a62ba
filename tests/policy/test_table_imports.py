"""The survey and industry tables as a user fills them in: nothing of a row is lost without a
word (a column given twice, an unquoted thousands separator, rows past blank lines of a
workbook), the service names the uploaded field, never its temporary file, and a peer list
compares with someone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from junkan import policy
from junkan.core.errors import ModelError
from junkan.policy import industry as industry_mod
from junkan.policy import survey as survey_mod
from tests.api.conftest import (  # noqa: F401 (fixtures)
    app_client,
    database_url,
    demo_tokens,
)

HERE = Path(__file__).parent / "fixtures"
SURVEY = (HERE / "survey_tiny.csv").read_text(encoding="utf-8")
PROBLEM = "application/problem+json"


def _refused(call: Any) -> ModelError:
    with pytest.raises(ModelError) as exc:
        call()
    return exc.value


def test_a_survey_column_given_twice_is_refused_not_half_read(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(SURVEY.replace("処理及び維持管理費", "計画収集量", 1), encoding="utf-8")
    err = _refused(lambda: policy.read_survey(p))
    (problem,) = err.problems
    assert (problem.path, problem.kind) == ("header.計画収集量", "column-repeated")
    assert "cells 5 and 19" in problem.message and str(p) == err.source


def test_an_industry_column_given_twice_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "i.csv"
    p.write_text("地方公共団体コード,従業者数,従業者数\n99001,4000,5000\n", encoding="utf-8")
    err = _refused(lambda: industry_mod.read_industry(p))
    assert [(q.path, q.kind) for q in err.problems] == [("header.従業者数", "column-repeated")]


def test_an_unquoted_thousands_separator_in_the_industry_table_is_refused(
    tmp_path: Path,
) -> None:
    """``99001,41,250`` would read 41 persons employed and drop the 250."""
    p = tmp_path / "i.csv"
    p.write_text("地方公共団体コード,従業者数\n99001,41,250\n", encoding="utf-8")
    err = _refused(lambda: industry_mod.read_industry(p))
    (problem,) = err.problems
    assert (problem.path, problem.kind) == ("line 2", "cells-beyond-header")
    assert "'250'" in problem.message


def test_an_industry_table_with_more_rows_than_allowed_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(industry_mod, "MAX_ROWS", 2)
    p = tmp_path / "i.csv"
    p.write_text("地方公共団体コード,従業者数\n99001,1\n99002,1\n99003,1\n", encoding="utf-8")
    err = _refused(lambda: industry_mod.read_industry(p))
    assert [q.kind for q in err.problems] == ["too-many-rows"]


def test_workbook_rows_after_blank_lines_are_all_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blank lines between rows used to count toward the row limit when the workbook was
    read, so the last municipalities were dropped without a word."""
    openpyxl = pytest.importorskip("openpyxl")
    monkeypatch.setattr(survey_mod, "MAX_ROWS", 5)
    rows = [r.split(",") for r in SURVEY.splitlines()]
    wb = openpyxl.Workbook()
    wb.active.append(rows[0])
    for r in rows[1:]:
        wb.active.append([])
        wb.active.append(r)
    wb.save(tmp_path / "s.xlsx")
    survey = policy.read_survey(tmp_path / "s.xlsx")
    assert [m.code for m in survey.municipalities] == [
        "99001", "99002", "99003", "99004", "99005"]
    wb.active.append(rows[1][:1] + ["99006"] + rows[1][2:])
    wb.save(tmp_path / "s.xlsx")
    err = _refused(lambda: policy.read_survey(tmp_path / "s.xlsx"))
    assert [q.kind for q in err.problems] == ["too-many-rows"]


def test_service_errors_in_an_uploaded_table_never_name_a_server_path(
    app_client: TestClient,  # noqa: F811
) -> None:
    """The survey sent as ``survey_csv`` was named by the temporary file the service wrote it
    to (``/tmp/tmpXXXX/survey.csv``) in the refusal of a code it does not hold."""
    demo, _ = demo_tokens(app_client)
    doc = (HERE / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    bad = SURVEY.replace("10000,3000", "10000,abc", 1)
    res = app_client.post("/api/policy/diagnose", headers=demo,
                          json={"document": doc, "survey_csv": bad})
    assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)
    assert [e["path"] for e in res.json()["errors"]] == ["line 2.計画収集量"]
    assert res.json()["document"] == "survey_csv"  # which of the request's documents
    res = app_client.post("/api/policy/diagnose", headers=demo, json={
        "document": doc.replace("99001", "99009"), "survey_csv": SURVEY})
    assert res.status_code == 422
    (e,) = res.json()["errors"]
    assert e["path"] == "municipality"
    assert e["message"] == "code '99009' is not in the survey survey_csv (5 municipalities)"
    assert "/tmp" not in res.text


def test_a_refusal_says_which_of_the_request_s_tables_it_is_in(
    app_client: TestClient,  # noqa: F811
) -> None:
    """A diagnosis request carries up to three documents (the diagnosis, the survey table and
    the industry table); a refusal at ``line 2`` or ``header.…`` did not say which table the
    line was in. The answer names the document it refused."""
    demo, _ = demo_tokens(app_client)
    doc = (HERE / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    res = app_client.post("/api/policy/diagnose", headers=demo, json={
        "document": doc, "survey_csv": SURVEY, "industry_csv": "code,x\n1,2\n"})
    assert res.status_code == 422
    body = res.json()
    assert body["document"] == "industry_csv"
    assert "header.地方公共団体コード" in [e["path"] for e in body["errors"]]
    res = app_client.post("/api/policy/diagnose", headers=demo,
                          json={"document": doc + "quantile: 7\n", "survey_csv": SURVEY})
    assert res.status_code == 422 and res.json()["document"] == "diagnosis", res.text[:300]


@pytest.mark.parametrize(("route", "kind"), [
    ("/api/policy/procurement", "procurement_check"),
    ("/api/policy/reports?period=FY2028", "recycled_content_plan"),
])
def test_every_policy_route_says_which_kind_it_takes(
    app_client: TestClient, route: str, kind: str,  # noqa: F811
) -> None:
    """A document without its kind (or of another one) was answered with the list of every
    policy kind, as if the route took any of them; the other routes name their own."""
    demo, _ = demo_tokens(app_client)
    for body in (b"a: 1\n", b"kind: disclosure_pack\n"):
        res = app_client.post(route, headers=demo, content=body)
        assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)
        assert res.json()["errors"] == [{"path": "kind", "type": "route-takes-kind",
                                         "message": f"this route takes kind: {kind}",
                                         "ctx": {"kind": kind}}]


@pytest.mark.parametrize(("codes", "where", "kind"), [
    ([], "peers.codes", "no-peers"),
    (["99001"], "peers.codes", "no-peers"),
    (["99002", "99003", "99002"], "peers.codes[2]", "peer-code-repeated"),
    (["99002", "99999"], "peers.codes[1]", "peer-code-unknown"),  # said in the page's language
])
def test_a_peer_list_that_compares_with_nobody_or_repeats_a_code_is_refused(
    tmp_path: Path, codes: list[str], where: str, kind: str
) -> None:
    """``codes: []`` ranked the municipality "1 of 1" with no potential; a repeated code was
    counted once without a word; a code the survey lacks is refused under its own rule."""
    import shutil

    import yaml

    shutil.copy(HERE / "survey_tiny.csv", tmp_path / "survey_tiny.csv")
    doc = {"kind": "diagnosis", "municipality": "99001", "fiscal_year": 2022,
           "survey": "survey_tiny.csv", "peers": {"codes": codes}}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    err = _refused(lambda: policy.load(tmp_path / "d.yaml"))
    assert [(p.path, p.kind) for p in err.problems] == [(where, kind)]


def test_an_absurdly_long_municipality_name_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(SURVEY.replace("試験市A", "A" * 101, 1), encoding="utf-8")
    err = _refused(lambda: policy.read_survey(p))
    assert [(q.path, q.kind) for q in err.problems] == [("line 2.市区町村名", "name-too-long")]
    p.write_text(SURVEY.replace("試験市A", "A" * 100, 1), encoding="utf-8")
    assert policy.read_survey(p).municipalities[0].name == "A" * 100


def test_a_workbook_code_whose_leading_zero_was_dropped_is_read_whole(tmp_path: Path) -> None:
    """Hokkaido's codes start with 0 (01101): a workbook's number cell holds 1101, which was
    refused as not 5 digits; it is the code 01101."""
    openpyxl = pytest.importorskip("openpyxl")
    rows: list[list[Any]] = [r.split(",") for r in SURVEY.splitlines()]
    rows[1][1] = 1101  # a number cell, as Excel stores a typed 01101
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "s.xlsx")
    assert policy.read_survey(tmp_path / "s.xlsx").municipalities[0].code == "01101"


def test_a_survey_with_cr_line_ends_reads_and_an_unreadable_line_is_named(
    app_client: TestClient, tmp_path: Path,  # noqa: F811
) -> None:
    """Review 2026-12-04: a table saved with CR alone ending its lines (Excel's "CSV
    (Macintosh)") and one with a cell over the csv module's 128 KiB were 500s of
    ``POST /api/policy/diagnose``. The first reads as the same table; the second is refused
    naming the table and the line."""
    (tmp_path / "cr.csv").write_text(SURVEY.replace("\r\n", "\n").replace("\n", "\r"),
                                     encoding="utf-8", newline="")
    (tmp_path / "lf.csv").write_text(SURVEY, encoding="utf-8")
    cr, lf = policy.read_survey(tmp_path / "cr.csv"), policy.read_survey(tmp_path / "lf.csv")
    assert [m.code for m in cr.municipalities] == [m.code for m in lf.municipalities]
    demo, _ = demo_tokens(app_client)
    doc = (HERE / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    lines = SURVEY.splitlines()
    huge = "\n".join([*lines[:3], lines[3] + "," + "x" * 200_000, *lines[4:]]) + "\n"
    res = app_client.post("/api/policy/diagnose", headers=demo,
                          json={"document": doc, "survey_csv": huge})
    assert res.status_code == 422, res.text[:300]
    body = res.json()
    assert body["document"] == "survey_csv"
    assert [(e["path"], e["type"]) for e in body["errors"]] == [("line 4", "csv-unreadable")]
    res = app_client.post("/api/policy/diagnose", headers=demo, json={
        "document": doc, "survey_csv": SURVEY.replace("\r\n", "\n").replace("\n", "\r")})
    assert res.status_code == 200, res.text[:300]


def test_an_industry_table_without_the_municipality_is_named_as_sent(
    app_client: TestClient,  # noqa: F811
) -> None:
    """Review 2026-12-04: the refusal named the table by the temporary file the service wrote
    it to (``industry.csv``), not the ``industry_csv`` the caller sent."""
    demo, _ = demo_tokens(app_client)
    doc = (HERE / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    table = "地方公共団体コード,従業者数\n99002,1000\n"
    res = app_client.post("/api/policy/diagnose", headers=demo,
                          json={"document": doc, "survey_csv": SURVEY, "industry_csv": table})
    assert res.status_code == 422, res.text[:300]
    (e,) = res.json()["errors"]
    assert e["type"] == "industry-no-row" and e["message"] == (
        "the table industry_csv has no row for code 99001"), e
