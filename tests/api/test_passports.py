"""Grading documents and passports over HTTP (/api/passports/…; they store nothing, so on
SQLite only): grades of an uploaded document, one item's passport file exactly as ``junkan
passport export`` writes it, a passport file read back; every refusal is problem+json naming
the field with its rule's code; uploads keep the body and document limits; anonymous callers
get 401."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from junkan.api import create_app
from junkan.cli.passport import app as passport_cli
from junkan.store.db import Settings
from tests.api.conftest import login
from tests.grading.test_passport_cli import PACK as CLI_PACK
from tests.grading.test_passport_cli import SECOND_LIFE

# the CLI tests' battery pack and second-life window: the service must answer as the CLI does
PACK: dict[str, Any] = CLI_PACK
WINDOW: dict[str, Any] = SECOND_LIFE
AS_OF = "2026-11-30"


def document(**change: Any) -> dict[str, Any]:
    """Two packs (pack-8 worn below the window) graded against the test window."""
    worn = copy.deepcopy(PACK) | {"id": "pack-8"}
    worn["properties"]["state_of_certified_energy"] = {"value": "70 %"}
    return {"items": [copy.deepcopy(PACK), worn], "criteria": [copy.deepcopy(WINDOW)], **change}


def send(client: TestClient, path: str, body: str | bytes, ctype: str = "application/yaml") -> Any:
    return client.post(path, content=body, headers={"Content-Type": ctype})


def refused(res: Any, status: int = 422) -> list[dict[str, Any]]:
    assert res.status_code == status, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    errors: list[dict[str, Any]] = res.json().get("errors", [])
    return errors


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One service for the module: the routes store nothing, so SQLite stands for both stores."""
    db = tmp_path_factory.mktemp("passports") / "junkan.db"
    return create_app(Settings(database_url=f"sqlite:///{db}"), seed=True)


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    """The demo organisation's user, signed in."""
    with TestClient(app) as c:
        login(c)
        yield c


def test_an_uploaded_document_is_graded(client: TestClient) -> None:
    res = send(client, f"/api/passports/grade?as_of={AS_OF}", yaml.safe_dump(document()))
    assert res.status_code == 200, res.text
    doc = res.json()
    assert doc["as_of"] == AS_OF
    grades = {g["item"]: g for g in doc["grades"]}
    assert grades["pack 7/A"]["met"] is True and grades["pack 7/A"]["failed"] == []
    assert grades["pack-8"]["met"] is False
    assert "state_of_certified_energy" in grades["pack-8"]["failed"][0]
    assert doc["items"][0]["files"] == {
        "aas": "pack_7_A.aas.json",
        "batterypass": "pack_7_A.batterypass.json",
        "batterypass-aas": "pack_7_A.batterypass.aas.json",
    }
    # a multipart upload (the page's way) and JSON read the same
    up = client.post("/api/passports/grade", files={"file": ("packs.json", json.dumps(document()))})
    assert up.status_code == 200 and len(up.json()["grades"]) == 2, up.text


def test_a_document_s_problems_name_the_field_and_the_rule(client: TestClient) -> None:
    doc = document()
    doc["items"][1]["kind"] = "battery"
    errors = refused(send(client, "/api/passports/grade", yaml.safe_dump(doc)))
    assert [(e["path"], e["type"]) for e in errors] == [("items[1].kind", "literal_error")]
    doc = document()
    del doc["criteria"][0]["rules"][0]["min"]
    errors = refused(send(client, "/api/passports/grade", yaml.safe_dump(doc)))
    assert errors == [
        {
            "path": "second-life-test.rules[0]",
            "type": "range-bounds-needed",
            "message": "a range rule needs min, max or both",
        }
    ], errors
    errors = refused(send(client, "/api/passports/grade", "items: [\ncriteria: x"))
    assert "invalid YAML" in errors[0]["message"]
    res = send(client, "/api/passports/grade?as_of=2026-13-01", yaml.safe_dump(document()))
    assert res.status_code == 422 and "as_of" in res.json()["detail"], res.text


