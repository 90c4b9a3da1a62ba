"""An echo-state network (reservoir computing) anomaly scorer.

A fixed random leaky reservoir (``n`` units, sparse, spectral radius ``rho``) is driven by the
standardised decision vector; a linear readout predicts the next vector. The readout starts
from a ridge fit on normal running and is then updated online by recursive least squares
(RLS with forgetting) once per decision step (10 Hz), only while the scorer does not alarm
(it must not learn the anomaly), with its covariance bounded (trace at most that of the ridge
fit) so that forgetting without excitation cannot wind it up. The score is the squared
prediction error over its running level in normal operation."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.sensing.features import FEATURES


class Reservoir:
    name = "esn"

    def __init__(
        self,
        n: int = 150,
        *,
        rho: float = 0.9,
        leak: float = 0.3,
        input_scale: float = 0.4,
        density: float = 0.1,
        ridge: float = 1e-2,
        forgetting: float = 0.9995,
        seed: int = 0,
    ) -> None:
        rng = np.random.default_rng(seed)
        d = len(FEATURES)
        w = rng.normal(size=(n, n)) * (rng.random((n, n)) < density)
        w *= rho / max(abs(np.linalg.eigvals(w)))
        self.W = w
        self.Win = rng.uniform(-input_scale, input_scale, (n, d + 1))
        self.leak, self.ridge, self.lam = leak, ridge, forgetting
        self.Wout = np.zeros((d, n + 1))
        self.P = np.eye(n + 1) / ridge
        self.p_max = float(np.trace(self.P))
        self.center = np.zeros(d)
        self.scale = np.ones(d)
        self.level = 1.0
        self.threshold = 8.0
        self.version = 0
        self.reset()

    def reset(self) -> None:
        self.r = np.zeros(self.W.shape[0])
        self.prev: np.ndarray | None = None

    def _step(self, u: np.ndarray) -> np.ndarray:
        pre = self.W @ self.r + self.Win @ np.append(u, 1.0)
        self.r = (1 - self.leak) * self.r + self.leak * np.tanh(pre)
        return np.append(self.r, 1.0)

    def fit(self, X: np.ndarray) -> Reservoir:
        """Ridge readout on normal-running decision vectors ``X`` (rows in time order)."""
        self.center = np.median(X, axis=0)
        self.scale = np.maximum(X.std(0), 1e-3)
        U = (X - self.center) / self.scale
        self.reset()
        R = np.array([self._step(u) for u in U[:-1]])
        warm = min(50, len(R) // 4)
        R, Y = R[warm:], U[1 + warm :]
        A = R.T @ R + self.ridge * np.eye(R.shape[1])
        self.Wout = np.linalg.solve(A, R.T @ Y).T
        self.P = np.linalg.inv(A)
        self.p_max = float(np.trace(self.P))
        err = ((R @ self.Wout.T - Y) ** 2).mean(1)
        self.level = float(np.median(err))
        self.reset()
        self.version += 1
        return self

    def update(self, t: float, x: np.ndarray) -> dict[str, float]:
        u = (x - self.center) / self.scale
        score = 0.0
        if self.prev is not None:
            y = self.Wout @ self.prev
            e = u - y
            score = float((e**2).mean() / self.level)
            if score < self.threshold:
                self._rls(self.prev, e)
                self.level += 0.001 * (min(score, 5.0) * self.level - self.level)
        self.prev = self._step(u)
        return {"score": score}

    def _rls(self, r: np.ndarray, e: np.ndarray) -> None:
        Pr = self.P @ r
        k = Pr / (self.lam + r @ Pr)
        self.Wout += np.outer(e, k)
        P = (self.P - np.outer(k, Pr)) / self.lam
        # bounded covariance: forgetting with little excitation winds P up until the readout
        # diverges (seen after an hour of steady running); keep P symmetric and its trace at
        # most the trace after the ridge fit
        P = (P + P.T) / 2
        tr = float(np.trace(P))
        self.P = P * (self.p_max / tr) if tr > self.p_max else P

    def params(self) -> dict[str, Any]:
        return {"version": self.version, "threshold": self.threshold, "level": self.level}
