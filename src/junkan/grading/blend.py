"""Blends: a lot made by mixing graded lots gets its properties from its inputs' by each
property's mixing rule — mass-weighted composition and shares, log-additive MFR (Arrhenius),
additive specific volume for density, worst case for strengths and restricted substances —
so its grade is derived automatically, like its CFP.

The same rules, written as constraints that are linear in the input masses x_i, are what the
market's MILP uses: a blend meets a window iff every input passes the per-input gates
(worst-case properties, enumerations, certificates) and Σ x_i a_ik ≤ 0 for every row k.
:func:`derive_grades` evaluates a blend that way; the property test checks it against
grading the mixed record."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from junkan.core.elements import complete
from junkan.core.errors import Problem
from junkan.grading.catalogue import GradingError, properties
from junkan.grading.engine import (
    Compiled,
    CompiledSet,
    Table,
    attested,
    categorical,
    lasts,
    outside,
    stored_values,
    unmeasured_unknown,
    unstated_unknown,
)
from junkan.grading.schema import Attestation, Environment, Item, Material, PropertyValue


def _mix(rule: str, w: np.ndarray, q: np.ndarray) -> float:
    if rule == "mass":
        return float(w @ q)
    if rule == "log":
        return float(math.exp(w @ np.log(q)))
    if rule == "inverse":
        return float(1.0 / (w @ (1.0 / q)))
    return float(q.min())


def _common(values: list[set[str]]) -> set[str]:
    out = set(values[0])
    for v in values[1:]:
        out &= v
    return out


def blend(items: Sequence[Item], masses: Sequence[float], *, id: str = "blend") -> Item:
    """The record of a blend of ``items`` in ``masses`` (kg; zero masses are left out)."""
    if len(items) != len(masses):
        raise GradingError([Problem("masses", f"give one mass per item: {len(items)} items, "
                                    f"{len(masses)} masses")])
    given = [float(m) for m in masses]
    bad = [i for i, m in enumerate(given) if not (math.isfinite(m) and m >= 0)]
    if bad:
        raise GradingError([Problem(f"masses[{i}]", f"{given[i]!r}: a mass must be a finite "
                                    "number of kg, 0 or more") for i in bad])
    pairs = [(it, m) for it, m in zip(items, given, strict=True) if m > 0]
    if not pairs:
        raise GradingError([Problem("masses", "a blend needs at least one positive mass")])
    its = [p[0] for p in pairs]
    m = np.array([p[1] for p in pairs])
    w = m / m.sum()
    vals = [stored_values(it, f"inputs[{i}]") for i, it in enumerate(its)]
    specs = properties()
    props: dict[str, PropertyValue] = {}
    for name in _common([set(it.properties) for it in its]):
        spec = specs[name]
        q = np.array([v[name] for v in vals])
        methods = {it.properties[name].method for it in its}
        method = methods.pop() if len(methods) == 1 else None
        note = f"derived: {spec.rule} rule over {len(its)} inputs"
        if spec.max_ratio is not None and q.max() / q.min() > spec.max_ratio:
            note += (
                f"; input ratio {q.max() / q.min():.3g} is beyond the rule's validity "
                f"({spec.max_ratio:g})"
            )
        props[name] = PropertyValue(
            value=f"{_mix(spec.rule, w, q) / spec.scale!r} {spec.unit}",
            method=f"{method}; {note}" if method else note,
        )
    # an element (or polymer) one input's analysis leaves out is not measured in the blend
    # an element one input leaves out is not measured in the blend — unless that input's
    # composition is whole (core.elements.complete): then it is 0 wt % there
    partial = [set(it.composition) for it in its if not complete(it.composition)]
    named = _common(partial) if partial else set().union(*(it.composition for it in its))
    comp = {el: min(100.0, float(w @ np.array([it.composition.get(el, 0.0) for it in its])))
            for el in sorted(named)}
    mean, worst = {}, {}
    for s in _common([{k[11:] for k in v if k.startswith("restricted.")} for v in vals]):
        mean[s] = float(w @ np.array([v[f"restricted.{s}"] for v in vals]))
    for s in _common([{k[15:] for k in v if k.startswith("restricted_max.")} for v in vals]):
        worst[s] = float(max(v[f"restricted_max.{s}"] for v in vals))
    return Item(
        id=id,
        kind="recycled_material",
        material=_material(its),
        properties=props,
        composition=comp,
        restricted=mean,
        restricted_max=worst,
        attributes=_attributes(its),
        quantity={"mass": f"{float(m.sum())!r} kg"},
        environment=_environment(its, w),
        **_shared(its),
    )


def _material(its: Sequence[Item]) -> Material:
    def one(field: str) -> str | None:
        vals = {getattr(it.material, field) for it in its}
        return vals.pop() if len(vals) == 1 else None

    names = sorted({it.material.name for it in its})
    return Material(name="+".join(names)[:200], family=one("family"), use=one("use"))


def _attributes(its: Sequence[Item]) -> dict[str, str | list[str]]:
    """Attributes every input has: one value, or the list of distinct values. Material
    name and family of mixed inputs are kept as lists under ``material.name`` /
    ``material.family`` so an enumeration tests every input; process route and collection
    source, when every input states them, under ``process.route`` / ``collection.source``.
    One an input does not state is not stated in the blend (its verdict unknown:
    :func:`~junkan.grading.engine.unstated_unknown`), as :func:`derive_verdicts` reads it."""
    out: dict[str, str | list[str]] = {}
    for key in _common([set(it.attributes) for it in its]):
        seen: set[str] = set()
        for it in its:
            v = it.attributes[key]
            seen |= set(v) if isinstance(v, list) else {v}
        out[key] = seen.pop() if len(seen) == 1 else sorted(seen)
    for field in ("name", "family"):
        vals = {getattr(it.material, field) for it in its}
        if len(vals) > 1 and None not in vals:
            out[f"material.{field}"] = sorted(str(v) for v in vals)
    for path in ("process.route", "collection.source"):  # the blend has no process of its own
        stated = [categorical(it, path) for it in its]
        if all(stated):  # stated by every input: each value, as an enumeration reads it
            both = sorted(set().union(*stated))
            out[path] = both[0] if len(both) == 1 else both
    return out


def _environment(its: Sequence[Item], w: np.ndarray) -> Environment | None:
    envs = [it.environment for it in its]
    if any(e is None for e in envs):
        return None
    ok = [e for e in envs if e is not None]
    return Environment(
        cfp_kgco2e_per_kg=float(w @ np.array([e.cfp_kgco2e_per_kg for e in ok])),
        recycled_post=min(1.0, float(w @ np.array([e.recycled_post for e in ok]))),
        recycled_pre=min(1.0, float(w @ np.array([e.recycled_pre for e in ok]))),
        source=f"blend of {len(ok)} inputs",
    )


def _shared(its: Sequence[Item]) -> dict[str, list[Attestation]]:
    """The blend's attestations by group (``certificates``, ``social``): the kinds every input
    holds (a blend is certified only while each input is), each valid until the earliest of
    the inputs' expiries, each input's being that of its longest-lasting attestation of the
    kind (:func:`junkan.grading.engine.attested`: one expired beside a valid one does not
    count). So the blend holds a kind on a day iff every input does, as the
    market's per-input gates (:func:`linear_terms`) read it."""
    held = [attested(it) for it in its]
    out: dict[str, list[Attestation]] = {"certificates": [], "social": []}
    for k in sorted(_common([set(h) for h in held])):
        group, a = min((h[k] for h in held), key=lambda ga: lasts(ga[1]))
        out[group].append(a)
    return out


