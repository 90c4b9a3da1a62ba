"""A root command group that imports each sub-app's module only when that command runs.

``junkan --help`` lists every command from the one-line help kept in
:data:`junkan.cli.main.COMMANDS`, without importing the capabilities (pint, pandas, scipy,
SQLAlchemy …); ``junkan network solve …`` imports :mod:`junkan.cli.network` and none of the
other sub-apps. ``tests/cli/test_lazy.py`` checks that each help line there is the loaded
command's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

# typer carries its own copy of click (typer._click); the commands here are typer's
Command = TyperCommand | TyperGroup


@dataclass(frozen=True)
class Lazy:
    """One command of the root app: the module whose ``app`` holds it, and its help line.

    ``group`` is True for a command group (``junkan network …``: the module's whole ``app``);
    False for a command that the module's ``app`` defines at the top level
    (``junkan simulate``).
    """

    module: str
    help: str
    group: bool = False
    attr: str = "app"


class LazyGroup(TyperGroup):
    """Root group: :attr:`lazy` commands are imported on first use; help lists them unloaded."""

    lazy: dict[str, Lazy] = {}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(name for name in self.lazy if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in self.commands or cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        entry = self.lazy[cmd_name]
        if self._listing:
            return TyperCommand(cmd_name, help=entry.help, short_help=entry.help)
        command = load(cmd_name, entry)
        self.commands[cmd_name] = command
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with self.listing():
            super().format_help(ctx, formatter)

    @contextmanager
    def listing(self) -> Iterator[None]:
        """While inside, unloaded commands are placeholders carrying their help line."""
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


def load(name: str, entry: Lazy) -> Command:
    """Import ``entry.module`` and return the click command ``name`` from its ``app``."""
    sub_app: typer.Typer = getattr(importlib.import_module(entry.module), entry.attr)
    group = typer.main.get_group(sub_app)
    if entry.group:
        group.name = name
        return group
    command = group.commands.get(name)
    if not isinstance(command, TyperCommand | TyperGroup):
        raise LookupError(f"{entry.module} defines no command {name!r}")
    return command
