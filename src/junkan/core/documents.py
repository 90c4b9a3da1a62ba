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
import re
import typing
from pathlib import Path
from typing import Any

import yaml

from junkan.core.document_checks import (  # noqa: F401  dump_yaml re-exported
    Loader,
    Refused,
    check_data,
    check_nodes,
    dump_yaml,
    too_deep,
)
from junkan.core.errors import ModelError, Problem, coded, format_path, short
from junkan.core.files import regular_file_size
from junkan.core.json_scan import json_text_within
from junkan.core.limits import Limits, limits
from junkan.core.validation import (  # noqa: F401  re-exported: the old home of these names
    MAX_MESSAGE,
    MAX_PROBLEMS,
    message,
    problems_of,
    short_key,
    validate_with,
)

_JSON_START = re.compile(r"\s*\{")
_check_data = check_data  # the walk's name in the tests of its speed


# ---------------------------------------------------------------------------------------------
# Reading


def read_document(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file into a mapping; syntax errors name the line."""
    p = Path(path)
    lim = limits()
    try:
        size = regular_file_size(p)
        if size > lim.document_bytes:
            raise _refused(str(p), _too_big(size, lim))
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _refused(str(p), coded("", "file-not-found", "file not found; check the path")
                       ) from None
    except UnicodeDecodeError as exc:
        raise _refused(str(p), coded("", "not-utf8", "the file is not UTF-8 text (byte {byte})",
                                     byte=exc.start)) from None
    except OSError as exc:
        raise _refused(str(p), coded("", "file-unreadable", "cannot read the file: {reason}",
                                     reason=str(exc.strerror or exc))) from None
    return parse_document(text, source=str(p), as_json=p.suffix.lower() == ".json")


def _refused(source: str, problem: Problem) -> ModelError:
    return ModelError([problem], source)


def _too_big(size: int, lim: Limits) -> Problem:
    return coded("", "document-too-large", "the document has {size} bytes, more than the limit "
                 "{limit} ({env}) bytes; split it or raise the limit", size=f"{size:,}",
                 limit=f"{lim.document_bytes:,}", env=lim.env("document_bytes"))


def parse_data(text: str, *, source: str = "<data>", as_json: bool = False) -> Any:
    """Parse YAML (a superset of JSON) text into data — a mapping, a list or a value — within
    :func:`limits`, refusing what :func:`parse_document` refuses (a key given twice, NaN,
    anchors that expand too far…) with a :class:`~junkan.core.errors.ModelError` naming
    ``source`` and the place."""
    lim = limits()
    if not text_within_size(text, lim):
        raise _refused(source, _too_big(len(text.encode("utf-8", "surrogatepass")), lim))
    # JSON is a subset of YAML; json.loads is much faster on large generated models
    as_json = as_json or _JSON_START.match(text) is not None
    return _parse_json(text, source, lim) if as_json else _parse_yaml(text, source, lim)


def parse_document(text: str, *, source: str = "<model>", as_json: bool = False
                   ) -> dict[str, Any]:
    """Parse YAML (a superset of JSON) text into a mapping, within :func:`limits`."""
    doc = parse_data(text, source=source, as_json=as_json)
    if doc is None and all(not ln.strip() or ln.lstrip().startswith("#")  # review 253: it
                           for ln in text.splitlines()):  # was "not a list, a text …"
        raise _refused(source, coded("", "document-empty", "the document is empty (or only "
                                     "comments): write its keys and values (key: value)"))
    if not isinstance(doc, dict):
        raise _refused(source, coded("", "document-not-mapping", "the document must be a "
                                     "mapping of keys to values (key: value), not a list, "
                                     "a text or a number"))
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
    request rather than a document, e.g. a run's overrides): the message, after the path of
    the value that breaks it inside ``doc`` when it has one (``parameters[0].max: nan is
    not a finite number…``)."""
    problem = data_problem(doc, lim)
    if problem is None:
        return None
    return f"{problem.path}: {problem.message}" if problem.path else problem.message


def data_problem(doc: Any, lim: Limits) -> Problem | None:
    """:func:`data_refusal` as a problem with its rule (the path of the value inside
    ``doc``), or ``None``."""
    try:
        check_data(doc, lim)
    except Refused as exc:
        return exc.problem(_data_path(doc, exc.node) if exc.node is not None else "")
    return None


def _parse_json(text: str, source: str, lim: Limits) -> Any:
    """JSON text as data within ``lim`` (the standard library's parser: why not orjson or
    msgspec's untyped decoder, see benchmarks/README.md). The limits are checked on the
    text first (:func:`~junkan.core.json_scan.json_text_within`); the walk over the data
    (:func:`~junkan.core.document_checks.check_data`) runs, and reports, only where that
    check is not certain."""
    twice: list[tuple[dict[str, Any], str]] = []
    try:  # NaN / Infinity become floats that check_data refuses
        doc = json.loads(text, object_pairs_hook=_noting_duplicates(twice))
    except json.JSONDecodeError as exc:
        raise _refused(source, coded("", "json-syntax", "line {line}, column {column}: invalid "
                                     "JSON: {problem}", line=exc.lineno, column=exc.colno,
                                     problem=exc.msg)) from None
    except RecursionError:
        raise _refused(source, too_deep(lim).problem("")) from None
    except ValueError as exc:  # e.g. an integer with more than 4,300 digits
        raise _refused(source, coded("", "json-invalid", "invalid JSON: {problem}",
                                     problem=short(str(exc), 120))) from None
    if twice:
        raise _refused(source, _repeat(doc, twice))
    try:
        if isinstance(doc, dict | list) and not json_text_within(text, lim):
            check_data(doc, lim)
    except Refused as exc:
        raise _refused(source, exc.problem(_data_path(doc, exc.node))) from None
    return doc


class _Repeated(Exception):
    """A key given twice: :func:`loads_with_repeat`'s first reading stops there."""


def _refusing_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Repeated
    return obj


_FIRST_READING = json.JSONDecoder(object_pairs_hook=_refusing_repeats)
"""One decoder for every call: ``json.loads`` with a hook builds a decoder each time, which
costs more than reading a small request body (a run's 77-byte body: 11 µs that way, 6.4 µs
with this decoder, 5.1 µs with no hook; 2 shared cores, 2026-12-03)."""


def loads_with_repeat(text: str | bytes) -> tuple[Any, Problem | None]:
    """``json.loads(text)`` (its errors too: the text is read as by the standard library,
    within no limit but its own) and, when an object gives a key twice, the problem
    ``json-duplicate-key`` naming the key at that object's path, as :func:`parse_document`
    refuses it; else ``None``. For JSON that is not a document, e.g. a request body. The
    text is read once; a second time only to name the repeat it holds."""
    if isinstance(text, bytes):  # as json.loads reads bytes
        text = text.decode(json.detect_encoding(text), "surrogatepass")
    try:
        return _FIRST_READING.decode(text), None
    except _Repeated:
        pass
    twice: list[tuple[dict[str, Any], str]] = []
    data = json.loads(text, object_pairs_hook=_noting_duplicates(twice))
    return data, _repeat(data, twice)


def _repeat(doc: Any, twice: list[tuple[dict[str, Any], str]]) -> Problem:
    path, key = _first_kept(doc, twice)
    return coded(path, "json-duplicate-key", "the key {key} is given twice in this object; "
                 "JSON readers keep only the last", key=short(key, 60))


def json_key_twice(text: str) -> bool:
    """Whether JSON ``text`` gives a key twice in one object (``False`` for text that is not
    JSON: its reader reports that). For readers that keep the last silently (msgspec):
    the document is then read by :func:`parse_document`, which names the key and where."""
    twice: list[tuple[dict[str, Any], str]] = []
    try:
        json.loads(text, object_pairs_hook=_noting_duplicates(twice))
    except (ValueError, RecursionError):
        return False
    return bool(twice)


def _first_kept(doc: Any, twice: list[tuple[dict[str, Any], str]]) -> tuple[str, str]:
    """The path and key of the first repeat (in the order the objects were read) whose
    object is still in ``doc``: an object holding a repeat may itself have been dropped by a
    repeat of the key it sat under (``{"a": {"b": 1, "b": 2}, "a": 3}``), and then that
    outer repeat is the one to name. One walk of ``doc`` finds the paths of every noted
    object (:func:`_kept_paths`): past bug, a walk for each of up to 100 noted objects, those
    dropped by an outer repeat each costing a whole walk, held a server for 20-52 s on one
    200 KB request body."""
    kept = _kept_paths(doc, {id(obj) for obj, _ in twice}, id(twice[0][0]))
    for obj, key in twice:
        if id(obj) in kept:
            return format_path(_unlinked(kept[id(obj)])), key
    return "", twice[0][1]


def _kept_paths(doc: Any, wanted: set[int], first: int) -> dict[int, Any]:
    """The paths of the containers in ``doc`` whose ``id`` is in ``wanted``, by their ids, in
    one walk: it visits each container once and stops once ``first`` is found. A path is a
    link, ``None`` at the top, else (the parent's link, the key), so a deep document costs no
    more than a flat one; a container's items are read as they come (a list of a million
    pairs made at once cost seconds of garbage collection)."""
    found: dict[int, Any] = {id(doc): None} if id(doc) in wanted else {}
    nodes: list[Any] = [doc]  # containers to visit, and their paths
    links: list[Any] = [None]
    while nodes and first not in found:
        node, link = nodes.pop(), links.pop()
        for key, child in node.items() if isinstance(node, dict) else enumerate(node):
            if isinstance(child, dict | list):
                here = (link, short_key(key))
                if id(child) in wanted:
                    found[id(child)] = here
                    if id(child) == first:  # the first noted is kept: it is the one named
                        return found
                nodes.append(child)
                links.append(here)
    return found


def _unlinked(link: Any) -> list[int | str]:
    parts: list[int | str] = []
    while link is not None:
        link, key = link
        parts.append(key)
    return parts[::-1]


def _noting_duplicates(twice: list[tuple[dict[str, Any], str]]
                       ) -> typing.Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    """A ``json.loads`` object hook that builds each object as ``json.loads`` does (the last
    of a repeated key wins) and notes, in ``twice``, each object with a key given twice and
    that key, so the document is refused as YAML refuses one (a name, a supply or a
    threshold typed twice must not silently lose the first). Every such object is noted:
    :func:`_first_kept` names the one to report in one walk whatever their number (past bug,
    only 100 were, and when all were dropped by outer repeats the first key was named at the
    top level, where it was not). It adds about 40 % to the
    parse (0.14 → 0.195 s on the 9.5 MB benchmark model, 2026-12-03)."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            twice.append((obj, typing.cast(str, repeated_key(pairs))))
        return obj

    return hook


def repeated_key(pairs: list[tuple[str, Any]]) -> str | None:
    """The first key that an object's ``pairs`` (what a ``json.loads`` object hook is given)
    give a second time; ``None`` if each is given once."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            return key
        seen.add(key)
    return None


def _parse_yaml(text: str, source: str, lim: Limits) -> Any:
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            check_nodes(node, lim)
            return loader.construct_document(node)
        except Refused as exc:
            raise _refused(source, exc.problem(_node_path(node, exc.node))) from None
    except yaml.YAMLError as exc:
        raise _refused(source, _yaml_problem(exc, lim)) from None
    except RecursionError:  # the pure-Python composer, without libyaml
        raise _refused(source, too_deep(lim).problem("")) from None
    except ValueError as exc:  # a constructor refusing a scalar
        raise _refused(source, coded("", "yaml-value", "invalid YAML value: {problem}",
                                     problem=short(str(exc), 120))) from None
    finally:
        loader.dispose()


def _yaml_problem(exc: yaml.YAMLError, lim: Limits) -> Problem:
    """A YAML syntax error as a problem: at its line and column where the parser says."""
    mark = getattr(exc, "problem_mark", None)
    what = str(getattr(exc, "problem", None) or exc)
    if "maximum nesting depth" in what:
        deep = too_deep(lim).params
        if mark is None:
            return too_deep(lim).problem("")
        return coded("", "nesting-too-deep-at", "line {line}, column {column}: nested more "
                     "deeply than the limit {limit} ({env}) levels", line=mark.line + 1,
                     column=mark.column + 1, **deep)
    what = what if len(what) <= 200 else what[:199] + "…"
    if mark is None:
        return coded("", "yaml-syntax", "invalid YAML: {problem}", problem=what)
    return coded("", "yaml-syntax-at", "line {line}, column {column}: invalid YAML: {problem}",
                 line=mark.line + 1, column=mark.column + 1, problem=what)


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
                return format_path(list(path) + [short_key(key)])
            stack.append((child, (*path, short_key(key))))
    return ""
