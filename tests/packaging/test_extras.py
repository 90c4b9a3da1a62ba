"""Packaging: a small core and optional extras (pyproject.toml, ``junkan.core.extras``).

- pyproject's core holds no service, database, Dask, map or OpenCV dependency;
- ``junkan.core.extras`` names, for each extra, modules its distributions really provide;
- with every module that only an extra brings made unimportable, ``import junkan``, the CLI's
  help, ``validate`` and ``compare`` still work, and commands that need an extra exit with one
  line naming it (``pip install 'junkan[service]'``) instead of a traceback.

The installed environment is the test suite's (``.[dev,bench]``: every extra); what a core-only
install lacks is simulated by blocking imports. ``make check-core`` does the same in a real
core-only venv.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from junkan.core.extras import EXTRAS, MODULE_EXTRA, MissingExtra, missing_extra, require

ROOT = Path(__file__).resolve().parents[2]
requirements = pytest.importorskip("packaging.requirements")


@cache
def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _closure(reqs: list[str], extras: frozenset[str] = frozenset()) -> set[str]:
    """Installed distributions (normalised names) needed by ``reqs``, transitively; junkan's
    own extras (``junkan[service]``) are expanded from pyproject."""
    found: set[str] = set()
    todo = [(r, "") for r in reqs]
    opt = _project()["optional-dependencies"]
    while todo:
        text, extra = todo.pop()
        req = requirements.Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = _norm(req.name)
        if name == "junkan":
            todo += [(r, "") for e in req.extras for r in opt[e]]
            continue
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in found:
            continue
        found.add(key)
        try:
            dist_reqs = _requires(req.name)
        except md.PackageNotFoundError:
            continue
        for r in dist_reqs:
            for e in [""] + sorted(req.extras):
                todo.append((r, e))
    return {k.split("[")[0] for k in found}


def _extra_closure(*extras: str) -> set[str]:
    opt = _project()["optional-dependencies"]
    return _closure([r for e in extras for r in opt[e]])


def _core_closure() -> set[str]:
    return _closure(list(_project()["dependencies"]))


@cache
def _installed() -> dict[str, list[str]]:
    """Top-level module → installed distributions providing it (read once: a full scan)."""
    return dict(md.packages_distributions())


@cache
def _requires(name: str) -> list[str]:
    return md.requires(name) or []


def _top_level_modules(dists: set[str]) -> set[str]:
    """Top-level import names provided by the installed distributions ``dists``."""
    return {mod for mod, owners in _installed().items()
            if any(_norm(o) in dists for o in owners) and mod.isidentifier()}


def test_core_is_small_and_extras_are_complete() -> None:
    core = {_norm(requirements.Requirement(r).name) for r in _project()["dependencies"]}
    opt = _project()["optional-dependencies"]
    assert {"numpy", "scipy", "pandas", "pyarrow", "pydantic", "pint", "pyyaml", "typer",
            "rich", "plotly"} <= core
    assert "pydantic-settings" not in core  # 0.3 s of import at every start: core.settings
    heavy = {"fastapi", "uvicorn", "httptools", "uvloop", "sqlalchemy", "alembic",
             "argon2-cffi", "python-multipart", "fastapi-offline", "psycopg", "dask",
             "matplotlib", "japanmap", "opencv-python", "flodym", "ema-workbench"}
    assert not core & heavy
    assert set(opt) == set(EXTRAS) | {"all", "dev"}  # each extra is in the table
    (everything_but_bench,) = opt["all"]
    assert everything_but_bench.startswith("junkan[")
    assert set(everything_but_bench[7:-1].split(",")) == set(EXTRAS) - {"bench"}
    assert not {"salib", "paho-mqtt", "olca-schema"} & core  # the new extras stay out of core
    assert "junkan[all]" in opt["dev"]
    everything = " ".join(_project()["dependencies"] + [r for v in opt.values() for r in v])
    assert "japanmap" not in everything
    # OpenCV (~100-190 MB) only for those who install the vision extra
    assert [k for k, v in opt.items() for r in v if "opencv" in r] == ["vision"]
    assert not any("opencv" in r for r in _project()["dependencies"])
    assert _project()["scripts"]["junkan"] == "junkan.__main__:main"


def test_extras_table_names_modules_of_that_extra_only() -> None:
    core = _core_closure()
    for extra, modules in EXTRAS.items():
        mine = _extra_closure(extra) - core
        provided = _top_level_modules(mine)
        for module in modules:
            if module not in _installed():
                pytest.skip(f"{module} (extra {extra}) is not installed here")
            assert module in provided, f"{module}: not provided by the '{extra}' extra's " \
                                       f"own distributions {sorted(mine)}"


def _blocked_modules() -> list[str]:
    """Every top-level module only an extra (or the dev/bench tools) brings, plus OpenCV;
    not setuptools, which a venv may hold anyway (and whose .pth hook loads at start-up)."""
    extra_only = _extra_closure("dev", "bench") - _core_closure() - {"setuptools"}
    return sorted(_top_level_modules(extra_only) | {"japanmap", "cv2"})


BLOCKER = r"""
import contextlib, io, json, sys

