"""Every evaluated draw is a value its field accepts, checked without compiling every run.

The multilinear form of :mod:`~.family` rebuilds each run's compiled arrays from a few probe
compilations, so nothing else would validate a run's values. Two checks stand in for the
validation and compilation of every run, with the model's own code and messages:

- the schema: every distinct draw of the parameters reaching one entry of a section (e.g.
  ``products.kettle``) is validated as the loader validates a changed entry
  (:func:`~junkan.lifecycle.loader.validate_changed`, a fraction of a millisecond), so
  shares within 0 … 1, positive durations and rules across fields (reuse + remanufacture
  share at most 1) hold for every run; an entry the scenarios leave alike is validated
  once, and a parameter alone in its entry at its smallest and largest draw only (the
  limits of a single field are an interval, so every value between is accepted too);
- the checks made while compiling (sales not negative, a quantity's magnitude): each
  scenario is compiled with every parameter at its smallest draw, and at its largest (the
  draws holding them one by one if that combination is refused); intervals already
  compiled are not compiled again.

A refusal is the model's :class:`~junkan.core.errors.ModelError`.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import numpy as np

from junkan.core.errors import ModelError
from junkan.lifecycle.loader import ENTRY_SECTIONS, key_in, path_tokens, validate_changed
from junkan.lifecycle.uncertainty.family import compile_run
from junkan.lifecycle.uncertainty.study import Study, join_number

_HEAD = re.compile(r"^([^.\[\]]+)\.([^.\[\]]+)(?:[.\[]|$)")


def _put(node: Any, tokens: list[str | int], value: Any) -> None:
    """Set ``value`` at ``tokens`` under ``node`` (an entry's copy), copying each mapping
    and list on the way so the model's document is left alone (the path exists)."""
    for tok in tokens[:-1]:
        k = key_in(node, tok) if isinstance(tok, str) else tok
        child = copy.copy(node[k])
        node[k] = child
        node = child
    last = tokens[-1]
    node[key_in(node, last) if isinstance(last, str) else last] = value


def entry_of(path: str) -> tuple[str, str] | None:
    """The section and entry a path reaches inside (``products.kettle.eol.collection.rate``
    → ``("products", "kettle")``), ``None`` if it is not a field inside an entry of a named
    section (``years.end``, a whole entry: then the whole document is validated)."""
    m = _HEAD.match(path)
    try:
        if m is None or m.group(1) not in ENTRY_SECTIONS or len(path_tokens(path)) < 3:
            return None
    except ValueError:  # not a path (the study reports it)
        return None
    return m.group(1), m.group(2)


class Domain:
    """The checks of one study's draws; remembers the intervals already compiled."""

    def __init__(self, study: Study) -> None:
        self.study = study
        k = len(study.parameters)
        self.lo = {s: np.full(k, np.inf) for s in study.scenarios}
        self.hi = {s: np.full(k, -np.inf) for s in study.scenarios}
        self.groups = self._groups()

    def _groups(self) -> list[tuple[str, list[int]]]:
        """(scenario, parameters) whose draws are validated together: the active parameters
        of one entry, once for all scenarios whose entry and values' units are alike."""
        st = self.study
        seen: list[tuple[object, object]] = []
        out: list[tuple[str, list[int]]] = []
        for s in st.scenarios:
            by: dict[tuple[str, str] | None, list[int]] = {}
            for i in st.active(s):
                by.setdefault(entry_of(st.parameters[i].parameter), []).append(i)
            for entry, cols in by.items():
                if entry is None:  # outside the named sections: validated with the document
                    out.append((s, cols))
                    continue
                sec = st.docs[s].get(entry[0])
                content = sec.get(entry[1]) if isinstance(sec, dict) else None
                units = tuple(
                    (st.bindings[s][i].unit, st.bindings[s][i].nominal)
                    if st.parameters[i].relative
                    else st.bindings[s][i].unit
                    for i in cols
                )
                ident = (entry, tuple(cols), units)
                if any(x == ident and c == content for x, c in seen):
                    continue
                seen.append((ident, content))
                out.append((s, cols))
        return out

    def check(self, theta: np.ndarray) -> None:
        """ModelError (the model's, at the field's path) if a row of ``theta`` (runs ×
        parameters) holds a value its field refuses in some scenario."""
        for s, cols in self.groups:
            self._validate(s, cols, theta)
        if len(theta):
            for s in self.study.scenarios:
                self._compile(s, theta)

    def _validate(self, s: str, cols: list[int], theta: np.ndarray) -> None:
        """Validate the entry ``cols`` reach in scenario ``s`` with each distinct draw (of a
        single parameter: its smallest and largest)."""
        st, m = self.study, self.study.model
        paths = [st.parameters[i].parameter for i in cols]
        entry = entry_of(paths[0])
        if entry is None:
            for r in np.unique(theta[:, cols], axis=0, return_index=True)[1]:
                validate_changed(m.baseline, st.document(s, theta[r], cols), paths, m.source, s)
            return
        sec, key = entry
        tokens = [path_tokens(p)[2:] for p in paths]
        binds = [st.bindings[s][i] for i in cols]
        rel = [st.parameters[i].relative for i in cols]
        content = st.docs[s][sec][key]
        sub = theta[:, cols]
        if len(cols) == 1:  # one field's limits are an interval: its ends stand for the rest
            sub = np.unique([sub.min(), sub.max()])[:, None] if len(sub) else sub
        for row in np.unique(sub, axis=0):
            node = copy.copy(content)
            for tok, b, r, x in zip(tokens, binds, rel, row, strict=True):
                _put(node, tok, join_number(b.nominal * x if r else x, b.unit))
            doc = {sec: {key: node}}
            if key not in getattr(m.baseline, sec, {}):  # an entry only the scenario has:
                doc = {**st.docs[s], sec: {**st.docs[s][sec], key: node}}  # validated whole
            validate_changed(m.baseline, doc, paths[:1], m.source, s)

    def _compile(self, s: str, theta: np.ndarray) -> None:
        """Compile scenario ``s`` with each active parameter at its smallest (then largest)
        draw, where that leaves the intervals already compiled: one compilation for all the
        parameters; if it is refused, the draws holding the extremes one by one (a rule across
        fields may refuse the combination though no draw holds it)."""
        st = self.study
        act = st.active(s)
        if not act:
            return
        lo, hi = self.lo[s], self.hi[s]
        sub = theta[:, act]
        for ext, arg in ((sub.min(axis=0), np.argmin), (sub.max(axis=0), np.argmax)):
            new = [j for j, i in enumerate(act) if not lo[i] <= ext[j] <= hi[i]]
            if not new:
                continue
            row = theta[int(arg(sub[:, new[0]]))].copy()
            row[[act[j] for j in new]] = ext[new]
            try:
                compile_run(st, s, row)
            except ModelError:
                for j in new:
                    compile_run(st, s, theta[int(arg(sub[:, j]))])
        lo[act] = np.minimum(lo[act], sub.min(axis=0))
        hi[act] = np.maximum(hi[act], sub.max(axis=0))

    def accept(self, i: int, low: float, high: float) -> None:
        """Record that parameter ``i`` compiles at ``low`` and ``high`` in every scenario
        where it acts (checked by the caller), so values between are not compiled again."""
        for s in self.study.scenarios:
            self.lo[s][i] = min(self.lo[s][i], low)
            self.hi[s][i] = max(self.hi[s][i], high)
