"""One router per capability; :mod:`junkan.api.app` includes them in this order."""

from fastapi import APIRouter

from junkan.api.routers import (
    account,
    admin,
    analysis,
    auth,
    lifecycle_analysis,
    market,
    models,
    sensing,
    trace,
)

ROUTERS: list[APIRouter] = [auth.router, account.router, admin.router, models.router,
                            analysis.router, trace.router, sensing.router,
                            lifecycle_analysis.router, market.router]
