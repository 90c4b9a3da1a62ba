"""Enrolment of known models into a catalogue (outline features, calibrated temperature) and
identification of a photo: label first (QR / barcode, then nameplate text), outline otherwise.
See :mod:`junkan.metering.identify` for the features and the catalogue format."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from junkan.metering.identify import (
    CODE_CONFIDENCE,
    Catalogue,
    Entry,
    IdentifyError,
    OcrFailed,
    label_regions,
    match_text,
    read_codes,
    read_image,
    read_text,
    shape_features,
    silhouette,
)

TEMPERATURES = np.geomspace(0.005, 5.0, 60)


@dataclass
class Identification:
    """Model, confidence (0–1), how it was found and the evidence."""

    model: str | None
    confidence: float
    method: str  # "code", "text", "shape" or "none"
    entry: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "confidence": round(self.confidence, 4),
            "method": self.method,
            "entry": self.entry,
            "evidence": self.evidence,
            "seconds": round(self.seconds, 4),
        }


def _distances(x: np.ndarray, cat: Catalogue) -> np.ndarray:
    """Per model, the distance from ``x`` to its nearest enrolled photo (inf if none)."""
    out = np.full(len(cat.models), np.inf)
    for i, e in enumerate(cat.models):
        if e.shape:
            v = np.asarray(e.shape, dtype=float)
            if v.ndim != 2 or v.shape[1] != len(x):  # a catalogue built in code, not loaded
                raise IdentifyError(f"{cat.source}: models[{i}].shape: expected vectors of "
                                    f"{len(x)} numbers, got {v.shape[-1]}")
            out[i] = float(np.sqrt(((v - x) ** 2).sum(axis=1)).min())
    return out


def _softmax(d: np.ndarray, t: float) -> np.ndarray:
    z = -(d - d[np.isfinite(d)].min()) / t
    z[~np.isfinite(z)] = -np.inf
    p = np.exp(z)
    return np.asarray(p / p.sum())


def calibrate(cat: Catalogue) -> float:
    """The temperature minimising the leave-one-out negative log-likelihood of the enrolled
    photos (each classified against all the others), among those whose mean top confidence
    does not exceed the Laplace-smoothed leave-one-out accuracy ``(k + 1) / (n + 2)`` (without
    that bound, a catalogue whose photos are all recognised would be driven to certainty).
    Needs at least three photos of two models."""
    rows = [(i, np.asarray(v)) for i, e in enumerate(cat.models) for v in e.shape]
    if len({i for i, _ in rows}) < 2 or len(rows) < 3:
        return cat.temperature
    x = np.stack([v for _, v in rows])
    lab = np.array([i for i, _ in rows])
    dd = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dd, np.inf)
    d = np.full((len(rows), len(cat.models)), np.inf)
    for k in range(len(cat.models)):
        if (lab == k).any():
            d[:, k] = dd[:, lab == k].min(axis=1)
    use = np.flatnonzero(np.isfinite(d[np.arange(len(rows)), lab]))
    if len(use) == 0:
        return cat.temperature
    correct = sum(int(np.argmin(d[j]) == lab[j]) for j in use)
    bound = (correct + 1) / (len(use) + 2)
    best, best_t = math.inf, float(TEMPERATURES[-1])
    for t in TEMPERATURES:
        p = np.stack([_softmax(d[j], t) for j in use])
        if p.max(axis=1).mean() > bound:
            continue
        nll = -float(np.log(np.maximum(p[np.arange(len(use)), lab[use]], 1e-12)).sum())
        if nll < best:
            best, best_t = nll, float(t)
    return best_t


def enrol(
    cat: Catalogue | None,
    photos: list[tuple[Entry, bytes]],
    *,
    recalibrate: bool = True,
) -> Catalogue:
    """Add photos of known models (a new or existing entry each) to a catalogue and refit the
    confidence temperature."""
    cat = cat or Catalogue([])
    by_id = {e.model: e for e in cat.models}
    for k, (entry, data) in enumerate(photos):
        x = shape_features(read_image(data, f"photo {k + 1} ({entry.model})"))
        e = by_id.get(entry.model)
        if e is None:
            e = by_id[entry.model] = Entry(
                entry.model,
                entry.maker,
                entry.product_type,
                entry.bom,
                entry.codes or [entry.model],
            )
            cat.models.append(e)
        e.shape.append([float(v) for v in x])
    if recalibrate:
        cat.temperature = calibrate(cat)
    return cat


def _entry(e: Entry) -> dict[str, Any]:
    return {"model": e.model, "maker": e.maker, "product_type": e.product_type, "bom": e.bom}


def identify(
    data: bytes,
    cat: Catalogue,
    *,
    use_codes: bool = True,
    use_text: bool = True,
    tesseract_cmd: str | None = None,
    source: str = "photo",
) -> Identification:
    """Identify the product in a photo: a QR / barcode equal to a catalogue code; else a
    nameplate token matching a model id; else the nearest outline (confidence calibrated)."""
    t0 = time.perf_counter()
    gray = read_image(data, source)
    ev: dict[str, Any] = {}
    by_code = {c: e for e in cat.models for c in e.codes}
    try:
        mask = silhouette(gray)
        x = shape_features(gray, mask)
        regions = label_regions(gray, mask)
    except IdentifyError as exc:
        ev["shape_error"] = str(exc)
        x, regions = None, [gray]
    ev["label_regions"] = len(regions)
    if use_codes:
        ev["codes"] = [c for r in regions for c in read_codes(r)]
        for c in ev["codes"]:
            if (e := by_code.get(c["data"].strip())) is not None:
                return Identification(
                    e.model, CODE_CONFIDENCE, "code", _entry(e), ev, time.perf_counter() - t0
                )
    if use_text and regions:
        try:
            ev["text"] = read_text(regions[0], tesseract_cmd).strip()[:500]
        except OcrFailed as exc:  # no text: the outline decides, and the evidence says why
            ev["text"], ev["text_error"] = "", str(exc)
        if (m := match_text(ev["text"], cat)) is not None:
            e, ratio, tok = m
            ev["text_match"] = {"token": tok, "ratio": round(ratio, 3)}
            return Identification(
                e.model, 0.97 * ratio**2, "text", _entry(e), ev, time.perf_counter() - t0
            )
    if x is None or not any(e.shape for e in cat.models):
        return Identification(None, 0.0, "none", {}, ev, time.perf_counter() - t0)
    d = _distances(x, cat)
    p = _softmax(d, cat.temperature)
    order = np.argsort(-p)[:3]
    ev["shape"] = [
        {
            "model": cat.models[i].model,
            "distance": round(float(d[i]), 4),
            "p": round(float(p[i]), 4),
        }
        for i in order
    ]
    e = cat.models[int(order[0])]
    return Identification(
        e.model, float(p[order[0]]), "shape", _entry(e), ev, time.perf_counter() - t0
    )


DEMO_CATALOGUE = "demo_catalogue.json"
"""The default demo catalogue, enrolled once by :func:`generate_demo_catalogue` and shipped
in ``junkan/data/metering`` (written by :func:`write_demo_catalogue`)."""


def demo_photos(n_per_model: int = 5, seed: int = 1) -> Iterator[tuple[Entry, bytes]]:
    """The unlabelled generated photos the demo catalogue is enrolled from, model by model
    (``n_per_model`` each, drawn in that order from one generator seeded ``seed``), rendered
    as they are taken."""
    from junkan.metering.photos import MODELS, render

    rng = np.random.default_rng(seed)
    for m in MODELS:
        entry = Entry(m.model, m.maker, m.product_type, f"generated:{m.product_type}", [m.model])
        for _ in range(n_per_model):
            yield entry, render(m, rng, "none")


def generate_demo_catalogue(n_per_model: int = 5, seed: int = 1) -> Catalogue:
    """Enrol the 20 generated models of :mod:`junkan.metering.photos` from their photos
    (about 10 s of CPU: rendering and features)."""
    return enrol(None, list(demo_photos(n_per_model, seed)))


def demo_catalogue(n_per_model: int = 5, seed: int = 1) -> Catalogue:
    """The 20 generated models of :mod:`junkan.metering.photos`, enrolled from unlabelled
    generated photos (``seed``). The default one is read from the shipped file (features
    rounded to 5 decimals, as every catalogue file holds them); others are enrolled."""
    if (n_per_model, seed) != (5, 1):
        return generate_demo_catalogue(n_per_model, seed)
    import json
    from importlib import resources

    from junkan.metering.identify import load_catalogue

    text = (resources.files("junkan.data") / "metering" / DEMO_CATALOGUE).read_text("utf-8")
    cat = load_catalogue(doc=json.loads(text))
    cat.source = f"junkan/data/metering/{DEMO_CATALOGUE}"
    return cat


def write_demo_catalogue(path: str | None = None) -> str:
    """Enrol the demo catalogue again and write it (default: the shipped file); its path."""
    import json
    from pathlib import Path

    out = Path(path) if path else Path(__file__).parents[1] / "data" / "metering" / DEMO_CATALOGUE
    doc = generate_demo_catalogue().to_doc()
    out.write_text(json.dumps(doc, separators=(",", ":")) + "\n", "utf-8")
    return str(out)