@pytest.mark.parametrize("fmt", ["batterypass", "aas", "batterypass-aas"])
def test_an_item_s_passport_is_the_file_the_cli_writes(
    client: TestClient, tmp_path: Path, fmt: str
) -> None:
    if fmt != "batterypass":
        pytest.importorskip("basyx")
    text = yaml.safe_dump(document())
    res = send(client, f"/api/passports/export?item=pack%207/A&format={fmt}&as_of={AS_OF}", text)
    assert res.status_code == 200, res.text
    (tmp_path / "packs.yaml").write_text(text, "utf-8")
    cli = CliRunner().invoke(
        passport_cli,
        [
            "export",
            str(tmp_path / "packs.yaml"),
            "--out",
            str(tmp_path / "out"),
            "--format",
            fmt,
            "--as-of",
            AS_OF,
        ],
    )
    assert cli.exit_code == 0, cli.output
    name = {
        "aas": "aas.json",
        "batterypass": "batterypass.json",
        "batterypass-aas": "batterypass.aas.json",
    }[fmt]
    assert res.headers["content-disposition"].startswith(f'attachment; filename="pack_7_A.{name}"')
    assert res.content == (tmp_path / "out" / f"pack_7_A.{name}").read_bytes()


def test_export_refusals_name_the_field(client: TestClient) -> None:
    text = yaml.safe_dump(document())
    errors = refused(send(client, "/api/passports/export?item=pack-9&format=batterypass", text))
    assert errors[0]["path"] == "item" and "pack-9" in errors[0]["message"], errors
    crate = copy.deepcopy(PACK) | {"id": "crate", "material": {"name": "PP"}}
    del crate["attributes"]
    errors = refused(
        send(
            client,
            "/api/passports/export?item=crate&format=batterypass",
            yaml.safe_dump(document(items=[crate])),
        )
    )
    assert any(e.get("type") == "pass-needs" for e in errors), errors
    res = send(client, "/api/passports/export?item=crate&format=pdf", text)
    assert refused(res)[0]["path"] == "format"


def _exported(client: TestClient, fmt: str) -> dict[str, Any]:
    res = send(
        client,
        f"/api/passports/export?item=pack-8&format={fmt}&as_of={AS_OF}",
        yaml.safe_dump(document()),
    )
    assert res.status_code == 200, res.text
    doc: dict[str, Any] = res.json()
    return doc


def test_a_battery_pass_reads_back_with_its_unmapped_attributes(client: TestClient) -> None:
    doc = _exported(client, "batterypass")
    doc["GeneralProductInformation"]["warrentyPeriod"] = "--06"
    res = send(client, "/api/passports/import", json.dumps(doc), "application/json")
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["format"] == "batterypass" and out["record"]["id"] == "pack-8"
    assert out["record"]["attributes"]["battery_status"] == "Reused"
    assert out["unmapped"] == ["GeneralProductInformation.warrentyPeriod"]


def test_an_aas_passport_reads_back_graded(client: TestClient) -> None:
    pytest.importorskip("basyx")
    res = send(
        client, "/api/passports/import", json.dumps(_exported(client, "aas")), "application/json"
    )
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["format"] == "aas" and out["unmapped"] == []
    assert out["record"]["grades"][0]["met"] is False
    back = send(
        client,
        "/api/passports/import",
        json.dumps(_exported(client, "batterypass-aas")),
        "application/json",
    )
    assert back.status_code == 200 and back.json()["format"] == "batterypass-aas", back.text


def test_import_refusals_name_the_attribute_and_the_rule(client: TestClient) -> None:
    doc = _exported(client, "batterypass")
    doc["GeneralProductInformation"]["batteryMass"] = -5
    errors = refused(send(client, "/api/passports/import", json.dumps(doc)))
    hit = next(e for e in errors if e["path"] == "GeneralProductInformation.batteryMass")
    assert hit["type"] == "out-of-range" and hit["ctx"]["value"] == "-5", errors
    errors = refused(send(client, "/api/passports/import", "[1]"))  # auto: neither kind
    assert [(e["path"], e["type"]) for e in errors] == [("", "passport-unknown-kind")], errors
    errors = refused(send(client, "/api/passports/import?format=batterypass", "[1]"))
    assert errors == [
        {
            "path": "",
            "message": "a Battery Pass document is a JSON object",
            "type": "pass-not-object",
        }
    ]
    errors = refused(send(client, "/api/passports/import?format=batterypass", '{"a": NaN}'))
    assert errors and errors[0]["path"] in ("", "a"), errors