def linear_terms(
    cs: CompiledSet, table: Table, *, tolerant: bool = False
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """For one compiled set and the items of ``table`` as candidate inputs: ``gate`` (n,)
    — the input may enter a blend held to this set at all — and ``a`` (n, K) such that a
    blend with masses x of gated inputs meets the set iff x @ a ≤ 0 (per column).
    ``labels`` names each column (``mfr<=``, ``composition.Fe<=``).

    The gates compare each input with its limits as grading does, within the relative
    tolerance of a limit (:attr:`Bound.lo_ok`); the rows hold the true limits (the market's
    MILP), or with ``tolerant`` the limits widened by that tolerance, as grading reads a
    mixed record (:func:`derive_grades`)."""
    n = table.x.shape[0]
    gate = np.ones(n, dtype=bool)
    cols: list[np.ndarray] = []
    labels: list[str] = []
    for j, b in enumerate(cs.bounds):
        q = table.x[:, cs.cols[j]]
        gate &= ~np.isnan(q)
        qq = np.where(np.isnan(q), 1.0, q)
        if b.rule == "min":  # worst case: each input within the window
            gate &= (qq >= b.lo_ok) & (qq <= b.hi_ok)
            continue
        lo, hi = (b.lo_ok, b.hi_ok) if tolerant else (b.lo, b.hi)
        g, fl, fh = _transform(b.rule, qq, lo, hi)
        if b.hi < math.inf:
            cols.append(g - fh if b.rule != "inverse" else fh - g)
            labels.append(f"{b.feature}<=")
        if b.lo > -math.inf and not (b.rule == "mass" and b.lo <= 0):
            cols.append(fl - g if b.rule != "inverse" else g - fl)
            labels.append(f"{b.feature}>=")
    for attr, allowed in cs.enums:
        ok_code = np.array([bool(v) and v <= allowed for v in table.values[attr]], dtype=bool)
        gate &= ok_code[table.codes[attr]]
    for kind in cs.certs:
        gate &= np.array([kind in c for c in table.certs], dtype=bool)
    gate &= ~outside(cs.cs, table)  # an input of another material than the set is for
    a = np.stack(cols, axis=1) if cols else np.zeros((n, 0))
    return gate, a, labels


def _transform(rule: str, q: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, float, float]:
    """The quantity that mixes linearly (q, ln q or 1/q) and the bounds in its terms."""
    if rule == "log":
        return (
            np.log(q),
            math.log(lo) if lo > 0 else -math.inf,
            math.log(hi) if 0 < hi < math.inf else math.inf,
        )
    if rule == "inverse":
        return (1.0 / q, 1.0 / lo if lo > 0 else math.inf, 1.0 / hi if hi > 0 else math.inf)
    return q, lo, hi


def derive_grades(compiled: Compiled, table: Table, masses: Sequence[float]) -> np.ndarray:
    """Whether a blend of the table's items in ``masses`` meets each compiled set (S,),
    from the inputs' linear terms — without building the blend record."""
    return derive_verdicts(compiled, table, masses)[0]


def derive_verdicts(compiled: Compiled, table: Table, masses: Sequence[float]
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``met`` and ``unknown`` (S,) of a blend of the table's items in ``masses``, as
    grading the blend record answers them (:class:`~junkan.grading.engine.Verdicts`): a
    value one input with mass does not give is not measured in the blend
    (:func:`blend`), and the verdict on it follows :func:`unmeasured_unknown`; the other
    limits are read from the inputs' linear terms."""
    x = np.asarray(masses, dtype=float)
    used = x > 0
    met = np.zeros(len(compiled.sets), dtype=bool)
    unknown = np.zeros_like(met)
    for s, cs in enumerate(compiled.sets):
        absent = np.isnan(table.x[used][:, cs.cols]).any(axis=0)  # per bound, in the blend
        keep = np.flatnonzero(~absent)
        # an attribute one input with mass does not state is not stated in the blend
        unstated = [(a, v) for a, v in cs.enums
                    if not all(table.values[a][c] for c in table.codes[a][used])]
        known = replace(cs, bounds=[cs.bounds[j] for j in keep], cols=cs.cols[keep],
                        lo=cs.lo[keep], hi=cs.hi[keep],
                        enums=[e for e in cs.enums if e not in unstated])
        gate, a, _ = linear_terms(known, table, tolerant=True)
        lhs = x @ np.where(used[:, None], a, 0.0) if a.shape[1] else np.zeros(0)
        scale = np.abs(a[used]).T @ x[used] if a.shape[1] else np.zeros(0)
        ok = bool(gate[used].all() and np.all(lhs <= 1e-12 * (1.0 + scale)))
        gaps = absent.any() or bool(unstated)
        met[s] = ok and not gaps
        unknown[s] = ok and gaps and bool(np.all(unmeasured_unknown(cs.lo[absent]))) and (
            not unstated or unstated_unknown("enum"))
    return met, unknown
