"""Read model documents (YAML or JSON), import library templates, apply scenario overrides
and validate — every error names the file, the document path and what to do."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from junkan.data import LIBRARY_SECTIONS, library_names, load_library
from junkan.lifecycle.schema import LifecycleModel
from junkan.core.errors import ModelError, Problem, format_path

M = TypeVar("M", bound=BaseModel)

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C loader when PyYAML was built with it (same safe semantics, ~10× faster)."""

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def read_document(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a mapping; syntax errors name the line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError([Problem("", "file not found; check the path")], str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError([Problem("", f"cannot read the file: {exc}")], str(p)) from None
    return parse_document(text, source=str(p), as_json=p.suffix.lower() == ".json")


def parse_document(text: str, *, source: str = "<model>", as_json: bool = False) -> dict[str, Any]:
    """Parse YAML (a superset of JSON) text into a mapping."""
    try:
        # JSON is a subset of YAML; json.loads is much faster on large generated models
        as_json = as_json or text.lstrip().startswith("{")
        doc = json.loads(text) if as_json else yaml.load(text, Loader=_SafeLoader)
    except json.JSONDecodeError as exc:
        raise ModelError([Problem("", f"line {exc.lineno}, column {exc.colno}: invalid JSON: "
                                      f"{exc.msg}")], source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ModelError([Problem("", f"{where}invalid YAML: {what}")], source) from None
    if not isinstance(doc, dict):
        raise ModelError([Problem("", "the document must be a mapping with keys such as name, "
                                      "years, actors, materials, products")], source)
    return doc


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
            problems.append(Problem(f"uses[{i}]", f"unknown library template '{name}'; known: "
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
        raise ModelError([Problem("scenarios", f"unknown scenario '{name}'; known: "
                                  f"{', '.join(scenario_names(doc))}")], source)
    chain: list[str] = []
    cur: str | None = name
    while cur is not None:
        if cur in chain:
            raise ModelError([Problem(f"scenarios.{cur}.extends", "scenarios extend each other "
                                      "in a cycle: " + " → ".join(chain + [cur]))], source)
        if cur not in scenarios:
            raise ModelError([Problem(f"scenarios.{chain[-1]}.extends",
                                      f"unknown scenario '{cur}'")], source)
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
                                          f"'{exc.args[0]}' does not exist in the baseline")],
                                 source) from None
    return out


def _message(err: Any) -> str:
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err.get("type") == "missing":
        return "required field is missing; add it"
    if err.get("type") == "extra_forbidden":
        return "unknown field; check the spelling (see docs/schema/lifecycle-model.schema.json)"
    if err.get("type") == "literal_error":
        return msg.replace("Input should be", "must be one of")
    return msg


def validate(doc: dict[str, Any], source: str, scenario: str | None = None) -> LifecycleModel:
    """Validate a raw lifecycle document; pydantic errors become a :class:`ModelError`."""
    return validate_with(LifecycleModel, doc, source, scenario)


def validate_with(cls: type[M], doc: dict[str, Any], source: str,
                  scenario: str | None = None) -> M:
    """Validate ``doc`` as ``cls``; every pydantic error becomes a problem with its path."""
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        problems = []
        seen = set()
        for err in exc.errors():
            loc = [p for p in err["loc"] if not (isinstance(p, str) and (
                p.startswith("function-") or p in ("constant",)))]
            # drop pydantic's union / validator tags
            loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in (
                "str", "float", "int", "dict[str,float]")))]
            path = format_path(loc)
            msg = _message(err)
            if (path, msg) in seen:
                continue
            seen.add((path, msg))
            if scenario is not None:
                msg += f" (in scenario '{scenario}')"
            problems.append(Problem(path, msg))
        raise ModelError(problems, source) from None


def load(path: str | Path, scenario: str | None = None) -> tuple[dict[str, Any], LifecycleModel]:
    """Read, expand and validate a model file (baseline, or one scenario)."""
    source = str(path)
    raw = apply_library(read_document(path), source)
    name = scenario or str(raw.get("baseline_name") or "baseline")
    return raw, validate(scenario_document(raw, name, source), source,
                         None if scenario is None else name)
