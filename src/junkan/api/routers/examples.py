"""The shipped examples, offered in one click on every capability page: ``GET /api/examples``
lists them (name, kind, title) and ``GET /api/examples/{name}`` gives one's document."""

from __future__ import annotations

import functools
from typing import Annotated

import yaml
from fastapi import Path, Response

from junkan.api.auth import CurrentUser
from junkan.api.common import NOT_FOUND
from junkan.api.request_json import strict_router
from junkan.api.routers.models import DOCUMENT

router = strict_router()

EXAMPLES = {
    "atm_reuse": "lifecycle",
    "compressor_magnet": "lifecycle",
    "network_elv_japan": "network",
    "network_solar_periods": "network.periods",
    "network_periods_shift": "network.periods",
    "japan_ce": "foresight",
}
"""Shipped top-level examples offered in one click: lifecycle models (templates of new
models), the network planner's scenarios and the foresight model."""
EXAMPLE_FOLDERS = {
    "market": "market",
    "soil": "market.soil",
    "sensing": "sensing",
    "uncertainty": "lifecycle.uncertainty",
    "optimise": "lifecycle.optimise",
    "policy": "policy",
    "network_cases": "network",
    "alloys": "alloys",
    "metering": "metering",
}
"""Example folders (``folder/name``, every YAML file in it) and the kind they are of."""


@functools.cache
def shipped_examples() -> dict[str, str]:
    """Every shipped example: name (``atm_reuse``, ``sensing/jam_and_gas``) → kind."""
    from importlib import resources

    root = resources.files("junkan.data") / "examples"
    out = dict(EXAMPLES)
    for folder, kind in EXAMPLE_FOLDERS.items():
        for item in sorted((root / folder).iterdir(), key=lambda f: f.name):
            if item.name.endswith(".yaml"):
                out[f"{folder}/{item.name.removesuffix('.yaml')}"] = kind
    return out


@functools.cache
def example_text(name: str) -> str:
    from importlib import resources

    return (resources.files("junkan.data") / "examples" / f"{name}.yaml").read_text("utf-8")


@functools.cache
def _example_title(name: str) -> str:
    """The document's English ``title`` (or its ``name``), else the example's name."""
    doc = yaml.load(example_text(name), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    for key in ("title", "name"):
        value = doc.get(key) if isinstance(doc, dict) else None
        if isinstance(value, dict):
            value = value.get("en")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return name


@router.get("/api/examples", tags=["models"])
def examples(user: CurrentUser) -> list[dict[str, str]]:
    """The shipped examples: name, kind (``lifecycle``, ``network``, ``market``, ``sensing``,
    ``lifecycle.uncertainty``, …) and title; ``GET /api/examples/{name}`` gives one."""
    return [
        {"name": name, "kind": kind, "title": _example_title(name)}
        for name, kind in shipped_examples().items()
    ]


@router.get(
    "/api/examples/{name:path}",
    tags=["models"],
    response_class=Response,
    responses={200: {"content": {"application/yaml": DOCUMENT}}},
)
def example(name: Annotated[str, Path(max_length=100)], user: CurrentUser) -> Response:
    """A shipped example's document (YAML)."""
    if name not in shipped_examples():
        raise NOT_FOUND
    return Response(example_text(name), media_type="application/yaml; charset=utf-8")
