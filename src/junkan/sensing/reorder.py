"""Putting a line's stream back in order (:class:`Reorder`), at a cost that does not grow with
what a message's ``seq`` claims.

``seq`` numbers a line's batches without gaps. :class:`Reorder` releases them in ``seq`` order:

- A stream starts at ``first_seq`` (0 by default), or with ``first_seq=None`` — as the
  ingest of a live line does — at the first ``seq`` it sees (a gateway that has run for a day
  is monitored from its first message, not after a day of "missing" batches); a batch with a
  lower ``seq`` arriving after that is from before the line began: late (below).
  :meth:`Reorder.resume` goes on instead from a stream kept before (a line restored after the
  service restarted, from the last batch its raw store holds): the first batch seen after it
  shows what came meanwhile, asked for as any gap — unless it starts a new stream (below).
- A batch that arrives early waits (in :attr:`Reorder.pending`) for the ones before it, and a
  backfill of the gap is asked for (``on_gap(first, last)``, once per gap).
- A gap is declared missing — the whole gap at once, one :class:`Gap` — once ``max_wait``
  batches after it have come *and* it has been open ``max_wait_s`` seconds (counted from the
  first of them to arrive); or at once when ``max_pending`` batches are waiting (what a line
  can hold does not depend on time). A gap is a range: declaring a million batches missing
  costs what declaring one does.
- Duplicates are dropped (counted). A batch arriving after its ``seq`` was declared missing,
  from before the line began, or whose time is before the current stream's first batch, is
  *late*: counted and handed to ``on_late`` (the ingest keeps it in the raw store, marked
  late), never released to the monitor, which has moved on.
- A ``seq`` that cannot continue the stream starts a new one (counted in ``restarts``, the
  reason in ``last_restart``; the batches still waiting are released first): a ``seq`` that
  goes back while the time goes on (later than every batch seen — a gateway restarted at 0),
  or one ``max_jump`` or more behind or ahead of the next expected (an hour of 10 Hz batches
  by default, what a :class:`~junkan.sensing.mqtt.Gateway` keeps for backfill). A gateway
  whose times restart too (times from the start of a recording) sends the same ``seq`` and
  ``t`` as before, which no ordering can tell from duplicates unless it is ``max_jump``
  behind.

What the buffer keeps is bounded whatever the messages say: at most ``max_pending`` waiting
batches, and at most :data:`MAX_SPANS` ranges of missing and of asked-for ``seq``."""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from junkan.sensing.samples import Batch

MAX_JUMP = 36_000
"""A ``seq`` this far from the next expected, ahead or behind, starts a new stream."""
MAX_SPANS = 1000
"""Ranges of missing (or asked-for) ``seq`` kept per line; the lowest are forgotten (a batch
of a forgotten range arriving later counts as a duplicate)."""


class Gap(int):
    """``seq`` ``first..last`` declared missing: an ``int`` (the first) for code that takes one
    ``seq``, with :attr:`last` and :attr:`count`; ``str`` gives ``"10..29"`` (or ``"10"``)."""

    last: int

    def __new__(cls, first: int, last: int) -> Gap:
        gap = super().__new__(cls, first)
        gap.last = last
        return gap

    @property
    def first(self) -> int:
        return int(self)

    @property
    def count(self) -> int:
        return self.last - int(self) + 1

    def __str__(self) -> str:
        return f"{int(self)}..{self.last}" if self.last != int(self) else str(int(self))

    def __repr__(self) -> str:
        return f"Gap({int(self)}, {self.last})"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int.__format__(self, spec)


