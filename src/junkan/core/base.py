"""Base of the input schemas shared by every capability."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A schema in which unknown keys are errors (they are usually typos) and NaN or ±infinity
    is refused in every float field (``allow_inf_nan=False``), with the field's path."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
