"""The solar registry shown in docs/policy.md §4 is the file its commands run on
(``tests/policy/fixtures/solar.yaml``): a guide review found a cut-down block with another
handover date (2029-08-01 against 2025-08-01) and without PV-B, I2, I3 or the treatment."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT


def test_the_guides_block_is_the_fixture() -> None:
    page = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(kind: solar_registry\n.*?)```", page, flags=re.S)
    assert block, "the solar registry's YAML block is missing from docs/policy.md"
    fixture = ROOT / "tests" / "policy" / "fixtures" / "solar.yaml"
    assert yaml.safe_load(block.group(1)) == yaml.safe_load(fixture.read_text(encoding="utf-8"))