class Spans:
    """Disjoint ranges of ``seq`` (closed, sorted), at most ``limit`` (the lowest dropped)."""

    def __init__(self, limit: int = MAX_SPANS) -> None:
        self.limit = limit
        self.spans: list[tuple[int, int]] = []

    def __len__(self) -> int:
        return len(self.spans)

    def add(self, first: int, last: int) -> None:
        """Add ``first..last``, above every range held (ranges are added in order)."""
        if self.spans and self.spans[-1][1] >= first - 1:
            lo, hi = self.spans[-1]
            self.spans[-1] = (min(lo, first), max(hi, last))
        else:
            self.spans.append((first, last))
        del self.spans[: -self.limit]

    def _find(self, seq: int) -> int:
        i = bisect.bisect_right(self.spans, (seq, math.inf)) - 1
        return i if i >= 0 and self.spans[i][1] >= seq else -1

    def __contains__(self, seq: int) -> bool:
        return self._find(seq) >= 0

    def discard(self, seq: int) -> bool:
        """Take ``seq`` out (splitting its range); whether it was held."""
        i = self._find(seq)
        if i < 0:
            return False
        lo, hi = self.spans[i]
        parts = [(a, b) for a, b in ((lo, seq - 1), (seq + 1, hi)) if a <= b]
        self.spans[i : i + 1] = parts
        del self.spans[: -self.limit]
        return True

    def drop_below(self, seq: int) -> None:
        """Forget every ``seq`` below ``seq``."""
        i = bisect.bisect_left(self.spans, (seq, -math.inf))
        keep = self.spans[i:]
        if i and self.spans[i - 1][1] >= seq:
            keep.insert(0, (seq, self.spans[i - 1][1]))
        self.spans = keep


@dataclass
class StreamStats:
    accepted: int = 0
    duplicates: int = 0
    late: int = 0
    missing: int = 0
    malformed: int = 0
    backfilled: int = 0
    restarts: int = 0
    last_restart: str | None = None
    reasons: list[str] = field(default_factory=list)

    def reject(self, reason: str) -> None:
        self.malformed += 1
        if len(self.reasons) < 100:
            self.reasons.append(reason)


