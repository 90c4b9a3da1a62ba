"""Compute every framework from one :class:`FlowModel`, and build that model from a lifecycle
simulation result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypedDict

import numpy as np

from junkan.core.errors import short
from junkan.indicators.cti import circular_transition_indicators
from junkan.indicators.esrs_e5 import esrs_e5
from junkan.indicators.inputs import (
    Finance,
    FlowModel,
    Inflow,
    Outflow,
    ProductUse,
    feedstock_efficiency,
)
from junkan.indicators.iso59020 import iso59020_core
from junkan.indicators.lifecycle_products import make_revenue, product_flows, sinks
from junkan.indicators.mci import SOURCE as MCI_SOURCE
from junkan.indicators.mci import company_circularity, material_circularity
from junkan.indicators.notes import Note, note
from junkan.indicators.rap import SOURCE as RAP_SOURCE
from junkan.indicators.rap import rap
from junkan.indicators.values import Indicator, IndicatorInputError, ratio
from junkan.lifecycle import Result, stages

MCI_NOTES = (note("mci-not-read"),)
ACTOR_NOTES = (note("actor-reading"),)


NAMED_INFLOWS = 3
"""How many inflows a note or message names; the rest it counts (review 286: every product's
note listed every inflow, products × inflows of text)."""


def _some_inflows(names: list[str]) -> tuple[str, str]:
    """The first :data:`NAMED_INFLOWS` of ``names`` joined, and how many more there are
    (``""`` when none)."""
    shown = ", ".join(names[:NAMED_INFLOWS])
    rest = len(names) - NAMED_INFLOWS
    return shown, f"{rest:,}" if rest > 0 else ""


def _inflows_ef(from_inflows: tuple[float, list[str]] | None
                ) -> tuple[float, Note | None] | None:
    """The inflows' E_F with the note every product taking it carries, built once (``None``
    for the note when the harmonic mean underflowed), or ``None`` when no inflow states it."""
    if from_inflows is None:
        return None
    ef, names = from_inflows
    shown, more = _some_inflows(names)
    if not ef > 0:
        return ef, None
    if more:
        return ef, note("ef-from-many-inflows", ef=f"{ef:.6g}", inflows=shown, more=more)
    return ef, note("ef-from-inflows", ef=f"{ef:.6g}", inflows=shown)


def _feedstock_efficiency(p: ProductUse, from_inflows: tuple[float, Note | None] | None,
                          names: list[str]) -> tuple[float, tuple[str, ...]]:
    """A product's E_F and the note saying where it came from (none when it states it)."""
    if p.recycling_efficiency_feedstock is not None:
        ef = p.recycling_efficiency_feedstock
        return ef, (note("ef-assumed-eol", ef=f"{ef:.6g}"),) if p.ef_is_eol else ()
    if p.recycled_feedstock == 0:
        return 1.0, ()  # W_F = 0 whatever E_F
    if from_inflows is not None:
        ef, said = from_inflows
        if said is None:  # the harmonic mean underflowed: which inflow (review 276)
            shown, more = _some_inflows(names)
            raise IndicatorInputError(
                f"inflows' recycling_efficiency ({shown}{f' and {more} more' if more else ''})"
                " is too small: the losses of recycling the feedstock are not a finite number "
                "of kg")
        return ef, (said,)
    return 1.0, (note("ef-assumed-one"),)


def _eol_notes(p: ProductUse) -> tuple[str, ...]:
    """The note a product collected for recycling needs when it does not state E_C (review
    319: the default 1.0, no losses, raised its MCI without a word, where a missing E_F was
    said). A simulated product always states its own (review 320: one none of which retired
    took 1.0, ``ec-not-simulated``)."""
    routed = (note("eol-from-routing"),) if p.eol_routed else ()
    if p.collected_for_recycling > 0 and "recycling_efficiency_eol" not in p.model_fields_set:
        return (note("ec-assumed-one"), *routed)
    return routed


