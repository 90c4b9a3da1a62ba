"""The root CLI loads each sub-app only when its command runs (junkan.cli.lazy)."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest
import typer
from typer.core import TyperCommand
from typer.testing import CliRunner

import junkan.cli
from junkan.cli.lazy import load
from junkan.cli.main import COMMANDS, app

HEAVY = ("pint", "pandas", "scipy", "sqlalchemy", "junkan.lifecycle", "junkan.network",
         "junkan.trace", "junkan.core.quantities")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_help_line_is_the_loaded_commands_own(name: str) -> None:
    command = load(name, COMMANDS[name])
    assert command.name == name
    assert command.get_short_help_str(limit=1000) == COMMANDS[name].help


def test_every_cli_module_with_an_app_is_reachable_from_the_root() -> None:
    listed = {(entry.module, entry.attr) for entry in COMMANDS.values()}
    for info in pkgutil.iter_modules(junkan.cli.__path__):
        module = importlib.import_module(f"junkan.cli.{info.name}")
        for attr in ("app", "admin_app", "passport_app"):
            if isinstance(getattr(module, attr, None), typer.Typer) and info.name != "main":
                assert (module.__name__, attr) in listed, f"{module.__name__}.{attr} not listed"


def test_help_lists_every_command_without_importing_capabilities() -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom junkan.cli.main import app\n"
            "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
            "print(r.output)\n"
            f"print('LOADED', sorted(m for m in sys.modules if m.startswith({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.rsplit("LOADED", 1)[1].strip() == "[]"
    for name in COMMANDS:
        assert name in out


def test_a_group_and_a_top_level_command_run_through_the_root() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["network", "--help"])
    assert result.exit_code == 0 and "solve" in result.output
    assert "--install-completion" not in result.output
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and '"$schema"' in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_a_module_without_the_command_is_named() -> None:
    from junkan.cli.lazy import Lazy

    with pytest.raises(LookupError, match="junkan.cli.serve defines no command 'nope'"):
        load("nope", Lazy("junkan.cli.serve", "x"))
    assert isinstance(load("serve", COMMANDS["serve"]), TyperCommand)


def test_simulate_runs_without_the_indicators_and_pandas() -> None:
    """``junkan simulate`` (and validate) start without pandas: the indicators are imported
    by ``compare`` only (~0.3 s of CPU at every start, 2026-12-02)."""
    from tests.conftest import EXAMPLES

    model = str(EXAMPLES / "compressor_magnet.yaml")
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom junkan.cli.main import app\n"
            f"r = CliRunner().invoke(app, ['simulate', {model!r}, '--quiet'])"
            "\nassert r.exit_code == 0, r.output\n"
            "print('LOADED', sorted(m for m in sys.modules if m.split('.')[0] == 'pandas' "
            "or m.startswith('junkan.indicators')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.rsplit("LOADED", 1)[1].strip() == "[]"
