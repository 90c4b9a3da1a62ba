"""Surplus-soil (and by-product) matching over time: which site's soil goes to which fill
site, stockyard or disposal site in each period, at least total cost — haul (per m³·km),
stockyard handling and storage, gate fees — less what the fill sites save on purchased
soil. A linear program (HiGHS through :func:`scipy.optimize.linprog`).

Each period's surplus must leave its site (to a sink accepting its grade, a stockyard or a
disposal site); a sink takes at most its demand per period; a stockyard keeps each grade
apart, holds at most its capacity, and is empty at the end of the horizon. Volume that
cannot be placed at all (no disposal within reach) is carried by a slack whose cost is
1,000 × the largest route cost + 1 per m³ — a solver device, not a price — and reported as
unplaced, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix

from junkan.core.documents import parse_document, read_document, validate_with
from junkan.core.errors import ModelError, Problem
from junkan.market.arcs import great_circle_km
from junkan.market.schema import Place
from junkan.market.soil_result import Arc, SoilResult
from junkan.market.soil_schema import SOIL_FAMILY, SoilMarket, SoilSolver


def load_soil(path: str | Path | None = None, *, text: str | None = None) -> SoilMarket:
    """Read a surplus-soil document; errors name the file, the path and the field."""
    if (path is None) == (text is None):
        raise ValueError("give a path or text")
    source = str(path) if path is not None else "<text>"
    doc = read_document(path) if path is not None else parse_document(text or "", source=source)
    return validate_with(SoilMarket, doc, source)


def grades_of(m: SoilMarket) -> list[str]:
    """Each source's grade: as given, or its record classified with the ``soil-mlit``
    family."""
    return _graded(m)[0]


def _graded(m: SoilMarket) -> tuple[list[str], dict[str, list[dict[str, Any]]]]:
    """:func:`grades_of`, and per source classed from its record, the better classes whose
    verdict is unknown (what to measure; :func:`junkan.grading.result.classify`): the source
    is matched with the class it meets, and the answer says a better one may be met."""
    from junkan.grading import grade

    out: list[str | None] = [s.grade for s in m.sources]
    better: dict[str, list[dict[str, Any]]] = {}
    todo = [i for i, s in enumerate(m.sources) if s.item is not None]
    if todo:
        res = grade([m.sources[i].item for i in todo], [SOIL_FAMILY])  # type: ignore[misc]
        _measured(m, todo, res)
        unknown = res.better_unknown.get(SOIL_FAMILY) or [[]] * len(todo)
        for i, cls, b in zip(todo, res.classes[SOIL_FAMILY], unknown, strict=True):
            out[i] = cls
            if b:
                better[m.sources[i].id] = b
    return [g or "" for g in out], better


def _measured(m: SoilMarket, todo: list[int], res: Any) -> None:
    """Refuse a record that fell to the family's fallback class (``mud``) only because it
    lacks a property the classes read: a record without its cone index was classed mud and
    all its soil sent to disposal as having no taker, without a word. So is one whose soil
    type is missing or listed by no class (``sf``, ``clay``): every class reads it, and
    one of a material that is not soil (no class at all)."""
    from junkan.grading import resolve, unclassed_said

    sets = resolve([SOIL_FAMILY])
    classes = {cs.id for cs in sets}
    listed: dict[str, set[str]] = {}  # the values each attribute's class rules list
    for r in (r for cs in sets for r in cs.rules if r.type == "enum"):
        key = str(r.attribute).removeprefix("attributes.")
        listed.setdefault(key, set()).update(r.allowed or [])
    feats = res.compiled.features
    problems = []
    for row, (i, cls) in enumerate(zip(todo, res.classes[SOIL_FAMILY], strict=True)):
        if cls in classes:
            continue
        if cls is None:  # not soil at all: no class, not the fallback's disposal
            item = m.sources[i].item
            assert item is not None  # todo holds the sources with a record
            problems.append(Problem(f"sources[{i}].item.material.name", (
                f"source {m.sources[i].id!r}: {unclassed_said(SOIL_FAMILY, res.compiled, item)}"
                "; give a soil record, or the source's grade")))
            continue
        attrs = m.sources[i].item.attributes  # type: ignore[union-attr]
        missing = [f for j, f in enumerate(feats) if np.isnan(res.table.x[row, j])]
        if missing:
            problems.append(Problem(f"sources[{i}].item.properties", (
                f"source {m.sources[i].id!r}: its record gives no {', '.join(missing)}, "
                f"which the {SOIL_FAMILY} classes read; without it no class is met and it "
                f"would be classed {cls!r} (the fallback) and sent to disposal; give the "
                "measured value, or the source's grade")))
        problems += [Problem(f"sources[{i}].item.attributes.{a}", (
            f"source {m.sources[i].id!r}: its record gives "
            + (f"{a} {attrs[a]!r}, which no {SOIL_FAMILY} class lists" if a in attrs
               else f"no {a}, which the {SOIL_FAMILY} classes read")
            + f" ({', '.join(sorted(values))}); it would be classed {cls!r} (the fallback) "
            "and sent to disposal; give the soil type, or the source's grade"))
            for a, values in sorted(listed.items()) if str(attrs.get(a)) not in values]
    if problems:
        raise ModelError(problems)


@dataclass
class _Lp:
    arcs: list[Arc]
    cost: list[float]
    rows: list[int]
    cols: list[int]
    vals: list[float]
    lo: list[float]
    hi: list[float]
    n_rows: int = 0

    def add_var(self, arc: Arc, cost: float) -> int:
        self.arcs.append(arc)
        self.cost.append(cost)
        return len(self.arcs) - 1

    def row(self, entries: list[tuple[int, float]], lo: float, hi: float) -> None:
        for col, val in entries:
            self.rows.append(self.n_rows)
            self.cols.append(col)
            self.vals.append(val)
        self.lo.append(lo)
        self.hi.append(hi)
        self.n_rows += 1


MAX_SOIL_VARIABLES = 1_000_000
"""Variables of one surplus-soil programme (routes per period, stocks, slacks), counted
before any is built: a 277 KB document (150 sources, 150 sinks, 100 periods, 2.3 million
routes) took 46 s and 2.8 GB; one million build and solve in about 20 s and 1.3 GB
(docs/security.md)."""


@dataclass
class _Reach:
    """Road km and reachability (within ``haul.max_km``) between each kind of site, computed
    once: ``sk`` source → sink, ``sy`` → stockyard, ``sd`` → disposal, ``yk``, ``yd``."""

    km: dict[str, np.ndarray]
    ok: dict[str, np.ndarray]

    def block(self, kind: str, rows: slice) -> np.ndarray:
        return self.ok[kind][rows]


def _km(m: SoilMarket, a: list[Place], b: list[Place]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    return great_circle_km(a, b) * m.haul.detour_factor


def _reaches(m: SoilMarket) -> _Reach:
    src = [s.location for s in m.sources]
    yards = [y.location for y in m.stockyards]
    sinks = [k.location for k in m.sinks]
    disp = [d.location for d in m.disposal]
    km = {"sk": _km(m, src, sinks), "sy": _km(m, src, yards), "sd": _km(m, src, disp),
          "yk": _km(m, yards, sinks), "yd": _km(m, yards, disp)}
    lim = m.haul.max_km
    return _Reach(km, {k: (v <= lim) if lim is not None else np.ones(v.shape, bool)
                       for k, v in km.items()})


def _accepts(m: SoilMarket, grades: list[str]) -> tuple[np.ndarray, Any, Any]:
    """Each source's grade as a code into the grades present, and which of them each sink
    (``(grades × sinks)``) and each stockyard (``(grades × stockyards)``) takes, as sparse
    matrices: built from the sites' lists (at most 100 grades each), never grade by site."""
    present = sorted(set(grades))
    code = {g: c for c, g in enumerate(present)}

    def table(lists: list[list[str] | None]) -> Any:
        pairs = [(code[g], j) for j, gs in enumerate(lists)
                 for g in (present if gs is None else set(gs)) if g in code]
        rows = np.array([p[0] for p in pairs], dtype=np.int64)
        cols = np.array([p[1] for p in pairs], dtype=np.int64)
        return csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(len(present), len(lists)))

    return (np.array([code[g] for g in grades], dtype=np.int64),
            table([k.accepts for k in m.sinks]), table([y.accepts for y in m.stockyards]))