class Reorder:
    """Release a line's batches in ``seq`` order (see the module text). ``first_seq``: the
    first ``seq`` expected (``None``: the first one seen)."""

    def __init__(
        self,
        *,
        max_wait: int = 5,
        max_wait_s: float = 0.0,
        first_seq: int | None = 0,
        max_pending: int | None = None,
        max_jump: int = MAX_JUMP,
        on_gap: Callable[[int, int], None] | None = None,
        on_late: Callable[[Batch], None] | None = None,
    ) -> None:
        self.max_wait, self.max_wait_s, self.max_jump = max_wait, max_wait_s, max_jump
        self.max_pending = max(max_wait + 1, max_pending or 8 * max_wait)
        self.on_gap, self.on_late = on_gap, on_late
        self.stats = StreamStats()
        self.pending: dict[int, Batch] = {}
        self._arrived: dict[int, float] = {}
        self.lost, self.asked = Spans(), Spans()
        self._newest_t = -math.inf
        self._started = first_seq is not None
        self._new_stream(first_seq or 0, -math.inf)

    def _new_stream(self, seq: int, t: float) -> None:
        self.next = self.start = self._asked_to = seq
        self._start_t = t
        self.lost, self.asked = Spans(), Spans()

    def resume(self, last: int, t: float) -> None:
        """Go on from a stream whose batches up to ``last`` (timed ``t``) were taken before
        (by an earlier run, kept in the raw store): the next ``seq`` expected is ``last + 1``;
        a batch with a lower ``seq`` is late or a duplicate, and the new-stream rules hold
        against ``last`` and ``t`` as if the line had seen that batch (call it before the
        first batch is pushed). A batch timed before ``t`` is not late for that alone
        (review 288: a clock stepped back while the service was down, or a stored time far
        ahead, left every later batch late and the line never monitored)."""
        self._started = True
        self._new_stream(last + 1, -math.inf)
        self._newest_t = t

    def push(self, b: Batch) -> list[Batch | int]:
        """Add one batch; returns what is ready in order: batches, or a :class:`Gap` (an
        ``int``) for batches declared missing."""
        out: list[Batch | int] = []
        if not self._started:
            self._started = True
            self._new_stream(b.seq, b.t)
        elif b.seq < self.next or b.seq in self.pending:
            why = self._restart_reason(b)
            if why is None:
                self._old(b)
                return []
            self._restart(b, why, out)
        elif b.t < self._start_t:  # checked before a jump ahead (review 277): a straggler
            self._late(b)  # of an earlier stream, not a new one (its seq may be far ahead)
            return []
        elif b.seq - self.next >= self.max_jump:
            self._restart(b, f"seq {b.seq} is {b.seq - self.next} ahead of {self.next}", out)
        self._take(b)
        return out + self._release()

    def _restart_reason(self, b: Batch) -> str | None:
        if b.t > self._newest_t:
            return f"seq went back from {self.next} to {b.seq} while the time went on"
        if self.next - b.seq >= self.max_jump:
            return f"seq went back from {self.next} to {b.seq}"
        return None

    def _restart(self, b: Batch, why: str, out: list[Batch | int]) -> None:
        out += self.drain()
        self.stats.restarts += 1
        self.stats.last_restart = why
        self._new_stream(b.seq, b.t)

    def _old(self, b: Batch) -> None:
        """A ``seq`` the line is past (or holds already): late or a duplicate."""
        if b.seq not in self.pending and (self.lost.discard(b.seq) or b.seq < self.start):
            self._late(b)
        else:
            self.stats.duplicates += 1

    def _late(self, b: Batch) -> None:
        self.stats.late += 1
        if self.on_late is not None:
            self.on_late(b)

    def _take(self, b: Batch) -> None:
        self.stats.accepted += 1
        if self.asked.discard(b.seq):
            self.stats.backfilled += 1
        self.pending[b.seq] = b
        self._arrived[b.seq] = time.monotonic()
        self._newest_t = max(self._newest_t, b.t)
        ask_from = max(self.next, self._asked_to)
        if b.seq > ask_from:
            self.asked.add(ask_from, b.seq - 1)
            if self.on_gap is not None:
                self.on_gap(ask_from, b.seq - 1)
        self._asked_to = max(self._asked_to, b.seq + 1)

    def _release(self, *, drain: bool = False) -> list[Batch | int]:
        out: list[Batch | int] = []
        while self.pending:
            if self.next in self.pending:
                out.append(self.pending.pop(self.next))
                self._arrived.pop(self.next, None)
                self.next += 1
                continue
            if not (drain or self._give_up()):
                break
            first = min(self.pending)
            out.append(Gap(self.next, first - 1))
            self.lost.add(self.next, first - 1)
            self.stats.missing += first - self.next
            self.next = first
            self.asked.drop_below(first)
        return out

    def _give_up(self) -> bool:
        """The gap at :attr:`next` is declared missing once ``max_wait`` batches after it
        have come and the first of them came ``max_wait_s`` seconds ago (time for a
        backfill), or at once when ``max_pending`` batches wait."""
        if len(self.pending) >= self.max_pending:
            return True
        if len(self.pending) < self.max_wait:
            return False
        since = min(self._arrived.get(s, -math.inf) for s in self.pending)
        return time.monotonic() - since >= self.max_wait_s

    def drain(self) -> list[Batch | int]:
        """Release every waiting batch in order, the gaps between them declared missing (the
        stream ended or starts again)."""
        return self._release(drain=True)

    def summary(self) -> dict[str, Any]:
        """The counts, the next ``seq`` expected and the last restart's reason."""
        s = self.stats
        return {
            "next": self.next,
            "waiting": len(self.pending),
            "accepted": s.accepted,
            "duplicates": s.duplicates,
            "late": s.late,
            "missing": s.missing,
            "backfilled": s.backfilled,
            "restarts": s.restarts,
            "last_restart": s.last_restart,
        }
