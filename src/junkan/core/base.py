"""Base of the input schemas shared by every capability."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A schema in which unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid")
