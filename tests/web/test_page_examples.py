"""The Reverse chain and policy pages offer the shipped examples in one click from JSON copies in
static/examples; a copy that drifts from examples/ fails here (no browser, no server)."""

from __future__ import annotations

import json

import yaml

from tests.conftest import ROOT

STATIC_EXAMPLES = ROOT / "src" / "junkan" / "web" / "static" / "examples"


def _copy(name: str) -> dict[str, object]:
    doc: dict[str, object] = json.loads((STATIC_EXAMPLES / f"{name}.json").read_text("utf-8"))
    return doc


def test_the_metering_example_is_the_shipped_one() -> None:
    mine = _copy("metering_example")
    src = ROOT / "examples" / "metering"
    assert mine == {
        "circuits": yaml.safe_load((src / "circuits.yaml").read_text("utf-8")),
        "readings_csv": (src / "readings.csv").read_text("utf-8"),
        "scans_csv": (src / "scans.csv").read_text("utf-8"),
    }


def test_the_sample_photos_are_listed_with_their_model() -> None:
    from junkan.metering import PHOTO_MODELS

    listed = json.loads((STATIC_EXAMPLES / "metering_photos.json").read_text("utf-8"))
    models = {m.model for m in PHOTO_MODELS}
    assert {p["file"] for p in listed} == {
        p.name for p in STATIC_EXAMPLES.glob("metering_photo_*.png")
    }
    for p in listed:
        assert p["model"] in models
        assert (STATIC_EXAMPLES / p["file"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _plain(v: object) -> object:
    """YAML's dates as the ISO strings JSON carries."""
    import datetime as dt

    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v.isoformat() if isinstance(v, dt.date) else v


def _yaml(path: str) -> object:
    return _plain(yaml.safe_load((ROOT / path).read_text("utf-8")))


def test_the_policy_examples_are_the_shipped_ones() -> None:
    """Diagnosis and plan from examples/policy; the solar registry and the disclosure pack (with
    its flow model inline, as the service wants it) from the policy tests' hand-checked fixtures,
    the only ones shipped."""
    assert _copy("policy_diagnosis") == _yaml("examples/policy/diagnosis.yaml")
    assert _copy("policy_plan") == _yaml("examples/policy/plan.yaml")
    assert _copy("policy_solar") == _yaml("tests/policy/fixtures/solar.yaml")
    pack = _yaml("tests/policy/fixtures/pack.yaml")
    assert isinstance(pack, dict)
    assert _copy("policy_pack") == {**pack, "flows": _yaml("tests/policy/fixtures/flows_tiny.yaml")}
