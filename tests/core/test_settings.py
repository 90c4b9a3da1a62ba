"""Settings read from environment variables (:mod:`junkan.core.settings`)."""

from __future__ import annotations

import subprocess
import sys
from typing import ClassVar, Literal

import pytest
from pydantic import Field, ValidationError

from junkan.core.limits import Limits
from junkan.core.settings import EnvSettings
from junkan.store.db import Settings


class _Demo(EnvSettings):
    env_prefix: ClassVar[str] = "JUNKAN_DEMO_"

    workers: int = Field(default=2, ge=1)
    flag: bool = False
    name: str | None = None
    mode: Literal["a", "b"] = "a"


def test_fields_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNKAN_DEMO_WORKERS", "7")
    monkeypatch.setenv("junkan_demo_flag", "true")  # any case, as before
    monkeypatch.setenv("JUNKAN_DEMO_MODE", "b")
    monkeypatch.setenv("JUNKAN_DEMO_COLOUR", "red")  # not a field: not read
    s = _Demo()
    assert (s.workers, s.flag, s.name, s.mode) == (7, True, None, "b")
    assert _Demo(workers=3).workers == 3  # given values win


def test_a_bad_value_names_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNKAN_DEMO_WORKERS", "0")
    with pytest.raises(ValidationError, match="workers"):
        _Demo()
    monkeypatch.setenv("JUNKAN_DEMO_WORKERS", "many")
    with pytest.raises(ValidationError, match="workers"):
        _Demo()
    with pytest.raises(ValidationError, match="colour"):
        _Demo(colour="red")


def test_the_kernels_settings_read_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUNKAN_LIMIT_SCENARIOS", "5")
    monkeypatch.setenv("JUNKAN_WORKERS", "3")
    monkeypatch.setenv("JUNKAN_PRODUCTION", "1")
    assert Limits().scenarios == 5
    s = Settings()
    assert (s.workers, s.production) == (3, True)
    with pytest.raises(ValidationError):
        Limits().scenarios = 6  # frozen, as before


def test_a_command_does_not_import_pydantic_settings() -> None:
    code = ("import sys, junkan.lifecycle, junkan.core.outbound, junkan.core.budget; "
            "print('pydantic_settings' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