def _biological_notes(p: ProductUse) -> tuple[str, ...]:
    """The notes a product's composted or energy-recovered share, and its sustained-production
    feedstock, need when no ``biological_share`` bounds them (the 2019 extension credits them
    for biological materials only; review 320: F_S was credited without a word)."""
    if p.biological_share is not None:
        return ()
    return (((note("mci-biological-unchecked"),) if p.composted + p.energy_recovered > 0
             else ()) + ((note("mci-bio-feedstock-unchecked"),)
                         if p.sustained_bio_feedstock > 0 else ()))


def _company(fm: FlowModel, values: list[float]) -> list[Indicator]:
    """The revenue-weighted company MCI: not computed while a product's revenue is missing."""
    revenues = [p.revenue for p in fm.products]
    if not values or (len(values) == 1 and not revenues[0]):
        return []  # one product without revenue: its own MCI says it all
    missing = [i for i, r in enumerate(revenues) if r is None]
    comp: float | None = None
    reason: str | None
    code: str | None = None
    params: dict[str, str] = {}
    if len(missing) == len(revenues):
        reason = ("revenue not given (products[].revenue, the normalising factor R_i of "
                  "every product)")
        code = "revenue-not-given"
    elif missing:
        fields = ", ".join(f"products[{i}].revenue" for i in missing)
        reason = (f"revenue not given for {fields}; the company MCI weights every product by "
                  "its revenue")
        code, params = "revenue-missing", {"fields": fields}
    else:
        comp = company_circularity(values, [r or 0.0 for r in revenues])
        reason = None if comp is not None else "total revenue is zero"
        code = None if comp is not None else "revenue-zero"
    return [Indicator("mci.company", comp, "fraction", "Σ MCI_i R_i / Σ R_i (R = revenue)",
                      MCI_SOURCE, {"products": len(values)}, reason=reason, notes=MCI_NOTES,
                      reason_code=code, reason_params=params)]


def mci(fm: FlowModel) -> list[Indicator]:
    """Product MCI for each product, and the revenue-weighted company MCI (not computed while
    a product's revenue is missing). A product's E_F is its ``recycling_efficiency_feedstock``,
    else the inflows' ``recycling_efficiency`` (:func:`feedstock_efficiency`), else 1.0."""
    out = []
    values = []
    stated = feedstock_efficiency(fm.inflows)  # once, not per product (review 286)
    from_inflows, names = _inflows_ef(stated), stated[1] if stated else []
    counted = []
    for i, p in enumerate(fm.products):
        if p.no_flows or p.not_made:  # review 265: MCI 0.1 of nothing; 319: of no feedstock
            out.append(_not_computed(p))
            continue
        counted.append(p)
        x_l = p.lifetime / p.industry_lifetime if p.lifetime and p.industry_lifetime else 1.0
        x_u = (p.use_intensity / p.industry_use_intensity
               if p.use_intensity and p.industry_use_intensity else 1.0)
        try:
            ef, ef_notes = _feedstock_efficiency(p, from_inflows, names)
            ef_notes += _eol_notes(p) + _biological_notes(p)
            r = _product_mci(p, ef, x_l, x_u)
        except IndicatorInputError as exc:  # which product (review 276: no path)
            raise IndicatorInputError(f"products[{i}] ({p.name}): {exc}") from None
        out.append(Indicator(f"mci.product.{p.name}", r.mci, "fraction",
                             "max(0, 1 − LFI · 0.9/X), LFI = (V + W) / (2M + (W_F − W_C)/2)",
                             MCI_SOURCE, {"M_kg": r.mass, "V_kg": r.v, "W0_kg": r.w0,
                                          "WC_kg": r.wc, "WF_kg": r.wf, "W_kg": r.w,
                                          "E_F": ef, "E_C": p.recycling_efficiency_eol,
                                          "LFI": r.lfi, "X": r.x},
                             notes=MCI_NOTES + ef_notes))
        values.append(r.mci)
    if fm.products and not values:  # review 320: no company MCI, and no word of why
        return out + [_no_company(len(fm.products))]
    return out + _company(fm.model_copy(update={"products": counted}), values)


