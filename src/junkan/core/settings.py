"""Settings read from environment variables.

A :class:`EnvSettings` is a pydantic model whose fields not given when it is made are read
from the environment variables ``<env_prefix><FIELD>`` (any case), validated as pydantic
validates any input (``"20"`` is the integer 20, ``"true"``/``"1"`` a true flag), so a bad
value is refused with the field's name. It replaces pydantic-settings, which took about 0.3 s
to import, in every command, for what is one loop over the fields here.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

__all__ = ["EnvSettings"]


class EnvSettings(BaseModel):
    """A model whose fields default to environment variables ``env_prefix + FIELD``."""

    model_config = ConfigDict(extra="forbid")

    env_prefix: ClassVar[str] = ""
    """The variables' prefix, e.g. ``"JUNKAN_LIMIT_"``."""

    def __init__(self, **values: Any) -> None:
        """``values`` given here win over the environment."""
        prefix = self.env_prefix.upper()
        env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(prefix)}
        for name in type(self).model_fields:
            key = prefix + name.upper()
            if name not in values and key in env:
                values[name] = env[key]
        super().__init__(**values)
