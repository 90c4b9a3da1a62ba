"""Read model documents (YAML or JSON), import library templates, apply scenario overrides
and validate — every error names the file, the document path and what to do."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from junkan.core.documents import (
    data_problem,
    parse_document,
    read_document,
    too_deep,
    validate_with,
)
from junkan.core.errors import ModelError, Problem, coded, format_path, listed, short
from junkan.core.limits import Limits, limits
from junkan.data import LIBRARY_SECTIONS, library_names, load_library
from junkan.lifecycle.part_table import PartTable, read_parts
from junkan.lifecycle.schema import (
    Actor,
    LifecycleModel,
    Material,
    Mode,
    Part,
    Process,
    Product,
)

# parse_document, read_document and validate_with are re-exported for callers of the old
# names; new code imports them from junkan.core.documents.
__all__ = ["ENTRY_SECTIONS", "apply_library", "check_overrides", "in_scenario", "key_in",
           "parse_document", "read_document", "scenario_document", "scenario_names",
           "scenario_paths", "set_path", "validate", "validate_changed", "validate_with",
           "with_parts"]

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
            problems.append(coded(f"uses[{i}]", "unknown-template", "unknown library template "
                                  "{name}; known: {known}", name=short(name),
                                  known=listed(library_names())))
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


def path_tokens(path: str) -> list[str | int]:
    """The keys and list positions of a document path (``products.x.maintenance[0].rate`` →
    ``products``, ``x``, ``maintenance``, 0, ``rate``); ValueError if it is not one (an empty
    name, as in ``a..b`` or a trailing dot, or stray brackets)."""
    pos, out = 0, []
    for m in _TOKEN.finditer(path):
        if m.start() != pos and path[pos:m.start()] != ".":
            raise ValueError(path)
        out.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos != len(path) or not out:
        raise ValueError(path)
    return out


def set_path(doc: dict[str, Any], path: str, value: Any, *, fresh: bool = False) -> None:
    """Set ``value`` at document ``path`` (``products.x.maintenance[0].collection.rate``);
    missing mapping levels are created. With ``fresh``, every mapping and list on the way
    is replaced by a shallow copy first, so a shallow copy of a document can be changed
    without touching the document it shares everything else with."""
    tokens = path_tokens(path)
    node: Any = doc
    for i, tok in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if isinstance(tok, int):
            if not isinstance(node, list) or tok >= len(node):
                raise KeyError(format_path(tokens[: i + 1]))
        else:
            if not isinstance(node, dict):
                raise KeyError(format_path(tokens[: i + 1]))
            tok = key_in(node, tok)
            if tok not in node or node[tok] is None:
                if isinstance(nxt, int):
                    raise KeyError(format_path(tokens[: i + 1]))
                node[tok] = {}
        child = node[tok]
        if fresh and isinstance(child, dict | list):
            child = node[tok] = copy.copy(child)
        node = child
    last = tokens[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise KeyError(path)
        node[last] = value
    else:
        if not isinstance(node, dict):
            raise KeyError(path)
        node[key_in(node, last)] = value


def key_in(node: dict[Any, Any], key: str) -> Any:
    """``key``, or the number it spells when the mapping has that number as a key and not
    the text: a year of ``sales: {2030: …}`` (YAML reads 2030 as a number) is the path
    ``….sales.2030``, which must replace that entry, not add a text key beside it."""
    if key not in node and key.isdigit():
        if int(key) in node:
            return int(key)
        # the same number written otherwise (JSON keys are text: ``"2020"`` for ``02020``;
        # review 227: a scenario's sales.02020 was added beside a JSON model's "2020")
        return next((k for k in node if isinstance(k, str) and k.isdigit()
                     and int(k) == int(key)), key)
    return key


def located(doc: Any, path: str) -> tuple[Any, ...] | None:
    """The tokens of ``path`` as they address ``doc``: a list position as its number
    (``maintenance[00]`` is ``maintenance[0]``), a key written in digits as the number a
    mapping holds (``sales.02030`` is the year 2030 of ``sales: {2030: …}``, as
    :func:`~junkan.lifecycle.loader.set_path` writes it); ``None`` for a path that does
    not read as one."""
    try:
        tokens = path_tokens(path)
    except ValueError:
        return None
    out: list[Any] = []
    node = doc
    for tok in tokens:
        if isinstance(node, dict) and isinstance(tok, str):
            tok = key_in(node, tok)
        out.append(tok)
        try:
            node = node[tok]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(out)


def scenario_names(doc: dict[str, Any]) -> list[str]:
    """Baseline first, then the scenarios in document order."""
    base = str(doc.get("baseline_name") or "baseline")
    scen = doc.get("scenarios") or {}
    return [base] + [n for n in scen if n != base] if isinstance(scen, dict) else [base]


def scenario_document(doc: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """The baseline document with scenario ``name``'s overrides applied: a new document
    that shares the parts the overrides do not reach with ``doc`` (treat both as
    read-only, or deep-copy)."""
    base = str(doc.get("baseline_name") or "baseline")
    if name == base:
        return doc
    scenarios = doc.get("scenarios") or {}
    if name not in scenarios:
        raise ModelError([Problem("scenarios", f"unknown scenario {short(name)}; known: "
                                  f"{', '.join(scenario_names(doc))}")], source)
    chain = _chain(scenarios, name, source)
    out = dict(doc)  # shares every part the scenario leaves alone (treat as read-only)
    for scen in reversed(chain):
        overrides = (scenarios[scen] or {}).get("set") or {}
        if not isinstance(overrides, dict):
            raise ModelError([Problem(f"scenarios.{scen}.set", "give a mapping of document "
                                      "paths to values")], source)
        for key, value in overrides.items():
            if _names_uses(key):
                raise ModelError([_uses_fixed(f"scenarios.{scen}.set.{key}")], source)
            try:
                set_path(out, key, copy.deepcopy(value), fresh=True)
            except RecursionError:  # under a nesting limit raised past Python's (review 228)
                raise ModelError([too_deep(limits()).problem(f"scenarios.{scen}.set.{key}")],
                                 source) from None
            except ValueError:
                raise ModelError([Problem(f"scenarios.{scen}.set.{key}", "not a document path; "
                                          "write e.g. products.compressor.eol.collection.rate")],
                                 source) from None
            except KeyError as exc:
                raise ModelError([Problem(f"scenarios.{scen}.set.{key}",
                                          f"{short(exc.args[0])} does not exist in the baseline")],
                                 source) from None
    return out


def _uses_fixed(path: str) -> Problem:
    return coded(path, "uses-fixed", "the templates a model uses are merged into it when it "
                 "is read: a scenario or an override cannot change them; list them in the "
                 "model's own uses")


def _names_uses(key: Any) -> bool:
    """Whether document path ``key`` sets ``uses`` or something in it."""
    return isinstance(key, str) and re.match(r"uses(?:$|[.\[])", key) is not None


def check_overrides(overrides: dict[Any, Any], source: str,
                    scenario: str | None = None) -> None:
    """Refuse overrides (document path → value, applied on top of scenario ``scenario``,
    ``None``: the baseline) that a document with them would refuse before validation: a
    path that is not text, a change of ``uses``, a value beyond the document limits in force
    (nesting, string lengths, numbers, NaN; review 229: a 70,000-character title was
    taken)."""
    lim = limits()
    problems = []
    for key, value in overrides.items():
        if not isinstance(key, str):
            problems.append(coded(short(key, 80), "override-path-not-text", "an override is "
                                  "named by its document path, as text: e.g. "
                                  "products.x.eol.collection.rate"))
        elif _names_uses(key):
            problems.append(_uses_fixed(key))
        elif (problem := _beyond_limits(key, value, lim)) is not None:
            problems.append(problem)
    if problems:  # named in its scenario as validation names it (review 230)
        raise ModelError(in_scenario(problems, scenario), source)


def in_scenario(problems: list[Problem], scenario: str | None) -> list[Problem]:
    """``problems`` of scenario ``scenario`` (``None``: the baseline, said as they are) as
    validation says them: " (in scenario 'S')" after each message that does not say it yet,
    and the scenario among a rule's parameters (the page adds it to the rule's words)."""
    if scenario is None:
        return problems
    return [p if "(in scenario" in p.message else Problem(
        p.path, f"{p.message} (in scenario '{scenario}')", p.kind,
        {**(p.limits or {}), "scenario": scenario} if p.kind else p.limits) for p in problems]


def _beyond_limits(key: str, value: Any, lim: Limits) -> Problem | None:
    """The limit that override ``key``'s ``value`` breaks, if any, read as JSON data (a
    Python caller's year keys are numbers; a value JSON cannot write is left to the
    schema)."""
    try:
        data = json.loads(json.dumps({key: value}, default=str))
    except RecursionError:
        return too_deep(lim).problem(key)
    except (TypeError, ValueError):
        return None
    return data_problem(data, lim)


def _chain(scenarios: dict[str, Any], name: str, source: str) -> list[str]:
    """Scenario ``name`` and the scenarios it extends, nearest first."""
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
    return chain


def scenario_paths(doc: dict[str, Any], name: str, source: str) -> list[str]:
    """The document paths scenario ``name`` sets (its own and those of the scenarios it
    extends); empty for the baseline. Call after :func:`scenario_document` succeeded."""
    if name == str(doc.get("baseline_name") or "baseline"):
        return []
    scenarios = doc.get("scenarios") or {}
    return [str(k) for scen in reversed(_chain(scenarios, name, source))
            for k in ((scenarios[scen] or {}).get("set") or {})]


def validate(doc: dict[str, Any], source: str, scenario: str | None = None) -> LifecycleModel:
    """Validate a raw lifecycle document; pydantic errors become a :class:`ModelError`.

    The ``parts`` section is read into columns (:mod:`~junkan.lifecycle.part_table`), the
    rest of the document validated by pydantic; if either has a problem the whole document
    is validated by pydantic, so the problems are reported as always, in document order."""
    other_kind(doc, source)
    parts = doc.get("parts") if isinstance(doc, dict) else None
    if type(parts) is not dict or not parts:
        return validate_with(LifecycleModel, doc, source, scenario)
    table = read_parts(parts)
    model = None if table is None else with_parts(doc, table)
    if model is None:
        return validate_with(LifecycleModel, doc, source, scenario)  # reports the problems
    return model


OTHER_KINDS = {"junkan_foresight": "junkan foresight run", "junkan_network": "junkan network solve"}
"""Documents of other capabilities, by the key that marks them, with the command that reads
them: given to a lifecycle command, they were told a wall of unknown and missing fields
(review 315: ``junkan validate examples/japan_ce.yaml``, ten problems)."""


def other_kind(doc: object, source: str) -> None:
    """Refuse a document of another capability (:data:`OTHER_KINDS`), naming it and the
    command that reads it, when it is not a lifecycle model (no ``junkan`` key)."""
    if not isinstance(doc, dict) or "junkan" in doc:
        return
    for key, command in OTHER_KINDS.items():
        if key in doc:
            raise ModelError([coded(key, "model-other-kind", "this is not a lifecycle model "
                                    "but another capability's document ({key}: …); read it "
                                    "with '{command} FILE'", key=key, command=command)],
                             source)


def with_parts(doc: dict[str, Any], parts: PartTable) -> LifecycleModel | None:
    """The model of document ``doc`` (its ``parts`` section aside) with the parts already
    read as ``parts``; ``None`` if the rest of the document has a problem (then
    :func:`validate` the whole document, which reports it)."""
    try:
        model = LifecycleModel.model_validate({**doc, "parts": {}})
    except ValidationError:
        return None
    model.__dict__["parts"] = parts  # a read-only mapping of the same parts
    return model


class _Entries(BaseModel):
    """Entries of the named sections of a model document, validated alone: the errors carry
    the same paths as in the whole document (``products.x.eol.collection.rate``)."""

    model_config = ConfigDict(extra="forbid")

    actors: dict[str, Actor] = Field(default_factory=dict)
    modes: dict[str, Mode] = Field(default_factory=dict)
    processes: dict[str, Process] = Field(default_factory=dict)
    materials: dict[str, Material] = Field(default_factory=dict)
    parts: dict[str, Part] = Field(default_factory=dict)
    products: dict[str, Product] = Field(default_factory=dict)


ENTRY_SECTIONS = tuple(_Entries.model_fields)
"""The sections made of named entries (``products.<name>``), validated entry by entry."""


def validate_changed(base: LifecycleModel, doc: dict[str, Any], paths: list[str],
                     source: str, scenario: str | None = None) -> LifecycleModel:
    """:func:`validate` for a document that equals the one validated as ``base`` except at
    ``paths``: only the section entries those paths reach are validated again,
    with the same messages and paths as a whole validation. Paths outside the entries of
    named sections (``years.end``, a new product) validate the whole document."""
    changed: dict[str, set[str]] = {}
    for path in paths:
        try:
            tokens = path_tokens(path)
        except ValueError:
            return validate(doc, source, scenario)
        if len(tokens) < 2 or tokens[0] not in ENTRY_SECTIONS or not isinstance(tokens[1], str) \
                or tokens[1] not in getattr(base, str(tokens[0])) \
                or not isinstance(doc.get(str(tokens[0])), dict) \
                or tokens[1] not in doc[str(tokens[0])]:
            return validate(doc, source, scenario)
        changed.setdefault(str(tokens[0]), set()).add(tokens[1])
    if not changed:
        return base
    sub = {sec: {k: doc[sec][k] for k in doc[sec] if k in keys} for sec, keys in changed.items()}
    entries = validate_with(_Entries, sub, source, scenario)
    return base.model_copy(update={sec: PartTable.of(base.parts).replaced(entries.parts)
                                   if sec == "parts" else
                                   {**getattr(base, sec), **getattr(entries, sec)}
                                   for sec in changed})
