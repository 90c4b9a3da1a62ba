"""Checks of a validated model beyond its schema: references between sections, route shares,
the BOM graph (unknown parts, cycles) and the size limits — each problem with its document path.

The schema (:mod:`junkan.lifecycle.schema`) checks every field on its own; these checks need
the whole model. The BOM and size checks run before any array is allocated. Whether a route
mix must be given depends on whether mass reaches it, which is known only while the routes are
built, so :mod:`junkan.lifecycle.routing` asks a :class:`Checker` as it goes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from junkan.core.errors import CodedError, ModelError, Problem, brief, fill_in, listed, short
from junkan.core.fields import YEAR_MAX, YEAR_MIN
from junkan.core.limits import limits
from junkan.core.quantities import check_magnitude, convert, parse_quantity
from junkan.core.registry import UnitParseError
from junkan.lifecycle.bom_graph import (
    PartGraph,
    ProductLines,
    bom_lines,
    part_graph,
    product_lines,
)
from junkan.lifecycle.part_table import PartTable, part_table
from junkan.lifecycle.schema import LifecycleModel, Product

if TYPE_CHECKING:
    from junkan.lifecycle.compiled import ProcessTable

SinkShares = list[tuple[int, float]]
"""A route mix resolved to (sink index, share) pairs."""


class Rule(NamedTuple):
    """A domain rule's message with its code and the parameters the message quotes
    (:class:`~junkan.core.errors.Problem`'s ``kind`` and ``limits``), so that a user
    interface may say it in its own language."""

    message: str
    kind: str
    params: dict[str, int | float | str]


class Problems:
    """Problems found so far, in the order found."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, said: str | Rule) -> None:
        """A problem at ``path``: a message, or a :class:`Rule` with its code."""
        if isinstance(said, Rule):
            self.items.append(Problem(path, said.message, said.kind, said.params or None))
        else:
            self.items.append(Problem(path, said))

    def raise_if_any(self) -> None:
        """ModelError listing each problem once (a route mix checked where two items use it
        was reported twice), in the order found."""
        if not self.items:
            return
        once: dict[tuple[str, str], Problem] = {}
        for p in self.items:
            once.setdefault((p.path, p.message), p)
        raise ModelError(list(once.values()))


NAMED = ("process", "actor", "material", "part", "mode", "sink")
"""What :func:`unknown` reports: its rules are ``unknown-<code>`` and ``undefined-<code>``."""


def unknown(what: str, name: str, known: object, code: str = "") -> Rule:
    """``unknown actor 'x'; known: a, b`` (at most 12 names shown): rule ``unknown-<code>``
    (``undefined-<code>`` when none is known), ``code`` being ``what`` unless given (one of
    :data:`NAMED`)."""
    if (code or what) not in NAMED:
        raise ValueError(f"no rule code for unknown {what!r}")
    names = sorted(known) if known else []  # type: ignore[call-overload]
    shown = listed(names)
    code = code or what
    if not names:
        return Rule(f"unknown {what} {short(name)}; define it first", f"undefined-{code}",
                    {"name": short(name)})
    return Rule(f"unknown {what} {short(name)}; known: {shown}", f"unknown-{code}",
                {"name": short(name), "known": shown})


def rule(code: str, template: str, /, **params: int | float | str) -> Rule:
    """A :class:`Rule` whose message is ``template`` with its ``{name}`` fields filled in
    (:func:`~junkan.core.errors.fill_in`)."""
    return Rule(fill_in(template, params), code, params)


def said(exc: CodedError) -> str | Rule:
    """A coded error (a unit's, a limit's) as the checks say it: under its rule where it has
    one, else its message."""
    return rule(exc.rule, exc.template, **exc.params) if exc.rule else exc.message


def sink_shares(model: LifecycleModel, mix: dict[str, float] | None, d_index: dict[str, int],
                allow_recycling: bool = True) -> SinkShares:
    """The known sinks of a route mix with their shares (unknown ones are left out)."""
    if not mix:
        return []
    return [(d_index[target], share) for target, share in mix.items()
            if target in d_index
            and (allow_recycling or model.processes[target].kind != "recycling")]


class Checker:
    """Reference and share checks that need the process table; problems go to ``problems``."""

    def __init__(self, model: LifecycleModel, table: ProcessTable, d_index: dict[str, int],
                 problems: Problems) -> None:
        self.model = model
        self.table = table
        self.d_index = d_index
        self.problems = problems
        self.activities = frozenset(
            n for n, p in model.processes.items() if p.kind == "activity" and n in table.index
            and not n.startswith(("virgin:", "recycled:", "purchase:")))
        """Names a process list may hold (checked name by name only when one is not here)."""
        self._mixes: dict[tuple[int, bool], tuple[dict[str, float], SinkShares]] = {}
        """Route mixes checked without a problem, by identity (the mix is kept, so its id
        is not reused): the routes of a large model meet the same few mixes many times."""
        self._mix_content: dict[tuple[tuple[tuple[str, float], ...], bool], SinkShares] = {}
        """The same by content: equal mixes of different entries (every product's own
        ``uncollected``) resolve to the same shares."""

    def add(self, path: str, said: str | Rule) -> None:
        self.problems.add(path, said)

    def procs(self, procs: list[str], path: str) -> None:
        """Every name is an activity process of the model (not a sink, not an implicit one)."""
        if self.activities.issuperset(procs):
            return
        model = self.model
        for i, n in enumerate(procs):
            if n not in self.table.index or n.startswith(("virgin:", "recycled:", "purchase:")):
                self.add(f"{path}[{i}]", unknown("process", n, model.processes))
            elif model.processes[n].kind != "activity":
                self.add(f"{path}[{i}]", rule(
                    "process-is-sink", "process {name} is a {kind} sink; list it in a route "
                    "mix (residual, uncollected), not here", name=short(n),
                    kind=model.processes[n].kind))

    def known_mix(self, mix: dict[str, float], allow_recycling: bool = True
                  ) -> SinkShares | None:
        """The sink shares of ``mix`` if this very mix was checked without a problem, as
        :meth:`mix` would give them again; else ``None``."""
        hit = self._mixes.get((id(mix), allow_recycling))
        return None if hit is None else hit[1]

    def mix(self, mix: dict[str, float] | None, path: str, needed: bool,
            allow_recycling: bool = True) -> SinkShares:
        """Check a route mix (sinks with shares summing to 1; required when ``needed``) and
        resolve it to sink indices."""
        if not mix:
            if needed:
                self.add(path, rule(
                    "route-without-sinks", "this route is used (a share of items reaches it) "
                    "but has no destinations; give sinks with shares summing to 1, e.g. "
                    "{landfill: 1}"))
            return []
        hit = self._mixes.get((id(mix), allow_recycling))
        if hit is not None:
            return hit[1]
        content = (tuple(mix.items()), allow_recycling)
        same = self._mix_content.get(content)
        if same is not None:
            self._mixes[(id(mix), allow_recycling)] = (mix, same)
            return same
        n_before = len(self.problems.items)
        for target in mix:
            if target not in self.d_index:
                self.add(f"{path}.{target}", unknown("sink process (kind recycling, "
                         "energy_recovery, incineration, landfill or export)", target,
                         self.d_index, code="sink"))
            elif not allow_recycling and self.model.processes[target].kind == "recycling":
                self.add(f"{path}.{target}", rule(
                    "residue-to-recycling", "a recycling residue cannot go to another "
                    "recycling process; use landfill, incineration or energy_recovery"))
        total = sum(mix.values())
        if total > 1 + 1e-9:
            self.add(path, rule("shares-above-one", "shares sum to {total}, above 1; lower "
                                "them so they sum to 1", total=f"{total:.6g}"))
        elif total < 1 - 1e-9:
            self.add(path, rule("shares-below-one", "shares sum to {total}, below 1, so mass "
                                "would vanish; add the missing destination (e.g. landfill) so "
                                "they sum to 1", total=f"{total:.6g}"))
        shares = sink_shares(self.model, mix, self.d_index, allow_recycling)
        if len(self.problems.items) == n_before:
            self._mixes[(id(mix), allow_recycling)] = (mix, shares)
            self._mix_content[content] = shares
        return shares

    def makers(self) -> None:
        """Makers of parts and products are actors of the model."""
        model = self.model
        parts = part_table(model)
        if not model.actors.keys() >= {m for m in parts.maker if m is not None}:
            for q, maker in enumerate(parts.maker):
                if maker is not None and maker not in model.actors:
                    self.add(f"parts.{parts.names[q]}.maker",
                             unknown("actor", maker, model.actors))
        for name, prod in model.products.items():
            if prod.maker is not None and prod.maker not in model.actors:
                self.add(f"products.{name}.maker", unknown("actor", prod.maker, model.actors))

    def process_lists(self) -> None:
        """The process lists of making, using and recovering parts and products."""
        known = self.activities.issuperset  # paths are written only for a problem
        parts = part_table(self.model)
        lists = {id(x): x for x in parts.make}  # equal lists are often one object
        lists.update((id(o.processes), o.processes) for col in (parts.reuse,
                     parts.remanufacture) for o in col if o is not None)
        if all(known(x) for x in lists.values()):
            parts = PartTable()  # every list is known: nothing to report for the parts
        for q, name in enumerate(parts.names):
            for opt, o in (("reuse", parts.reuse[q]), ("remanufacture", parts.remanufacture[q])):
                if o is not None and not known(o.processes):
                    self.procs(o.processes, f"parts.{name}.recovery.{opt}.processes")
            if not known(parts.make[q]):
                self.procs(parts.make[q], f"parts.{name}.make")
        for name, prod in self.model.products.items():
            self.procs(prod.make, f"products.{name}.make")
            self.procs(prod.use, f"products.{name}.use")

    def part_residuals(self) -> None:
        """Every part's own residual route (``parts.<name>.recovery.residual``), used or not:
        an unknown sink or shares not summing to 1 were refused only once a scenario
        extracted the part (review 220), as ``eol.uncollected`` always is. Equal mixes are
        checked once (:meth:`mix`'s memo)."""
        parts = part_table(self.model)
        for name, residual in zip(parts.names, parts.residual, strict=True):
            if residual:
                self.mix(residual, f"parts.{name}.recovery.residual", False)

    def recycling(self, materials: dict[str, int]) -> None:
        """Recycling processes have yields of known materials and a residue mix; other sinks
        have neither."""
        model, n_m = self.model, len(materials)
        for name in self.d_index:
            p = model.processes[name]
            path = f"processes.{name}"
            if p.kind == "recycling":
                if not p.yields:
                    self.add(f"{path}.yields", rule(
                        "recycling-without-yields", "a recycling process needs yields per "
                        "material, e.g. {steel: 0.95}"))
                for mat in p.yields:
                    if mat not in materials:
                        self.add(f"{path}.yields.{mat}", unknown("material", mat, materials))
                needs_residue = bool(p.yields) and min(p.yields.values()) < 1 or \
                    len(p.yields) < n_m
                self.mix(p.residue, f"{path}.residue", needs_residue, allow_recycling=False)
            elif p.yields or p.residue:
                self.add(path, rule("yields-not-recycling", "'yields' and 'residue' only "
                                    "apply to kind: recycling (this process is kind: {kind})",
                                    kind=p.kind))

    def sales_points(self, pname: str, prod: Product, first_year: int
                     ) -> tuple[list[int], list[float]]:
        """A product's sales as (years, pieces per year), sorted by year. A problem with one
        value for every year (``sales: 1200``) is reported at ``sales``, where it was written;
        one of a year's value at ``sales.<year>``."""
        path = f"products.{pname}.sales"
        constant = "constant" in prod.sales and len(prod.sales) == 1
        if constant:
            pts = {first_year: prod.sales["constant"]}
        else:
            pts = {}
            for key, v in prod.sales.items():
                try:
                    year = int(key)
                except ValueError:
                    year = 0
                if not YEAR_MIN <= year <= YEAR_MAX:
                    self.add(f"{path}.{short(key, 30).strip(chr(39))}", rule(
                        "sales-year", "sales keys are years from {min} to {max} (e.g. 2030: "
                        "1200)", min=YEAR_MIN, max=YEAR_MAX))
                    continue
                pts[year] = v
        xs, ys = [], []
        for y, v in sorted(pts.items()):
            try:
                val = float(v) if isinstance(v, int | float) else \
                    convert(parse_quantity(v), "piece/year", value=v, what="sales")
                check_magnitude(val, v, "piece/year", "sales")
            except UnitParseError as exc:  # a limit's own rule, else unreadable
                self.add(path if constant else f"{path}.{y}", said(exc) if exc.rule in (
                    "quantity-too-large", "quantity-not-finite") else rule(
                    "sales-unreadable", "cannot read {value} as units per year (e.g. 1200 or "
                    "'1200 piece/year')", value=short(v)))
                continue
            if val < 0:
                self.add(path if constant else f"{path}.{y}", rule(
                    "sales-negative", "sales must not be negative, got {value}",
                    value=short(v)))
            xs.append(y)
            ys.append(val)
        return xs, ys


SubParts = dict[str, list[tuple[int, str]]]
"""Per part: its BOM lines that name a sub-part, as (line index, sub-part)."""


def sub_parts(model: LifecycleModel) -> SubParts:
    """The sub-part lines of every part's BOM (most parts have none)."""
    return sub_parts_of(part_table(model))


def sub_parts_of(parts: PartTable) -> SubParts:
    """:func:`sub_parts` of a :class:`PartTable`."""
    out: SubParts = {name: [] for name in parts.names}
    start, names, line_part = parts.bom_start, parts.names, parts.line_part
    owner = parts.line_owner()
    for g, child in enumerate(line_part):
        if child is not None:
            q = owner[g]
            out[names[q]].append((g - start[q], child))
    return out


def check_bom_graph(model: LifecycleModel, problems: Problems,
                    kids: SubParts | None = None) -> tuple[list[str], bool]:
    """Check BOM references and cycles; return part names in topological order (parents
    first) and whether the BOM can be flattened. ``kids`` is :func:`sub_parts` of the
    model, if already known; an empty dict is filled with it (one pass over the BOMs for
    both)."""
    fill = kids is not None and not kids and bool(model.parts)
    if not _check_bom_lines(model, problems, kids if fill else None):
        return list(model.parts), False
    kids = sub_parts(model) if kids is None else kids
    order: list[str] = []  # children before parents
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root, root_lines in kids.items():
        if root in state:
            continue
        if not root_lines:  # most parts: no sub-parts, nothing to walk
            state[root] = 2
            order.append(root)
            continue
        state[root] = 1
        stack = [(root, 0)]  # (part, next sub-part line); iterative, so any depth is safe
        while stack:
            name, j = stack[-1]
            lines = kids[name]
            if j == len(lines):
                stack.pop()
                state[name] = 2
                order.append(name)
                continue
            stack[-1] = (name, j + 1)
            i, child = lines[j]
            if state.get(child) == 1:
                chain = [n for n, _ in stack] + [child]
                cycle = chain[chain.index(child):]
                if len(cycle) > 9:  # keep the message short
                    cycle = cycle[:4] + [f"… {len(cycle) - 8:,} more …"] + cycle[-4:]
                problems.add(f"parts.{name}.bom[{i}].part", rule(
                    "bom-cycle", "the BOM has a cycle: {cycle}; a part cannot contain itself",
                    cycle=" → ".join(map(brief, cycle))))
                return list(model.parts), False
            if child not in state:
                state[child] = 1
                stack.append((child, 0))
    return list(reversed(order)), True


def _check_bom_lines(model: LifecycleModel, problems: Problems,
                     kids: SubParts | None = None) -> bool:
    """Every BOM line names a known part (once per BOM) or a known material. ``kids``, if
    given, is filled with :func:`sub_parts` on the way."""
    parts, materials = part_table(model), model.materials
    ok = _check_part_lines(parts, materials, problems, kids)
    for section, entries in (("products", model.products),):
        for n, entry in entries.items():
            seen: set[str] = set()
            for i, item in enumerate(entry.bom):
                ok &= _check_line(f"{section}.{n}.bom[{i}]", item.part, item.material, parts,
                                  materials, seen, problems)
    return ok


def _check_line(path: str, part: str | None, material: object, parts: PartTable,
                materials: Mapping[str, object], seen: set[str], problems: Problems) -> bool:
    """One BOM line at ``path``: a known part not yet in ``seen`` (then added), or a known
    material. False when it names something unknown (a repeated part is only reported)."""
    if part is None:
        if material in materials:
            return True
        problems.add(f"{path}.material", unknown("material", str(material), materials))
        return False
    if part not in parts.index:
        problems.add(f"{path}.part", unknown("part", part, parts))
        return False
    if part in seen:
        problems.add(f"{path}.part", rule("part-listed-twice", "part {name} is listed twice; "
                                          "list it once with the summed quantity",
                                          name=short(part)))
    seen.add(part)
    return True


def _check_part_lines(parts: PartTable, materials: Mapping[str, object], problems: Problems,
                      kids: SubParts | None) -> bool:
    """:func:`_check_bom_lines` of the parts' BOMs, read from their columns: all lines at
    once when every one is right (the common case), else line by line for the messages."""
    if bom_lines(parts, dict(zip(materials, range(len(materials)), strict=True))).known():
        if kids is not None:
            kids.update(sub_parts_of(parts))
        return True
    ok = True
    start, line_part, line_material = parts.bom_start, parts.line_part, parts.line_material
    for q, n in enumerate(parts.names):
        seen: set[str] = set()
        lines: list[tuple[int, str]] = []
        if kids is not None:
            kids[n] = lines
        s = start[q]
        for g in range(s, start[q + 1]):
            part = line_part[g]
            if part is not None:
                lines.append((g - s, part))
            ok &= _check_line(f"parts.{n}.bom[{g - s}]", part, line_material[g], parts,
                              materials, seen, problems)
    return ok


def checked_bom(model: LifecycleModel, m_index: dict[str, int], problems: Problems
                ) -> tuple[PartGraph, ProductLines] | None:
    """The BOM graph of the parts and the products' lines
    (:mod:`~junkan.lifecycle.bom_graph`), or ``None`` when a line names an unknown part or
    material or the graph has a cycle. Read as arrays when every line is right (the common
    case); otherwise :func:`check_bom_graph` walks the BOMs and reports every problem with
    its path (a part listed twice in one BOM is reported, and the BOM still built)."""
    parts = part_table(model)
    codes = bom_lines(parts, m_index)
    graph = part_graph(parts, codes) if codes.known() else None
    lines = product_lines(model, parts, m_index) if graph is not None else None
    if graph is None or lines is None or lines.repeated:
        _, ok = check_bom_graph(model, problems)
        if not ok:
            return None
        graph = graph or part_graph(parts, codes)
        lines = lines or product_lines(model, parts, m_index)
        if graph is None or lines is None:  # the walk found no problem: cannot happen
            raise AssertionError("the BOM graph was checked but cannot be read")
    return graph, lines


def check_bom_size(model: LifecycleModel, graph: PartGraph, lines: ProductLines,
                   n_years: int, problems: Problems) -> bool:
    """Refuse, before anything is allocated, a model whose BOM trees are too deep or expand to
    too many part instances, or whose years × products is too large.

    The engine tracks each *path* from a product to a part (a part used by two parents is two
    instances, each with its own reuse, extraction and replacement), so a BOM DAG is expanded
    as a tree: k levels of parts that each use two parts of the next level give 2**k
    instances. Both figures come per part type from ``graph`` (its heights and the
    instances below each part), per product from its ``lines``. Returns False (with the
    problems added, products in document order, up to the one whose instances pass the
    limit) when the model is too big to build."""
    lim = limits()
    n_p = len(model.products)
    depth = np.zeros(n_p, dtype=np.int64)
    np.maximum.at(depth, lines.product, graph.height[lines.part])
    count = np.bincount(lines.product, weights=1.0 + graph.below[lines.part], minlength=n_p)
    total = np.cumsum(count)  # instances of the products so far
    over = np.flatnonzero(total > lim.bom_instances)
    stop = int(over[0]) if over.size else n_p - 1
    deep = np.flatnonzero(depth[:stop + 1] > lim.bom_depth).tolist()
    n_before = len(problems.items)
    names = list(model.products)
    for pi in deep:
        problems.add(f"products.{names[pi]}.bom", rule(
            "bom-too-deep", "the BOM is {depth} part levels deep, more than the limit {limit} "
            "({setting})", depth=f"{int(depth[pi]):,}", limit=f"{lim.bom_depth:,}",
            setting=lim.env("bom_depth")))
    if over.size:
        problems.add(f"products.{names[stop]}.bom", rule(
            "bom-too-many-instances", "expanding the BOMs gives at least {total} part "
            "instances (one per path from a product to a part; this product has {count}), "
            "more than the limit {limit} ({setting}); a part used by several parents counts "
            "once per path", total=f"{int(total[stop]):,}", count=f"{int(count[stop]):,}",
            limit=f"{lim.bom_instances:,}", setting=lim.env("bom_instances")))
    if n_years * n_p > lim.years_products:
        problems.add("products", rule(
            "years-products-too-many", "{years} years × {products} products = {product}, "
            "more than the limit {limit} ({setting}); shorten the horizon or split the model",
            years=f"{n_years:,}", products=f"{n_p:,}", product=f"{n_years * n_p:,}",
            limit=f"{lim.years_products:,}", setting=lim.env("years_products")))
    return len(problems.items) == n_before
