"""The worked example of docs/foresight.md runs as the page says: the YAML block loads and
the analysis finds the take-back lever in 2034, at k = auto and at k = 9."""

from __future__ import annotations

import re

import pytest

from junkan import foresight
from tests.conftest import ROOT


@pytest.mark.slow
def test_the_worked_example_of_the_docs_finds_its_lever() -> None:
    page = (ROOT / "docs" / "foresight.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(junkan_foresight: 1\nname: policy_switch\n.*?)```", page,
                      flags=re.S)
    assert block, "the worked example's YAML block is missing from docs/foresight.md"
    ens = foresight.run(foresight.load(text=block.group(1), source="policy_switch.yaml"),
                        3000, seed=0)
    for k in ("auto", 9):
        res = foresight.analyse(ens, k, transitions_every=9)
        real = [m for m in res.tree if m["branch_year"] is not None]
        assert [(m["branch_year"], m["driver"], m["driver_kind"]) for m in real] == [
            (2034, "takeback", "lever")]
        assert real[0] is res.tree[-1]
    assert res.k == 9