def _no_company(products: int) -> Indicator:
    """The company MCI of a period in which no product has an MCI (none made or retired in
    it, or none made): null with the reason."""
    return Indicator("mci.company", None, "fraction", "Σ MCI_i R_i / Σ R_i (R = revenue)",
                     MCI_SOURCE, {"products": products},
                     reason="no product has an MCI in the period (none was made in it)",
                     reason_code="no-product-mci", notes=MCI_NOTES)


def _not_computed(p: ProductUse) -> Indicator:
    """The MCI of a simulated product without flows in the window, or not made in it (its
    feedstock not known): null with the reason."""
    reason, code = (("the product has no flows in the period (neither made nor retired)",
                     "product-no-flows") if p.no_flows else
                    ("no piece of the product was made in the period: its feedstock is not "
                     "known", "product-not-made"))
    return Indicator(f"mci.product.{p.name}", None, "fraction",
                     "max(0, 1 − LFI · 0.9/X), LFI = (V + W) / (2M + (W_F − W_C)/2)",
                     MCI_SOURCE, reason=reason, reason_code=code, notes=MCI_NOTES)


def _product_mci(p: Any, ef: float, x_l: float, x_u: float) -> Any:
    """:func:`material_circularity` of product ``p`` with feedstock efficiency ``ef`` and
    the utility ratios ``x_l`` (lifetime) and ``x_u`` (use intensity)."""
    return material_circularity(
        p.mass, recycled_feedstock=p.recycled_feedstock, reused_feedstock=p.reused_feedstock,
        sustained_bio_feedstock=p.sustained_bio_feedstock,
        collected_for_recycling=p.collected_for_recycling,
        collected_for_reuse=p.collected_for_reuse, composted=p.composted,
        energy_recovered=p.energy_recovered, recycling_efficiency_eol=p.recycling_efficiency_eol,
        recycling_efficiency_feedstock=ef, lifetime_ratio=x_l, use_intensity_ratio=x_u)


FRAMEWORKS: dict[str, Callable[[FlowModel], list[Indicator]]] = {
    "mci": mci, "cti": circular_transition_indicators, "iso59020": iso59020_core,
    "esrs-e5": esrs_e5, "rap": rap,
}


def compute(fm: FlowModel, frameworks: Sequence[str] = ("all",)) -> dict[str, list[Indicator]]:
    """Indicators by framework (``all`` or any of mci, cti, iso59020, esrs-e5, rap; one name
    alone is one framework — review 319: ``"cti"`` was read letter by letter, "unknown
    framework 'c'")."""
    if isinstance(frameworks, str):
        frameworks = (frameworks,)
    names = list(FRAMEWORKS) if "all" in frameworks else list(frameworks)
    unknown = [n for n in names if n not in FRAMEWORKS]
    if unknown:
        raise KeyError(f"unknown framework {short(unknown[0])}; known: "
                       f"{', '.join(FRAMEWORKS)}, all")
    return {n: FRAMEWORKS[n](fm) for n in names}


_ROUTE = {"energy_recovery": "energy_recovery", "incineration": "incineration",
          "landfill": "landfill", "export": "export", "recycling": "recycling"}


def lifecycle_efficiencies(recycled_in: float, recycled_out: float
                           ) -> tuple[float, float | None]:
    """The system's E_C and its products' E_F from its recycling processes' input and
    output (kg). E_C = output ÷ input (1.0 without recycling); a product takes it only when
    none of it is collected for recycling (C_R = 0 makes it irrelevant), its own otherwise.
    E_F is **assumed** to be the same efficiency — the simulation does not model
    the recycling that made the recycled feedstock; without recycling, or when it produced
    nothing (0.0, which the MCI cannot take as E_F), it is left unstated (``None``): the MCI
    then takes 1.0 and says so in its notes."""
    if recycled_in <= 0:
        return 1.0, None
    eff = recycled_out / recycled_in
    return eff, eff if eff > 0 else None


