"""Circuits (what each current clamp measures) and the reference numbers of
``junkan/data/metering/electrical.yaml`` (assumed voltage and power factor, grid CO2 factor,
tariff), each with its source."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from junkan.core.documents import parse_data
from junkan.core.errors import JunkanError, ModelError, Problem, coded, listed, short

MAX_VOLTAGE_V = 100_000.0
"""Largest voltage accepted anywhere (high-voltage customers receive 6.6 kV)."""


class MeteringError(JunkanError):
    """Bad metering input: names the file, the field and, where there is one, the line.
    One made by :func:`refused` carries its rule (``problems``: one coded problem), which the
    service lists with its code and figures so the page can say it in its language."""

    http_status = 422
    problems: tuple[Problem, ...] = ()


def refused(where: str, code: str, template: str,
            error: type[MeteringError] = MeteringError, /, **params: int | float | str
            ) -> MeteringError:
    """A :class:`MeteringError` (or the subclass ``error``) under a domain rule's ``code``
    (:func:`coded`): ``where`` (the file, field or line the message starts with), then
    ``template`` filled in."""
    problem = coded(where, code, template, **params)
    exc = error(problem.render())
    exc.problems = (problem,)
    return exc


def read_yaml(path: str | Path, error: type[MeteringError] = MeteringError) -> Any:
    """A metering input file (circuits, meters, catalogue, reference numbers) read as the
    project reads its documents (:func:`junkan.core.documents.parse_data`): a key given twice
    (``c1`` defined twice, the last silently winning), NaN, over-sized or over-nested
    documents are refused. Errors are ``error`` naming the file, the field and the line."""
    name = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{name}: cannot read: {exc}") from None
    return parse_yaml(text, name, error)


def parse_yaml(text: str, name: str, error: type[MeteringError] = MeteringError) -> Any:
    """:func:`read_yaml` of text already read (``name`` is its file)."""
    try:
        return parse_data(text, source=name)
    except ModelError as exc:  # each problem where "file: field", as refused() says it
        problems = tuple(replace(p, path=f"{name}: {p.path}" if p.path else name)
                         for p in exc.problems)
        err = error("\n".join(p.render() for p in problems) or f"{name}: cannot read")
        err.problems = problems
        raise err from None


@dataclass(frozen=True)
class Reference:
    """One reference number with its source (or ``assumption: ...``)."""

    value: float
    source: str


@dataclass(frozen=True)
class Electrical:
    """The reference numbers metering uses when a quantity is not measured."""

    v_ll_three_phase: Reference
    v_single_phase: Reference
    power_factor: Reference
    grid_kg_per_kwh: Reference
    tariff_jpy_per_kwh: Reference


def electrical(path: str | Path | None = None) -> Electrical:
    """The reference numbers, from ``path`` or junkan's own data file."""
    if path is None:
        text = (resources.files("junkan.data") / "metering" / "electrical.yaml").read_text("utf-8")
        name = "junkan/data/metering/electrical.yaml"
        doc = parse_yaml(text, name) or {}
    else:
        name = str(path)
        doc = read_yaml(path) or {}

    def ref(*keys: str, value_key: str = "value") -> Reference:
        node: Any = doc
        for k in keys:
            node = node.get(k) if isinstance(node, dict) else None
        if not isinstance(node, dict) or "source" not in node:
            raise refused(f"{name}: {'.'.join(keys)}", "reference-without-source",
                          "missing, or without a source")
        return Reference(_positive(node.get(value_key), name, ".".join(keys)), str(node["source"]))

    return Electrical(
        ref("voltage", "three_phase_v_ll"),
        ref("voltage", "single_phase_v"),
        ref("power_factor", "default"),
        ref("grid", value_key="kg_co2e_per_kwh"),
        ref("tariff", value_key="jpy_per_kwh"),
    )


def _positive(x: object, file: str, where: str, upper: float = math.inf) -> float:
    if (
        isinstance(x, bool)
        or not isinstance(x, int | float)
        or not math.isfinite(x)
        or x <= 0
        or x > upper
    ):
        if upper == math.inf:
            raise refused(f"{file}: {where}", "positive-number-expected",
                          "expected a positive finite number, got {value}", value=short(x))
        raise refused(f"{file}: {where}", "positive-number-up-to", "expected a positive finite "
                      "number up to {most}, got {value}", most=f"{upper:g}", value=short(x))
    return float(x)


