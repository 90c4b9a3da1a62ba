"""The limits a document is checked against before anything is built from it: YAML's node
graph (aliases, expanded size, nesting, string lengths, keys written twice), the numbers a
YAML loader builds, and parsed JSON data (nesting, numbers, string and key lengths).

Each refusal is a domain rule (:class:`Refused`: a code and the figures its message quotes),
so that a user interface may say it in its own language; :mod:`junkan.core.documents` turns
it into a :class:`~junkan.core.errors.Problem` at the document path of the offending node."""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

from junkan.core.errors import CodedError, short
from junkan.core.limits import Limits, limits

SafeLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C loader when PyYAML was built with it (same safe semantics, ~10× faster)."""

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


class Refused(CodedError):
    """A document breaks a limit: a domain rule's refusal (:class:`~junkan.core.errors
    .CodedError`, made by :meth:`at`) with ``node``, where it is (for the path), if known."""

    node: Any = None

    @classmethod
    def at(cls, node: Any, code: str, template: str, /,
           **params: int | float | str) -> Refused:
        """The refusal of rule ``code`` at ``node``: ``template`` filled with ``params``."""
        exc = cls.coded(code, template, **params)
        exc.node = node
        return exc


def _limit(lim: Limits, field: str) -> dict[str, str]:
    """The figures of ``lim.describe(field)``: ``limit`` (with thousands separators) and
    ``env``, the variable that raises it."""
    return {"limit": f"{getattr(lim, field):,}", "env": lim.env(field)}


def too_deep(lim: Limits, node: Any = None) -> Refused:
    """Nesting beyond the limit."""
    return Refused.at(node, "nesting-too-deep", "nested more deeply than the limit {limit} ({env}) "
                   "levels", **_limit(lim, "nesting_depth"))


def _too_long(n: int, lim: Limits, node: Any) -> Refused:
    return Refused.at(node, "value-too-long", "a value of {length} characters, more than the limit "
                   "{limit} ({env})", length=f"{n:,}", **_limit(lim, "string_length"))


def check_nodes(root: yaml.Node, lim: Limits) -> None:
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
            raise _too_long(len(root.value), lim, root)
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
                raise Refused.at(node, "yaml-aliases", "more than {limit} alias uses (*x) ({env})",
                              **_limit(lim, "yaml_aliases"))
        elif nid in entered:
            raise Refused.at(node, "yaml-recursive-alias", "an alias refers to a node that "
                          "contains it (a recursive anchor)")
        else:
            entered.add(nid)
            stack.append((node, depth, nodes, chars, deepest))
            deepest = depth  # the deepest level inside this node, so far
            nodes += 1
            pending = []
            if type(node) is mapping:
                kids = [x for pair in node.value for x in pair]
                if len(node.value) > 1:
                    check_unique_keys(node)
            else:
                kids = node.value
            for kid in kids:
                if type(kid) is scalar:  # inline: most nodes are scalars
                    n = len(kid.value)
                    if n > max_len:
                        raise _too_long(n, lim, kid)
                    nodes, chars = nodes + 1, chars + n
                else:
                    pending.append(kid)
            if pending:
                stack.extend([(kid, depth + 1) for kid in reversed(pending)])
        if deepest > max_depth:
            raise too_deep(lim, node)
        if nodes > max_nodes or chars > max_chars:
            raise _expands(nodes > max_nodes, lim, node)


def _expands(values: bool, lim: Limits, node: Any) -> Refused:
    """Anchors and aliases expanding beyond the values (nodes) or characters allowed."""
    if values:
        return Refused.at(node, "yaml-expands-values", "expands to more than {limit} values "
                       "through anchors and aliases (&x, *x) ({env}); write the data out "
                       "instead", **_limit(lim, "yaml_nodes"))
    return Refused.at(node, "yaml-expands-characters", "expands to more than {limit} characters "
                   "through anchors and aliases (&x, *x) ({env}); write the data out instead",
                   **_limit(lim, "document_bytes"))


def check_unique_keys(node: yaml.MappingNode) -> None:
    """Refuse a key written twice in one mapping (YAML would keep the last silently: a
    supply, a threshold or a name typed twice must not lose the first)."""
    seen: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in node.value:
        if type(key) is not yaml.ScalarNode or key.tag == "tag:yaml.org,2002:merge":
            continue
        first = seen.setdefault((key.tag, key.value), key)
        if first is not key:
            raise Refused.at(key, "duplicate-key", "the key {key} is given twice in this mapping "
                          "(lines {first} and {second}); YAML would keep only the last",
                          key=short(key.value, 60), first=first.start_mark.line + 1,
                          second=key.start_mark.line + 1)


class Loader(SafeLoader):
    """The safe loader, refusing NaN, infinities and out-of-range numbers as it builds them."""

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        lim = limits()
        if len(node.value.replace("_", "").lstrip("+-0")) > 20:
            raise Refused.at(node, "integer-too-large", "{value}: integer beyond ±{limit} ({env})",
                          value=short(node.value, 30), **_limit(lim, "integer_magnitude"))
        value = _yaml12_int(str(self.construct_scalar(node)))
        check_number(value, node.value, lim, node)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        value: float = super().construct_yaml_float(node)
        check_number(value, node.value, limits(), node)
        return value


Loader.add_constructor(_INT, Loader.construct_yaml_int)
Loader.add_constructor(_FLOAT, Loader.construct_yaml_float)

_BOOL = "tag:yaml.org,2002:bool"
# Plain scalars are typed as YAML 1.2's core schema types them, not as YAML 1.1 (PyYAML):
# - booleans are true and false only: on, off, yes, no, y and n were booleans too, so
#   `mode: on` became True (refused as "not one of sampled, on, off") and a country code NO
#   became False; they are now the words they look like (a boolean field still reads "yes"
#   or "on" as true: pydantic does);
# - a number with an exponent and no point or sign (1e300, 2.5e3) is a number: YAML 1.1 read
#   it as a string, which slipped past the number limits below (JSON refused 1e300);
# - a leading zero is decimal (01101, a municipality code, is 1101, not octal 577), 0o and 0x
#   give octal and hexadecimal, and 1:30 is a string (YAML 1.1: 90). Digit groups with '_'
#   are kept, as YAML 1.1 had them.
_YAML12 = {
    _BOOL: (r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    _INT: (r"^(?:[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+)$", "-+0123456789"),
    _FLOAT: (r"^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
             r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
             r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", "-+0123456789."),
}
Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _YAML12]
    for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
}
for _tag, (_pattern, _first) in _YAML12.items():
    Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class Dumper(yaml.SafeDumper):
    """The safe dumper, quoting every string that YAML 1.1 *or* :class:`Loader` (YAML 1.2)
    would read as something else: a string "1e3", "on" or "01101" written by junkan is read
    back as that string by junkan and by any other YAML reader."""


Dumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}
for _tag, (_pattern, _first) in _YAML12.items():
    Dumper.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def dump_yaml(doc: Any, **options: Any) -> str:
    """``doc`` as YAML text (``yaml.safe_dump``'s options; Unicode kept, keys in their order
    unless told), every string that a reader could take for a number or a boolean quoted."""
    options = {"sort_keys": False, "allow_unicode": True, **options}
    return str(yaml.dump(doc, Dumper=Dumper, **options))


def _yaml12_int(text: str) -> int:
    """An integer as YAML 1.2's core schema reads it (0o octal, 0x hexadecimal, else decimal,
    leading zeros included), with '_' digit groups."""
    digits = text.replace("_", "")
    sign = -1 if digits.startswith("-") else 1
    digits = digits.lstrip("+-")
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    return sign * int(digits, 10)


def check_number(x: float, written: Any, lim: Limits, where: Any) -> None:
    """Refuse NaN, infinities and numbers beyond ±``integer_magnitude``."""
    if isinstance(x, float) and not math.isfinite(x):
        raise Refused.at(where, "number-not-finite", "{value} is not a finite number; NaN and "
                      "infinity are not accepted", value=short(written, 30))
    if abs(x) > lim.integer_magnitude:
        raise Refused.at(where, "number-too-large", "{value}: number beyond ±{limit} ({env}, "
                      "which bounds decimal numbers too)",
                      value=short(written, 30), **_limit(lim, "integer_magnitude"))


def check_unicode(text: str, where: Any) -> None:
    """Refuse text holding a lone surrogate (a JSON ``\\udc80`` escape without its pair):
    no UTF-8 file or database can hold it, and writing it failed after the work (review 237:
    a scenario so named ended ``compare --out`` in a traceback)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Refused.at(where, "text-not-unicode", "{value} holds a lone surrogate (a "
                         "\\uD800-\\uDFFF escape without its pair), which is no Unicode "
                         "text", value=repr(text[:40])) from None


def check_data(doc: Any, lim: Limits) -> None:
    """Depth, numbers and string lengths of parsed JSON (no aliases: a tree). One tight loop
    per container kind: this walk costs about a third of ``json.loads`` itself."""
    max_len, max_depth, max_num = lim.string_length, lim.nesting_depth, lim.integer_magnitude
    stack: list[tuple[Any, int]] = [(doc, 1)]
    pop, push = stack.pop, stack.append
    while stack:
        node, depth = pop()
        if depth > max_depth:
            raise too_deep(lim, node)
        if type(node) is dict:
            for k, v in node.items():
                if len(k) > max_len:
                    raise Refused.at(node, "key-too-long", "a key of {length} characters, more "
                                  "than the limit {limit} ({env})", length=f"{len(k):,}",
                                  **_limit(lim, "string_length"))
                if not k.isascii():
                    check_unicode(k, node)
                t = type(v)
                if t is str:
                    if len(v) > max_len:
                        raise _too_long(len(v), lim, v)
                    if not v.isascii():
                        check_unicode(v, v)
                elif t is dict or t is list:
                    push((v, depth + 1))
                elif (t is float or t is int) and not -max_num <= v <= max_num:
                    check_number(v, v, lim, v)
        else:
            for v in node:
                t = type(v)
                if t is str:
                    if len(v) > max_len:
                        raise _too_long(len(v), lim, v)
                    if not v.isascii():
                        check_unicode(v, v)
                elif t is dict or t is list:
                    push((v, depth + 1))
                elif (t is float or t is int) and not -max_num <= v <= max_num:
                    check_number(v, v, lim, v)


def more_values_than(data: Any, most: int) -> bool:
    """Whether ``data`` (parsed JSON or YAML) holds more than ``most`` values (numbers,
    strings, lists and mappings), counted with an early stop: cheap before a walk that
    checks every value."""
    count, stack = 0, [data]
    while stack:
        node = stack.pop()
        count += 1
        if count > most:
            return True
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
