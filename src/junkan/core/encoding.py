"""JSON encoding of results shared by every capability and edge."""

from __future__ import annotations

from typing import Any

import numpy as np


def jsonable(v: Any) -> Any:
    """Plain JSON types from numpy scalars/arrays, tuples and nested containers; NaN and
    infinities become ``null`` (JSON has no spelling for them)."""
    if isinstance(v, dict):
        return {k: jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return None
    return v