@dataclass(frozen=True)
class Circuit:
    """One clamped circuit on the switchboard.

    ``voltage_v`` (line-to-line for three-phase) and ``power_factor`` are used only when the
    series does not measure them; ``None`` takes the defaults of :func:`electrical`. The clock
    correction maps the sensor's clock to the station's: ``t = t_raw - clock_offset_s -
    clock_drift_ppm·1e-6·(t_raw - t_first)``.
    """

    id: str
    phases: int = 3
    steps: tuple[str, ...] = ()
    voltage_v: float | None = None
    power_factor: float | None = None
    clock_offset_s: float = 0.0
    clock_drift_ppm: float = 0.0
    max_gap_s: float = 10.0
    idle_w: float | None = None


@dataclass(frozen=True)
class Plant:
    """The circuits of one dismantling line, and which steps run on which circuit."""

    circuits: dict[str, Circuit]
    source: str = ""
    steps: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for c in self.circuits.values():
            for s in c.steps:
                if s in self.steps and self.steps[s] != c.id:
                    raise refused(self.source, "step-on-two-circuits",
                                  "step {step} is on two circuits", step=short(s))
                self.steps[s] = c.id


_CIRCUIT_KEYS = {
    "phases",
    "steps",
    "voltage_v",
    "power_factor",
    "clock_offset_s",
    "clock_drift_ppm",
    "max_gap_s",
    "idle_w",
}


def load_plant(path: str | Path) -> Plant:
    """Read a circuits file (YAML): ``circuits: {id: {phases, steps, voltage_v?, ...}}``."""
    return plant_from_dict(read_yaml(path), str(path))


def plant_from_dict(doc: object, name: str = "<circuits>") -> Plant:
    """The :class:`Plant` of an already parsed circuits document."""
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("circuits"), dict)
        or not doc["circuits"]
    ):
        raise refused(f"{name}: circuits", "circuits-mapping-needed",
                      "expected a mapping of circuit id to settings")
    out: dict[str, Circuit] = {}
    for cid, spec in doc["circuits"].items():
        where = f"circuits.{cid}"
        spec = spec or {}
        if not isinstance(spec, dict):
            raise refused(f"{name}: {where}", "circuit-mapping-needed", "expected a mapping")
        if unknown := set(spec) - _CIRCUIT_KEYS:
            raise refused(f"{name}: {where}", "circuit-unknown-fields",
                          "unknown field(s) {names}; known: {known}",
                          names=listed(sorted(map(str, unknown))),
                          known=listed(sorted(_CIRCUIT_KEYS)))
        phases = spec.get("phases", 3)
        if phases not in (1, 3):
            raise refused(f"{name}: {where}.phases", "phases-one-or-three",
                          "expected 1 or 3, got {value}", value=short(phases))
        steps = spec.get("steps", [])
        if not isinstance(steps, list) or not all(isinstance(s, str) and s for s in steps):
            raise refused(f"{name}: {where}.steps", "step-names-expected",
                          "expected a list of step names")

        def opt(
            key: str, upper: float = math.inf, w: str = where, sp: dict[str, Any] = spec
        ) -> float | None:
            v = sp.get(key)
            return None if v is None else _positive(v, name, f"{w}.{key}", upper)

        drift = spec.get("clock_drift_ppm", 0.0)
        offset = spec.get("clock_offset_s", 0.0)
        for key, v, lim in (("clock_drift_ppm", drift, 1e4), ("clock_offset_s", offset, 1e7)):
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or abs(v) > lim
            ):
                raise refused(f"{name}: {where}.{key}", "number-within",
                              "expected a number within ±{most}", most=f"{lim:g}")
        out[str(cid)] = Circuit(
            id=str(cid),
            phases=int(phases),
            steps=tuple(steps),
            voltage_v=opt("voltage_v", MAX_VOLTAGE_V),
            power_factor=opt("power_factor", 1.0),
            clock_offset_s=float(offset),
            clock_drift_ppm=float(drift),
            max_gap_s=opt("max_gap_s", 3600.0) or 10.0,
            idle_w=opt("idle_w", 1e8),
        )
    return Plant(out, name)