BLOCKED = set(json.loads(sys.argv[1]))
assert not BLOCKED & {m.split(".")[0] for m in sys.modules}, "imported before blocking"


class Hide:
    # a finder that does not find the blocked modules: ``import`` raises ModuleNotFoundError
    # and ``importlib.util.find_spec`` returns None, as when they are not installed

    def __init__(self, inner):
        self.inner = inner

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return None
        return self.inner.find_spec(name, path, target)

    def __getattr__(self, attr):
        return getattr(self.inner, attr)


sys.meta_path[:] = [Hide(f) for f in sys.meta_path]
import junkan
from junkan.__main__ import main

results = []
for argv in json.loads(sys.argv[2]):
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["junkan", *argv]
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    results.append({"argv": argv, "code": code, "out": out.getvalue(), "err": err.getvalue()})
loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
print(json.dumps({"results": results, "loaded": loaded}))
"""


def test_core_commands_run_without_extras(tmp_path: Path) -> None:
    blocked = _blocked_modules()
    assert {"fastapi", "uvicorn", "sqlalchemy", "dask", "matplotlib", "psycopg"} <= set(blocked)
    model = str(ROOT / "examples" / "atm_reuse.yaml")
    causal = str(ROOT / "examples" / "japan_ce.yaml")
    commands = [["--help"], ["validate", model], ["compare", model, "--format", "json"],
                ["serve"],
                ["foresight", "run", causal, "--n", "100", "--backend", "dask",
                 "--out", str(tmp_path / "fd")]]
    proc = subprocess.run([sys.executable, "-c", BLOCKER, json.dumps(blocked),
                           json.dumps(commands)], capture_output=True, text=True, cwd=tmp_path,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout.strip().splitlines()[-1])
    help_, validate, compare, serve, dask = doc["results"]
    assert help_["code"] == 0 and "compare" in help_["out"]
    assert validate["code"] == 0 and "ok" in validate["out"], validate
    assert compare["code"] == 0, compare
    assert json.loads(compare["out"])["model"] == "atm_reuse"
    assert serve["code"] == 1, serve
    # the first module of the extra it imports (the app, before uvicorn since the address is
    # bound before the app starts)
    assert serve["err"].strip() == ("error: this command needs the 'service' extra (module "
                                    "'fastapi' is not installed): pip install 'junkan[service]'")
    assert dask["code"] == 1 and "pip install 'junkan[distributed]'" in dask["err"], dask
    assert doc["loaded"] == []


def test_missing_extra_names_the_extra_of_each_module(monkeypatch: pytest.MonkeyPatch) -> None:
    # review: a missing submodule of an *installed* package is no missing extra (it said
    # "module 'xarray' is not installed" with xarray installed)
    installed = ModuleNotFoundError("No module named 'numpy.zz'", name="numpy.zz")
    assert missing_extra(installed) is None
    pytest.importorskip("yaml")
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if not installed
    from junkan.core import extras

    monkeypatch.setitem(extras.MODULE_EXTRA, "yaml", "test")
    assert missing_extra(ModuleNotFoundError("no", name="yaml.sub")) == ("test", "yaml")
    monkeypatch.setattr(extras, "_absent", lambda module: True)  # every extra absent
    for module, extra in MODULE_EXTRA.items():
        err = ModuleNotFoundError(f"No module named '{module}.sub'", name=f"{module}.sub")
        assert missing_extra(err) == (extra, module)
    try:
        try:
            raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
        except ModuleNotFoundError as inner:
            raise RuntimeError("map failed") from inner
    except RuntimeError as outer:
        assert missing_extra(outer) == ("maps", "matplotlib")
    assert missing_extra(ModuleNotFoundError("x", name="no_such_module_xyz")) is None
    assert missing_extra(ImportError("cannot import name 'x'")) is None


def test_cli_wrapper_turns_only_extra_modules_into_one_line(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import junkan.cli.main as cli
    from junkan.__main__ import main

    def needs(module: str) -> Callable[[], None]:
        def app() -> None:
            raise ModuleNotFoundError(f"No module named '{module}'", name=module)

        return app

    monkeypatch.setattr(cli, "app", needs("psycopg"))
    monkeypatch.setitem(sys.modules, "psycopg", None)  # not installed, as the error says
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 1
    assert "pip install 'junkan[postgres]'" in capsys.readouterr().err
    monkeypatch.setattr(cli, "app", needs("no_such_module_xyz"))
    with pytest.raises(ModuleNotFoundError):
        main()


def test_require_checks_a_whole_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "alembic" else real(name, *a))
    with pytest.raises(MissingExtra, match=r"pip install 'junkan\[service\]'") as err:
        require("service")
    assert err.value.extra == "service" and err.value.name == "alembic"
