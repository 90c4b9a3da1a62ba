"""The market over HTTP: buyers publish conditions to chosen partners (enforced as ODRL
access policies), sellers post offers (graded lots) and match them against the conditions
granted to them. A condition the caller was not granted answers 404 exactly like a missing
one. Matching (grading and the MILP) runs in a budgeted worker process."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import HTTPException, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND, org_name, refused
from junkan.api.errors import field_errors
from junkan.api.request_json import strict_router
from junkan.api.work import offload
from junkan.core.budget import default_pool
from junkan.core.errors import ModelError, Problem, brief, coded, short
from junkan.market import Condition, Lot, Market, check, defaults, offer, to_odrl, usable
from junkan.market import run as run_market
from junkan.store.market_repo import MAX_PER_ORG, MarketRepo

router = strict_router(tags=["market"])

Id = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9a-f]{1,32}$")]
Limit = Annotated[int, Query(ge=1, le=MAX_PER_ORG)]
SOLVE_SHARE = 0.4
"""Share of a request's CPU budget the match's solver may take (its time limit): the default
30 s ran past the 20 s budget (1,000 offers × 1,000 conditions), and the request was refused
with 422 instead of answering the best assignment found in time, as the CLI does. HiGHS may
use both cores, and grading, explanations and the answer need the rest (an assumption)."""


def _repo(request: Request) -> MarketRepo:
    return MarketRepo(request.app.state.store.db)


def _own(doc: Condition | Lot, field: str, name: str) -> None:
    if getattr(doc, field) != name:
        raise refused([coded(field, "not-your-organisation", "must be your organisation "
                              "({name})", name=short(name))])


def _checked(market: Market, at: str) -> None:
    """:func:`junkan.market.check` of the one posted document (``market`` holds it as
    ``at``, ``conditions[0]`` or ``lots[0]``): a refusal names the body's own fields
    (``price.premiums[0].property``, not ``conditions[0].price…``)."""
    try:
        check(market)
    except ModelError as exc:
        raise refused([Problem(p.path.removeprefix(at).removeprefix("."), p.message, p.kind,
                                p.limits) for p in exc.problems]) from None


@router.post("/api/market/conditions", status_code=201)
async def market_condition_create(
    body: Condition, request: Request, user: CurrentUser, store: StoreDep
) -> dict[str, Any]:
    """Publish a buyer's condition (``buyer`` is the caller's organisation) to the
    partners in ``granted_to``."""
    _own(body, "buyer", await run_in_threadpool(org_name, store.db, user))
    await run_in_threadpool(_checked, Market(conditions=[body]), "conditions[0]")
    cid = await run_in_threadpool(_repo(request).put_condition, user.org_id, body)
    return {"record": cid, "odrl": to_odrl(body)}


@router.get("/api/market/conditions")
async def market_conditions(
    request: Request, user: CurrentUser, limit: Limit = 100
) -> list[dict[str, Any]]:
    """Conditions the caller may see: its own and those granted to it."""
    rows = await run_in_threadpool(_repo(request).conditions, user.org_id, limit)
    return [{"record": i, **c.model_dump(mode="json", exclude_none=True)} for i, c in rows]


@router.get("/api/market/conditions/{cid}")
async def market_condition(cid: Id, request: Request, user: CurrentUser) -> dict[str, Any]:
    cond = await run_in_threadpool(_repo(request).condition, user.org_id, cid)
    if cond is None:
        raise NOT_FOUND
    return {"record": cid, **cond.model_dump(mode="json", exclude_none=True)}


@router.get("/api/market/conditions/{cid}/odrl")
async def market_condition_odrl(cid: Id, request: Request, user: CurrentUser) -> dict[str, Any]:
    """The condition's access, usage and acceptance policies (ODRL, JSON-LD)."""
    cond = await run_in_threadpool(_repo(request).condition, user.org_id, cid)
    if cond is None:
        raise NOT_FOUND
    return to_odrl(cond)


@router.delete("/api/market/conditions/{cid}", status_code=204)
async def market_condition_delete(cid: Id, request: Request, user: CurrentUser) -> None:
    """Withdraw one of the caller's conditions. A condition of another organisation —
    granted to the caller or not — answers 404 exactly like a missing one."""
    if not await run_in_threadpool(_repo(request).delete_condition, user.org_id, cid):
        raise NOT_FOUND


