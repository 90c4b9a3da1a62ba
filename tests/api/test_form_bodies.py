"""Form and multipart bodies the parser cannot read are refused in the one error shape, with
a code the page says in its language (past gap: Starlette's own 400 had no ``code``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import demo_tokens

BROKEN = [
    ("multipart/form-data", b"--x\r\nContent-Disposition: form-data; name=\"file\""),
    ("multipart/form-data; boundary=x", b"--x\r\nno headers here\r\n\r\n--x--"),
]


@pytest.mark.parametrize(("ctype", "body"), BROKEN)
def test_an_unreadable_multipart_upload_is_400_with_a_code(app_client: TestClient, ctype: str,
                                                           body: bytes) -> None:
    a, _ = demo_tokens(app_client)
    res = app_client.post("/api/models", content=body, headers={**a, "Content-Type": ctype})
    assert res.status_code == 400, res.text
    doc = res.json()
    assert doc["code"] == "multipart-unreadable"
    assert doc["detail"].startswith("the upload could not be read as form data: ")
    assert res.headers["content-type"].startswith("application/problem+json")


def test_a_multipart_upload_without_a_file_field_names_it(app_client: TestClient) -> None:
    a, _ = demo_tokens(app_client)
    res = app_client.post("/api/models", headers=a, files={"other": ("m.yaml", b"x: 1")})
    assert res.status_code == 400
    assert res.json()["code"] == "no-file-field"


def test_a_multipart_upload_with_two_file_fields_is_refused(app_client: TestClient) -> None:
    """Review 254: the last of two ``file`` fields was read, the first dropped silently (a
    model made or refused by the order of the fields)."""
    a, _ = demo_tokens(app_client)
    model = (Path(__file__).parents[2] / "examples" / "compressor_magnet.yaml").read_bytes()
    for files in ([("file", ("m.yaml", model)), ("file", ("o.yaml", b"x: 1"))],
                  [("file", ("o.yaml", b"x: 1")), ("file", ("m.yaml", model))]):
        res = app_client.post("/api/models", headers=a, files=files)
        assert res.status_code == 400, res.text
        assert res.json()["code"] == "file-field-repeated", res.text
        assert "2 'file' fields" in res.json()["detail"]


def test_the_pact_token_endpoint_answers_an_unreadable_form_the_oauth_way(
        tmp_path: Path) -> None:
    from junkan.api.pact import create_pact_app
    from junkan.store.db import Database, Settings

    url = f"sqlite:///{tmp_path / 'pact.db'}"
    Database(url).migrate()
    with TestClient(create_pact_app(Settings(database_url=url))) as c:
        res = c.post("/auth/token", content=BROKEN[0][1],
                     headers={"Content-Type": BROKEN[0][0]})
    assert res.status_code == 400
    assert res.json() == {"error": "invalid_request",
                          "error_description": "the body is not a readable form"}
