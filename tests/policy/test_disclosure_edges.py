"""Disclosure packs at their edges: a flow model without waste outflows leaves the E5-5 facts
untagged with the reason (not a KeyError traceback, or a 500 from the service) and the inline
XBRL still passes its structure check; a damaged taxonomy package names its member."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from junkan import policy
from tests.api.conftest import (  # noqa: F401 (fixtures)
    app_client,
    database_url,
    demo_tokens,
)

PACK = (Path(__file__).parent / "fixtures" / "pack.yaml").read_text(encoding="utf-8")
NO_WASTE = PACK.replace("flows: flows_tiny.yaml", "flows: {name: x, currency: JPY, inflows: "
                        "[{name: steel, mass: 5 t, recycled: 0.5}], outflows: []}")


def test_a_pack_without_waste_outflows_leaves_e5_5_untagged_with_the_reason() -> None:
    pack = policy.load(text=NO_WASTE)
    assert isinstance(pack, policy.Pack)
    res = policy.run(pack)
    keys = {f["key"] for f in res.facts}
    assert "esrs_e5.4.secondary_share" in keys
    assert not any(k.startswith("esrs_e5.5.") for k in keys)
    assert any("not computable (the flow model has no waste outflows); left untagged" in n
               for n in res.notes), res.notes
    assert res.waste_table == {}
    assert policy.check_ixbrl(res.ixbrl(), res.facts) == []


def test_service_pack_without_waste_outflows_is_answered(
    app_client: TestClient,  # noqa: F811
) -> None:
    demo, _ = demo_tokens(app_client)
    res = app_client.post("/api/policy/disclosure", headers=demo, content=NO_WASTE.encode())
    assert res.status_code == 200, res.text
    assert res.json()["esrs_e5_5_waste"] == {}


def test_a_taxonomy_package_with_a_damaged_member_is_named_not_a_traceback(
    tmp_path: Path,
) -> None:
    import zipfile

    import pytest

    from junkan.core.errors import ModelError

    with zipfile.ZipFile(tmp_path / "t.zip", "w") as z:
        z.writestr("pkg/common/esrs_cor.xsd", "<not-xml")
    with pytest.raises(ModelError) as exc:
        policy.resolve_taxonomy(tmp_path / "t.zip")
    assert exc.value.source == str(tmp_path / "t.zip")
    (p,) = exc.value.problems
    assert p.path == "taxonomy"
    assert p.message.startswith("pkg/common/esrs_cor.xsd: cannot be read as XML")


def test_a_company_name_xml_cannot_hold_is_refused_not_written_broken() -> None:
    """A vertical tab or U+FFFF in the company's name made the inline XBRL not well-formed:
    the CLI said 'a bug, not bad input', the service answered 500 (review 318)."""
    import pytest

    from junkan.core.errors import ModelError

    for escaped in ("\\v", "\\uFFFF"):  # YAML's escapes in a double-quoted scalar
        text = PACK.replace("name: Example KK", f'name: "Example{escaped}KK"')
        with pytest.raises(ModelError) as exc:
            policy.load(text=text)
        (p,) = exc.value.problems
        assert (p.path, p.kind) == ("company.name", "name-control-character"), p


def test_service_refuses_a_company_name_xml_cannot_hold(
    app_client: TestClient,  # noqa: F811
) -> None:
    demo, _ = demo_tokens(app_client)
    text = NO_WASTE.replace("name: Example KK", 'name: "Example\\vKK"')
    res = app_client.post("/api/policy/disclosure", headers=demo, content=text.encode())
    assert res.status_code == 422, res.text
    assert "U+000B" in res.text


def test_the_period_has_not_ended_on_its_last_day(monkeypatch: Any) -> None:
    """The end date is the period's last day (the XBRL context's endDate, inclusive): on
    2026-03-31 the FY2025 pack (2025-04-01 to 2026-03-31) was said to have ended (review
    318); from 2026-04-01 it has."""
    import datetime as dt

    from junkan.policy import disclosure

    def on(day: dt.date) -> list[str]:
        class Today(dt.date):
            @classmethod
            def today(cls) -> dt.date:
                return day

        monkeypatch.setattr(disclosure, "date", Today)
        pack = policy.load(text=NO_WASTE)
        assert isinstance(pack, policy.Pack)
        return policy.run(pack).notes

    assert "the reporting period has not ended yet" in on(dt.date(2026, 3, 31))
    assert "the reporting period has not ended yet" not in on(dt.date(2026, 4, 1))


def test_a_package_s_names_that_would_break_the_document_are_refused(tmp_path: Path) -> None:
    """A package's targetNamespace and concept names went into the inline XBRL unchecked: a
    quote in a name or a space or '<' in the namespace made the document not well-formed, or
    changed its meaning (review 318, CLI only). Each is refused, naming it."""
    import zipfile

    import pytest

    from junkan.core.errors import ModelError
    from junkan.policy.disclosure import xbrl_map
    from tests.policy.test_disclosure import _taxonomy_zip

    specs = xbrl_map()["facts"]
    labels = {f"C{i}": s["label"] for i, s in enumerate(specs)}
    types = {f"C{i}": ("dtr-types:massItemType" if s["type"] == "mass"
                       else "dtr-types:percentItemType") for i, s in enumerate(specs)}
    good = _taxonomy_zip(tmp_path / "good.zip", labels, types)
    policy.resolve_taxonomy(good)  # the shape is right
    with zipfile.ZipFile(good) as z:
        files = {i.filename: z.read(i) for i in z.infolist()}
    xsd = next(k for k in files if k.endswith("esrs_cor.xsd"))
    files[xsd] = files[xsd].replace(b'name="C0"', b'name="C0&quot; onload=&quot;x"').replace(
        b'targetNamespace="https://xbrl.efrag.org/taxonomy/esrs/2023-12-22"',
        b'targetNamespace="urn:x&quot; xmlns:evil=&quot;y"')
    with zipfile.ZipFile(tmp_path / "bad.zip", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    with pytest.raises(ModelError) as exc:
        policy.resolve_taxonomy(tmp_path / "bad.zip")
    said = {p.path: p.message for p in exc.value.problems}
    assert said[f"facts.{specs[0]['key']}"] == (
        "the concept's name 'C0\" onload=\"x' is not an XML name")
    assert said["taxonomy"].startswith("targetNamespace 'urn:x\" xmlns:evil=\"y' is not an")
