"""A calibrated model: the model file with its fitted values written in, each marked.

``junkan calibrate MODEL --spec SPEC --write-model PATH`` writes the model's own document
(its library templates referenced, not copied in) with every calibrated parameter that a
fitted figure depends on set to its fitted value, in the unit the model writes it in. What
was calibrated stays visible where the value's provenance is read:

* the model's ``uncertainty`` section (the spec's, when one was given) goes with it, each
  calibrated parameter's ``source`` saying ``calibrated <date>``, the method, the start,
  the fitted value and its 95 % range (or that the observations do not identify it),
  followed by the range's own source — a value that is calibrated, not sourced;
* the ``source`` of the process or material entry the value belongs to says which field
  was calibrated and where that is recorded;
* a comment at the top names the command, the date and the values.

A relative parameter's factor is written on each scenario's own value too (in the
scenario's ``set``), as the fit applied it. Calibrating the written model again starts
from the fitted values and finds them again.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path
from typing import Any

from junkan.core.documents import dump_yaml, read_document
from junkan.core.errors import ModelError, Problem, short
from junkan.lifecycle.loader import key_in, path_tokens, set_path
from junkan.lifecycle.uncertainty.calibration import METHOD, Calibration
from junkan.lifecycle.uncertainty.calibration_notes import STEPWISE
from junkan.lifecycle.uncertainty.spec import SCALE_PARAMS
from junkan.lifecycle.uncertainty.study import (
    get_path,
    join_number,
    located,
    scenario_sets,
    sets_field,
)

__all__ = ["calibrated_document", "calibrated_text"]


def calibrated_document(cal: Calibration, section: dict[str, Any] | None = None,
                        today: str | None = None) -> dict[str, Any]:
    """The model file of ``cal`` with the fitted values set and marked (module docs).
    ``section``: the uncertainty section that was fitted, as written (default: the model's
    own). ModelError naming a parameter whose field the model file does not hold (one a
    library template defines: copy the entry into the model to calibrate it)."""
    st = cal.study
    mf = st.model
    doc = read_document(mf.source)
    sec = copy.deepcopy(section if section is not None else doc.get("uncertainty"))
    if not isinstance(sec, dict) or not isinstance(sec.get("parameters"), list):
        raise ModelError([Problem("uncertainty", "no uncertainty section to record the "
                                  "calibration in: give the spec that was fitted")], mf.source)
    date = today or dt.date.today().isoformat()
    fitted_to = sum(o.fit for o in cal.observations)
    base = st.bindings[mf.baseline.baseline_name]
    informed = cal.informed if cal.informed is not None else [True] * len(cal.names)
    identified = cal.identified if cal.identified is not None else [True] * len(cal.names)
    stepwise = cal.stepwise if cal.stepwise is not None else [False] * len(cal.names)
    outside = cal.outside()
    for k, name in enumerate(cal.names):
        i = st.names.index(name)
        p, b, entry = st.parameters[i], base[i], sec["parameters"][i]
        was = entry.get("source") or "no source given"
        if not informed[k] and not outside[k]:
            entry["source"] = (f"not calibrated ({date}): no fitted figure depends on it; the "
                               f"model's value kept. {was}")
            continue
        in_base = math.isfinite(b.nominal)  # else a relative factor on an entry only
        value = written_value(cal, k)        # scenarios have
        start = b.nominal * float(cal.start[k]) if p.relative else float(cal.start[k])
        if in_base:
            _require_field(doc, p.parameter, mf.source)
            set_path(doc, p.parameter, join_number(value, b.unit))
        if p.relative:
            _scale_scenarios(doc, cal, i, float(cal.fitted[k]))
            _rescale(entry, float(cal.fitted[k]))
        unit = f" {b.unit}" if b.unit else ""
        if not informed[k]:  # its start moved into the range: the reported figures are there
            entry["source"] = (f"not calibrated ({date}): no fitted figure depends on it; the "
                               f"model's value lies outside its range, so it is written at "
                               f"{_shown(value, cal, k, unit)}, where the figures reported "
                               f"were computed. {was}")
            continue
        lo, hi = (float(x) * (b.nominal if p.relative and in_base else 1.0)
                  for x in cal.ci95[k])
        spread = (f"95 % range {lo:.6g} … {hi:.6g}{unit if in_base else ''}" if identified[k]
                  else f"not identified by the observations: {STEPWISE}" if stepwise[k]
                  else "not identified by the observations: other values, moving with "
                  "others, fit as well")
        factor = (f" (factor {float(cal.fitted[k]):.6g}; a relative parameter's draws are "
                  "factors on the value written here, the calibrated one, so its "
                  "distribution is divided by the factor: it spans the same values)"
                  if p.relative else "")
        entry["source"] = (f"calibrated {date}: {METHOD}; to {fitted_to} observed figures "
                           f"(observations below); start "
                           f"{start if in_base else float(cal.start[k]):.6g}"
                           f"{unit}, fitted {_shown(value, cal, k, unit)}{factor}; {spread}. "
                           f"Range: {was}")
        if in_base:
            _mark_entity(doc, p.parameter, f"{_field(p.parameter)} calibrated {date} (see "
                         f"uncertainty.parameters[{i}])")
    doc["uncertainty"] = sec
    return doc


CALIBRATED_HEAD = "# Calibrated model written by `"
"""How :func:`calibrated_text` begins, the command after it (what ``calibrate
--write-model`` looks for before it replaces a file)."""


def calibrated_text(cal: Calibration, doc: dict[str, Any], command: str) -> str:
    """``doc`` (:func:`calibrated_document`) as YAML, under a comment naming the command
    and every value it wrote."""
    lines = [f"{CALIBRATED_HEAD}{command}`",
             f"# from {Path(cal.study.model.source).name}: the values below are calibrated "
             "(fitted to the observed figures",
             "# under `uncertainty`), not sourced; every other value is the model's own.",
             *(f"#   {n} = {_shown(written_value(cal, k), cal, k, '')}"
               for k, (n, ok) in enumerate(zip(
                 cal.names,
                 cal.informed if cal.informed is not None else [True] * len(cal.names),
                 strict=True)) if ok)]
    return "\n".join(lines) + "\n" + dump_yaml(doc, width=100)


def written_value(cal: Calibration, k: int) -> float:
    """Calibrated parameter ``k``'s value in the model's unit (a relative parameter's fitted
    factor times the baseline's value), to 12 significant digits (``14``, not
    ``13.999999999999996``)."""
    st = cal.study
    i = st.names.index(cal.names[k])
    b = st.bindings[st.model.baseline.baseline_name][i]
    x = float(cal.fitted[k]) * (b.nominal if st.parameters[i].relative else 1.0)
    return float(f"{x:.12g}")  # NaN: a factor on an entry only scenarios have


def _shown(value: float, cal: Calibration, k: int, unit: str) -> str:
    """A written value, or the factor written on each scenario's own value."""
    if math.isfinite(value):
        return f"{value:.6g}{unit}"
    return (f"factor {float(cal.fitted[k]):.6g} on the value of each scenario that has the "
            "entry (written in its set)")