def test_hostile_and_oversized_uploads_are_refused_clearly(client: TestClient) -> None:
    deep = '{"a":' * 200 + "1" + "}" * 200
    for path in ("/api/passports/import", "/api/passports/grade"):
        errors = refused(send(client, path, deep, "application/json"))
        assert "JUNKAN_LIMIT_NESTING_DEPTH" in errors[0]["message"], errors
    res = send(client, "/api/passports/import", "[" * 100_000 + "]" * 100_000)
    assert res.status_code == 422, res.text
    big = '{"x": ' + "9" * 5000 + "}"
    assert send(client, "/api/passports/import", big).status_code == 422
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    errors = refused(send(client, "/api/passports/grade", laughs))
    assert "JUNKAN_LIMIT_YAML" in errors[0]["message"], errors
    res = send(client, "/api/passports/import", "\xff".encode("latin-1") + b"{}")
    assert res.status_code == 400 and res.json()["code"] == "not-utf8", res.text


def test_a_body_over_the_limit_gets_413(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'junkan.db'}"
    with TestClient(
        create_app(Settings(database_url=url, max_body_bytes=1000), seed=True)
    ) as small:
        login(small)
        res = send(small, "/api/passports/import", '{"x": "' + "a" * 2000 + '"}')
        assert res.status_code == 413 and res.json()["code"] == "body-too-large", res.text


def test_anonymous_callers_get_401(app: Any, client: TestClient) -> None:
    anonymous = TestClient(app)
    for path in ("/api/passports/grade", "/api/passports/export?item=x", "/api/passports/import"):
        res = send(anonymous, path, yaml.safe_dump(document()))
        assert res.status_code == 401, (path, res.text)
        assert res.headers["content-type"].startswith("application/problem+json")


def test_ids_giving_one_file_name_are_refused_as_the_cli_refuses_them(
    client: TestClient,
) -> None:
    """``pack/7`` and ``pack_7``: the CLI refused the document, the grade answer offered the
    same file name for both."""
    doc = document()
    doc["items"][0]["id"], doc["items"][1]["id"] = "pack/7", "pack_7"
    text = yaml.safe_dump(doc)
    for path in ("/api/passports/grade", "/api/passports/export?item=pack/7&format=aas"):
        errors = refused(send(client, path, text))
        assert [(e["path"], e["type"]) for e in errors] == [("items", "passport-name-clash")]
        assert "pack_7.aas.json" in errors[0]["message"], errors


def test_the_grade_answer_codes_each_failure(client: TestClient) -> None:
    res = send(client, f"/api/passports/grade?as_of={AS_OF}", yaml.safe_dump(document()))
    worn = next(g for g in res.json()["grades"] if g["item"] == "pack-8")
    assert worn["failed"] == ["state_of_certified_energy = 70 % outside [80 %, −]"]
    assert worn["reasons"] == [
        {
            "code": "grade-outside-range",
            "params": {
                "property": "state_of_certified_energy",
                "value": "70 %",
                "min": "80 %",
                "max": "−",
            },
        }
    ]


def test_an_aas_import_lists_what_it_ignored(client: TestClient) -> None:
    pytest.importorskip("basyx")
    extra = {"modelType": "Property", "idShort": "VendorExtra", "valueType": "xs:string"}
    for fmt, sub, path in (
        ("aas", "JunkanGrading", "JunkanGrading.VendorExtra"),
        ("batterypass-aas", "GeneralProductInformation", "GeneralProductInformation.VendorExtra"),
    ):
        doc = _exported(client, fmt)
        next(s for s in doc["submodels"] if s["idShort"] == sub)["submodelElements"].append(extra)
        out = send(client, "/api/passports/import", json.dumps(doc)).json()
        assert (out["format"], out["unmapped"], out["unmapped_total"]) == (fmt, [path], 1), out


def test_the_ignored_list_is_capped_and_counted(client: TestClient) -> None:
    """100,000 ignored paths made a 1.1 MB answer: the first 200 are listed, all counted."""
    doc = _exported(client, "batterypass")
    doc["Vendor"] = {f"x{i:04d}": i for i in range(500)}
    out = send(client, "/api/passports/import", json.dumps(doc)).json()
    assert len(out["unmapped"]) == 200 and out["unmapped_total"] == 500
    assert out["unmapped"][0] == "Vendor.x0000"
    more = send(client, "/api/passports/import?unmapped_shown=1000", json.dumps(doc)).json()
    assert len(more["unmapped"]) == 500
    res = send(client, "/api/passports/import?unmapped_shown=-1", json.dumps(doc))
    assert refused(res)[0]["path"] == "unmapped_shown"


def test_a_submodel_is_refused_for_formats_without_one(client: TestClient) -> None:
    doc = json.dumps(_exported(client, "batterypass"))
    errors = refused(send(client, "/api/passports/import?submodel=urn:x", doc))
    assert [(e["path"], e["type"]) for e in errors] == [("submodel", "submodel-not-read")]