def from_lifecycle(result: Result, years: tuple[int, int] | None = None) -> FlowModel:
    """The flow model of a simulated product system over ``years`` (default: all years).

    Inflows: each material's virgin + recycled input, plus reused parts and products.
    Outflows: retired products and replaced parts at their first destination — reuse (recovered
    for reuse or remanufacture), each recycling process (actual recovery = its output ÷ input),
    energy recovery, landfill, export (kind ``by-product``: its treatment is unknown, so it stays
    out of the ESRS waste table). Products for MCI take their own end-of-life shares and their
    allocated feedstock (:mod:`~junkan.indicators.lifecycle_products`; review 259: they
    took the system's, so every product had the same MCI); their E_C is their own (what the
    recycling processes made of their end of life ÷ their kg into them; review 320) and their
    E_F, **an assumption**, the system's end-of-life recycling efficiency (the recycling
    processes' output ÷ input; the simulation does not model the recycling that made the
    recycled feedstock). With no recycling, or recycling that produced nothing, E_F is not
    stated and the MCI takes 1.0 and says so in its notes (a real 0.0 is not turned into 1.0
    silently)."""
    raw, c = result.raw, result.raw.compiled
    mask = slice(None)
    if years is not None:
        first, last = int(c.years[0]), int(c.years[-1])
        if years[0] > years[1] or years[0] < first or years[1] > last:
            # a window past the horizon gave indicators of nothing ("n/a") without a word
            raise IndicatorInputError(
                f"years: {years[0]}–{years[1]} is not a window inside the model's years "
                f"{first}–{last}; give FIRST ≤ LAST within them")
        sel = (c.years >= years[0]) & (c.years <= years[1])
        mask = sel  # type: ignore[assignment]
    edges = raw.edges[mask].sum(axis=0)
    inflows = []
    for i, m in enumerate(c.materials):
        vir, rec = float(raw.virgin[mask, i].sum()), float(raw.recycled[mask, i].sum())
        if vir + rec > 0:
            inflows.append(Inflow(name=m, mass=f"{vir + rec} kg", recycled=rec / (vir + rec)))
    reused = float(result.reused_input_kg()[mask].sum())
    if reused > 0:
        inflows.append(Inflow(name="reused parts and products", mass=f"{reused} kg", reused=1.0))
    sink_kind, recycling_nodes = sinks(c)
    outflows = []
    reuse_kg = sum(v for (a, b), v in zip(c.edges, edges, strict=True)
                   if b in stages.REUSE_NODES)
    if reuse_kg > 0:
        outflows.append(Outflow(name="recovered for reuse", mass=f"{reuse_kg} kg", route="reuse",
                                actual_recovery=1.0))
    recycled_out = recycled_in = 0.0
    for node, kind in sink_kind.items():
        direct = sum(v for (a, b), v in zip(c.edges, edges, strict=True)
                     if b == node and a not in recycling_nodes)
        if direct <= 0:
            continue
        ar = 0.0
        if kind == "recycling":
            produced = sum(v for (a, b), v in zip(c.edges, edges, strict=True)
                           if a == node and b in stages.SECONDARY_NODES)
            ar = produced / direct
            recycled_out += produced
            recycled_in += direct
        outflows.append(Outflow(name=node, mass=f"{direct} kg", route=_ROUTE[kind],
                                kind="by-product" if kind == "export" else "waste",
                                actual_recovery=ar))
    revenue = float(result.impacts()[mask, :, 3].sum())
    # every product, also in a window without flows: its MCI is null with the reason
    # (review 319: a window without outflows had no MCI; 320: one without any flow neither)
    products = _product_uses(result, mask, revenue,
                             lifecycle_efficiencies(recycled_in, recycled_out))
    return FlowModel(name=f"{c.model.name}/{result.scenario}", currency=c.model.currency,
                     inflows=inflows, outflows=outflows, products=products,
                     finance=_finance(revenue))