def _rescale(entry: dict[str, Any], factor: float) -> None:
    """A relative parameter's distribution divided by ``factor``: its draws are factors on
    the value written, which the factor multiplied, so it spans the same values (a range of
    factors [1.2, 2] around 10 meant 15.6–26 around the fitted 13, excluding it; review
    227)."""
    for key in SCALE_PARAMS:
        if isinstance(entry.get(key), int | float) and not isinstance(entry[key], bool):
            entry[key] = float(f"{entry[key] / factor:.12g}")
    if isinstance(entry.get("range"), list | tuple) and len(entry["range"]) == 2:
        entry["range"] = [float(f"{x / factor:.12g}") for x in entry["range"]]


def _scale_scenarios(doc: dict[str, Any], cal: Calibration, i: int, factor: float) -> None:
    """A relative parameter's fitted ``factor`` on each scenario's own value (one the
    scenario sets itself, or through one it extends, however the path is spelt), as the fit
    applied it: written last into the scenario's ``set``, after any parent path, every key
    naming the same field removed. (Only the baseline's value was written: a scenario
    setting 6 kgCO2e/piece kept 6 where the fit had 6 × 1.3, review 224; ``bom[00]`` for
    ``bom[0]`` was missed, review 226, and a parent path after the key undid it, 227.)"""
    st = cal.study
    path = st.parameters[i].parameter
    scenarios = doc.get("scenarios") or {}
    for name, binds in st.bindings.items():
        entry, b = scenarios.get(name), binds[i]
        if name == st.model.baseline.baseline_name or not isinstance(entry, dict) \
                or not math.isfinite(b.nominal):
            continue
        own = st.docs[name]  # the scenario's document as the fit read it
        if not sets_field(own, scenario_sets(doc, name), path):
            continue
        field = located(own, path)  # keys naming the field go; the value is set last, after
        sets = {k: v for k, v in (entry.get("set") or {}).items()  # any parent path (the
                if located(own, str(k)) != field}                    # set applies in order)
        sets[path] = join_number(float(f"{b.nominal * factor:.12g}"), b.unit)
        entry["set"] = sets


def _require_field(doc: dict[str, Any], path: str, source: str) -> None:
    """ModelError when ``path`` leads to nothing in the model file itself."""
    try:
        get_path(doc, path)
    except KeyError:
        raise ModelError([Problem(
            "uncertainty.parameters", f"{short(path)}: not in the model file itself (a "
            "library template the model uses defines it?): copy its entry into the model "
            "to write the calibrated value there")], source) from None


def _field(path: str) -> str:
    """The path below its entry (``co2e`` of ``processes.x.co2e``)."""
    tokens = path_tokens(path)
    return ".".join(str(t) for t in tokens[2:]) or path


def _mark_entity(doc: dict[str, Any], path: str, note: str) -> None:
    """Add ``note`` to the ``source`` of the nearest mapping on the way to ``path`` that
    has one (a process, a material's ``virgin`` or ``recycled`` supply)."""
    node: Any = doc
    holder = None
    for tok in path_tokens(path)[:-1]:
        node = node[key_in(node, tok) if isinstance(tok, str) else tok]
        if isinstance(node, dict) and isinstance(node.get("source"), str):
            holder = node
    if holder is not None and note not in holder["source"]:
        holder["source"] = f"{holder['source']}; {note}"
