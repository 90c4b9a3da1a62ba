"""The Bayesian Attractor Model (BAttM) state classifier — the "brain-type" reference.

After Bitzer, Bruineberg & Kiebel (PLoS Comput Biol 2015, doi:10.1371/journal.pcbi.1004442)
and the Yuragi Learning Platform's ``est.py`` (NEC Brain Inspired Computing lab, BSD-2):

* a hidden decision state ``z`` (one component per operating state) follows winner-take-all
  Hopfield dynamics ``ż = k·(L·σ(z) + b_lin·(g − z))``, whose stable fixed points are
  ``g·e_i``, one per state (``L`` inhibits every other component);
* an observation is ``x = μ·σ(z) + noise``: the columns of ``μ`` are the states' mean feature
  vectors, so *training is class averaging* (:meth:`BAttM.fit`);
* each observation costs one unscented Kalman filter step (:meth:`BAttM.update`); the
  posterior gives a confidence per state, and the normalised innovation says how unexpected
  the observation is under every stored state (the "surprise").

Labels from the operator move the class means online (:meth:`BAttM.learn`), one version per
change."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.sensing.features import FEATURES, STEP


class BAttM:
    name = "battm"

    def __init__(
        self,
        states: tuple[str, ...],
        *,
        g: float = 10.0,
        r: float = 1.0,
        k: float = 6.0,
        b_lin: float = 1.0,
        dyn_noise: float = 1.5,
        obs_noise: float = 0.6,
        dt: float = STEP,
    ) -> None:
        self.states = states
        self.g, self.r, self.k, self.b_lin, self.dt = g, r, k, b_lin, dt
        m = len(states)
        s_g, s_0 = self._sig(np.array([g, 0.0]))
        # fixed points exactly at g·e_i: off-diagonal inhibition cancels b_lin·g, the small
        # self-excitation cancels the inhibition leaking through σ(0)
        self.L = -(g * b_lin / s_g) * (np.ones((m, m)) - np.eye(m))
        self.L[np.diag_indices(m)] = (m - 1) * g * b_lin * s_0 / s_g**2
        self.q = dyn_noise**2 * dt
        self.obs_noise = obs_noise
        self.mu = np.zeros((len(FEATURES), m))
        self.center = np.zeros(len(FEATURES))
        self.scale = np.ones(len(FEATURES))
        self.version = 0
        self.threshold = 0.6
        alpha, beta, kappa = 1.0, 2.0, 0.0
        self._lam = alpha**2 * (m + kappa) - m
        self._wm = np.full(2 * m + 1, 1 / (2 * (m + self._lam)))
        self._wm[0] = self._lam / (m + self._lam)
        self._wc = self._wm.copy()
        self._wc[0] += 1 - alpha**2 + beta
        self._eye = np.eye(m)
        self._fixed = g * np.eye(m)
        self._R = obs_noise**2 * np.eye(len(FEATURES))
        self.reset()

    def reset(self) -> None:
        m = len(self.states)
        self.z = np.zeros(m)
        self.P = np.eye(m)

    def _sig(self, z: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-self.r * (z - self.g / 2)))

    def fit(self, X: np.ndarray, labels: np.ndarray) -> BAttM:
        """Attractors = mean standardised feature vector of each state seen in ``labels``
        (indices into ``states``); states never seen keep a far-away placeholder."""
        self.center = np.median(X, axis=0)
        spread = np.array([np.std(X[labels == c], axis=0) for c in np.unique(labels)])
        pooled = np.sqrt((spread**2).mean(0))
        self.scale = np.maximum(pooled, 0.2 * X.std(0) + 1e-3)
        Z = (X - self.center) / self.scale
        for c in range(len(self.states)):
            rows = Z[labels == c]
            self.mu[:, c] = rows.mean(0) if len(rows) else 50.0
        self.version += 1
        return self

    def _dyn(self, z: np.ndarray) -> np.ndarray:
        """One Euler step of the Hopfield dynamics for sigma points ``z`` (rows)."""
        return z + self.dt * self.k * (self._sig(z) @ self.L.T + self.b_lin * (self.g - z))

    def update(self, t: float, x: np.ndarray) -> dict[str, float]:
        """One UKF step on one decision vector; state confidences, the surprise and
        ``score`` = the larger confidence of the fault states (overload, jam)."""
        m = len(self.states)
        y = (x - self.center) / self.scale
        # sigma points around the current estimate
        S = np.linalg.cholesky((m + self._lam) * self.P + 1e-9 * self._eye)
        chi = np.vstack([self.z, self.z + S.T, self.z - S.T])
        chi = self._dyn(chi)
        zp = self._wm @ chi
        d = chi - zp
        Pp = (self._wc[:, None] * d).T @ d + self.q * self._eye
        # observe
        S2 = np.linalg.cholesky((m + self._lam) * Pp + 1e-9 * self._eye)
        chi2 = np.vstack([zp, zp + S2.T, zp - S2.T])
        h = self._sig(chi2) @ self.mu.T
        hp = self._wm @ h
        dh, dz = h - hp, chi2 - zp
        Syy = (self._wc[:, None] * dh).T @ dh + self._R
        Pxy = (self._wc[:, None] * dz).T @ dh
        nu = y - hp
        sol = np.linalg.solve(Syy, np.column_stack([Pxy.T, nu]))
        K = sol[:, :m].T
        self.z = zp + K @ nu
        self.P = Pp - K @ Syy @ K.T
        self.P = (self.P + self.P.T) / 2
        conf = self.confidences()
        surprise = float(nu @ sol[:, m]) / len(y)
        fault = max(conf[self.states.index(s)] for s in ("overload", "jam") if s in self.states)
        return {
            "score": fault,
            "surprise": surprise,
            **{f"p_{s}": float(c) for s, c in zip(self.states, conf, strict=True)},
        }

    def confidences(self) -> np.ndarray:
        """Posterior weight of each attractor: softmax of −½ Mahalanobis distance from the
        state estimate to the fixed point ``g·e_i``."""
        d = self._fixed - self.z
        e = -0.5 * (d * np.linalg.solve(self.P + self._eye, d.T).T).sum(1)
        e = np.exp(e - e.max())
        return np.asarray(e / e.sum())

    def learn(self, x: np.ndarray, state: str, rate: float = 0.2) -> None:
        """Move the attractor of ``state`` towards ``x`` (an operator's label)."""
        c = self.states.index(state)
        self.mu[:, c] += rate * ((x - self.center) / self.scale - self.mu[:, c])
        self.version += 1

    def params(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "mu": self.mu.round(4).tolist(),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "threshold": self.threshold,
        }
