"""A fast, conservative check of JSON text against the document limits
(:func:`~junkan.core.limits.limits`), so that :mod:`junkan.core.documents` need not walk the
parsed data of a large document: :func:`json_text_within`."""

from __future__ import annotations

import re
from typing import Any

from junkan.core.limits import Limits

__all__ = ["json_text_within"]

SMALL = 1 << 16
"""Characters below which the walk is as fast: :func:`json_text_within` says ``False``."""
CHUNK = 1 << 20
"""Bytes read at once (bounds the check's memory: a few times this, besides the text's
bytes and the positions of its quotes)."""
_ESCAPED_QUOTES_MAX = 10_000
"""Quotes after a backslash (``\\"``) :func:`json_text_within` resolves; beyond, it walks.
(Kept from when they were resolved one by one, so that the same documents are read from
their text now that they are resolved together.)"""


SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
"""A surrogate in JSON text: written as an escape, or raw (UTF-8 with surrogatepass)."""


def json_text_within(text: str, lim: Limits) -> bool:
    """True if JSON ``text``, which ``json.loads`` accepted, certainly keeps every limit the
    walk over its parsed data in :mod:`junkan.core.documents` checks — then that walk is not
    needed. Read from the text's bytes with numpy (several times faster than the walk on a
    10 MB document), and conservative: ``False`` (walk, and report as always) whenever it
    is not certain.

    * strings and keys: a string's UTF-8 bytes between its quotes, escapes included, are at
      least its characters;
    * nesting: the running count of brackets outside strings;
    * numbers: none outside strings is written with an exponent (other than a negative
      one) or as NaN / Infinity, and no integer part has more digits than a number within
      ``integer_magnitude`` can have.

    The text is read in pieces of about :data:`CHUNK` bytes that end after a string's
    closing quote: a piece starts outside any string and no number spans two pieces."""
    if len(text) < SMALL:
        return False
    import numpy as np  # imported here: reading a small document does not need it

    data = text.encode("utf-8", "surrogatepass")
    if SURROGATE.search(data):  # a \\uD800-\\uDFFF escape or a raw one: the walk judges
        return False  # whether it is paired (review 238: lone ones passed in big documents)
    b = np.frombuffer(data, dtype=np.uint8)
    quotes = _quotes(np, b)
    if quotes is None or quotes.size % 2:
        return False
    if quotes.size and int((quotes[1::2] - quotes[0::2]).max()) - 1 > lim.string_length:
        return False
    digits = 0  # a number of at most this many integer digits is below integer_magnitude
    # at most 22: 10**22 is the largest power of ten a float64 holds exactly; above it a
    # written float of that many digits may round up past the limit (1e25 - 0.1 -> 1e25+)
    while digits < 22 and 10 ** (digits + 1) <= lim.integer_magnitude:
        digits += 1
    ends = quotes[1::2] + 1  # a piece ends after a closing quote (or at the end)
    marks = np.arange(CHUNK, b.size, CHUNK).astype(quotes.dtype)
    cuts = np.unique(np.concatenate((ends[np.minimum(np.searchsorted(ends, marks),
                                                     ends.size - 1)] if ends.size else ends,
                                     np.array([b.size], dtype=quotes.dtype))))
    # (one search for all pieces: a search for a scalar of another type converts the array)
    q_cuts = np.searchsorted(quotes, cuts).tolist()
    depth = lo = q = 0
    for hi, q_hi in zip(cuts.tolist(), q_cuts, strict=True):
        ok, depth = _piece(np, b[lo:hi], quotes[q:q_hi] - lo, depth, lim.nesting_depth,
                           digits)
        if not ok:
            return False
        lo, q = hi, q_hi
    return True


def _quotes(np: Any, b: Any) -> Any:
    """Positions of the unescaped quotes in the bytes ``b`` (int32 where the text allows), or
    ``None`` if too many are escaped to resolve. Vectorised: a run of a million backslashes
    before a quote costs a pass over a megabyte, not a million steps in Python."""
    kind = np.int32 if b.size < 2**31 else np.int64
    quotes = np.concatenate([np.flatnonzero(b[lo:lo + CHUNK] == 34).astype(kind) + lo
                             for lo in range(0, b.size, CHUNK)])
    escaped = quotes[b[np.maximum(quotes - 1, 0)] == 92] if quotes.size else quotes
    if not escaped.size:
        return quotes
    if escaped.size > _ESCAPED_QUOTES_MAX:
        return None
    drop = _odd_runs(np, b, escaped)
    return np.setdiff1d(quotes, escaped[drop]) if drop.any() else quotes


