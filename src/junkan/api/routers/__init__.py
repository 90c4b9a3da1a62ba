"""One router per capability; :mod:`junkan.api.app` includes them in this order."""

from fastapi import APIRouter

from junkan.api.routers import (
    account,
    admin,
    analysis,
    auth,
    catalogue,
    examples,
    foresight_jobs,
    lifecycle_analysis,
    market,
    metering,
    model_forms,
    models,
    nature,
    network_jobs,
    passports,
    policy,
    sensing,
    trace,
    vision,
)

ROUTERS: list[APIRouter] = [auth.router, account.router, admin.router, models.router,
                            examples.router,
                            analysis.router, trace.router, sensing.router,
                            lifecycle_analysis.router, market.router,
                            catalogue.router, policy.router, nature.router,
                            metering.router, vision.router, network_jobs.router,
                            foresight_jobs.router, model_forms.router,
                            passports.router]
