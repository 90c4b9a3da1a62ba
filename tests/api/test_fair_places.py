"""Background jobs share the workers' places between organisations (review: one
organisation's queued analyses held every place until all had run; another's one job waited
behind them all)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from junkan.api import background
from junkan.api.fair_places import FairPlaces


async def _job(places: FairPlaces, org: str, name: str, order: list[str],
               go: dict[str, asyncio.Event]) -> None:
    await places.acquire(org)
    order.append(name)
    try:
        await go[name].wait()
    finally:
        places.release(org)


def _run_in_turn(jobs: list[tuple[str, str]], places: int = 1) -> list[str]:
    """The order the jobs ``(org, name)`` — queued in this order, each finishing as soon as
    it has started — get a place in."""
    async def scene() -> list[str]:
        p, order = FairPlaces(places), []
        go = {name: asyncio.Event() for _, name in jobs}
        tasks = []
        for org, name in jobs:
            tasks.append(asyncio.create_task(_job(p, org, name, order, go)))
            await asyncio.sleep(0)  # each queued before the next
        while len(order) < len(jobs):
            await asyncio.sleep(0)
            for name in order:
                go[name].set()  # what started ends
        await asyncio.gather(*tasks)
        assert p.free == places and not p.held and p.waiting == 0
        return order

    return asyncio.run(scene())


def test_a_freed_place_goes_to_the_organisation_holding_fewest() -> None:
    jobs = [("A", "a1"), ("A", "a2"), ("A", "a3"), ("A", "a4"), ("B", "b1")]
    assert _run_in_turn(jobs) == ["a1", "b1", "a2", "a3", "a4"]  # first come: a1 … a4, b1


def test_organisations_take_turns_and_keep_their_own_order() -> None:
    jobs = [("A", "a1"), ("A", "a2"), ("B", "b1"), ("B", "b2"), ("C", "c1"), ("A", "a3")]
    assert _run_in_turn(jobs) == ["a1", "b1", "c1", "a2", "b2", "a3"]
    two = _run_in_turn(jobs, places=2)  # a1 and a2 start at once; B and C before a3
    assert two[:2] == ["a1", "a2"] and two.index("a3") > max(two.index("b1"), two.index("c1"))
    assert two.index("b1") < two.index("b2")


def test_a_job_cancelled_while_waiting_takes_no_place() -> None:
    async def scene() -> None:
        p = FairPlaces(1)
        await p.acquire("A")
        waiting = asyncio.create_task(p.acquire("B"))
        later = asyncio.create_task(p.acquire("C"))
        await asyncio.sleep(0)
        assert p.waiting == 2
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        p.release("A")
        await later  # C, not the cancelled B, has the place
        assert dict(p.held) == {"C": 1} and p.free == 0 and p.waiting == 0
        p.release("C")
        assert p.free == 1
        with pytest.raises(RuntimeError, match="holds no place"):
            p.release("C")

    asyncio.run(scene())


def test_service_jobs_wait_in_their_organisation_s_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through the service's own path (:func:`background.place`): one place, organisation A's
    user queues three jobs, then B's one; B's runs second."""
    order: list[str] = []

    async def scene() -> None:
        only = FairPlaces(1)
        monkeypatch.setattr(background, "_CLOSED", False)
        monkeypatch.setattr(background, "_slot", lambda: only)

        async def job(org: str, name: str) -> None:
            async with background.place(org):
                order.append(name)
                await asyncio.sleep(0.01)

        tasks: list[Any] = []
        for org, name in (("A", "a1"), ("A", "a2"), ("A", "a3"), ("B", "b1")):
            tasks.append(asyncio.create_task(job(org, name)))
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)

    asyncio.run(scene())
    assert order == ["a1", "b1", "a2", "a3"]
