"""Multi-output processes, cost values and material prices, for
:mod:`junkan.lifecycle.olca`.

*Allocation.* A process's products are its product outputs and waste inputs (what it
provides: olca-schema ``AllocationFactor.product`` is "the output product (or waste input)
to which this allocation factor is related", ``yaml/AllocationFactor.yaml``). openLCA gives
a product of a multi-output process the share ``value`` of the allocation factor of the
process's allocation method, on the exchanges that can be allocated — product inputs, waste
outputs and elementary flows, avoided ones too (olca-core ``CalcExchange.isAllocatable``);
for causal allocation the factor is per product and exchange (``AllocationFactor.exchange``),
and an exchange without one counts whole (olca-core ``AllocationIndex.get`` gives 1). The
other products belong to their own column (process-product), so their exchanges are not in
the reference product's factors. junkan applies the factors of the process's
``defaultAllocationMethod`` to its reference product; a process with several products and
no usable factor keeps all burdens on the reference, with a note naming the co-products.

*Costs.* openLCA's life cycle costing counts a cost value of an input as a cost and, on the
output side, a product's as revenue (it is sold) while an elementary or waste flow's is a
cost (openLCA 2 manual, "Life Cycle Costing": "Costs on the input side are costs. On the
output side, for products, amounts in this column are revenues ..., while the release of
elementary or waste flows might cause a cost"); a waste input — the waste a treatment
takes — earns revenue (olca-core ``CalcExchange.costValue``: "product outputs -> revenues",
"waste inputs -> revenues"; every other exchange is a cost)."""

from __future__ import annotations

import math
from typing import Any

from junkan.core.errors import short
from junkan.lifecycle.olca_formula import Overflowed, formula
from junkan.lifecycle.olca_read import Context, within

PRODUCT, WASTE, ELEMENTARY = "PRODUCT_FLOW", "WASTE_FLOW", "ELEMENTARY_FLOW"
ALLOCATING = frozenset({"PHYSICAL_ALLOCATION", "ECONOMIC_ALLOCATION", "CAUSAL_ALLOCATION"})


def is_product(kind: str | None, is_input: bool) -> bool:
    """Whether an exchange is a product of its process: a product output or a waste input."""
    return (kind == PRODUCT and not is_input) or (kind == WASTE and is_input)


def cost_side(kind: str | None, is_input: bool) -> str | None:
    """``"revenue"`` for a product output or a waste input, ``"cost"`` for any other
    exchange of a known flow type (openLCA's convention, module docstring); ``None`` when
    the flow's type is unknown."""
    if kind is None:
        return None
    return "revenue" if is_product(kind, is_input) else "cost"


def _allocatable(kind: str | None, is_input: bool, avoided: bool) -> bool:
    """A product input, waste output or elementary flow — an avoided product (stored as an
    input) or waste (an output) too: olca-core ``CalcExchange.isAllocatable`` applies the
    allocation factors to avoided flows since openLCA 2.4.1 (commit 67ce95e, "fix:
    allocation factors not applied on avoided flows")."""
    del avoided
    return kind == ELEMENTARY or (kind == PRODUCT and is_input) or \
        (kind == WASTE and not is_input)


def twins(proc: Any, ref: Any, ctx: Context) -> list[Any]:
    """The other exchanges of the reference's own flow on its side (a second output of the
    reference product), and those on the other side that the process provides itself (its
    own product consumed, ``defaultProvider`` the process — or no ``defaultProvider`` and
    the process the zip's only provider of it, which openLCA's auto-linking then links:
    :meth:`Context.only_provider`, review 252): openLCA puts them on the diagonal with the
    reference (olca-core ``InventoryBuilder.putExchangeValue``, ``provider.matches``), so
    they add to (or, consumed, take from) the reference amount and are no co-product
    (review 249: a consumption of its own product was ignored)."""
    fid = ref.flow.id if ref.flow else None
    return [e for e in proc.exchanges or [] if e is not ref and fid and e.flow is not None
            and e.flow.id == fid and not e.is_avoided_product
            and (bool(e.is_input) == bool(ref.is_input) or (
                e.default_provider.id == proc.id if e.default_provider is not None
                else ctx.only_provider(fid, proc)))]