def _masks(m: SoilMarket, grades: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sources × periods) surplus, (sinks × periods) demand, (sources × sinks) accepted."""
    T = len(m.periods)
    vol = np.array([[v > 0 for v in s.volumes] for s in m.sources], bool).reshape(-1, T)
    dem = np.array([[d > 0 for d in k.demand] for k in m.sinks], bool).reshape(-1, T)
    src, to_sink, _ = _accepts(m, grades)
    return vol, dem, to_sink[src].toarray().astype(bool).reshape(len(m.sources), len(m.sinks))


_BLOCK = 256
"""Origins whose reach is computed at once when counting with ``haul.max_km``: a (256 ×
5,000) block, not the (sources × sinks) matrix."""


def count_variables(m: SoilMarket, grades: list[str], r: _Reach | None = None) -> int:
    """The variables :func:`build` would make, counted without making them. Without
    ``haul.max_km`` (and without ``r``) every site reaches every other, and the count comes
    from sums per grade, never a (sources × sinks) array (review 303: the matrices of a
    document at the schema maxima took 7.5 s and 0.8 GB before it was refused); with it,
    from the reach of a block of sites at a time (``r``: the reach already computed)."""
    T = len(m.periods)
    vol = np.array([[v > 0 for v in s.volumes] for s in m.sources], float).reshape(-1, T)
    dem = np.array([[d > 0 for d in k.demand] for k in m.sinks], float).reshape(-1, T)
    src, to_sink, to_yard = _accepts(m, grades)
    left, per_yard = vol[:, : T - 1].sum(1), to_yard.sum(1).A1  # yards taking each grade
    n = vol.sum() + to_yard.sum() * T  # slacks; stock per stockyard, grade and period
    if r is None and m.haul.max_km is None:  # every route: sums per grade
        per = np.zeros((to_sink.shape[0], T))
        np.add.at(per, src, vol)
        n += (per * (to_sink @ dem)).sum()  # direct
        n += np.bincount(src, left, to_sink.shape[0]) @ per_yard  # to a stockyard
        n += len(m.disposal) * (vol.sum() + to_yard.sum() * T)  # to disposal
        n += per_yard @ (to_sink @ dem.sum(1))  # from a stockyard
        return int(round(float(n)))
    reach = r or _Blocks(m)
    for lo in range(0, len(m.sources), _BLOCK):
        rows = slice(lo, lo + _BLOCK)
        acc = to_sink[src[rows]].toarray() * reach.block("sk", rows)
        n += (acc * (vol[rows] @ dem.T)).sum()
        n += (to_yard[src[rows]].toarray() * reach.block("sy", rows)).sum(1) @ left[rows]
        n += reach.block("sd", rows).sum(1) @ vol[rows].sum(1)
    for lo in range(0, len(m.stockyards), _BLOCK):
        rows = slice(lo, lo + _BLOCK)
        takes = (to_yard[:, rows].T @ to_sink).toarray()  # grades yard and sink both take
        n += ((takes * reach.block("yk", rows)) @ dem.sum(1)).sum()
        n += to_yard[:, rows].sum(0).A1 @ (reach.block("yd", rows).sum(1) * T)
    return int(round(float(n)))


class _Blocks:
    """The reach of a block of origins (sources or stockyards) at a time, within
    ``haul.max_km``: what :func:`count_variables` reads instead of the whole matrices."""

    def __init__(self, m: SoilMarket) -> None:
        self.m = m
        self.sites = {"s": [s.location for s in m.sources], "y": [y.location for y in m.stockyards],
                      "k": [k.location for k in m.sinks], "d": [d.location for d in m.disposal]}

    def block(self, kind: str, rows: slice) -> np.ndarray:
        km = _km(self.m, self.sites[kind[0]][rows], self.sites[kind[1]])
        lim = self.m.haul.max_km
        return np.asarray(km <= lim) if lim is not None else np.ones(km.shape, bool)


def _too_large(m: SoilMarket, n: int) -> None:
    if n > MAX_SOIL_VARIABLES:
        raise ModelError([Problem("", (
            f"the programme would have {n:,} variables ({len(m.sources)} sources, "
            f"{len(m.sinks)} sinks, {len(m.stockyards)} stockyards, {len(m.disposal)} disposal "
            f"sites over {len(m.periods)} periods), more than the {MAX_SOIL_VARIABLES:,} "
            "allowed; split the document by area or by period, or set haul.max_km to "
            "leave out routes no truck would drive"))])


def _arcs(m: SoilMarket, grades: list[str], lp: _Lp, r: _Reach) -> None:
    """Every route variable; inventories and slacks come after."""
    c = m.haul.cost
    vol, dem, acc = _masks(m, grades)
    yard_grades = _yard_grades(m, grades)
    in_yard = [[g in gs for gs in yard_grades] for g in grades]
    ok_sk = acc & r.ok["sk"]
    km = r.km
    for t in range(len(m.periods)):
        for i in np.flatnonzero(vol[:, t]).tolist():
            g = grades[i]
            for k in np.flatnonzero(ok_sk[i] & dem[:, t]).tolist():
                cost = c * km["sk"][i, k] - m.sinks[k].virgin_cost
                lp.add_var(Arc("direct", i, k, g, t, km["sk"][i, k]), cost)
            if t < len(m.periods) - 1:
                for j in np.flatnonzero(r.ok["sy"][i]).tolist():
                    if in_yard[i][j]:
                        y = m.stockyards[j]
                        lp.add_var(Arc("to_stockyard", i, j, g, t, km["sy"][i, j]),
                                   c * km["sy"][i, j] + y.handling)
            for p in np.flatnonzero(r.ok["sd"][i]).tolist():
                lp.add_var(Arc("dispose", i, p, g, t, km["sd"][i, p]),
                           c * km["sd"][i, p] + m.disposal[p].gate_fee)
        for j in range(len(m.stockyards)):
            for g in yard_grades[j]:
                for k in np.flatnonzero(r.ok["yk"][j] & dem[:, t]).tolist():
                    sink = m.sinks[k]
                    if g in sink.accepts:
                        lp.add_var(Arc("from_stockyard", j, k, g, t, km["yk"][j, k]),
                                   c * km["yk"][j, k] - sink.virgin_cost)
                for p in np.flatnonzero(r.ok["yd"][j]).tolist():
                    lp.add_var(Arc("stockyard_dispose", j, p, g, t, km["yd"][j, p]),
                               c * km["yd"][j, p] + m.disposal[p].gate_fee)


def _yard_grades(m: SoilMarket, grades: list[str]) -> list[list[str]]:
    present = sorted(set(grades))
    return [[g for g in present if y.accepts is None or g in y.accepts] for y in m.stockyards]


def build(m: SoilMarket, grades: list[str]) -> _Lp:
    """The linear program: route variables, then stock per stockyard, grade and period,
    then one slack per source and period."""
    lp = _Lp([], [], [], [], [], [], [])
    _too_large(m, count_variables(m, grades))  # before any (sources × sinks) matrix
    r = _reaches(m)
    _arcs(m, grades, lp, r)
    n_routes = len(lp.arcs)
    big = 1e3 * (max((abs(v) for v in lp.cost), default=0.0) + 1.0)
    T = len(m.periods)
    stock: dict[tuple[int, str, int], int] = {}
    for j, gs in enumerate(_yard_grades(m, grades)):
        for g in gs:
            for t in range(T):
                stock[j, g, t] = lp.add_var(
                    Arc("stock", j, j, g, t, 0.0), m.stockyards[j].storage_cost
                )
    slack = {}
    for i, s in enumerate(m.sources):
        for t in range(T):
            if s.volumes[t] > 0:
                slack[i, t] = lp.add_var(Arc("unplaced", i, -1, grades[i], t, 0.0), big)
    out_of: dict[tuple[str, int, int], list[int]] = {}
    into: dict[tuple[str, int, int], list[int]] = {}
    for v, a in enumerate(lp.arcs[:n_routes]):
        frm = "yard" if a.kind.startswith(("from_stockyard", "stockyard_")) else "source"
        to = {"direct": "sink", "from_stockyard": "sink", "to_stockyard": "yard"}.get(
            a.kind, "disposal"
        )
        out_of.setdefault((frm + a.grade * (frm == "yard"), a.origin, a.period), []).append(v)
        into.setdefault((to, a.dest, a.period), []).append(v)
        if to == "yard":
            into.setdefault(("yard" + a.grade, a.dest, a.period), []).append(v)
    for (i, t), u in slack.items():
        lp.row(
            [(v, 1.0) for v in out_of.get(("source", i, t), [])] + [(u, 1.0)],
            m.sources[i].volumes[t],
            m.sources[i].volumes[t],
        )
    for k, sink in enumerate(m.sinks):
        for t in range(T):
            if into.get(("sink", k, t)):
                lp.row([(v, 1.0) for v in into["sink", k, t]], -np.inf, sink.demand[t])
    for p, d in enumerate(m.disposal):
        if d.capacity is not None:
            for t in range(T):
                if into.get(("disposal", p, t)):
                    lp.row([(v, 1.0) for v in into["disposal", p, t]], -np.inf, d.capacity[t])
    _stock_rows(m, lp, stock, out_of, into)
    return lp


def _stock_rows(
    m: SoilMarket,
    lp: _Lp,
    stock: dict[tuple[int, str, int], int],
    out_of: dict[tuple[str, int, int], list[int]],
    into: dict[tuple[str, int, int], list[int]],
) -> None:
    """Stock balance per stockyard, grade and period; capacity; empty at the end."""
    T = len(m.periods)
    for (j, g, t), v in stock.items():
        entries = [(v, 1.0)] + [(w, -1.0) for w in into.get(("yard" + g, j, t), [])]
        entries += [(w, 1.0) for w in out_of.get(("yard" + g, j, t), [])]
        if t > 0:
            entries.append((stock[j, g, t - 1], -1.0))
        lp.row(entries, 0.0, 0.0)
        if t == T - 1:
            lp.row([(v, 1.0)], 0.0, 0.0)
    grades: dict[int, list[str]] = {}
    for j, g, t in stock:
        if t == 0:
            grades.setdefault(j, []).append(g)
    for j, y in enumerate(m.stockyards):
        for t in range(T):
            entries = [(w, 1.0) for w in into.get(("yard", j, t), [])]
            if t > 0:
                entries += [(stock[j, g, t - 1], 1.0) for g in grades.get(j, [])]
            if entries:
                lp.row(entries, -np.inf, y.capacity)


def _some_surplus(m: SoilMarket) -> None:
    """Refuse a document whose sources have no volume in any period: there is nothing to
    match (it printed an empty table and exit 0, without a word)."""
    if not any(v > 0 for s in m.sources for v in s.volumes):
        raise ModelError([Problem("sources", (
            f"the volumes of every source are 0 m³ in all {len(m.periods)} periods: there "
            "is no surplus soil to match; give each source's volumes per period (m³), at "
            "least one above 0"))])


def _stopped(limit: float) -> ModelError:
    return ModelError([Problem("solver.time_limit_s", (
        f"the solver stopped at its time limit of {limit:g} s before it found the "
        "least-cost plan, so there is no plan (and no gap) to report: a linear program "
        "stopped early holds none (HiGHS's dual simplex reaches a feasible plan only at the "
        "optimum); raise solver.time_limit_s (at most 3,600 s), set haul.max_km to leave "
        "out routes no truck would drive, or split the document by area or by period"))])


def run_soil(m: SoilMarket) -> SoilResult:
    """Match the document's sources with sinks, stockyards and disposal over its periods,
    within ``solver.time_limit_s`` (:data:`~junkan.market.soil_schema.TIME_LIMIT_S`)."""
    _some_surplus(m)
    limit = (m.solver or SoilSolver()).time_limit_s
    grades, better = _graded(m)
    lp = build(m, grades)
    n = len(lp.arcs)
    a = coo_matrix((lp.vals, (lp.rows, lp.cols)), shape=(lp.n_rows, n)).tocsr()
    lo, hi = np.array(lp.lo), np.array(lp.hi)
    eq = lo == hi
    ub = ~eq
    res = linprog(
        np.array(lp.cost),
        A_ub=_stack(a[ub & np.isfinite(hi)], a[ub & np.isfinite(lo)]),
        b_ub=np.concatenate([hi[ub & np.isfinite(hi)], -lo[ub & np.isfinite(lo)]]),
        A_eq=a[eq] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=(0, None),
        method="highs",
        options={"time_limit": limit},
    )
    if res.status == 1:  # scipy's "iteration or time limit"; no iteration limit is set
        raise _stopped(limit)
    if res.status != 0 or res.x is None:
        raise ModelError([Problem("", f"the matching could not be solved: {res.message}")])
    x = np.where(res.x > 1e-9, res.x, 0.0)
    return SoilResult(m, grades, lp.arcs, x, float(res.fun), np.array(lp.cost), better)


def _stack(upper: Any, lower: Any) -> Any:
    """``A_ub`` rows: ``upper`` as they are, ``lower`` negated (for ``lo ≤ row``)."""
    from scipy.sparse import vstack

    blocks = [b for b in (upper, -lower) if b.shape[0]]
    return vstack(blocks) if blocks else None
