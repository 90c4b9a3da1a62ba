"""The base-indicator catalogue, read-only: the 45 indicators (#1–#5 representative, METI's
Circular Partners set #1–#31 and 14 additions) with both names and their level, the IN/OUT
relations of the five representative indicators, and the source and reading notes, all as
shipped in ``junkan/data/indicator_catalogue.yaml``. Nothing is computed here: the document
is the data file, checked once and cached."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from junkan.api.auth import CurrentUser
from junkan.api.request_json import strict_router

router = strict_router(tags=["indicators"])

RELATIONS = ("IN", "OUT", "none", "unknown")


DATA_FILE = "indicator_catalogue.yaml"


@lru_cache(maxsize=1)
def catalogue_document() -> dict[str, Any]:
    """The shipped catalogue as the API answers it (read once)."""
    text = (resources.files("junkan.data") / DATA_FILE).read_text("utf-8")
    return parse_catalogue(yaml.safe_load(text), f"junkan/data/{DATA_FILE}")


def parse_catalogue(raw: Any, where: str) -> dict[str, Any]:
    """The catalogue document from the data file's content; a malformed file fails loudly,
    naming the file and the entry."""
    if (
        not isinstance(raw, dict)
        or not isinstance(raw.get("indicators"), list)
        or not isinstance(raw.get("relations"), dict)
    ):
        raise ValueError(f"{where}: needs a list 'indicators' and a mapping 'relations'")
    indicators = []
    for i, e in enumerate(raw["indicators"]):
        if not {"number", "ja", "en", "level"} <= set(e):
            raise ValueError(f"{where}: indicators[{i}] needs number, ja, en and level")
        indicators.append(
            {
                "number": int(e["number"]),
                "en": str(e["en"]),
                "ja": str(e["ja"]),
                "level": str(e["level"]),
                "level_inferred": bool(e.get("level_inferred", False)),
                "representative": int(e["number"]) <= 5,
                "note": e.get("note"),
            }
        )
    numbers = {e["number"] for e in indicators}
    relations: dict[str, dict[str, str]] = {}
    for rep, cells in raw["relations"].items():
        row = {}
        for other, rel in cells.items():
            if rel not in RELATIONS or int(other) not in numbers or int(rep) not in numbers:
                raise ValueError(
                    f"{where}: relations.{rep}.{other}: {rel!r} is not one of "
                    f"{', '.join(RELATIONS)} between known indicators"
                )
            row[str(int(other))] = rel
        relations[str(int(rep))] = row
    return {
        "source": raw.get("source"),
        "read": str(raw.get("read")),
        "levels_note": raw.get("levels_note"),
        "relations_note": raw.get("relations_note"),
        "indicators": indicators,
        "relations": relations,
    }


@router.get("/api/indicators/catalogue")
def indicator_catalogue(user: CurrentUser) -> dict[str, Any]:
    """The 45 base indicators and the IN/OUT relations of #1–#5 (IN: the indicator drives
    the representative one; OUT: the representative one affects it), with source and notes."""
    return catalogue_document()
