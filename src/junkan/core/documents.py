"""Reading input documents (YAML or JSON) safely, and validating them against a schema.

Every capability reads its input through :func:`read_document` / :func:`parse_document` and
validates it with :func:`validate_with`; every error is a :class:`ModelError` naming the source,
the document path and what to do. Before anything is built from a document it is checked
against :func:`~junkan.core.limits.limits`: size (``document_bytes`` UTF-8 bytes, 16 MiB); YAML
aliases (``yaml_aliases`` uses of aliases to mappings and lists, 10,000, and once expanded
``yaml_nodes`` nodes, 2,000,000, and ``document_bytes`` characters of values — counted on
libyaml's node graph, where an alias is one shared node, so a "billion laughs" document is
refused in milliseconds without being expanded; an alias that contains itself is refused);
nesting (``nesting_depth`` levels of mappings and lists, 64; JSON nested deeper than Python's
recursion limit is refused the same way); numbers (no NaN or ±infinity — ``.nan``, ``.inf``,
JSON ``NaN``/``Infinity``, ``1e999`` — and none beyond ±``integer_magnitude``, 2**53); strings
and keys (``string_length`` characters, 65,536)."""

from __future__ import annotations

import json
import math
import re
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from junkan.core.errors import ModelError, Problem, format_path, rule_of, short
from junkan.core.json_scan import json_text_within
from junkan.core.limits import Limits, limits

M = TypeVar("M", bound=BaseModel)

_SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C loader when PyYAML was built with it (same safe semantics, ~10× faster)."""

MAX_PROBLEMS = 100
"""At most this many problems are listed for one document (the rest are counted)."""
MAX_MESSAGE = 300
"""Longest message kept from a validator (longer ones are cut with an ellipsis)."""

_JSON_START = re.compile(r"\s*\{")
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class _Refused(Exception):
    """A document breaks a limit; ``node`` is where (for the path), if known."""

    def __init__(self, message: str, node: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


# ---------------------------------------------------------------------------------------------
# Reading


def read_document(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a mapping; syntax errors name the line."""
    p = Path(path)
    lim = limits()
    try:
        size = p.stat().st_size
        if size > lim.document_bytes:
            raise ModelError([Problem("", _too_big(size, lim))], str(p))
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ModelError([Problem("", "file not found; check the path")], str(p)) from None
    except UnicodeDecodeError as exc:
        raise ModelError([Problem("", f"the file is not UTF-8 text (byte {exc.start})")],
                         str(p)) from None
    except OSError as exc:
        raise ModelError([Problem("", f"cannot read the file: {exc.strerror or exc}")],
                         str(p)) from None
    return parse_document(text, source=str(p), as_json=p.suffix.lower() == ".json")


def _too_big(size: int, lim: Limits) -> str:
    return (f"the document has {size:,} bytes, more than the {lim.describe('document_bytes')} "
            "bytes; split it or raise the limit")


def parse_document(text: str, *, source: str = "<model>", as_json: bool = False
                   ) -> dict[str, Any]:
    """Parse YAML (a superset of JSON) text into a mapping, within :func:`limits`."""
    lim = limits()
    if not text_within_size(text, lim):
        raise ModelError([Problem("", _too_big(len(text.encode("utf-8", "surrogatepass")),
                                              lim))], source)
    # JSON is a subset of YAML; json.loads is much faster on large generated models
    as_json = as_json or _JSON_START.match(text) is not None
    doc = _parse_json(text, source, lim) if as_json else _parse_yaml(text, source, lim)
    if not isinstance(doc, dict):
        raise ModelError([Problem("", "the document must be a mapping with keys such as name, "
                                      "years, actors, materials, products")], source)
    return doc


def text_within_size(text: str, lim: Limits) -> bool:
    """Whether ``text``'s UTF-8 bytes are within the document size limit (encoded if need be)."""
    return len(text) <= lim.document_bytes and (
        4 * len(text) <= lim.document_bytes or
        len(text.encode("utf-8", "surrogatepass")) <= lim.document_bytes)


def data_within(doc: Any, lim: Limits) -> bool:
    """Whether parsed JSON data keeps the limits on nesting, numbers and string lengths
    (the walk :func:`parse_document` runs where the text check is not certain)."""
    return data_refusal(doc, lim) is None


def data_refusal(doc: Any, lim: Limits) -> str | None:
    """Why parsed data breaks :func:`data_within`'s limits, or ``None`` (for data inside a
    request rather than a document, e.g. a run's overrides)."""
    try:
        _check_data(doc, lim)
    except _Refused as exc:
        return str(exc)
    return None


