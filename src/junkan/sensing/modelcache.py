"""Trained monitor models kept on disk, so that a restarted service, a second server process
or a job worker reuses them instead of training again (the service's monitor takes about
14 s of one core to train; :data:`junkan.api.routers.sensing.SERVICE_TUNING`).

**Where.** On disk, one file per entry under the service's sensing data directory
(``$JUNKAN_SENSING_DIR/models``, or ``JUNKAN_SENSING_MODELS``; :func:`cache_dir`), not in the
store: the models are derived data — a pure function of this code, the shipped reference
numbers and the training recordings — that belong to no organisation, can be rebuilt at any
time and would only bloat the database and its backups (≈ 0.6 MB per entry). Every process of
one service (the web process and its job workers) reads the same directory.

**Key.** SHA-256 of :data:`FORMAT`, :func:`code_digest` (the source of every module that
trains or runs the detectors, and ``data/sensing/shredder.yaml``), the training recordings
themselves (signals, truth, line parameters; :func:`data_digest`) and the training settings.
A change to any of them is another key: a stale model is never found.

**Trust.** An entry is a NumPy ``.npz`` archive read with ``allow_pickle=False`` (no code runs
on reading it). It is used only if its metadata names the same format, code digest and key,
and every detector attribute it holds has the kind, dtype and shape that a freshly built
detector has, with finite values; otherwise it is ignored with a warning naming the file and
the reason, the models are trained again and the entry rewritten. Writes are atomic (a
temporary file beside the entry, renamed over it), and training for one key is serialised
between processes by a lock file, so two processes starting together train once."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from junkan.core.report import write_atomic
from junkan.sensing.battm import BAttM
from junkan.sensing.detectors import Cusum, RobustZ, Rules
from junkan.sensing.generator import Recording
from junkan.sensing.monitor import DETECTORS, Models
from junkan.sensing.monitor import train as train_models
from junkan.sensing.reservoir import Reservoir
from junkan.sensing.scenario import STATES

log = logging.getLogger("junkan.sensing.modelcache")

FORMAT = 1
"""Version of the entry layout; raise it when the layout changes."""
ENV = "JUNKAN_SENSING_MODELS"
CODE_MODULES = (
    "battm",
    "detectors",
    "features",
    "fusion",
    "generator",
    "modelcache",
    "monitor",
    "reservoir",
    "scenario",
)
"""Modules of :mod:`junkan.sensing` whose source is part of every key."""
KEY = re.compile(r"^[0-9a-f]{64}$")
MAX_ENTRIES = 20
"""Entries kept in one cache directory (≈ 0.4 MB each); the oldest go first."""


class CacheEntryError(Exception):
    """An entry that cannot be used (the text says why)."""


def cache_dir() -> Path:
    """The service's model cache: ``JUNKAN_SENSING_MODELS``, else
    ``$JUNKAN_SENSING_DIR/models`` (default ``var/sensing/models``)."""
    own = os.environ.get(ENV, "").strip()
    if own:
        return Path(own)
    return Path(os.environ.get("JUNKAN_SENSING_DIR", "var/sensing")) / "models"


@cache
def code_digest() -> str:
    """SHA-256 of the training code (:data:`CODE_MODULES`) and the reference numbers."""
    h = hashlib.sha256()
    pkg = resources.files("junkan.sensing")
    for name in CODE_MODULES:
        h.update(name.encode() + b"\0" + pkg.joinpath(f"{name}.py").read_bytes())
    h.update(resources.files("junkan.data").joinpath("sensing/shredder.yaml").read_bytes())
    return h.hexdigest()


def data_digest(recs: list[Recording]) -> str:
    """SHA-256 of what training reads from each recording: line, times, signals (by name),
    states, events, sensor faults and line parameters."""
    h = hashlib.sha256()
    for r in recs:
        h.update(repr((r.line, r.events, r.faults, r.params)).encode())
        for name, arr in [("t", r.t), ("state", r.state), *sorted(r.signals.items())]:
            a = np.ascontiguousarray(arr)
            h.update(f"{name}|{a.dtype.str}|{a.shape}".encode())
            h.update(a.tobytes())
    return h.hexdigest()


def cache_key(recs: list[Recording], *, margin: float, seed: int) -> str:
    doc = {
        "format": FORMAT,
        "code": code_digest(),
        "data": data_digest(recs),
        "settings": {"margin": float(margin), "seed": int(seed)},
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _blank(name: str, seed: int) -> Any:
    """A detector as :func:`junkan.sensing.monitor.train` builds it, before fitting."""
    if name == "rules":
        return Rules()
    if name == "battm":
        return BAttM(tuple(s.value for s in STATES))
    if name == "esn":
        return Reservoir(seed=seed)
    if name == "cusum":
        return Cusum()
    if name == "robust_z":
        return RobustZ()
    raise CacheEntryError(f"unknown detector {name!r}")


def _fields(obj: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A detector's public numbers (scalars, dicts of numbers) and arrays; running state in
    containers (deques, latches) is rebuilt by ``reset``."""
    scalars: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for k, v in vars(obj).items():
        if k.startswith("_"):
            continue
        if isinstance(v, np.ndarray):
            arrays[k] = v
        elif isinstance(v, bool | int | float | str):
            scalars[k] = v
        elif isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values()):
            scalars[k] = {str(a): float(b) for a, b in v.items()}
    return scalars, arrays


def _scalar_ok(fresh: Any, v: Any) -> bool:
    if isinstance(fresh, bool) or isinstance(v, bool):
        return type(fresh) is type(v)
    if isinstance(fresh, int | float):
        return isinstance(v, int | float) and (isinstance(fresh, float) or isinstance(v, int))
    if isinstance(fresh, dict):
        return isinstance(v, dict) and all(isinstance(x, int | float) for x in v.values())
    return type(fresh) is type(v)