class Allocation:
    """The share of each exchange a process's reference product bears."""

    def __init__(self, share: float | None = None, causal: dict[Any, float] | None = None,
                 others: list[Any] | None = None) -> None:
        self.share, self.causal = share, causal
        self.others = {id(e) for e in others or []}

    def leaves_out(self, e: Any) -> bool:
        """Whether ``e`` is a co-product the allocation gives to its own process."""
        return id(e) in self.others

    def factor(self, e: Any, kind: str | None) -> float:
        """The share of exchange ``e`` (of flow type ``kind``) the reference bears."""
        if not _allocatable(kind, bool(e.is_input), bool(e.is_avoided_product)):
            return 1.0
        if self.causal is not None:
            return self.causal.get(e.internal_id, 1.0)
        return 1.0 if self.share is None else self.share


def allocation(proc: Any, ref: Any, ctx: Context, params: dict[str, Any],
               same: set[int]) -> Allocation:
    """The allocation of a process to its reference product (module docstring); with a
    note when it has co-products, saying how they were treated. ``same``: the ids of the
    other exchanges of the reference flow (:func:`twins`), which are no co-products."""
    products = [e for e in proc.exchanges or [] if e is not ref and not e.is_avoided_product
                and id(e) not in same and is_product(ctx.flow(e)[0], bool(e.is_input))]
    method = proc.default_allocation_method
    mname = getattr(method, "value", None)
    ref_id = ref.flow.id if ref.flow else None
    rows = [f for f in proc.allocation_factors or []
            if mname in ALLOCATING and f.allocation_type == method and f.product is not None
            and f.product.id == ref_id]
    ref_name = short(ctx.flow(ref)[3] or ref_id or "")
    names = ", ".join(short(ctx.flow(e)[3] or "?") for e in products[:5]) + \
        (" …" if len(products) > 5 else "")
    values, why = _values(proc, rows, params)
    if rows and why is None:
        if products:
            share = "per exchange" if mname == "CAUSAL_ALLOCATION" else f"{values[-1][1]:g}"
            ctx.notes.append(f"{proc.name}: allocated by {mname} ({share} to its reference "
                             f"{ref_name}); the co-products {names} are left to their own "
                             "processes")
        if mname == "CAUSAL_ALLOCATION":
            return Allocation(causal={r.exchange.internal_id: v for r, v in values
                                      if r.exchange is not None}, others=products)
        return Allocation(share=values[-1][1], others=products)  # the last, as openLCA keeps
    if products:
        if why is None:
            why = (f"no allocation factor of its default method {mname} for its reference"
                   if mname in ALLOCATING else f"no allocation method (defaultAllocationMethod "
                   f"{mname or 'not given'})")
        ctx.notes.append(f"{proc.name}: co-products {names} besides its reference {ref_name}"
                         f" and {why}; all its burdens (and the co-products' revenue) are "
                         "given to the reference, not allocated — give allocation factors in "
                         "openLCA or split the process")
    return Allocation()


def _values(proc: Any, rows: list[Any], params: dict[str, Any]
            ) -> tuple[list[tuple[Any, float]], str | None]:
    """Each allocation factor's value (its formula's, as openLCA evaluates it first, else
    its value) and, when one cannot be used, why."""
    out = []
    for row in rows:
        value = row.value
        if row.formula:
            try:
                value = formula(str(row.formula), params)
            except Overflowed:  # beyond floating point: refused as any value too large
                value = math.inf
            except ValueError as exc:
                if value is None:
                    return [], (f"its allocation factor formula {short(row.formula)} cannot "
                                f"be evaluated ({exc})")
        if value is None or not 0 <= float(value) <= 1 + 1e-9:  # 50 was one (review 249); a
            return [], f"an allocation factor of {value!r}, not a share (0 to 1)"  # sum's 1.0…2 is
        out.append((row, min(float(value), 1.0)))
    return out, None


def currency_code(e: Any, ctx: Context) -> str | None:
    if e.currency is None:
        return None
    doc = ctx.entities.get("currencies", {}).get(e.currency.id or "", {})
    return str(doc.get("code") or e.currency.name or "").upper() or None


