"""Reverse-chain metering over HTTP (junkan.metering): the reference numbers with their
sources, a metering run on uploaded clamp readings and scan events (or on a generated
compressor day), product-model identification from a photo, and the export of unit factors
as a lifecycle library template. Everything but the reference runs in a budgeted worker;
inputs are bounded (``MAX_CSV_CHARS``, ``MAX_UNITS``, ``MAX_IMAGE_B64``, ``MAX_FACTORS``) and
bad input answers 422 problem+json naming the field."""

from __future__ import annotations

import base64
import binascii
from functools import cache
from typing import Annotated, Any

from fastapi import HTTPException
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, Field

from junkan.api.auth import CurrentUser
from junkan.api.common import within_data_limits
from junkan.api.request_json import strict_router
from junkan.api.work import offload
from junkan.core.base import Strict

router = strict_router(tags=["metering"])

MAX_CSV_CHARS = 12_000_000
"""Largest readings CSV one request may carry (≈ 250,000 readings)."""
MAX_UNITS = 100
"""Most units of a generated day (≈ 1.2 M readings, a few seconds in a worker)."""
MAX_IMAGE_B64 = 8_000_000
MAX_FACTORS = 10_000
MAX_EVENTS = 5_000
"""Events returned by a run (the factors and totals always come whole)."""

Doc = Annotated[dict[str, Any], Field(max_length=1000), AfterValidator(within_data_limits)]


class RunIn(Strict):
    circuits: Doc
    """The circuits document (``{"circuits": {id: {phases, steps, …}}}``)."""
    readings_csv: str = Field(min_length=1, max_length=MAX_CSV_CHARS)
    scans_csv: str | None = Field(default=None, max_length=MAX_CSV_CHARS // 4)
    grid_s: float = Field(default=1.0, ge=0.1, le=600)
    penalty: float = Field(default=4.0, gt=0, le=1000)
    tolerance_s: float = Field(default=15.0, ge=0, le=3600)


class DemoIn(Strict):
    units: int = Field(default=24, ge=2, le=MAX_UNITS, strict=True)
    seed: int = Field(default=0, ge=0, le=2**31, strict=True)


class IdentifyIn(Strict):
    image_b64: str = Field(min_length=4, max_length=MAX_IMAGE_B64)
    """The photo (PNG, JPEG, …), base64."""
    catalogue: Annotated[dict[str, Any], Field(max_length=10),
                         AfterValidator(within_data_limits)] | None = None
    """A catalogue document; none = the 20 generated demo models."""
    use_text: bool = True


class ExportIn(Strict):
    factors: list[Annotated[dict[str, Any], Field(max_length=40),
                            AfterValidator(within_data_limits)]] = Field(
        min_length=1, max_length=MAX_FACTORS
    )
    actor: str = Field(default="dismantler", min_length=1, max_length=64, pattern=r"^[\w.-]+$")


def _result_doc(res: Any, truth: Any = None) -> dict[str, Any]:
    from junkan.core.encoding import jsonable
    from junkan.metering import electrical, library_template

    ev = res.attribution.events
    doc = {
        "summary": res.summary(),
        "factors": res.factors.to_dict("records"),
        "events": ev.head(MAX_EVENTS).to_dict("records"),
        "events_total": len(ev),
        "library": library_template(
            res.factors,
            {"source": res.imported.source, "sha256": res.imported.sha256},
            electrical(),
        )
        if not res.factors.empty
        else None,
    }
    if truth is not None:
        doc["truth_kwh_per_step"] = truth
    return dict(jsonable(doc))


def metering_run_job(body: dict[str, Any]) -> dict[str, Any]:
    from junkan import metering

    plant = metering.plant_from_dict(body["circuits"], "circuits")
    table = metering.cells_of_text
    imp = metering.from_frame(
        table(body["readings_csv"], "readings_csv"), plant, source="readings_csv"
    )
    scans = (
        metering.scans_from_frame(table(body["scans_csv"], "scans_csv"), plant, "scans_csv")
        if body.get("scans_csv")
        else None
    )
    res = metering.run(
        imp,
        plant,
        scans,
        grid_s=body["grid_s"],
        penalty=body["penalty"],
        tolerance_s=body["tolerance_s"],
    )
    return _result_doc(res)


def metering_demo_job(units: int, seed: int) -> dict[str, Any]:
    from junkan import metering

    day = metering.compressor_day(units, seed)
    res = metering.run_frames(day.readings, day.scans, metering.plant_from_dict(day.circuits))
    return _result_doc(res, day.truth_kwh_per_step())


@cache
def _demo_catalogue() -> Any:
    from junkan.metering import demo_catalogue

    return demo_catalogue()


def metering_identify_job(
    data: bytes, catalogue: dict[str, Any] | None, use_text: bool
) -> dict[str, Any]:
    from junkan import metering

    cat = (metering.load_catalogue(doc=catalogue, field="catalogue") if catalogue is not None
           else _demo_catalogue())
    out: dict[str, Any] = metering.identify(
        data, cat, use_text=use_text, source="image_b64"
    ).to_json()
    return out


def metering_export_job(factors: list[dict[str, Any]], actor: str) -> dict[str, Any]:
    from junkan import metering

    df = metering.factors_frame(factors)
    doc: dict[str, Any] = metering.library_template(
        df, {"source": "api upload", "sha256": ""}, actor=actor
    )
    return doc


@router.get("/api/metering/reference")
async def metering_reference(user: CurrentUser) -> dict[str, Any]:
    """The numbers metering assumes when not measured (voltage, power factor), the grid
    emission factor and the tariff, each with its source."""
    from dataclasses import asdict

    from junkan.metering import electrical

    ref = await run_in_threadpool(electrical)
    return asdict(ref)


@router.post("/api/metering/run")
async def metering_run(body: RunIn, user: CurrentUser) -> dict[str, Any]:
    """Import, segment and attribute uploaded clamp readings (CSV text) with the station's
    scan events: energy per step, unit factors per model × step, the library template;
    refused rows are counted in ``summary.import.quarantine_reasons``."""
    out: dict[str, Any] = await offload(metering_run_job, body.model_dump())
    return out


@router.post("/api/metering/demo")
async def metering_demo(body: DemoIn, user: CurrentUser) -> dict[str, Any]:
    """Generate a compressor-dismantling day (seed 003's 1.0/6.5/2.8/8.8 kWh/day) and meter it;
    the answer includes the generated truth per step."""
    out: dict[str, Any] = await offload(metering_demo_job, body.units, body.seed)
    return out


@router.post("/api/metering/identify")
async def metering_identify(body: IdentifyIn, user: CurrentUser) -> dict[str, Any]:
    """Identify the product model in a photo: QR / barcode, nameplate text, or outline
    against the catalogue (default: the 20 generated demo models)."""
    try:
        data = base64.b64decode(body.image_b64, validate=True)
    except (binascii.Error, ValueError):
        raise HTTPException(422, "image_b64: not valid base64") from None
    out: dict[str, Any] = await offload(metering_identify_job, data, body.catalogue, body.use_text)
    return out


@router.post("/api/metering/export")
async def metering_export(body: ExportIn, user: CurrentUser) -> dict[str, Any]:
    """Unit factors (rows of ``factors`` as returned by a run) as a lifecycle library
    template: one dismantling process per model × step."""
    out: dict[str, Any] = await offload(metering_export_job, body.factors, body.actor)
    return out
