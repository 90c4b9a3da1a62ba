"""The lifetime distributions of the model format (products, second lives, parts)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, ModelWrapValidatorHandler, model_validator

from junkan.core.base import boolean_number
from junkan.core.errors import refusal
from junkan.lifecycle.schema_types import Duration, Strict

__all__ = ["Lifetime"]


def _lifetime_rule(kinds: tuple[str, ...], need: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema: a lifetime of ``kinds`` gives exactly the parameters ``need``."""
    others = [n for n in ("mean", "std", "scale", "shape") if n not in need]
    return {
        "if": {"properties": {"distribution": {"enum": list(kinds)}}},
        "then": {
            "required": list(need),
            "properties": {
                **{n: {"not": {"type": "null"}} for n in need},
                **{n: {"type": "null"} for n in others},
            },
        },
    }


class Lifetime(Strict):
    """A lifetime distribution. New products enter use mid-year (as flodym's default
    ``inflow_at='middle'``), reused products at year end; a part's clock starts when its
    product enters use and again at each replacement.

    ``fixed``: ``mean``; ``normal`` / ``lognormal``: ``mean`` and ``std`` (of the lifetime itself);
    ``weibull``: ``scale`` and ``shape``."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                _lifetime_rule(("fixed",), ("mean",)),
                _lifetime_rule(("normal", "lognormal"), ("mean", "std")),
                _lifetime_rule(("weibull",), ("scale", "shape")),
            ]
        }
    )

    distribution: Literal["fixed", "normal", "lognormal", "weibull"]
    """The distribution family."""
    mean: Duration | None = None
    """Mean lifetime (``fixed``, ``normal``, ``lognormal``), e.g. ``"12 year"``."""
    std: Duration | None = None
    """Standard deviation of the lifetime (``normal``, ``lognormal``)."""
    scale: Duration | None = None
    """Weibull scale, e.g. ``"14 year"``."""
    shape: float | None = Field(default=None, gt=0, le=1e3)
    """Weibull shape (dimensionless, above 0)."""

    @model_validator(mode="wrap")
    @classmethod
    def _params(cls, data: Any, handler: ModelWrapValidatorHandler[Lifetime]) -> Lifetime:
        # a boolean shape (read as 1) is refused here, in the call each lifetime makes anyway
        # (see junkan.core.base.Plain)
        if type(data) is dict and type(data.get("shape")) is bool:
            raise boolean_number(cls, ("shape",), data["shape"])
        self = handler(data)
        need = {
            "fixed": ("mean",),
            "normal": ("mean", "std"),
            "lognormal": ("mean", "std"),
            "weibull": ("scale", "shape"),
        }[self.distribution]
        missing = [n for n in need if getattr(self, n) is None]
        if missing:
            raise refusal("lifetime-needs", "a {distribution} lifetime needs {fields} (e.g. "
                          "mean: '12 year')", distribution=self.distribution,
                          fields=", ".join(missing))
        extra = [
            n
            for n in ("mean", "std", "scale", "shape")
            if n not in need and getattr(self, n) is not None
        ]
        if extra:
            raise refusal("lifetime-takes", "a {distribution} lifetime takes {fields}, not "
                          "{extra}", distribution=self.distribution, fields=", ".join(need),
                          extra=", ".join(extra))
        return self