@router.post("/api/market/offers", status_code=201)
async def market_offer_create(
    body: Lot, request: Request, user: CurrentUser, store: StoreDep
) -> dict[str, Any]:
    """Offer a graded lot (``seller`` is the caller's organisation)."""
    _own(body, "seller", await run_in_threadpool(org_name, store.db, user))
    await run_in_threadpool(_checked, Market(lots=[body]), "lots[0]")
    return {"record": await run_in_threadpool(_repo(request).put_offer, user.org_id, body)}


@router.get("/api/market/offers")
async def market_offers(
    request: Request, user: CurrentUser, limit: Limit = 100
) -> list[dict[str, Any]]:
    rows = await run_in_threadpool(_repo(request).offers, user.org_id, limit)
    return [{"record": i, **lot.model_dump(mode="json", exclude_none=True)} for i, lot in rows]


@router.delete("/api/market/offers/{oid}", status_code=204)
async def market_offer_delete(oid: Id, request: Request, user: CurrentUser) -> None:
    """Withdraw one of the caller's offers. Another organisation's offer answers 404 exactly
    like a missing one."""
    if not await run_in_threadpool(_repo(request).delete_offer, user.org_id, oid):
        raise NOT_FOUND


def _left_out(left: list[tuple[Condition, list[Problem]]]) -> list[dict[str, Any]]:
    """The conditions a match left out because they cannot be used (:func:`junkan.market.usable`),
    each named with its buyer and its problems at their paths in the condition."""
    return [{"condition": c.id, "buyer": c.buyer, "code": "condition_unusable",
             "message": f"condition {brief(c.id)!r} of {brief(c.buyer)} is left out of this "
                        f"match: {problems[0].path}: {problems[0].message} (only its buyer "
                        "can correct it)",
             "errors": field_errors(problems)} for c, problems in left]


def _match_job(doc: dict[str, Any], seller: str) -> dict[str, Any]:
    """Grade and match the seller's lots against the conditions granted to it that can be
    used; one buyer's condition that cannot (stored before a rule, or wrong only against
    these lots) is left out and named in ``conditions_left_out``, never failing the match
    (without any usable condition only ``conditions_left_out`` is answered)."""
    m, left = usable(Market.model_validate(doc))
    if not m.conditions:
        return {"conditions_left_out": _left_out(left)}
    result: dict[str, Any] = {"grades": offer(m, seller).to_json()}
    result.update(run_market(m).to_json())
    result["conditions_left_out"] = _left_out(left)
    return result


@router.post("/api/market/match")
async def market_match(request: Request, user: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Grade the caller's offers against the conditions granted to it and match them
    (pooling points are not stored yet: direct deliveries only). A granted condition that
    cannot be used is left out and named in ``conditions_left_out``."""
    repo = _repo(request)
    lots = [lot for _, lot in await run_in_threadpool(repo.offers, user.org_id, MAX_PER_ORG)]
    conds = [c for _, c in await run_in_threadpool(repo.conditions, user.org_id,
                                                    MAX_PER_ORG + 1)]
    cut = len(conds) > MAX_PER_ORG  # more granted than one match reads (review 269)
    conds = conds[:MAX_PER_ORG]
    if not lots:
        raise HTTPException(422, {"message": "you have no offers to match: post one first",
                                  "code": "market-no-offers"})
    if not conds:
        raise HTTPException(422, {"message": "no buyer has granted your organisation a "
                                  "condition yet: there is nothing to match your offers with",
                                  "code": "market-no-conditions"})
    seller = await run_in_threadpool(org_name, store.db, user)
    doc = Market(lots=lots, conditions=conds).model_dump(mode="json")
    solver = defaults()["solver"]
    cpu = default_pool().default_budget.cpu_s
    doc["solver"] = {**solver, "time_limit_s": max(1.0, min(float(solver["time_limit_s"]),
                                                            SOLVE_SHARE * cpu))}
    out: dict[str, Any] = await offload(_match_job, doc, seller)
    if "summary" not in out:
        raise HTTPException(422, {
            "message": "no condition granted to your organisation can be used: each needs "
                       "its buyer's correction (conditions_left_out names them)",
            "code": "market-no-usable-conditions",
            "conditions_left_out": out["conditions_left_out"]})
    if cut:
        out["conditions_not_read"] = (
            f"more than {MAX_PER_ORG} conditions are granted to your organisation: this match "
            f"read the oldest {MAX_PER_ORG}; newer ones were not matched")
    return out
