"""The 41 cases of WBCSD's PACT conformance service for v3 (src/test-cases/v3-test-cases.ts
at commit 839bfe8: what each case sends, and what it accepts) run against the real
``junkan trace pact-serve`` in its own process, seeded by benchmarks/pact_conformance.py,
with a loopback stand-in for the tester's ``/auth/token`` and ``/3/events`` receiving the
callbacks of cases 13 and 14.B. Footprints are checked against the v3 OpenAPI schema's rules
(required properties, decimal strings, date-times, UUIDs, URNs, the geography rule).
``make conformance`` runs this module and prints the counts."""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.trace.receiver import Received, receiver

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
DECIMAL = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")
URN = re.compile(r"^[uU][rR][nN]:")
EVENT = "org.wbcsd.pact.ProductFootprint.{}.3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The host process with the tester registered as its partner; the footprints as the
    tester first fetches them (``getFilterParameters`` takes the first)."""
    tmp = tmp_path_factory.mktemp("conformance")
    database = os.environ.get("JUNKAN_CONFORMANCE_DATABASE", f"sqlite:///{tmp / 'c.db'}")
    port = _free_port()
    with receiver("/3/events") as tester:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "pact_conformance.py"), "serve",
             "--database", database, "--port", str(port), "--cert-dir", str(tmp / "tls"),
             "--partner", tester.base, "--partner-client", "test_client_id:test_client_secret"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        try:
            assert proc.stdout is not None
            creds = json.loads(proc.stdout.readline() or "{}")
            assert creds, proc.stderr.read() if proc.stderr else "no credentials"
            verify = ssl.create_default_context(cafile=creds["certificate"])
            client = httpx.Client(verify=verify, timeout=20)
            base = creds["baseUrl"]
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get(f"{base}/notice")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None and time.monotonic() < deadline
                    time.sleep(0.2)
            token = _token(client, base, creds["clientId"], creds["clientSecret"])
            first = client.get(f"{base}/3/footprints", headers=_auth(token))
            yield {"base": base, "client": client, "token": token, "creds": creds,
                   "pfs": first.json()["data"], "link": first.headers.get("link"),
                   "tester": tester, "run": str(uuid.uuid4())}
            client.close()
        finally:
            proc.terminate()
            proc.wait(timeout=20)


def _token(client: httpx.Client, base: str, cid: str, secret: str) -> str:
    res = client.post(f"{base}/auth/token", data={"grant_type": "client_credentials"},
                      auth=(cid, secret))
    assert res.status_code == 200, res.text
    return str(res.json()["access_token"])


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _get(h: dict[str, Any], path: str, token: str | None = None) -> httpx.Response:
    return h["client"].get(h["base"] + path, headers=_auth(token or h["token"]))


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def check_footprint(pf: dict[str, Any]) -> None:
    """The v3 OpenAPI ``ProductFootprint``/``CarbonFootprint`` rules a footprint must meet."""
    for key in ("id", "specVersion", "created", "status", "companyName", "companyIds",
                "productDescription", "productIds", "productNameCompany", "pcf"):
        assert key in pf and pf[key] is not None, key
    uuid.UUID(pf["id"])
    assert re.match(r"^\d+\.\d+\.\d+(-\d{8})?$", pf["specVersion"])
    assert pf["status"] in ("Active", "Deprecated")
    for key in ("companyIds", "productIds", "productClassifications"):
        assert pf[key] and all(URN.match(x) for x in pf[key]) and \
            len(set(pf[key])) == len(pf[key]), key
    for key in ("created", "validityPeriodStart", "validityPeriodEnd"):
        _when(pf[key])
    c = pf["pcf"]
    for key in ("declaredUnitOfMeasurement", "declaredUnitAmount", "productMassPerDeclaredUnit",
                "referencePeriodStart", "referencePeriodEnd", "pcfExcludingBiogenicUptake",
                "pcfIncludingBiogenicUptake", "fossilGhgEmissions", "fossilCarbonContent",
                "ipccCharacterizationFactors", "crossSectoralStandards",
                "exemptedEmissionsPercent"):
        assert key in c and c[key] is not None, key
    for key, value in c.items():
        if key in ("declaredUnitAmount", "productMassPerDeclaredUnit") or key.endswith(
                ("Uptake", "Emissions", "Content", "Percent", "Capture", "Removals")):
            assert isinstance(value, str) and DECIMAL.match(value), (key, value)
    assert float(c["pcfIncludingBiogenicUptake"]) <= float(c["pcfExcludingBiogenicUptake"])
    assert float(c["fossilCarbonContent"]) >= 0 and float(c["fossilGhgEmissions"]) >= 0
    geo = [k for k in ("geographyRegionOrSubregion", "geographyCountry",
                       "geographyCountrySubdivision") if k in c]
    assert len(geo) <= 1  # oneOf: one level, or none (global granularity)
    assert all(re.match(r"^AR\d+$", x) for x in c["ipccCharacterizationFactors"])
    # validity period within [referencePeriodEnd, referencePeriodEnd + 3 years]
    ref_end = _when(c["referencePeriodEnd"])
    assert _when(pf["validityPeriodStart"]) >= ref_end
    assert _when(pf["validityPeriodEnd"]) <= ref_end + timedelta(days=3 * 366)
    for ext in pf.get("extensions", []):
        assert {"specVersion", "dataSchema", "data"} <= set(ext)
        assert ext["dataSchema"].startswith("https://")


def test_case_01_02_18_19_auth(host: dict[str, Any]) -> None:
    url = host["base"] + "/auth/token"
    ok = host["client"].post(url, data={"grant_type": "client_credentials"},
                             auth=(host["creds"]["clientId"], host["creds"]["clientSecret"]))
    assert ok.status_code == 200 and ok.json()["access_token"]
    bad = host["client"].post(url, data={"grant_type": "client_credentials"},
                              auth=("very-invalid", "credentials"))
    assert bad.status_code in (400, 401)


def test_case_03_get_footprint(host: dict[str, Any]) -> None:
    pf = host["pfs"][0]
    res = _get(host, f"/3/footprints/{pf['id']}")
    assert res.status_code == 200 and res.json()["data"]["id"] == pf["id"]
    check_footprint(res.json()["data"])


def test_case_04_list_footprints(host: dict[str, Any]) -> None:
    res = _get(host, "/3/footprints")
    assert res.status_code in (200, 202)
    data = res.json()["data"]
    assert len(data) == len(host["pfs"]) >= 5  # incl. a Deprecated version
    for pf in data:
        check_footprint(pf)
    assert {pf["status"] for pf in data} == {"Active", "Deprecated"}


def test_case_05_pagination(host: dict[str, Any]) -> None:
    page = _get(host, "/3/footprints?limit=2")
    link = page.headers["link"]
    target = link[1:link.index(">")]
    assert target.startswith(host["base"]) and 'rel="next"' in link
    nxt = host["client"].get(target, headers=_auth(host["token"]))
    assert nxt.status_code == 200 and nxt.json()["data"]


@pytest.mark.parametrize("path", ["/3/footprints", "/3/footprints/{id}"])
def test_case_06_07_invalid_token(host: dict[str, Any], path: str) -> None:
    res = _get(host, path.format(id=host["pfs"][0]["id"]),
               token=f"very-invalid-access-token-{uuid.uuid4().hex[:16]}")
    assert res.status_code in (400, 401) and res.json()["code"] == "BadRequest"


def test_case_08_unknown_id(host: dict[str, Any]) -> None:
    res = _get(host, "/3/footprints/00000000-0000-0000-0000-000000000000")
    assert res.status_code in (400, 404) and res.json()["code"] in ("NotFound", "BadRequest")


@pytest.mark.parametrize("method,path", [("POST", "/auth/token"), ("GET", "/3/footprints"),
                                         ("GET", "/3/footprints/{id}"), ("POST", "/3/events")])
def test_case_09_10_11_17_plain_http_fails(host: dict[str, Any], method: str,
                                           path: str) -> None:
    url = host["base"].replace("https", "http") + path.format(id=host["pfs"][0]["id"])
    with httpx.Client(timeout=10) as plain:
        try:
            res = plain.request(method, url, headers=_auth(host["token"]))
        except httpx.HTTPError:
            return  # rejected: what the tester expects
    assert "data" not in res.text and "access_token" not in res.text


def _event(h: dict[str, Any], kind: str, data: dict[str, Any], suffix: str) -> dict[str, Any]:
    return {"specversion": "1.0", "id": f"{h['run']}/{suffix}", "source": h["tester"].base,
            "time": datetime.now().astimezone().isoformat(), "type": EVENT.format(kind),
            "data": data}


def _post(h: dict[str, Any], body: dict[str, Any], token: str | None = None) -> httpx.Response:
    return h["client"].post(h["base"] + "/3/events", content=json.dumps(body), headers={
        "Content-Type": "application/cloudevents+json; charset=UTF-8",
        **_auth(token or h["token"])})


def _callback(tester: Received, request_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for i, got in enumerate(list(tester)):
            if got.get("data", {}).get("requestEventId") == request_id:
                assert tester.paths[i] == "/3/events"
                assert tester.headers[i]["Authorization"] == "Bearer partner-token"
                assert tester.headers[i]["Content-Type"].startswith(
                    "application/cloudevents+json")
                return got
        time.sleep(0.1)
    raise AssertionError(f"no callback for {request_id}")


def test_case_12_13_request_fulfilled_at_the_source(host: dict[str, Any]) -> None:
    wanted = host["pfs"][0]["productIds"]
    res = _post(host, _event(host, "RequestCreatedEvent", {
        "productId": wanted, "comment": "Please send PCF data for this year."}, "12"))
    assert res.status_code == 200
    got = _callback(host["tester"], f"{host['run']}/12")
    assert got["type"] == EVENT.format("RequestFulfilledEvent")
    assert {"specversion", "id", "source", "time", "data"} <= set(got)
    assert got["data"]["pfs"] and all(set(pf["productIds"]) & set(wanted)
                                      for pf in got["data"]["pfs"])
    for pf in got["data"]["pfs"]:
        check_footprint(pf)
        assert pf["status"] == "Active"
    assert host["tester"].tokens  # authenticated at the tester's /auth/token first


def test_case_14_request_rejected_at_the_source(host: dict[str, Any]) -> None:
    res = _post(host, _event(host, "RequestCreatedEvent", {
        "productId": ["urn:pact:null"], "comment": "Please send PCF data for this year."},
        "14.A"))
    assert res.status_code == 200
    got = _callback(host["tester"], f"{host['run']}/14.A")
    assert got["type"] == EVENT.format("RequestRejectedEvent")
    assert got["data"]["error"]["code"] and got["data"]["error"]["message"]


def test_case_15_16_40_published_events(host: dict[str, Any]) -> None:
    body = _event(host, "PublishedEvent", {"pfIds": ["3a6c14a7-4deb-498a-b5ea-16ce2535b576"]},
                  "15")
    assert _post(host, body).status_code == 200
    bad = _post(host, body, token=f"very-invalid-access-token-{uuid.uuid4().hex[:16]}")
    assert bad.status_code in (400, 401) and bad.json()["code"] == "BadRequest"
    urn = _event(host, "PublishedEvent", {"pfIds": ["urn:gtin:4712345060507"]}, "40")
    assert _post(host, urn).status_code == 400


def _filter(h: dict[str, Any], query: str) -> list[dict[str, Any]]:
    res = _get(h, f"/3/footprints?{query}")
    assert res.status_code == 200, res.text
    return list(res.json()["data"])


def _day(text: str, days: int) -> str:
    return (_when(text) + timedelta(days=days)).isoformat().replace("+00:00", "Z")


def test_case_20_to_29_filters(host: dict[str, Any]) -> None:
    """As getFilterParameters: the first footprint's values; every footprint returned must
    match, and a filter that matches nothing must not be what passes."""
    first = host["pfs"][0]
    pid, cid = first["productIds"][0], first["companyIds"][0]
    geo = first["pcf"].get("geographyCountry", "")
    cases = {
        f"productId={pid}": lambda pf: pid in pf["productIds"],
        f"companyId={cid}": lambda pf: cid in pf["companyIds"],
        f"geography={geo}": lambda pf: pf["pcf"].get("geographyCountry") == geo,
        f"classification={first['productClassifications'][0]}":
            lambda pf: first["productClassifications"][0] in pf["productClassifications"],
        f"validOn={first['validityPeriodStart']}": lambda pf: True,
        f"validAfter={_day(first['validityPeriodStart'], -1)}": lambda pf: True,
        f"validBefore={_day(first['validityPeriodEnd'], 1)}": lambda pf: True,
        f"status={first['status']}": lambda pf: pf["status"] == first["status"],
        f"status=Active&productId={pid}": lambda pf: pf["status"] == "Active",
        f"companyId={cid}&companyId=urn:uuid:other-company&companyId=urn:uuid:another-company":
            lambda pf: cid in pf["companyIds"],
    }
    for query, ok in cases.items():
        found = _filter(host, query)
        assert found and all(ok(pf) for pf in found), query
    assert first["id"] in {pf["id"] for pf in _filter(host, f"validOn="
                                                            f"{first['validityPeriodStart']}")}


@pytest.mark.parametrize("query", [
    "productId=urn:bogus:product:nonexistent123", "companyId=urn:bogus:company:nonexistent456",
    "geography=XX", "classification=urn:bogus:classification:nonexistent789",
    "validOn=1900-01-01T00:00:00Z", "validAfter=2099-12-31T23:59:59Z",
    "validBefore=1900-01-01T00:00:00Z", "status=BogusStatusValue",
    "companyId=urn:bogus:company:5FIi8zS3&productId=urn:bogus:product:nonexistent123",
    "companyId=urn:bogus:company:nonexistent1&companyId=urn:bogus:company:nonexistent2"
    "&companyId=urn:bogus:company:nonexistent3"])
def test_case_30_to_39_negative_filters(host: dict[str, Any], query: str) -> None:
    assert _filter(host, query) == []


def test_extension_schema_is_public_json_schema(host: dict[str, Any]) -> None:
    url = next(ext["dataSchema"] for pf in host["pfs"] for ext in pf.get("extensions", []))
    res = host["client"].get(url)  # no token: public, as v3 wants it
    assert res.status_code == 200 and res.json()["$schema"].startswith("https://json-schema")
    assert set(res.json()["properties"]) == {"preConsumerShare", "postConsumerShare", "claims"}
