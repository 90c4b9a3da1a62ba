"""Propagation math and the log primitives, without a store."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from junkan.trace import merkle
from junkan.trace.canonical import canonical
from junkan.trace.propagate import Graph, downstream, recompute


def test_numbering_that_is_not_topological_still_solves() -> None:
    # lot 2 is made from lot 0 and lot 1 from lot 2: creation numbers out of order
    g = Graph(mass=np.array([10.0, 10.0, 10.0]), src=np.array([0, 2]), dst=np.array([2, 1]),
              taken=np.array([10.0, 10.0]), own=np.array([[0, 0, 0], [1, 1, 0], [0, 0, 0.0]]),
              declared=np.array([[5, 5, 0, 0, 0.5], [0] * 5, [0] * 5], dtype=float))
    cone = downstream(g, np.array([0]))
    out = recompute(g, g.declared.copy(), cone)
    assert out[:, 0].tolist() == [5, 6, 5] and out[:, 4].tolist() == [0.5, 0.5, 0.5]


def test_a_cycle_is_reported() -> None:
    g = Graph(mass=np.ones(2), src=np.array([0, 1]), dst=np.array([1, 0]),
              taken=np.ones(2), own=np.zeros((2, 3)), declared=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="cycle"):
        recompute(g, np.zeros((2, 5)), np.array([0, 1]))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.integers(0, 2**31))
def test_solve_matches_lot_by_lot_propagation(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    src, dst, taken = [], [], []
    for i in range(1, n):
        for j in rng.choice(i, size=min(i, int(rng.integers(1, 3))), replace=False):
            src.append(int(j))
            dst.append(i)
            taken.append(float(rng.uniform(0.1, 1.0)))
    mass = rng.uniform(2.0, 5.0, n)
    declared = np.column_stack([rng.uniform(0, 9, n)] * 2 + [np.zeros(n)] +
                               [rng.uniform(0, 0.3, n), rng.uniform(0, 0.3, n)])
    own = np.column_stack([rng.uniform(0, 1, n)] * 2 + [np.zeros(n)])
    g = Graph(mass=mass, src=np.array(src), dst=np.array(dst), taken=np.array(taken), own=own,
              declared=declared)
    ref = declared.copy()
    for i in range(n):  # straightforward in creation order
        ins = [(s, m) for s, d, m in zip(src, dst, taken, strict=True) if d == i]
        if ins:
            ref[i, :3] = own[i] + sum(m / mass[s] * ref[s, :3] for s, m in ins)
            tot = sum(m for _, m in ins)
            ref[i, 3:] = sum(m / tot * ref[s, 3:] for s, m in ins)
    out = recompute(g, declared.copy(), np.arange(n))
    assert np.allclose(out, ref)


def test_merkle_known_values_and_proofs() -> None:
    assert merkle.root([]).hex().startswith("e3b0c442")  # SHA-256 of the empty string
    assert merkle.leaf_hash(b"").hex() == ("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511"
                                           "a30617afa01d")
    leaves = [merkle.leaf_hash(canonical({"i": i})) for i in range(23)]
    for n in (1, 2, 7, 16, 23):
        r = merkle.root(leaves[:n])
        for i in range(n):
            assert merkle.verify_inclusion(i, n, leaves[i], merkle.inclusion_proof(
                i, leaves[:n]), r)
        for m in range(1, n + 1):
            proof = merkle.consistency_proof(m, leaves[:n])
            assert merkle.verify_consistency(m, n, merkle.root(leaves[:m]), r, proof)
    bad = list(leaves)
    bad[3] = merkle.leaf_hash(b"forged")
    assert not merkle.verify_consistency(8, 23, merkle.root(bad[:8]), merkle.root(leaves),
                                         merkle.consistency_proof(8, leaves))


def test_canonical_json_matches_rfc8785() -> None:
    import rfc8785

    doc = {"numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 1e-27, 10.0, -0.0],
           "string": "€$\u000f\nA'B\"\\\\\"/", "literals": [None, True, False], "ü": 1}
    assert canonical(doc) == rfc8785.dumps(doc)
    # the split-at-quotes path: ".0" inside strings stays, outside it goes; -0.0 is 0
    for doc in ({"lot": "v1.0 (2.0 t)", "m": 2.0, "z": [-0.0, 0.0, -3.0, 12.05]},
                {"s": "1e5", "n": [1.0, 2.5], "é": "x1.0"}, [10.0, "a.0", 1e-7]):
        assert canonical(doc) == rfc8785.dumps(doc), doc


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**60, 2**60) |
    st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda ch: st.lists(ch, max_size=4) | st.dictionaries(st.text(max_size=5), ch, max_size=4),
    max_leaves=20)


@pytest.mark.slow  # worker processes or many examples: `make test` runs it
@settings(max_examples=1500, deadline=None)
@given(JSON_VALUES)
def test_fast_canonical_path_agrees_with_rfc8785(value: object) -> None:
    import rfc8785

    try:
        ref = rfc8785.dumps(value)
    except Exception:  # e.g. integers beyond what JSON numbers can carry exactly
        return
    assert canonical(value) == ref


@given(st.integers(0, 300), st.data())
def test_merkle_frontier_extends_to_the_rfc9162_root(n: int, data: st.DataObject) -> None:
    """A log extended batch by batch from its frontier has the root computed over all its
    leaves (so checkpoints need not read the log)."""

    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    frontier: list[bytes] = []
    done = 0
    for cut in [*cuts, n]:
        frontier = merkle.extend(frontier, done, leaves[done:cut])
        done = cut
        assert merkle.frontier_root(frontier) == merkle.root(leaves[:done])