def money(proc: Any, parts: dict[str, list[tuple[float, str | None]]], notes: list[str],
           amount: float, per: str) -> dict[str, str]:
    """Cost and revenue per unit of reference, each in the one currency its exchanges
    use; left out with a note when they mix currencies (no sourced rate to convert)."""
    out = {}
    for key, rows in parts.items():
        total = sum(v for v, _ in rows)
        codes = {c for v, c in rows if v}
        if not total:
            continue
        if None in codes:
            notes.append(f"{proc.name}: {key} without a currency code; left out")
        elif len(codes) > 1:
            notes.append(f"{proc.name}: {key} in {' and '.join(sorted(map(str, codes)))}; no "
                         "sourced exchange rate to add them, so the "
                         f"{key} is left out")
        elif (cur := next(iter(codes))) not in ("JPY", "USD", "EUR"):
            notes.append(f"{proc.name}: {key} in {cur}, not JPY, USD or EUR; left out")
        else:
            value = within(total / amount, f"process {short(proc.name or proc.id)}: {key} per "
                           f"{per} of its reference ({total:g} {cur} for {amount:g} {per})")
            out[key] = f"{value:.10g} {cur}/{per}"
    if len({v.split()[1].split("/")[0] for v in out.values()}) > 1:
        notes.append(f"{proc.name}: cost and revenue are in different currencies; a model has "
                     "one, so convert one of them with a sourced rate")
    return out


JUNKAN_KINDS = {"virgin:": "virgin material supply", "recycled:": "recycled material supply",
                "purchase:": "part purchase"}
"""The category tail junkan's export gives its implicit processes (by name prefix)."""
TREATMENT = "end-of-life treatment"
"""The category tail of an exported sink (recycling, energy recovery, landfill, export)."""


def is_virgin_supply(proc: Any, ref: Any, per: str, ctx: Context) -> bool:
    """Whether a process is a virgin material supply for ``--materials``: its reference is
    a product output (no waste flow) in mass and, in a junkan export, it is a ``virgin:``
    supply; a note says why another process stays a process."""
    kind = ctx.flow(ref)[0]
    cat = str(proc.category or "")
    why = None
    if per != "kg" or ref.is_input:
        return False  # a product per piece or t*km, or a treatment: a process, as documented
    if kind == "WASTE_FLOW":
        why = "its reference is a waste flow (a treatment)"
    elif cat.startswith("junkan/") and not cat.endswith("/" + JUNKAN_KINDS["virgin:"]):
        tail = cat.rsplit("/", 1)[-1]
        why = f"junkan's export marks it {tail!r}, not a virgin material supply"
        if tail not in (*JUNKAN_KINDS.values(), TREATMENT):
            # no kind in the category: an ordinary process, or any process of an export
            # written before the kinds were (2026-12-03), which named virgin supplies
            # 'virgin:<material> (<label>)'
            why = None if str(proc.name or "").startswith("virgin:") else \
                "junkan's export marks it as a process, not a virgin material supply"
    if why:
        ctx.notes.append(f"{proc.name}: {why}; imported as a process, not a material")
    return why is None


def virgin_supply(proc: Any, ref: Any, factors: dict[str, Any], amount: float, ctx: Context
            ) -> dict[str, Any]:
    """The virgin supply of a material: the maker's CO2e and energy per kg, and as cost
    the product's price (the reference output's cost value) or, for a junkan export's
    virgin supply, the purchase cost the export wrote as its cost."""
    supply = {k: v for k, v in factors.items() if k in ("co2e", "energy")}
    price = money(proc, {"price": [(float(ref.cost_value or 0), currency_code(ref, ctx))]},
                   ctx.notes, amount, "kg")
    if price:
        supply["cost"] = price["price"]
    elif str(proc.category or "").startswith("junkan/") and "cost" in factors:
        supply["cost"] = factors["cost"]  # junkan writes what the buyer pays as its cost
    else:
        ctx.notes.append(f"{proc.name}: its product has no price (reference cost value); "
                         "virgin cost left out")
    return supply
