"""Checks and renewal kernels of the maintenance entries the routing step turns into
operator columns (:meth:`~junkan.lifecycle.routing.Router.product_maintenance`): which BOM
instance an entry replaces, whether its part lifetime can be resolved, and its replacement
kernels (:func:`~junkan.lifecycle.exposure.replacement_kernels`)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from junkan.core.errors import short
from junkan.lifecycle.build import Bom, second_life
from junkan.lifecycle.checks import Checker
from junkan.lifecycle.compiled import Compiled
from junkan.lifecycle.exposure import replacement_kernels
from junkan.lifecycle.schema import Maintenance

PART_LIFE_MIN = 0.001
"""Shortest fixed part lifetime, years (a thousand failures a year)."""
PART_LIFE_MIN_DISTRIBUTION = 0.1
"""Shortest mean (or scale) of a distributed part lifetime, years."""
Kernels = tuple[list[float], list[np.ndarray], list[np.ndarray]]
"""Replacement kernels of the replaceable instances: per product entering new, and per
product at the start of a year in the new and the reused stock."""


def add_kernels(c: Compiled, kernels: Kernels, pi: int, pname: str, mt: Maintenance) -> None:
    """Append the replacements per socket of products entering new, and per product at the
    start of a year in the new and the reused stock (per year), of entry ``mt``."""
    n_years = len(c.years)
    if mt.lifetime is None:  # a rate per piece-year in use: the exposure kernels × rate
        rate = float(mt.replacement_rate or 0.0)
        entry, new = rate * float(c.exposure_entry[pi]), rate * c.exposure_new[pi]
        reused = rate * c.exposure_reused[pi]
    else:
        entry, new = replacement_kernels(c.model.products[pname].lifetime, n_years,
                                         0.5, part=mt.lifetime)
        _, reused = replacement_kernels(second_life(c.model, pname), n_years, 0.0,
                                        part=mt.lifetime)
    kernels[0].append(entry)
    kernels[1].append(new)
    kernels[2].append(reused)


def part_lifetime_ok(check: Checker, mt: Maintenance, base: str) -> bool:
    """A part lifetime the renewal kernels can resolve (see :mod:`~.exposure`)."""
    lt = mt.lifetime
    if lt is None:
        return True
    if lt.distribution == "fixed":
        if (lt.mean or 0.0) < PART_LIFE_MIN:
            check.add(f"{base}.lifetime.mean", f"a part lifetime below "
                      f"{PART_LIFE_MIN} year (about 9 hours) is not supported; use "
                      "a replacement_rate or a longer lifetime")
            return False
        return True
    typical = lt.mean if lt.mean is not None else lt.scale
    if (typical or 0.0) < PART_LIFE_MIN_DISTRIBUTION:
        check.add(f"{base}.lifetime", f"a {lt.distribution} part lifetime needs a "
                  f"mean (or scale) of at least {PART_LIFE_MIN_DISTRIBUTION} year "
                  "(the renewal grid is 1/64 year); use a fixed lifetime or a "
                  "replacement_rate for shorter part lives")
        return False
    return True


def replaced_instance(bom: Bom, check: Checker, pi: int, pname: str, mt: Maintenance,
                      base: str, replaceable: set[int]) -> int | None:
    """The instance a maintenance entry replaces, or None (with the problem added)."""
    k = bom.path_index[pi].get(mt.part)
    if k is None:
        check.add(f"{base}.part", f"no part at BOM path {short(mt.part)} in product "
                  f"'{pname}'; known paths: {', '.join(sorted(bom.path_index[pi])[:10])}")
        return None
    if k in replaceable:
        check.add(f"{base}.part", f"part {short(mt.part)} already has a maintenance "
                  "entry; merge them")
        return None
    anc = bom.inst_parent[k]
    while anc >= 0:
        if anc in replaceable:
            check.add(f"{base}.part", f"{short(mt.part)} sits inside "
                      f"{short(bom.inst_path[anc])}, which is itself replaced; nested "
                      "replacements are not supported — model the outer part's "
                      "replacement only")
        anc = bom.inst_parent[anc]
    for inner in sorted(replaceable):  # and the other way round: an entry listed before
        up = bom.inst_parent[inner]
        while up >= 0 and up != k:
            up = bom.inst_parent[up]
        if up == k:
            check.add(f"{base}.part", f"{short(mt.part)} holds "
                      f"{short(bom.inst_path[inner])}, which is itself replaced; nested "
                      "replacements are not supported — model the outer part's "
                      "replacement only")
    return k


def checked_entries(bom: Bom, check: Checker, pi: int, pname: str,
                    entries: list[Maintenance]) -> Iterator[tuple[int, Maintenance, str]]:
    """Product ``pi``'s maintenance ``entries`` that pass the checks of a replacement (the
    part found once and not inside another replaced part, a part lifetime where one is
    needed), each with the instance it replaces and its path: what the walk
    (:meth:`~junkan.lifecycle.routing.Router.product_maintenance`) and the array layout
    (:mod:`junkan.lifecycle.routing_repl`) both go through, in the same order."""
    replaceable: set[int] = set()
    for mi, mt in enumerate(entries):
        base = f"products.{pname}.maintenance[{mi}]"
        k = replaced_instance(bom, check, pi, pname, mt, base, replaceable)
        if k is None or not part_lifetime_ok(check, mt, base):
            continue
        replaceable.add(k)
        yield k, mt, base
