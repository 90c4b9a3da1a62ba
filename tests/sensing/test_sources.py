"""Live-line sources: URL format, the administrator's allow-list, addresses no broker or PLC
has (cloud metadata, multicast …) refused even when listed, and the address pinned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from junkan.sensing.sources import (
    ENV,
    LineSource,
    SourceRefused,
    allowed,
    check,
    connect_url,
    endpoint,
    resolve,
)


def test_endpoint_format() -> None:
    ep, path = endpoint("MQTT://Broker.Plant.:1884")
    assert (str(ep), path) == ("mqtt://broker.plant:1884", "")
    assert str(endpoint("mqtt://10.0.0.5")[0]) == "mqtt://10.0.0.5:1883"
    ep, path = endpoint("opc.tcp://[fe80::0:1]/ua/server")
    assert (ep.host, ep.port, path) == ("fe80::1", 4840, "/ua/server")
    for bad, why in [
        ("http://x:1883", "mqtt://"),
        ("mqtt://u:p@x:1883", "user information"),
        ("mqtt://x:1883/a", "no path"),
        ("mqtt://x:1883?q=1", "query"),
        ("mqtt://x :1883", "white space"),
        ("mqtt://:1883", "no host"),
        ("mqtt://x:99999", "not a valid URL"),
        ("mqtt://a_b$:1", "not valid"),
        ("", "at most 500"),
    ]:
        with pytest.raises(SourceRefused, match=why):
            endpoint(bad, "source.url")


def test_allow_list_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(SourceRefused, match=ENV):  # nothing listed: nothing allowed
        check("mqtt://127.0.0.1:1883")
    monkeypatch.setenv(ENV, "mqtt://127.0.0.1:1883, opc.tcp://PLC-7.plant:4840")
    assert allowed() == {endpoint("mqtt://127.0.0.1:1883")[0], endpoint("opc.tcp://plc-7.plant")[0]}
    assert check("mqtt://127.0.0.1").port == 1883  # the default port is the listed one
    assert check("opc.tcp://plc-7.plant:4840/ua").host == "plc-7.plant"
    for other in ("mqtt://127.0.0.1:1884", "mqtt://127.0.0.2:1883", "opc.tcp://127.0.0.1:1883"):
        with pytest.raises(SourceRefused, match="not an endpoint this server may connect to"):
            check(other)


def test_addresses_no_broker_has_are_refused_even_when_listed() -> None:
    bad = ["169.254.169.254", "0.0.0.0", "224.0.0.1", "[::ffff:169.254.169.254]", "240.0.0.1"]
    for host in bad:
        url = f"mqtt://{host}:1883"
        with pytest.raises(SourceRefused, match="never have such an address"):
            check(url, listed=allowed(url))
    for ok in ("10.1.2.3", "192.168.0.9", "127.0.0.1", "[::1]", "8.8.8.8"):
        url = f"mqtt://{ok}:1883"
        assert check(url, listed=allowed(url))


def test_names_are_resolved_once_and_every_address_checked() -> None:
    ep = endpoint("mqtt://broker.plant:1883")[0]
    assert resolve(ep, resolver=lambda h, p: ["10.0.0.7", "10.0.0.8"]) == "10.0.0.7"
    with pytest.raises(SourceRefused, match="169.254.169.254 is a link-local"):
        resolve(ep, resolver=lambda h, p: ["10.0.0.7", "169.254.169.254"])
    with pytest.raises(SourceRefused, match="resolves to no address"):
        resolve(ep, resolver=lambda h, p: [])

    def fail(h: str, p: int) -> list[str]:
        raise OSError("Name or service not known")

    with pytest.raises(SourceRefused, match="does not resolve"):
        resolve(ep, resolver=fail)
    assert connect_url("opc.tcp://plc.x:4840/ua", endpoint("opc.tcp://plc.x:4840")[0], "::1") == (
        "opc.tcp://[::1]:4840/ua"
    )


def test_line_source_document() -> None:
    src = LineSource.model_validate(
        {"line": {"id": "S1"}, "source": {"kind": "mqtt", "url": "mqtt://x", "protocol": "5"}}
    )
    assert src.source.kind == "mqtt" and src.line.id == "S1"
    opc = LineSource.model_validate({"source": {"kind": "opcua", "url": "opc.tcp://x"}})
    assert opc.source.kind == "opcua" and opc.line.id == "L1"
    for source, field in [
        ({"kind": "mqtt", "url": "mqtt://x", "topic": "plant/+/batch"}, "topic"),
        ({"kind": "mqtt", "url": "mqtt://x", "topic": "$SYS/x"}, "topic"),
        ({"kind": "mqtt", "url": "mqtt://x", "protocol": "3"}, "protocol"),
        ({"kind": "opcua", "url": "opc.tcp://x", "publish_ms": 0}, "publish_ms"),
        ({"kind": "modbus", "url": "x"}, "kind"),
        ({"kind": "mqtt", "url": "mqtt://x", "extra": 1}, "extra"),
    ]:
        with pytest.raises(ValidationError, match=field):
            LineSource.model_validate({"source": source})
