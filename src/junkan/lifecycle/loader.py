"""Read model documents (YAML or JSON), import library templates, apply scenario overrides
and validate — every error names the file, the document path and what to do."""

from __future__ import annotations

import copy
import re
from typing import Any

from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem, format_path, short
from junkan.data import LIBRARY_SECTIONS, library_names, load_library
from junkan.lifecycle.schema import LifecycleModel

# parse_document, read_document and validate_with are re-exported for callers of the old
# names; new code imports them from junkan.core.documents.
__all__ = ["apply_library", "parse_document", "read_document", "scenario_document",
           "scenario_names", "set_path", "validate", "validate_with"]

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def apply_library(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """Merge the templates named in ``uses`` into ``doc`` (the model's own entries win)."""
    uses = doc.get("uses") or []
    if not isinstance(uses, list):
        raise ModelError([Problem("uses", "give a list of template names, e.g. [transport_japan]")],
                         source)
    out = dict(doc)  # only top-level sections are replaced, never mutated
    problems = []
    for i, name in enumerate(uses):
        try:
            lib = load_library(str(name))
        except KeyError:
            problems.append(Problem(f"uses[{i}]", f"unknown library template {short(name)}; known: "
                                    f"{', '.join(library_names())}"))
            continue
        for section in LIBRARY_SECTIONS:
            merged = dict(lib.get(section) or {})
            own = out.get(section)
            if isinstance(own, dict):
                merged.update(own)
            if merged:
                out[section] = merged
    if problems:
        raise ModelError(problems, source)
    return out


def _tokens(path: str) -> list[str | int]:
    pos, out = 0, []
    for m in _TOKEN.finditer(path):
        if m.start() != pos and path[pos:m.start()] != ".":
            raise ValueError(path)
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path) or not out:
        raise ValueError(path)
    return out


def set_path(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at document ``path`` (``products.x.maintenance[0].collection.rate``);
    missing mapping levels are created."""
    tokens = _tokens(path)
    node: Any = doc
    for i, tok in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if isinstance(tok, int):
            if not isinstance(node, list) or tok >= len(node):
                raise KeyError(format_path(tokens[: i + 1]))
            node = node[tok]
        else:
            if not isinstance(node, dict):
                raise KeyError(format_path(tokens[: i + 1]))
            if tok not in node or node[tok] is None:
                if isinstance(nxt, int):
                    raise KeyError(format_path(tokens[: i + 1]))
                node[tok] = {}
            node = node[tok]
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise KeyError(path)
        node[last] = value
    else:
        if not isinstance(node, dict):
            raise KeyError(path)
        node[last] = value


def scenario_names(doc: dict[str, Any]) -> list[str]:
    """Baseline first, then the scenarios in document order."""
    base = str(doc.get("baseline_name") or "baseline")
    scen = doc.get("scenarios") or {}
    return [base] + [n for n in scen if n != base] if isinstance(scen, dict) else [base]


def scenario_document(doc: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """The baseline document with scenario ``name``'s overrides applied."""
    base = str(doc.get("baseline_name") or "baseline")
    if name == base:
        return doc
    scenarios = doc.get("scenarios") or {}
    if name not in scenarios:
        raise ModelError([Problem("scenarios", f"unknown scenario {short(name)}; known: "
                                  f"{', '.join(scenario_names(doc))}")], source)
    chain: list[str] = []
    cur: str | None = name
    while cur is not None:
        if cur in chain:
            raise ModelError([Problem(f"scenarios.{cur}.extends", "scenarios extend each other "
                                      "in a cycle: " + " → ".join(chain + [cur]))], source)
        if cur not in scenarios:
            raise ModelError([Problem(f"scenarios.{chain[-1]}.extends",
                                      f"unknown scenario {short(cur)}")], source)
        chain.append(cur)
        cur = (scenarios[cur] or {}).get("extends")
    out = copy.deepcopy(doc)
    for scen in reversed(chain):
        overrides = (scenarios[scen] or {}).get("set") or {}
        if not isinstance(overrides, dict):
            raise ModelError([Problem(f"scenarios.{scen}.set", "give a mapping of document "
                                      "paths to values")], source)
        for key, value in overrides.items():
            try:
                set_path(out, key, copy.deepcopy(value))
            except ValueError:
                raise ModelError([Problem(f"scenarios.{scen}.set.{key}", "not a document path; "
                                          "write e.g. products.compressor.eol.collection.rate")],
                                 source) from None
            except KeyError as exc:
                raise ModelError([Problem(f"scenarios.{scen}.set.{key}",
                                          f"{short(exc.args[0])} does not exist in the baseline")],
                                 source) from None
    return out


def validate(doc: dict[str, Any], source: str, scenario: str | None = None) -> LifecycleModel:
    """Validate a raw lifecycle document; pydantic errors become a :class:`ModelError`."""
    return validate_with(LifecycleModel, doc, source, scenario)
