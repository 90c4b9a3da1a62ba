"""The order of a solar-panel registry's flows in time: a certified recycler treats panels
once they were handed to it (:func:`junkan.policy.solar.load_registry` checks it with the
counts and masses)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

from junkan.core.errors import Problem, coded

if TYPE_CHECKING:
    from junkan.policy.solar import Registry


def treated_before_handed(reg: Registry) -> list[Problem]:
    """Each treatment that brings the panels a recycler reports treated of an installation,
    by its date, above those handed to it as recycler by that day (a handover on the day
    counts). A treatment dated before the panels reached the recycler was stored: the counts
    were compared over all dates, so a report of 60 panels treated on 15 August for a
    handover of 1 September passed. Counts above every handover are ``treated-too-many``'s
    (not said twice)."""
    handed: dict[tuple[str, str], list[tuple[date, int]]] = defaultdict(list)
    for h in reg.handovers:
        if h.role == "recycler":
            handed[(h.installation, h.to)].append((h.date, h.count))
    treats: dict[tuple[str, str], list[tuple[date, int, int]]] = defaultdict(list)
    for i, t in enumerate(reg.treatments):
        treats[(t.installation, t.recycler)].append((t.date, i, t.count))
    out = []
    for key, ts in treats.items():
        hs = sorted(handed.get(key, []))
        total = sum(n for _, n in hs)
        j = got = done = 0
        for day, i, n in sorted(ts):
            while j < len(hs) and hs[j][0] <= day:
                got += hs[j][1]
                j += 1
            done += n
            if got < done <= total:
                out.append(coded(f"treatments[{i}].date", "treated-before-handover",
                                 "{recycler} reports {treated} panels of installation "
                                 "{installation} treated by {date}, when {handed} had been "
                                 "handed to it as recycler", recycler=key[1], treated=done,
                                 installation=key[0], date=day.isoformat(), handed=got))
    return out
