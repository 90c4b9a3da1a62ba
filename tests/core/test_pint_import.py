"""Starting junkan does not import Dask through pint (:mod:`junkan.core.pint_import`)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    return out.stdout.strip()


def test_loading_a_model_does_not_import_dask() -> None:
    """Past cost: pint.compat imported dask.base (0.27 s) at every command's start."""
    pytest.importorskip("dask")
    said = _run("import sys, junkan.lifecycle, junkan.cli.main; "
                "from junkan.core import parse_quantity; parse_quantity('5 kg'); "
                "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith('dask.')))")
    assert said == "[]"


def test_dask_stays_importable_and_units_still_convert() -> None:
    pytest.importorskip("dask")
    said = _run("import junkan.core as c, dask, dask.array as da; "
                "print(c.to_unit('2 t', 'kg'), int(da.ones(3).sum().compute()))")
    assert said == "2000.0 3"


def test_dask_imported_first_is_left_as_pint_finds_it() -> None:
    pytest.importorskip("dask")
    said = _run("import dask, junkan.core, pint.compat; print(pint.compat.HAS_DASK)")
    assert said == "True"
