"""The policy routes: each refuses requests without credentials, answers problem+json on bad
input, and computes for the caller's own organisation only (solar roles, the mass-balance
statement, lot visibility) — never one named in the request."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from junkan import policy
from junkan.policy.reuse import Record
from tests.api.conftest import demo_tokens

FIX = Path(__file__).parents[1] / "policy" / "fixtures"
PROBLEM = "application/problem+json"
ROUTES = [
    ("POST", "/api/policy/diagnose"),
    ("GET", "/api/policy/survey/sample"),
    ("POST", "/api/policy/reports?period=FY2028"),
    ("POST", "/api/policy/procurement"),
    ("POST", "/api/policy/solar/view"),
    ("POST", "/api/policy/solar/installations/I1"),
    ("POST", "/api/policy/solar/supply?year=2032"),
    ("POST", "/api/policy/reuse/verify"),
    ("POST", "/api/policy/disclosure"),
]


def test_every_policy_route_needs_credentials(app_client: TestClient) -> None:
    for method, path in ROUTES:
        for headers in ({}, {"Authorization": "Bearer forged"}):
            res = app_client.request(method, path, headers=headers, content=b"kind: x")
            assert res.status_code == 401, (method, path)
            assert res.headers["content-type"].startswith(PROBLEM)


@pytest.fixture
def tokens(app_client: TestClient) -> tuple[dict[str, str], dict[str, str]]:
    return demo_tokens(app_client)


def registry() -> str:
    doc = yaml.safe_load((FIX / "solar.yaml").read_text())
    doc["installations"][0]["owner"] = "Demo Manufacturing"
    doc["handovers"][0]["to"] = "Partner Recycling"
    return yaml.safe_dump(doc)


def test_solar_roles_are_the_callers(app_client: TestClient, tokens: Any) -> None:
    demo, partner = tokens
    body = registry().encode()
    mine = app_client.post("/api/policy/solar/view", content=body, headers=demo).json()
    assert [d["id"] for d in mine["installations"]] == ["I1"]
    assert mine["installations"][0]["roles"] == ["owner"]
    theirs = app_client.post("/api/policy/solar/installations/I1", content=body, headers=partner)
    assert theirs.status_code == 200
    assert theirs.json()["installation"]["roles"] == ["dismantler"]
    assert "owner" not in theirs.json()["installation"]
    for inst in ("I2", "NOPE"):  # no role and missing read the same
        res = app_client.post(
            f"/api/policy/solar/installations/{inst}", content=body, headers=partner
        )
        assert res.status_code == 404 and res.headers["content-type"].startswith(PROBLEM)
    sup = app_client.post("/api/policy/solar/supply?year=2032", content=body, headers=demo)
    assert sup.json()["by_prefecture"] == {"Tokyo": "0.6 t"}
    bad = app_client.post(
        "/api/policy/solar/view", content=body.replace(b"PV-B", b"PV-Z", 1), headers=demo
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(PROBLEM)
    assert any("models[1]" in e["path"] or "model" in e["path"] for e in bad.json()["errors"])


def test_diagnose_sample_upload_and_no_server_files(app_client: TestClient, tokens: Any) -> None:
    demo, _ = tokens
    doc = "kind: diagnosis\nmunicipality: '99201'\nfiscal_year: 2023\n"
    res = app_client.post("/api/policy/diagnose", json={"document": doc}, headers=demo)
    assert res.status_code == 200, res.text
    assert res.json()["municipality"]["code"] == "99201"
    html = app_client.post(
        "/api/policy/diagnose?format=html&lang=ja", json={"document": doc}, headers=demo
    )
    assert html.headers["content-type"].startswith("text/html") and "類似団体" in html.text
    tiny = (FIX / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    up = app_client.post(
        "/api/policy/diagnose",
        headers=demo,
        json={"document": tiny, "survey_csv": (FIX / "survey_tiny.csv").read_text()},
    )
    assert up.status_code == 200, up.text
    industry = "地方公共団体コード,従業者数\n99001,4000\n99002,5000\n"
    up = app_client.post(
        "/api/policy/diagnose",
        headers=demo,
        json={"document": tiny, "survey_csv": (FIX / "survey_tiny.csv").read_text(),
              "industry_csv": industry},
    )
    assert up.status_code == 200, up.text
    assert up.json()["ranks"]["business_g_per_employed_day"] == {"rank": 2, "of": 2}
    for evil in ("survey: /etc/passwd\n", "measures: /etc/passwd\n", "industry: /etc/passwd\n"):
        res = app_client.post("/api/policy/diagnose", json={"document": doc + evil}, headers=demo)
        assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)
        assert "root:" not in res.text  # nothing of the file comes back
    sample = app_client.get("/api/policy/survey/sample", headers=demo)
    assert sample.headers["content-type"].startswith("text/csv") and "99201" in sample.text


def test_reports_use_the_callers_statement(app_client: TestClient, tokens: Any) -> None:
    demo, _ = tokens
    plan = (FIX.parents[2] / "examples" / "policy" / "plan.yaml").read_text()
    res = app_client.post(
        "/api/policy/reports?period=FY2028",
        headers=demo,
        content=plan.replace("org-maker", "Demo Manufacturing").encode(),
    )
    assert res.status_code == 200, res.text
    assert res.json()["maker"] == "Demo Manufacturing"
    csv = app_client.post(
        "/api/policy/reports?period=FY2028&format=csv",
        headers=demo,
        content=plan.replace("org-maker", "Demo Manufacturing").encode(),
    )
    assert csv.headers["content-type"].startswith("text/csv") and "報告期間" in csv.text
    other = app_client.post(
        "/api/policy/reports?period=FY2028",
        headers=demo,
        content=plan.replace("org-maker", "Partner Recycling").encode(),
    )
    assert other.status_code == 422 and "must be your organisation" in other.text
    assert (
        app_client.post(
            "/api/policy/reports?period=2028-1", headers=demo, content=plan.encode()
        ).status_code
        == 422
    )


def test_procurement_reads_lots_with_the_callers_visibility(
    app_client: TestClient, tokens: Any
) -> None:
    demo, _ = tokens
    chk = (FIX.parents[2] / "examples" / "policy" / "procurement.yaml").read_text()
    mine = chk.replace('["SP-2026-01", "SP-2026-02"]', '["DEMO-SCRAP-1"]')
    res = app_client.post("/api/policy/procurement", content=mine.encode(), headers=demo)
    assert res.status_code == 200, res.text
    assert res.json()["verdicts"][0]["basis"].startswith("trace lots")
    theirs = chk.replace('["SP-2026-01", "SP-2026-02"]', '["PARTNER-ALLOY-1"]')
    res = app_client.post("/api/policy/procurement", content=theirs.encode(), headers=demo)
    assert res.status_code == 404 and res.headers["content-type"].startswith(PROBLEM)
    # an unknown item is the answer, before any lot is read (not the lot's 404)
    unknown = theirs.replace("item: stamp_pad", "item: spaceships")
    assert unknown != theirs
    res = app_client.post("/api/policy/procurement", content=unknown.encode(), headers=demo)
    assert res.status_code == 422 and "unknown item" in res.text


def test_reuse_verify(app_client: TestClient, tokens: Any) -> None:
    demo, _ = tokens
    private, public = policy.new_key()
    h = policy.load(FIX / "reuse_history.yaml")
    assert isinstance(h, policy.History)
    h = policy.sign_record(
        h,
        Record.model_validate(
            {"type": "repair", "by": "Demo Manufacturing", "at": "2026-03-01T10:00:00Z"}
        ),
        private,
    )
    text = json.dumps(h.model_dump(mode="json", exclude_none=True))
    ok = app_client.post(
        "/api/policy/reuse/verify",
        headers=demo,
        json={"history": text, "trusted": {"Demo Manufacturing": public}},
    )
    assert ok.status_code == 200 and ok.json()["valid"] is True
    malformed = app_client.post("/api/policy/reuse/verify", headers=demo,
                                json={"history": text, "trusted": {"Demo Manufacturing": "AAAA"}})
    assert malformed.status_code == 422, malformed.text
    doc = malformed.json()
    assert doc["document"] == "trusted" and "Demo Manufacturing" in str(doc["errors"])
    assert "Ed25519" in str(doc["errors"])
    untrusted = app_client.post("/api/policy/reuse/verify", headers=demo, json={"history": text})
    assert untrusted.status_code == 200 and untrusted.json()["valid"] is False
    assert untrusted.json()["intact"] is True
    assert untrusted.json()["unverified_authors"] == ["Demo Manufacturing"]
    edited = json.loads(text)
    edited["records"][0]["by"] = "Someone Else"
    bad = app_client.post(
        "/api/policy/reuse/verify", headers=demo, json={"history": json.dumps(edited)}
    )
    assert bad.status_code == 200 and bad.json()["valid"] is False
    assert (
        app_client.post(
            "/api/policy/reuse/verify", headers=demo, json={"history": "kind: x"}
        ).status_code
        == 422
    )


def test_disclosure_json_and_inline_xbrl(app_client: TestClient, tokens: Any) -> None:
    demo, _ = tokens
    doc = yaml.safe_load((FIX / "pack.yaml").read_text())
    doc["flows"] = yaml.safe_load((FIX / "flows_tiny.yaml").read_text())
    body = json.dumps(doc, default=str).encode()
    res = app_client.post("/api/policy/disclosure", content=body, headers=demo)
    assert res.status_code == 200, res.text
    assert {f["key"]: f["value"] for f in res.json()["xbrl_facts"]}["esrs_e5.5.waste_total"] == 920
    x = app_client.post("/api/policy/disclosure?format=xhtml", content=body, headers=demo)
    assert x.headers["content-type"].startswith("application/xhtml+xml")
    assert policy.check_ixbrl(x.text) == []
    by_path = copy.deepcopy(doc)
    by_path["flows"] = "/etc/passwd"
    res = app_client.post(
        "/api/policy/disclosure", content=json.dumps(by_path, default=str).encode(), headers=demo
    )
    assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)


def test_a_survey_stream_without_factors_names_the_uploaded_table(
    app_client: TestClient, tokens: Any
) -> None:
    """The problem is the survey table's (its column), not the diagnosis document's."""
    demo, _ = tokens
    tiny = (FIX / "diagnosis_tiny.yaml").read_text().replace("measures: measures_tiny.yaml\n", "")
    survey = (FIX / "survey_tiny.csv").read_text().replace("資源化量/紙類", "資源化量/陶器類")
    res = app_client.post("/api/policy/diagnose", headers=demo,
                          json={"document": tiny, "survey_csv": survey})
    assert res.status_code == 422 and res.headers["content-type"].startswith(PROBLEM)
    body = res.json()
    assert body["document"] == "survey_csv"
    assert [(e["path"], e["type"]) for e in body["errors"]] == [
        ("資源化量/陶器類", "policy-stream-no-factors")], body