def _restore(name: str, seed: int, scalars: dict[str, Any], arrays: dict[str, Any]) -> Any:
    """A detector rebuilt from an entry; refuses anything a fresh one does not have."""
    d = _blank(name, seed)
    want_s, want_a = _fields(d)
    if set(scalars) != set(want_s) or set(arrays) != set(want_a):
        diff = sorted(set(scalars) ^ set(want_s) | set(arrays) ^ set(want_a))
        raise CacheEntryError(f"{name}: attributes differ from this code's ({', '.join(diff)})")
    for k, v in scalars.items():
        if not _scalar_ok(want_s[k], v):
            raise CacheEntryError(
                f"{name}.{k}: {type(v).__name__} where the code has {type(want_s[k]).__name__}"
            )
        setattr(d, k, v)
    for k, a in arrays.items():
        w = want_a[k]
        if a.shape != w.shape or a.dtype != w.dtype:
            raise CacheEntryError(
                f"{name}.{k}: shape {a.shape} {a.dtype}, the code has {w.shape} {w.dtype}"
            )
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            raise CacheEntryError(f"{name}.{k}: values that are not finite")
        setattr(d, k, a.copy(order="K"))  # the layout too: BLAS sums in its order
    if isinstance(d, Rules):  # the load latch follows the calibrated limit
        version = d.version
        d.set_load_limit(d.load, d.load_fit)
        d.version = version
    d.reset()
    return d


class ModelCache:
    """Trained :class:`~junkan.sensing.monitor.Models` under ``root``, one
    ``<key>.npz`` per entry (see the module's text)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        if not KEY.match(key):
            raise ValueError("key: give a SHA-256 in hex (cache_key)")
        return self.root / f"{key}.npz"

    def save(self, key: str, models: Models, *, seed: int = 0) -> Path:
        """Write an entry atomically (readers see the old file or the new one)."""
        meta: dict[str, Any] = {
            "format": FORMAT,
            "code": code_digest(),
            "key": key,
            "seed": seed,
            "version": models.version,
            "detectors": {},
            "created": time.time(),
        }
        arrays: dict[str, np.ndarray] = {}
        for name, d in models.detectors.items():
            scalars, arrs = _fields(d)
            meta["detectors"][name] = scalars
            arrays.update({f"{name}.{k}": v for k, v in arrs.items()})
        buf = io.BytesIO()
        blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        members: dict[str, Any] = {"__meta__": blob, **arrays}
        np.savez(buf, **members)
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        write_atomic(path, buf.getvalue())
        self._prune()
        return path

    def _prune(self) -> None:
        """Keep the :data:`MAX_ENTRIES` newest entries (older code's models pile up)."""
        try:
            entries = sorted(self.root.glob("*.npz"), key=lambda p: -p.stat().st_mtime)
            for old in entries[MAX_ENTRIES:]:
                old.unlink(missing_ok=True)
        except OSError:  # another process pruned meanwhile: next time
            pass

    def load(self, key: str) -> Models | None:
        """The entry's models, or ``None`` when there is none or it cannot be used (then a
        warning names the file and why)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            return self._read(path, key)
        except Exception as exc:  # a corrupt or foreign file is never trusted
            log.warning("model cache %s ignored, training again: %s", path, exc)
            return None

    def _read(self, path: Path, key: str) -> Models:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}  # reads every member (zip CRC checked)
        meta = json.loads(bytes(data.pop("__meta__")).decode())
        if not isinstance(meta, dict):
            raise CacheEntryError("metadata is not an object")
        for k, want in (("format", FORMAT), ("code", code_digest()), ("key", key)):
            if meta.get(k) != want:
                raise CacheEntryError(f"{k} {str(meta.get(k))[:16]}… is not this code's")
        dets = meta.get("detectors")
        if not isinstance(dets, dict) or tuple(dets) != DETECTORS:
            raise CacheEntryError(f"detectors: expected {', '.join(DETECTORS)}")
        seed, version = meta.get("seed"), meta.get("version")
        if not isinstance(seed, int) or not isinstance(version, int):
            raise CacheEntryError("seed and version must be integers")
        detectors = {}
        for name in DETECTORS:
            arrs = {k.split(".", 1)[1]: v for k, v in data.items() if k.split(".", 1)[0] == name}
            detectors[name] = _restore(name, seed, dets[name], arrs)
        known = {f"{n}.{k}" for n in DETECTORS for k in _fields(detectors[n])[1]}
        if set(data) - known:
            raise CacheEntryError(f"unknown arrays {sorted(set(data) - known)[:3]}")
        return Models(detectors, version=version)

    @contextlib.contextmanager
    def _lock(self, key: str) -> Iterator[None]:
        """Serialise training of one key between processes (POSIX advisory lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            import fcntl
        except ImportError:  # no advisory locks: two processes may both train
            yield
            return
        with open(self.root / f".{key[:16]}.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def trained(self, recs: list[Recording], *, margin: float = 1.25, seed: int = 0) -> Models:
        """The models trained on ``recs``: from the cache, or trained now and kept."""
        key = cache_key(recs, margin=margin, seed=seed)
        found = self.load(key)
        if found is not None:
            return found
        with self._lock(key):
            found = self.load(key)  # another process may have trained it meanwhile
            if found is not None:
                return found
            t0 = time.monotonic()
            models = train_models(recs, margin=margin, seed=seed)
            path = self.save(key, models, seed=seed)
            log.info("trained the monitor in %.1f s; kept in %s", time.monotonic() - t0, path)
        return models