def _odd_runs(np: Any, b: Any, quotes: Any) -> Any:
    """For each of ``quotes`` (sorted positions of quotes in ``b``, each after a
    backslash): whether the run of backslashes just before it is odd (the quote is escaped).

    Read piece by piece of :data:`CHUNK` bytes, from where each piece's runs begin and where
    the run open at the piece's start began (``open_at``: the piece's start if none is
    open)."""
    odd = np.zeros(quotes.size, dtype=bool)
    open_at = 0
    cuts = np.searchsorted(quotes, np.arange(0, b.size + CHUNK, CHUNK)).tolist()
    for k, lo in enumerate(range(0, b.size, CHUNK)):
        piece = b[lo:lo + CHUNK]
        q_lo, q_hi = cuts[k], cuts[k + 1]
        if q_lo == q_hi and piece[-1] != 92:  # no quote here, no run open at the end
            open_at = lo + piece.size
            continue
        slash = piece == 92
        after = np.empty_like(slash)  # whether the byte before is a backslash
        after[0], after[1:] = False, slash[:-1]
        firsts = np.flatnonzero(slash & ~after)  # where runs begin (few, however long)
        if q_lo < q_hi:
            ends = quotes[q_lo:q_hi].astype(np.int64) - lo  # a run ends before each quote
            began = firsts[np.maximum(np.searchsorted(firsts, ends - 1, "right") - 1, 0)] \
                if firsts.size else np.zeros(ends.size, dtype=np.int64)
            # a run that reaches the piece's start began where the open run did
            start = np.where((ends == 0) | (began == 0), open_at, lo + began)
            odd[q_lo:q_hi] = (ends + lo - start) % 2 == 1
        if piece[-1] != 92:
            open_at = lo + piece.size
        elif firsts[-1] > 0:  # else the whole piece is backslashes: the run goes on
            open_at = lo + int(firsts[-1])
    return odd


def _piece(np: Any, b: Any, quotes: Any, depth: int, max_depth: int, digits: int
           ) -> tuple[bool, int]:
    """Check one piece of the text (``b``, starting outside any string; ``quotes``: its
    unescaped quotes, in pairs), nested ``depth`` levels deep at its start: (within the
    limits, depth at its end)."""
    # the bytes outside strings (quotes and what they enclose dropped), in order
    bounds = np.concatenate(([0], quotes + np.tile(np.array([0, 1], dtype=quotes.dtype),
                                                   quotes.size // 2), [b.size]))
    keep = np.zeros(bounds.size - 1, dtype=bool)
    keep[0::2] = True
    out = b[np.repeat(keep, np.diff(bounds))]
    folded = out | 32  # [ and { are 123 now, ] and } 125
    steps = 124 - folded[(folded == 123) | (folded == 125)].astype(np.int64)
    if steps.size:
        levels = np.cumsum(steps)
        if depth + int(levels.max()) > max_depth:
            return False, depth
        depth += int(levels[-1])
    if ((out == 78) | (out == 73)).any():  # NaN, Infinity
        return False, depth
    # an exponent (e or E after a digit or a point) is negative: the number is at most its
    # integer part (true and false have their e after a letter)
    exps = np.flatnonzero((out == 101) | (out == 69))
    before = out[exps - 1]
    exps = exps[((before >= 48) & (before <= 57)) | (before == 46) | (out[exps] == 69)]
    if exps.size and (exps[-1] + 1 >= out.size or (out[exps + 1] != 45).any()):
        return False, depth
    pos = np.flatnonzero((out - 48) < 10)
    if not pos.size:
        return True, depth
    starts = np.flatnonzero(np.diff(pos, prepend=-2) != 1)  # runs of digits
    lengths = np.diff(starts, append=pos.size)
    long_runs = pos[starts[lengths > digits]]
    return not (out[np.maximum(long_runs - 1, 0)] != 46).any(), depth  # not fractions