def _parse_json(text: str, source: str, lim: Limits) -> Any:
    """JSON text as data within ``lim`` (the standard library's parser: why not orjson or
    msgspec's untyped decoder, see benchmarks/README.md). The limits are checked on the
    text first (:func:`~junkan.core.json_scan.json_text_within`); the walk over the data
    (:func:`_check_data`) runs, and reports, only where that check is not certain."""
    try:
        doc = json.loads(text)  # NaN / Infinity become floats that _check_data refuses
    except json.JSONDecodeError as exc:
        raise ModelError([Problem("", f"line {exc.lineno}, column {exc.colno}: invalid JSON: "
                                      f"{exc.msg}")], source) from None
    except RecursionError:
        raise ModelError([Problem("", f"nested more deeply than the "
                                      f"{lim.describe('nesting_depth')} levels")],
                         source) from None
    except ValueError as exc:  # e.g. an integer with more than 4,300 digits
        raise ModelError([Problem("", f"invalid JSON: {short(str(exc), 120)}")],
                         source) from None
    try:
        if isinstance(doc, dict | list) and not json_text_within(text, lim):
            _check_data(doc, lim)
    except _Refused as exc:
        raise ModelError([Problem(_data_path(doc, exc.node), exc.message)], source) from None
    return doc


def _parse_yaml(text: str, source: str, lim: Limits) -> Any:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            _check_nodes(node, lim)
            return loader.construct_document(node)
        except _Refused as exc:
            raise ModelError([Problem(_node_path(node, exc.node), exc.message)],
                             source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = str(getattr(exc, "problem", None) or exc)
        if "maximum nesting depth" in what:
            what = f"nested more deeply than the {lim.describe('nesting_depth')} levels"
        else:
            what = "invalid YAML: " + (what if len(what) <= 200 else what[:199] + "…")
        raise ModelError([Problem("", f"{where}{what}")], source) from None
    except RecursionError:  # the pure-Python composer, without libyaml
        raise ModelError([Problem("", f"nested more deeply than the "
                                      f"{lim.describe('nesting_depth')} levels")],
                         source) from None
    except ValueError as exc:  # a constructor refusing a scalar
        raise ModelError([Problem("", f"invalid YAML value: {short(str(exc), 120)}")],
                         source) from None
    finally:
        loader.dispose()


# ---------------------------------------------------------------------------------------------
# Checks on YAML's node graph (before anything is constructed) and on JSON data


def _check_nodes(root: yaml.Node, lim: Limits) -> None:
    """Check a YAML node graph before anything is built from it: alias uses, the size of the
    document with every alias expanded (nodes and characters), nesting depth, string lengths.

    In the graph an alias is the node of its anchor reached a second time. An anchor always
    comes before its aliases in document order, so by the time an alias is met its node has
    been walked and its expanded size is known: each distinct node is visited once."""
    max_nodes, max_chars, max_depth = lim.yaml_nodes, lim.document_bytes, lim.nesting_depth
    max_aliases, max_len = lim.yaml_aliases, lim.string_length
    scalar, mapping = yaml.ScalarNode, yaml.MappingNode
    if type(root) is scalar:
        if len(root.value) > max_len:
            raise _Refused(_too_long(len(root.value), lim), root)
        return
    nodes = chars = aliases = deepest = 0
    done: dict[int, tuple[int, int, int]] = {}  # id(collection) -> (nodes, chars, height)
    entered: set[int] = set()
    stack: list[tuple[Any, ...]] = [(root, 1)]
    while stack:
        item = stack.pop()
        node, depth = item[0], item[1]
        nid = id(node)
        if len(item) > 2:  # the end of a collection: remember its expanded size
            _, _, n0, c0, deepest_before = item
            done[nid] = (nodes - n0, chars - c0, deepest - depth + 1)
            deepest = max(deepest, deepest_before)
            continue
        if nid in done:  # an alias of a mapping or list
            n, c, h = done[nid]
            aliases, nodes, chars = aliases + 1, nodes + n, chars + c
            deepest = max(deepest, depth + h - 1)
            if aliases > max_aliases:
                raise _Refused(f"more than {max_aliases:,} alias uses (*x) "
                               f"({lim.env('yaml_aliases')})", node)
        elif nid in entered:
            raise _Refused("an alias refers to a node that contains it (a recursive anchor)",
                           node)
        else:
            entered.add(nid)
            stack.append((node, depth, nodes, chars, deepest))
            deepest = depth  # the deepest level inside this node, so far
            nodes += 1
            pending = []
            if type(node) is mapping:
                kids = [x for pair in node.value for x in pair]
                if len(node.value) > 1:
                    _check_unique_keys(node)
            else:
                kids = node.value
            for kid in kids:
                if type(kid) is scalar:  # inline: most nodes are scalars
                    n = len(kid.value)
                    if n > max_len:
                        raise _Refused(_too_long(n, lim), kid)
                    nodes, chars = nodes + 1, chars + n
                else:
                    pending.append(kid)
            if pending:
                stack.extend([(kid, depth + 1) for kid in reversed(pending)])
        if deepest > max_depth:
            raise _Refused(f"nested more deeply than the {lim.describe('nesting_depth')} levels",
                           node)
        if nodes > max_nodes or chars > max_chars:
            what = f"{max_nodes:,} values" if nodes > max_nodes else f"{max_chars:,} characters"
            env = lim.env("yaml_nodes" if nodes > max_nodes else "document_bytes")
            raise _Refused(f"expands to more than {what} through anchors and aliases (&x, *x) "
                           f"({env}); write the data out instead", node)


def _check_unique_keys(node: yaml.MappingNode) -> None:
    """Refuse a key written twice in one mapping (YAML would keep the last silently: a
    supply, a threshold or a name typed twice must not lose the first)."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if type(key) is not yaml.ScalarNode or key.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise _Refused(f"the key {short(key.value, 60)} is given twice in this mapping "
                           f"(lines {first.start_mark.line + 1} and "
                           f"{key.start_mark.line + 1}); YAML would keep only the last", key)


def _too_long(n: int, lim: Limits) -> str:
    return f"a value of {n:,} characters, more than the {lim.describe('string_length')}"


class _Loader(_SafeLoader):
    """The safe loader, refusing NaN, infinities and out-of-range numbers as it builds them."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        lim = limits()
        if len(node.value.replace("_", "").lstrip("+-0")) > 20:
            raise _Refused(f"{short(node.value, 30)}: integer beyond ±{lim.integer_magnitude:,} "
                           f"({lim.env('integer_magnitude')})", node)
        value: int = super().construct_yaml_int(node)
        _check_number(value, node.value, lim, node)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value: float = super().construct_yaml_float(node)
        _check_number(value, node.value, limits(), node)
        return value


_Loader.add_constructor(_INT, _Loader.construct_yaml_int)
_Loader.add_constructor(_FLOAT, _Loader.construct_yaml_float)


def _check_number(x: float, written: Any, lim: Limits, where: Any) -> None:
    if isinstance(x, float) and not math.isfinite(x):
        raise _Refused(f"{short(written, 30)} is not a finite number; NaN and infinity are not "
                       "accepted", where)
    if abs(x) > lim.integer_magnitude:
        raise _Refused(f"{short(written, 30)} is beyond ±{lim.integer_magnitude:,} "
                       f"({lim.env('integer_magnitude')})", where)


def _check_data(doc: Any, lim: Limits) -> None:
    """Depth, numbers and string lengths of parsed JSON (no aliases: a tree). One tight loop
    per container kind: this walk costs about a third of ``json.loads`` itself."""
    max_len, max_depth, max_num = lim.string_length, lim.nesting_depth, lim.integer_magnitude
    stack: list[tuple[Any, int]] = [(doc, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > max_depth:
            raise _Refused(f"nested more deeply than the {lim.describe('nesting_depth')} "
                           "levels", node)
        if type(node) is dict:
            for k, v in node.items():
                if len(k) > max_len:
                    raise _Refused(f"a key of {len(k):,} characters, more than the "
                                   f"{lim.describe('string_length')}", node)
                t = type(v)
                if t is str:
                    if len(v) > max_len:
                        raise _Refused(_too_long(len(v), lim), v)
                elif t is dict or t is list:
                    push((v, depth + 1))
                elif (t is float or t is int) and not -max_num <= v <= max_num:
                    _check_number(v, v, lim, v)
        else:
            for v in node:
                t = type(v)
                if t is str:
                    if len(v) > max_len:
                        raise _Refused(_too_long(len(v), lim), v)
                elif t is dict or t is list:
                    push((v, depth + 1))
                elif (t is float or t is int) and not -max_num <= v <= max_num:
                    _check_number(v, v, lim, v)


def _node_path(root: Any, target: Any) -> str:
    """Document path of the first occurrence of ``target`` in a YAML node graph."""
    return _find_path(root, target, _yaml_items)


def _data_path(root: Any, target: Any) -> str:
    """Document path of ``target`` (a container or value object) in parsed JSON data."""
    return _find_path(root, target, _data_items)


def _yaml_items(node: Any) -> list[tuple[int | str, Any]]:
    if isinstance(node, yaml.MappingNode):
        out: list[tuple[int | str, Any]] = []
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else "?"
            out += [(key, k), (key, v)]
        return out
    if isinstance(node, yaml.SequenceNode):
        return list(enumerate(node.value))
    return []


def _data_items(node: Any) -> list[tuple[int | str, Any]]:
    if isinstance(node, dict):
        return [(str(k), v) for k, v in node.items()]
    if isinstance(node, list):
        return list(enumerate(node))
    return []


def _find_path(root: Any, target: Any, items: Any) -> str:
    if target is None or target is root:
        return ""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple[int | str, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for key, child in reversed(items(node)):
            if child is target:
                return format_path(list(path) + [_short_key(key)])
            stack.append((child, (*path, _short_key(key))))
    return ""


def _short_key(key: int | str) -> int | str:
    return key if isinstance(key, int) or len(key) <= 60 else key[:59] + "…"


# ---------------------------------------------------------------------------------------------
# Validation


def message(err: Any) -> str:
    """A user-facing message for one pydantic error (``exc.errors()`` item), ≤ MAX_MESSAGE."""
    msg = str(err.get("msg", "invalid"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if err.get("type") == "missing":
        return "required field is missing; add it"
    if err.get("type") == "extra_forbidden":
        return "unknown field; check the spelling"
    if err.get("type") == "literal_error":
        msg = msg.replace("Input should be", "must be one of")
    if err.get("type") == "finite_number":
        msg = "must be a finite number (not NaN or infinity)"
    return msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 1] + "…"


def validate_with(cls: type[M], doc: dict[str, Any], source: str,
                  scenario: str | None = None) -> M:
    """Validate ``doc`` as ``cls``; every pydantic error becomes a problem with its path (at
    most :data:`MAX_PROBLEMS`, then a count of the rest). An unknown field's problem names
    the fields allowed where it stands."""
    try:
        return cls.model_validate(doc)
    except ValidationError as exc:
        raise ModelError(problems_of(exc, scenario, cls), source) from None


def _known_fields(cls: type[BaseModel], loc: tuple[int | str, ...]) -> list[str] | None:
    """The field names of the model at ``loc`` under ``cls`` (None where the path passes a
    union of several models or leaves the models)."""
    t: Any = cls
    for part in loc:
        t = _inner(t, part)
        if t is None:
            return None
    t = _inner(t, None)
    if isinstance(t, type) and issubclass(t, BaseModel):
        return [f.alias or name for name, f in t.model_fields.items()]
    return None


def _inner(t: Any, part: int | str | None) -> Any:
    """The type one step (``part``: a field, list index or mapping key; None: none) into
    ``t``, through Optional and Annotated."""
    while True:
        origin, args = typing.get_origin(t), typing.get_args(t)
        if origin is typing.Annotated:
            t = args[0]
        elif origin in (typing.Union, types.UnionType):
            inner = [a for a in args if a is not type(None)]
            if len(inner) != 1:
                return None
            t = inner[0]
        else:
            break
    if part is None:
        return t
    if isinstance(t, type) and issubclass(t, BaseModel):
        field = t.model_fields.get(str(part)) or next(
            (f for f in t.model_fields.values() if f.alias == part), None)
        return None if field is None else field.annotation
    if origin is tuple and isinstance(part, int) and args and args[-1] is not Ellipsis:
        return args[part] if 0 <= part < len(args) else None  # tuple[A, B]: each its own
    if origin in (list, tuple, set, frozenset) and isinstance(part, int) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def problems_of(exc: ValidationError, scenario: str | None = None,
                model: type[BaseModel] | None = None) -> list[Problem]:
    """The problems of a pydantic :class:`ValidationError`, each with its document path; with
    the ``model`` validated, an unknown field's problem names the fields known there."""
    problems: list[Problem] = []
    seen = set()
    errors = exc.errors(include_input=False, include_url=False, include_context=True)
    for err in errors:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and (
            p.startswith("function-") or p in ("constant",)))]
        # drop pydantic's union / validator tags
        loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in (
            "str", "float", "int", "dict[str,float]")))]
        path = format_path([_short_key(p) for p in loc])
        msg = message(err)
        known = (_known_fields(model, tuple(err["loc"][:-1]))
                 if model is not None and err["type"] == "extra_forbidden" else None)
        if known:
            msg += f" (known here: {', '.join(known)})"
            msg = msg if len(msg) <= MAX_MESSAGE else msg[: MAX_MESSAGE - 2] + "…)"
        if (path, msg) in seen:
            continue
        seen.add((path, msg))
        if len(problems) == MAX_PROBLEMS:
            problems.append(Problem("", f"… and more problems ({len(errors):,} errors in all); "
                                        "fix the ones above first"))
            break
        # the rule of the message (an unknown field with the fields known there is its own);
        kind, limits = ("unknown-field", dict[str, int | float | str](known=", ".join(
            known))) if known else rule_of(err)  # a scenario's names it too (the page adds it)
        if scenario is not None:
            msg, limits = msg + f" (in scenario '{scenario}')", {**(limits or {}), "scenario":
                                                                 scenario} if kind else None
        problems.append(Problem(path, msg, kind, limits))
    return problems