def _finance(revenue: float) -> Finance:
    """The simulated revenue as the flow model's finance. A model's revenue factors may be
    negative (a gate fee paid, booked as revenue), so may their sum: kept as it is, unvalidated
    (a document's revenue must be ≥ 0), for the revenue-based indicators to be null with the
    reason (``revenue-negative``; review 319: ``Finance`` refused it, and every indicator of
    the run ended in a traceback)."""
    if revenue >= 0:
        return Finance(revenue=revenue)
    return Finance.model_construct(revenue=revenue)


def _product_uses(result: Result, mask: Any, revenue: float,
                  efficiencies: tuple[float, float | None]) -> list[ProductUse]:
    """Each product for its MCI: its own flows (:func:`product_flows`), its own E_C (what
    the recycling processes made of its end of life ÷ its kg into them; review 320: the
    system's, and 1.0 where none of it retired in the window, so the MCI jumped between
    adjacent windows), the system's E_F (assumed), and as R_i its revenue from being made
    (:func:`_weights`)."""
    c = result.raw.compiled
    e_c, e_f = efficiencies
    own = product_flows(result, mask)
    weights = _weights(make_revenue(result, mask), revenue)
    out = []
    for pi, p in enumerate(c.products):
        took, left = own.material[pi] + own.reused[pi], own.out[pi]
        # none retired in the window: the end of life of a retired piece (review 319: 0 of 0
        # collected read as none, and a product collected at 0.8 scored MCI 0.1)
        routed = left <= 0 < took and own.per_piece[2][pi] > 0
        reuse, recycling, out_kg, made_of = ((x[pi] for x in own.per_piece) if routed else (
            own.reuse[pi], own.recycling[pi], left, own.recycled_out[pi]))
        cr = min(recycling / out_kg, 1.0) if out_kg > 0 else 0.0
        out.append(ProductUse.simulated(
            no_flows=took <= 0 and left <= 0, not_made=took <= 0 < left, eol_routed=routed,
            name=p, mass=f"{c.product_mass[pi]} kg",
            recycled_feedstock=min(own.recycled[pi] / took, 1.0) if took > 0 else 0.0,
            reused_feedstock=min(own.reused[pi] / took, 1.0) if took > 0 else 0.0,
            collected_for_recycling=cr,
            collected_for_reuse=min(reuse / out_kg, 1.0 - cr) if out_kg > 0 else 0.0,
            recycling_efficiency_eol=min(made_of / recycling, 1.0) if recycling > 0 else e_c,
            recycling_efficiency_feedstock=e_f, ef_is_eol=e_f is not None,
            revenue=float(weights[pi])))
    return out


def _weights(made: np.ndarray, revenue: float) -> np.ndarray:
    """Each product's R_i: its revenue from being made, a loss counting as 0 — EMF's R_i is
    a non-negative normaliser (review 320: one product made at −1 JPY a piece switched every
    weight to equal shares, and the company MCI jumped from 0.6193 to 0.4112). Where no
    product has a weight above 0 (none made for a price: the model's revenue sits elsewhere)
    they count alike: an equal share of ``revenue``, or 1.0 each where it is not above 0
    (review 319: a negative share was refused by ``ProductUse``)."""
    weights = np.maximum(made, 0.0)
    if weights.sum() > 0:
        return weights
    return np.full(len(made), revenue / len(made) if revenue > 0 else 1.0)


CIRCULATION_STAGES = ("collection", "transport", "reuse", "remanufacturing", "dismantling",
                      "recycling")


