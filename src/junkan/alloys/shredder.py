"""The shredder line as a parametric model: liberation, fines, residue carry-over, Fe recovery
and throughput as functions of grain size d (mm). Parameters: ``data/alloys/shredder.yaml``
(assumptions chosen to reproduce the qualitative findings of two shredder trial runs on ELV
aluminium; the file says which, and that line data should replace them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Shredder:
    """Parameters of the line (see ``shredder.yaml`` for meaning and status)."""

    p: dict[str, Any]

    def liberated(self, d: float, d_lib: np.ndarray | float) -> np.ndarray:
        """Share of Al pieces free of attached steel: exp(−(d/d_lib)^k)."""
        return np.exp(-(d / np.asarray(d_lib, dtype=float)) ** self.p["liberation"]["k"])

    def d_lib(self, family: str) -> float:
        """Liberation size (mm) of an alloy family."""
        return float(self.p["liberation"]["d_lib_mm"][family])

    def fines(self, d: float, wrought: bool = False) -> float:
        """Share of a metal lost below the eddy-current window (to residue)."""
        f = self.p["fines"]
        share = f["f0"] * np.exp(-d / f["d_fines_mm"]) * (f["wrought_factor"] if wrought
                                                           else 1.0)
        return float(min(share, 0.9))

    def residue_carry(self, d: float) -> float:
        """kg of non-metal residue carried into the non-ferrous concentrate per kg metal."""
        r = self.p["residue_carry"]
        return float(r["c0"] * np.exp(-d / r["d_carry_mm"]))

    def fe_recovery(self, d: float) -> float:
        r = self.p["fe_recovery"]
        return float(r["r_max"] - (r["r_max"] - r["r_min"]) * np.exp(-d / r["d_fe_mm"]))

    def throughput(self, d: float) -> float:
        """t/h at grain size d."""
        t = self.p["throughput"]
        return float(t["t_ref_t_per_h"] * (d / self.p["reference_grain_mm"]) ** t["beta"])

    def samples(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Run-to-run variability: (liberation-size multiplier, attached-steel share) per Monte
        Carlo sample."""
        lib, att = self.p["liberation"], self.p["attached_steel"]
        d_lib = np.exp(lib["variability_sigma"] * rng.standard_normal(n))
        s = att["variability_sigma"]
        attached = att["mean"] * np.exp(s * rng.standard_normal(n) - s * s / 2)
        return d_lib, attached
