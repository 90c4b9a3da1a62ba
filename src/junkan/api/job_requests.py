"""The call of a background job as a JSON document, kept in the store while the job is
unfinished (:class:`~junkan.store.tables.AnalysisRequest`) so that a restart runs it again.

A call is its job function, named ``module:name`` (only one of :data:`JOB_FUNCTIONS` is
ever called back), and its positional arguments in JSON with three
tags: ``{"$bytes": base64}`` for bytes (images), ``{"$tuple": [...]}`` for a tuple, and
``{"$dict": {...}}`` for a mapping with a key beginning ``$`` (so that a spec's own keys are
never read as tags). Arguments of any other type, non-finite numbers, or a document over
:data:`MAX_REQUEST_BYTES` make no request: such a job is not resumed, and a restart fails it
as interrupted, as before.
"""

from __future__ import annotations

import base64
import importlib
import json
import math
from collections.abc import Callable
from typing import Any

JOB_FUNCTIONS = frozenset({
    "junkan.api.work:analysis_job", "junkan.api.work:network_job",
    "junkan.api.work:network_periods_job", "junkan.api.work:foresight_analyse_job",
    "junkan.api.routers.nature:nature_job", "junkan.api.routers.vision:predict_job",
    "junkan.api.routers.vision:evaluate_job", "junkan.api.routers.sensing:sensing_run_job",
    "junkan.api.routers.sensing:sensing_evaluate_job"})
"""The job functions a kept request may name: those the service starts as background jobs
(``background.start``; a test checks the list against its calls), nothing else — not any
``*_job`` of the service (review 265: a route handler or a signing job could be named)."""

MAX_REQUEST_BYTES = 32 * 2**20
"""Largest request kept: request bodies are at most 16 MiB, and base64 adds a third."""


class Unrepresentable(ValueError):
    """An argument that the request's JSON cannot hold exactly."""


def encode(fn: Callable[..., Any], args: tuple[Any, ...]) -> dict[str, Any] | None:
    """The request of ``fn(*args)``, or ``None`` when it cannot be kept (see the module)."""
    name = f"{fn.__module__}:{fn.__qualname__}"
    try:
        doc = {"fn": name, "args": [_enc(a) for a in args]}
        resolve(name)
        size = len(json.dumps(doc, allow_nan=False))
    except (Unrepresentable, LookupError, ValueError, RecursionError):
        return None
    return doc if size <= MAX_REQUEST_BYTES else None


def decode(doc: dict[str, Any]) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """The job function and arguments of a request :func:`encode` made; ``LookupError`` for
    one naming no job function, ``ValueError`` for one that is not such a document."""
    if not isinstance(doc, dict) or not isinstance(doc.get("args"), list):
        raise ValueError("not a job request")
    return resolve(str(doc.get("fn"))), tuple(_dec(a) for a in doc["args"])


def resolve(name: str) -> Callable[..., Any]:
    """The job function named ``module:name``, one of :data:`JOB_FUNCTIONS` and nothing
    else (the store is data, not a list of things to call)."""
    if name not in JOB_FUNCTIONS:
        raise LookupError(f"{name!r} is no job function")
    module, _, attr = name.partition(":")
    fn = getattr(importlib.import_module(module), attr, None)
    if not callable(fn):
        raise LookupError(f"{name!r} is no job function")
    return fn


def _enc(x: Any) -> Any:
    if x is None or isinstance(x, (str, bool, int)):
        return x
    if isinstance(x, float):
        if not math.isfinite(x):
            raise Unrepresentable("a number that is not finite")
        return x
    if isinstance(x, bytes):
        return {"$bytes": base64.b64encode(x).decode("ascii")}
    if isinstance(x, tuple):
        return {"$tuple": [_enc(v) for v in x]}
    if isinstance(x, list):
        return [_enc(v) for v in x]
    if isinstance(x, dict):
        if not all(isinstance(k, str) for k in x):
            raise Unrepresentable("a mapping with keys that are not text")
        out = {k: _enc(v) for k, v in x.items()}
        return {"$dict": out} if any(k.startswith("$") for k in x) else out
    raise Unrepresentable(f"an argument of type {type(x).__name__}")


def _dec(x: Any) -> Any:
    if isinstance(x, list):
        return [_dec(v) for v in x]
    if not isinstance(x, dict):
        return x
    if len(x) == 1:
        (tag, value), = x.items()
        if tag == "$bytes":
            return base64.b64decode(value, validate=True)
        if tag == "$tuple":
            return tuple(_dec(v) for v in value)
        if tag == "$dict":
            return {k: _dec(v) for k, v in value.items()}
    return {k: _dec(v) for k, v in x.items()}
