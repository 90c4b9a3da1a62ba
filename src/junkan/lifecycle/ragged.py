"""Lists of varying length, laid end to end in one flat array, expanded with array operations
(the routing operators' process lists and material mixes, the activity operators' process
lists)."""

from __future__ import annotations

import numpy as np

_I = np.int64


def ragged(offsets: np.ndarray, lengths: np.ndarray, ids: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """For each event with list ``ids[i]`` (list ``j`` holds ``lengths[j]`` items from
    ``offsets[j]`` of a flat array): the event of every item, events in order and each list's
    items in order, and the item's position in the flat array."""
    counts = lengths[ids]
    event = np.repeat(np.arange(len(ids), dtype=_I), counts)
    starts = np.cumsum(counts) - counts  # first item of each event in the output
    within = np.arange(int(counts.sum()), dtype=_I) - starts[event]
    return event, offsets[ids][event] + within


def numbered(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``lists`` laid end to end: (offsets, lengths, flat items) for :func:`ragged`."""
    lengths = np.fromiter(map(len, lists), dtype=_I, count=len(lists))
    flat = np.fromiter((i for x in lists for i in x), dtype=_I, count=int(lengths.sum()))
    return np.cumsum(lengths) - lengths, lengths, flat