def actor_indicators(result: Result) -> dict[str, list[Indicator]]:
    """Indicators per actor (whole horizon), where they mean something for one company:

    * recycled share of the materials the actor buys (``virgin:``/``recycled:`` supply);
    * circulation cost: its processes in collection, transport, reuse, remanufacturing,
      dismantling and recycling;
    * RAP with value added = revenue − purchases from other companies (material supply and
      ``purchase:`` of parts) — an approximation: other process costs are treated as the
      actor's own."""
    raw, c = result.raw, result.raw.compiled
    tbl = c.processes
    imp = result.impacts().sum(axis=0)  # (N, 4)
    kg = raw.activity[:, 1, :].sum(axis=0)
    out: dict[str, list[Indicator]] = {}
    for actor in sorted(set(tbl.actor) - {""}):
        idx = [i for i, a in enumerate(tbl.actor) if a == actor]
        rec = sum(kg[i] for i in idx if tbl.names[i].startswith("recycled:"))
        vir = sum(kg[i] for i in idx if tbl.names[i].startswith("virgin:"))
        purchases = sum(imp[i, 2] for i in idx
                        if tbl.names[i].startswith(("virgin:", "recycled:", "purchase:")))
        circ = sum(imp[i, 2] for i in idx if tbl.stage[i] in CIRCULATION_STAGES)
        revenue = sum(imp[i, 3] for i in idx)
        items = [Indicator(f"actor.{actor}.circulation_cost", float(circ), c.model.currency,
                           "Σ cost of the actor's circulation-stage processes", RAP_SOURCE,
                           {"stages": list(CIRCULATION_STAGES)}, status="inferred",
                           notes=ACTOR_NOTES)]
        if rec + vir > 0:
            items.append(Indicator(f"actor.{actor}.recycled_share_of_purchases",
                                   float(rec / (rec + vir)), "fraction",
                                   "recycled kg / (virgin + recycled kg) bought", RAP_SOURCE,
                                   {"recycled_t": rec / 1000, "virgin_t": vir / 1000},
                                   status="inferred", notes=ACTOR_NOTES))
        items.append(_actor_rap(actor, float(revenue), float(purchases), float(circ)))
        out[actor] = items
    return out


def _actor_rap(actor: str, revenue: float, purchases: float, circ: float) -> Indicator:
    """An actor's RAP, (revenue − purchases) ÷ circulation cost: null with the reason when
    the cost is 0, negative (cost factors may be credits: review 319, it said "no
    circulation cost" of −82,844 JPY) or so small that the ratio is beyond a float."""
    key, formula = f"actor.{actor}.rap", "(revenue − purchases) / circulation cost"
    inputs = {"revenue": revenue, "purchases": purchases, "circulation_cost": circ}
    if circ > 0:
        return ratio(key, revenue - purchases, circ, unit="ratio", formula=formula,
                     source=RAP_SOURCE, inputs=inputs, status="inferred", notes=ACTOR_NOTES)
    reason, code, params = (("no circulation cost", "circulation-cost-zero", {}) if circ == 0
                            else (f"the circulation cost is negative ({circ:.6g})",
                                  "circulation-cost-negative", {"cost": f"{circ:.6g}"}))
    return Indicator(key, None, "ratio", formula, RAP_SOURCE, inputs, reason=reason,
                     status="inferred", notes=ACTOR_NOTES, reason_code=code,
                     reason_params=params)


class ScenarioIndicators(TypedDict):
    """What :func:`scenario_indicators` adds to a scenario of a comparison."""

    indicators: dict[str, list[dict[str, Any]]]
    indicators_by_actor: dict[str, list[dict[str, Any]]]
    tradeoff_warnings: list[str]


def scenario_indicators(result: Result, totals: dict[str, float],
                        base_totals: dict[str, float]) -> ScenarioIndicators:
    """For a compare document: every framework's indicators of one scenario (whole horizon)
    and the trade-off warnings of its change against the baseline."""
    from junkan.indicators.catalogue import tradeoff_warnings
    from junkan.indicators.report import as_json

    changes = {k: totals[k] - base_totals[k] for k in totals}
    return {"indicators": as_json(compute(from_lifecycle(result))),
            "indicators_by_actor": as_json(actor_indicators(result)),
            "tradeoff_warnings": tradeoff_warnings(changes)}
