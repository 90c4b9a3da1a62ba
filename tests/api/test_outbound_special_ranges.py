"""Review finding 13: the outbound policy refuses the IANA special-purpose blocks whatever
Python's ``ipaddress`` thinks of them (3.11 let 192.0.0.8 and 3fff::/20 through), and
registering a webhook origin checks the host as the sender does, so a numeric spelling of
loopback (``https://2130706433``) is refused at registration, not only at delivery."""

from __future__ import annotations

import ipaddress

import pytest
from fastapi.testclient import TestClient

from junkan.core.outbound import OutboundPolicy, OutboundRefused, forbidden, url_origin


@pytest.mark.parametrize("address", [
    "192.0.0.8", "192.0.0.9", "192.0.0.170", "192.31.196.1", "192.52.193.1", "192.88.99.1",
    "192.175.48.1", "100.64.0.1", "3fff::1", "3fff:fff::1", "2001:db8::1", "2001:1::1",
    "2001:20::1", "2620:4f:8000::1", "5f00::1", "100::1", "::ffff:192.0.0.8"])
def test_special_purpose_addresses_are_refused(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is not None
    policy = OutboundPolicy(resolver=lambda host, port: [address])
    with pytest.raises(OutboundRefused):
        policy.addresses(url_origin("https://hooks.example.com"))


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700::1111",
                                     "2a00:1450:4001::1", "2001:4860::8888"])
def test_public_unicast_addresses_pass(address: str) -> None:
    assert forbidden(ipaddress.ip_address(address)) is None


def test_webhook_origin_registration_checks_what_the_host_is(app_client: TestClient) -> None:
    from junkan.api.seed import DEMO_EMAIL, DEMO_PASSWORD
    from tests.api.conftest import bearer

    a = bearer(app_client, DEMO_EMAIL, DEMO_PASSWORD)
    for loopback in ("https://2130706433", "https://0x7f.1", "https://127.1"):
        res = app_client.post("/api/admin/webhook-origins", headers=a,
                              json={"origin": loopback})
        assert res.status_code == 422, (loopback, res.text)
        assert "loopback" in res.json()["detail"]
    assert app_client.get("/api/admin/webhook-origins", headers=a).json() == {"origins": []}
    ok = app_client.post("/api/admin/webhook-origins", headers=a,
                         json={"origin": "https://hooks.example.com"})
    assert ok.status_code == 201, ok.text
