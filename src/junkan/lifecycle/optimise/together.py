"""Decisions read from a model's scenarios (:func:`~.spec.auto_spec`): which paths make one
decision, and a note when the best combination takes one scenario's settings apart.

Every group of overlapping paths the scenarios set is one decision, so a scenario that sets
two separate paths (compressor_magnet's A: the return collection of the compressors and the
magnets' extraction) gives two decisions, and the optimum may take its extraction without
its collection — 1,263 t below scenario B, by saving the collection burden A attaches to
the recovery: a combination no scenario describes (review 315). That is the documented
rule (each choice is free), but the answer now says so, naming the scenario, what was taken
and what was left (:func:`split_notes`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from junkan.lifecycle.optimise.spec import OptimiseSpec


def overlapping_groups(paths: list[str]) -> list[list[str]]:
    """``paths`` in groups of paths that overlap (:func:`overlaps`), directly or through
    others; each group in the order the paths came, the groups in the order of their last
    path. Sorted by their tokens, the paths a path is inside are those still open before it:
    one pass, not every pair (2,000 paths took 8 s, review 216)."""
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = i = parent[parent[i]]
        return i

    from junkan.lifecycle.optimise.spec import token_key

    keys = [token_key(p) for p in paths]
    open_: list[int] = []  # each a prefix of the next
    for i in sorted(range(len(paths)), key=keys.__getitem__):
        while open_ and keys[i][:len(keys[open_[-1]])] != keys[open_[-1]]:
            open_.pop()
        if open_:
            parent[root(i)] = root(open_[-1])
        open_.append(i)
    groups: dict[int, list[int]] = {}
    for i in range(len(paths)):
        groups.setdefault(root(i), []).append(i)
    return [[paths[i] for i in g] for g in sorted(groups.values(), key=lambda g: g[-1])]



def splits(spec: OptimiseSpec, choices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For decisions read from scenarios, each scenario whose settings the ``choices``
    (:attr:`~.result.Point.choices`) take in some decisions but not in others: ``scenario``,
    the decisions ``taken`` and those ``left``."""
    chosen = {c["decision"]: str(c["option"]) for c in choices}
    out = []
    for scenario, where in spec._together.items():
        took = [d for d, o in where.items() if chosen.get(d) == o]
        left = [d for d, o in where.items() if chosen.get(d) != o]
        if took and left:
            out.append({"scenario": scenario, "taken": took, "left": left})
    return out


def split_notes(found: list[dict[str, Any]], who: str = "the best combination") -> list[str]:
    """:func:`splits` in words (the page says them in the reader's language); ``who``
    takes them apart (a Pareto front's ``point 3``)."""
    return [f"{who} takes scenario {s['scenario']}'s settings in "
            f"{', '.join(s['taken'])} but not in {', '.join(s['left'])}, which it sets "
            "together: a combination no scenario describes. To keep them together, give a "
            f"spec with one decision whose options take the scenario whole ({{scenario: "
            f"{s['scenario']}}}; user guide, chapter 10)" for s in found]
