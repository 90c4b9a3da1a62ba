"""A sorter turns the mixed aluminium fraction into sorted products by a confusion matrix over
piece classes (wrought, cast, copper, other): product_b = Σ_true mass_true · M[true, b], with
each row's uncertainty drawn from a Dirichlet whose concentration is the number of pieces the
matrix was measured on. Defaults: ``data/alloys/sorters.yaml`` (an image-AI sorter's trial
agreement, and a LIBS sorter after the Fraunhofer ILT annual report 2010)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from pydantic import Field, ValidationError, model_validator

from junkan.alloys.predict import AL_CLASSES, TRACKED, Prediction, _stats
from junkan.core.base import Strict


class Sorter(Strict):
    """Confusion matrix (rows true class, columns predicted; each row sums to 1)."""

    name: str
    source: str = "user"
    pieces_tested: int = Field(default=400, ge=10)
    row_pieces: dict[str, int] | None = None
    """Pieces of each true class the matrix was measured on (``junkan vision evaluate``);
    each row's Dirichlet concentration. Default: ``pieces_tested`` for every row."""
    matrix: dict[str, list[float]]
    cost_JPY_per_kg: float = Field(default=0.0, ge=0)
    """Running cost per kg of aluminium fraction fed (charged by the planner)."""
    cost_source: str = ""

    @model_validator(mode="after")
    def _rows(self) -> Sorter:
        if set(self.matrix) != set(AL_CLASSES):
            raise ValueError(f"matrix needs one row per class {list(AL_CLASSES)}")
        for cls, row in self.matrix.items():
            if len(row) != len(AL_CLASSES) or not all(math.isfinite(v) and v >= 0
                                                       for v in row):
                raise ValueError(f"matrix.{cls}: give {len(AL_CLASSES)} finite shares ≥ 0")
            if abs(sum(row) - 1) > 1e-6:
                raise ValueError(f"matrix.{cls}: shares sum to {sum(row):.4f}, not 1")
        if self.row_pieces is not None and (set(self.row_pieces) != set(AL_CLASSES) or
                                            min(self.row_pieces.values()) < 10):
            raise ValueError(f"row_pieces needs one count ≥ 10 per class {list(AL_CLASSES)}")
        return self

    def concentration(self) -> np.ndarray:
        """(classes, classes) Dirichlet concentration of the rows: mean × pieces tested."""
        n = (np.array([self.row_pieces[c] for c in AL_CLASSES], float)
             if self.row_pieces is not None else np.full(len(AL_CLASSES),
                                                         float(self.pieces_tested)))
        return np.maximum(self.array() * n[:, None], 1e-3)

    @classmethod
    def from_evaluation(cls, doc: dict[str, Any], source: str = "evaluation") -> Sorter:
        """The sorter measured by ``junkan vision evaluate`` (its document, or the document's
        ``sorter`` member); ValueError naming ``source`` when it has none."""
        spec = doc.get("sorter", doc) if isinstance(doc, dict) else None
        if not isinstance(spec, dict) or "matrix" not in spec:
            raise ValueError(f"{source}: no confusion matrix (an evaluation whose every "
                             "group had ≥ 10 pieces has a 'sorter' member)")
        try:
            return cls.model_validate(spec)
        except ValidationError as exc:  # one line per problem, not pydantic's dump
            top = "sorter" if spec is not doc else ""
            raise ValueError("; ".join(
                f"{'.'.join(map(str, (top, *e['loc']) if top else e['loc'])) or 'sorter'}: "
                f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors())) from None

    def array(self) -> np.ndarray:
        return np.array([self.matrix[c] for c in AL_CLASSES])

    @classmethod
    def accuracy(cls, wrought: float, cast: float, copper: float, other: float = 0.9,
                 name: str = "custom") -> Sorter:
        """A sorter with the given per-class accuracy, misses spread evenly."""
        rows = {}
        for k, (c, acc) in enumerate(zip(AL_CLASSES, (wrought, cast, copper, other),
                                         strict=True)):
            miss = (1 - acc) / (len(AL_CLASSES) - 1)
            rows[c] = [acc if j == k else miss for j in range(len(AL_CLASSES))]
        return cls(name=name, matrix=rows)


@lru_cache(maxsize=1)
def shipped_sorters() -> dict[str, Sorter]:
    text = (resources.files("junkan.data") / "alloys" / "sorters.yaml").read_text("utf-8")
    return {k: Sorter.model_validate(v) for k, v in yaml.safe_load(text).items()}


@dataclass
class Sorted:
    """Products of a sort: mass (n, bins) and element masses (n, bins, E+1)."""

    mass: np.ndarray
    elements: np.ndarray
    sorter: str

    def composition(self, product: str) -> np.ndarray:
        b = AL_CLASSES.index(product)
        return 100 * self.elements[:, b] / np.maximum(self.mass[:, b, None], 1e-12)

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sorter": self.sorter, "products": {}}
        for b, name in enumerate(AL_CLASSES):
            comp = self.composition(name)
            out["products"][name] = {
                "mass_kg": _stats(self.mass[:, b]),
                "composition_wt_pct": {e: _stats(comp[:, j]) for j, e in enumerate(TRACKED)}}
        return out


def sort(pred: Prediction, sorter: Sorter, seed: int = 0) -> Sorted:
    """Sort the aluminium fraction of every Monte Carlo sample (Dirichlet rows per sample)."""
    rng = np.random.default_rng(seed)
    n = pred.al_class_mass.shape[0]
    conc = sorter.concentration()
    m = np.stack([rng.dirichlet(conc[i], size=n) for i in range(len(AL_CLASSES))], axis=1)
    mass = np.einsum("nt,ntb->nb", pred.al_class_mass, m)
    elements = np.einsum("nte,ntb->nbe", pred.al_class_elements, m)
    return Sorted(mass=mass, elements=elements, sorter=sorter.name)
