"""The lifecycle capability's verbs: :func:`load` a model, :func:`run` one scenario,
:func:`compare` them all. (:func:`load_model` and :func:`simulate` are the earlier names of the
first two.)"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from junkan.core.errors import JunkanError, ModelError, Problem, short
from junkan.core.limits import limits
from junkan.lifecycle import cache, typed_json
from junkan.lifecycle.comparison import Comparison, IndicatorHook, comparison_document
from junkan.lifecycle.compile import Compiled, compile_model
from junkan.lifecycle.engine import simulate_compiled
from junkan.lifecycle.gc_pause import paused_gc
from junkan.lifecycle.graph import ValueNetwork, value_network
from junkan.lifecycle.loader import (
    apply_library,
    check_overrides,
    in_scenario,
    parse_document,
    read_document,
    scenario_document,
    scenario_names,
    scenario_paths,
    set_path,
    validate,
    validate_changed,
    with_parts,
)
from junkan.lifecycle.patch import patched
from junkan.lifecycle.results import Result
from junkan.lifecycle.scenario_values import scenario_parameters
from junkan.lifecycle.schema import LifecycleModel
from junkan.lifecycle.typed_json import LazyDocument

Progress = Callable[[int, int], None]
"""Called with (years done, years in all) after every simulated year."""


class Parameter(TypedDict):
    """A share or rate of a model document, by its document path."""

    path: str
    value: float


@dataclass
class ModelFile:
    """A model document with every scenario validated and compiled.

    Loading checks the baseline *and* every scenario, so a bad override is reported before
    anything runs or is written."""

    source: str
    document: dict[str, Any] | LazyDocument
    """The expanded document (:attr:`raw`), or its text to parse when first asked for."""
    baseline: LifecycleModel
    compiled: dict[str, Compiled] = field(default_factory=dict)
    digest: str | None = None
    """Content key of the document (:mod:`~junkan.lifecycle.cache`), if loaded from one."""
    limits: str = field(default_factory=lambda: limits().model_dump_json())
    """The limits in force when it was loaded: overrides are patched into its compiled
    scenarios only under the same (:func:`_patch_with`)."""

    @property
    def raw(self) -> dict[str, Any]:
        """The expanded document as plain data (shared: treat it as read-only)."""
        doc = self.document
        return doc.get() if isinstance(doc, LazyDocument) else doc

    @property
    def scenarios(self) -> list[str]:
        return list(self.compiled)

    @property
    def name(self) -> str:
        return self.baseline.name

    def parameters(self) -> list[Parameter]:
        """The shares and rates a scenario form edits (:func:`editable_parameters`)."""
        return editable_parameters(self.raw)

    def scenario_parameters(self) -> dict[str, list[dict[str, Any]]]:
        """Each scenario's values of :meth:`parameters` (path, value), as its runs use them."""
        return scenario_parameters(self.raw, [dict(p) for p in self.parameters()],
                                   list(self.scenarios))

    def network(self) -> ValueNetwork:
        """The baseline's value network as a graph for drawing."""
        return value_network(self)


def load(path: str | Path | None = None, *, text: str | None = None,
         source: str | None = None) -> ModelFile:
    """Read a model file (or ``text``, named ``source`` in messages), import its library
    templates, and validate and compile the baseline and every scenario. Raises
    :class:`~junkan.core.errors.ModelError` naming every problem's document path.

    A document loaded before in this process (same bytes, same source name, same limits)
    comes from :mod:`~junkan.lifecycle.cache` without being read again; its parts are
    shared, so treat them as read-only."""
    data: bytes | None
    key: str | None
    if text is not None:
        src = source or "<model>"
        data = text.encode("utf-8", "surrogatepass")
        key = cache.digest(data, source=src, mode="text")
    elif path is not None:
        src = str(path)
        data = _file_bytes(Path(path))
        key = None if data is None else cache.digest(
            data, source=src, mode="json" if Path(path).suffix.lower() == ".json" else "yaml")
    else:
        raise ValueError("give a path or text")
    hit = cache.get(key)
    if hit is not None:
        return ModelFile(hit.source, hit.document, hit.baseline, dict(hit.compiled), hit.digest)
    size = len(data) if data is not None else 0
    with paused_gc():
        as_json = text is None and Path(src).suffix.lower() == ".json"
        if text is None:
            text = _decoded(data)  # the very bytes the key was made of
        data = None  # the bytes were for the key: not held while validating and compiling
        # None for YAML (msgspec stops at its first byte) and what the records do not take
        mf = _load_decoded(text, src) if text is not None else None
        if mf is None:
            doc = read_document(src) if text is None else \
                parse_document(text, source=src, as_json=as_json)  # None: reports the file
            raw = apply_library(doc, src)
            mf = _load_document(raw, src, validate(raw, src))
    mf.digest = key
    cache.put(key, mf, size)
    return ModelFile(mf.source, mf.document, mf.baseline, dict(mf.compiled), mf.digest)


def _load_decoded(text: str, src: str) -> ModelFile | None:
    """:func:`_load_document` for a JSON document whose parts the typed records take
    (:mod:`~junkan.lifecycle.typed_json`); ``None`` if they do not, or the rest of the
    document has a problem (then it is read the ordinary way, which reports it)."""
    decoded = typed_json.decode(text)
    if decoded is None:
        return None
    head = decoded.head
    if head.get("uses"):
        try:
            head = apply_library(head, src)
        except ModelError:
            return None
        if "parts" in head:
            return None  # a template's parts join the document's: read the ordinary way
    baseline = with_parts(head, decoded.parts)
    if baseline is None:
        return None
    return _load_document(LazyDocument(text, src), src, baseline, head)


def _file_bytes(p: Path) -> bytes | None:
    """The file's bytes for its content key, or ``None`` (then :func:`read_document`
    reports whatever is wrong with it)."""
    try:
        if p.stat().st_size > limits().document_bytes:
            return None
        return p.read_bytes()
    except OSError:
        return None


def _decoded(data: bytes | None) -> str | None:
    """UTF-8 text with universal newlines, as :func:`read_document` reads a file."""
    try:
        return None if data is None else data.decode("utf-8").replace("\r\n", "\n") \
            .replace("\r", "\n")
    except UnicodeDecodeError:
        return None


def _load_document(document: dict[str, Any] | LazyDocument, src: str,
                   baseline: LifecycleModel, head: dict[str, Any] | None = None) -> ModelFile:
    """Compile the validated ``baseline`` and validate and compile every scenario of an
    expanded document (or one parsed when first needed, given its sections other than
    the parts, ``head``: the whole document is then parsed only for scenarios)."""
    mf = ModelFile(src, document, baseline)
    head = head if head is not None else mf.raw
    base_name = str(head.get("baseline_name") or "baseline")
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for name in scenario_names(head):
        try:
            if name == base_name:
                mf.compiled[name] = compile_model(baseline)
                continue
            raw = mf.raw
            doc = scenario_document(raw, name, src)
            model = validate_changed(baseline, doc, scenario_paths(raw, name, src), src, name)
            base = mf.compiled.get(baseline.baseline_name)
            mf.compiled[name] = (patched(base, model) if base is not None else None) \
                or compile_model(model)
        except ModelError as exc:
            for p in exc.problems:
                if (p.path, p.message) in seen:
                    continue  # reported for the baseline already
                seen.add((p.path, p.message))
                suffix = "" if name == baseline.baseline_name else \
                    f" (set by scenarios.{name}.set)" if "(in scenario" in p.message else \
                    f" (in scenario '{name}', set by scenarios.{name}.set)"
                # a scenario's problem keeps its rule and names the scenario (the page
                # adds it to the rule's words in its language)
                problems.append(Problem(p.path, p.message + suffix, p.kind, (
                    {**(p.limits or {}), "scenario": name} if suffix and p.kind
                    else p.limits)))
    if problems:
        raise ModelError(problems, src)
    return mf


load_model = load


def _compile_with(raw: dict[str, Any], name: str, overrides: dict[str, Any] | None,
                  source: str, baseline: LifecycleModel | None = None) -> Compiled:
    """Compile scenario ``name`` of an expanded document with ``overrides`` applied on top.
    Given the document's validated ``baseline``, only the entries the scenario and the
    overrides change are validated again (:func:`validate_changed`)."""
    doc = scenario_document(raw, name, source)
    if overrides:
        doc = dict(doc)
        for key, value in overrides.items():
            try:
                set_path(doc, key, value, fresh=True)
            except (KeyError, ValueError):
                raise ModelError([Problem(key, "no such parameter in the model; give a "
                                               "document path such as "
                                               "products.x.eol.collection.rate")],
                                 source) from None
    said = None if name == str(raw.get("baseline_name") or "baseline") else name
    try:
        if baseline is None:
            return compile_model(validate(doc, source, said))
        paths = scenario_paths(raw, name, source) + [str(k) for k in overrides or {}]
        return compile_model(validate_changed(baseline, doc, paths, source, said))
    except ModelError as exc:  # as a load names them: the file, and the scenario (review 229)
        raise ModelError(in_scenario(exc.problems, said), exc.source or source) from None


def compile_scenario(text: str, scenario: str | None = None,
                     overrides: dict[str, Any] | None = None, *,
                     source: str = "<model>") -> Compiled:
    """Compile one scenario of a model document, with extra ``overrides`` (document path →
    value) applied on top — e.g. parameters edited in a form. Cheaper than :func:`load` when
    one scenario is needed. Raises :class:`ModelError`.

    The compiled form is kept in :mod:`~junkan.lifecycle.cache` under the document's content
    key, the scenario and the overrides: compiling the same again costs a hash. If the
    document itself was loaded (:func:`load` with the same text and source) and is still
    cached, overrides of its products' entries are patched into the scenario's compiled form
    (:mod:`~junkan.lifecycle.patch`) instead of compiling the document again."""
    if overrides:
        check_overrides(overrides, source, scenario)
    data = text.encode("utf-8", "surrogatepass")
    doc_key = cache.digest(data, source=source, mode="text")
    key = cache.derived(doc_key, "compile", scenario, overrides or {})
    hit = cache.get(key)
    if hit is not None:
        return hit
    loaded = cache.get(doc_key)  # the document loaded whole before: patch its scenario
    with paused_gc():
        if isinstance(loaded, ModelFile) and \
                (name := scenario or loaded.baseline.baseline_name) in loaded.compiled:
            compiled = loaded.compiled[name] if not overrides else \
                _patch_with(loaded, name, overrides) or \
                _compile_with(loaded.raw, name, overrides, source, loaded.baseline)
        else:
            raw = apply_library(parse_document(text, source=source), source)
            name = scenario or str(raw.get("baseline_name") or "baseline")
            compiled = _compile_with(raw, name, overrides, source)
    cache.put(key, compiled, len(data))
    return compiled


def editable_parameters(raw: dict[str, Any]) -> list[Parameter]:
    """Shares and rates of a model document (the values a scenario form edits), with paths."""
    keys = {"rate", "share", "pass_rate", "replacement_rate"}
    out: list[Parameter] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                p = f"{path}.{k}" if path else str(k)
                if k in keys and isinstance(v, int | float) and not isinstance(v, bool):
                    out.append({"path": p, "value": float(v)})
                else:
                    walk(v, p)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    for section in ("products", "parts"):
        walk(raw.get(section) or {}, section)
    return out


def run(model: ModelFile, scenario: str | None = None, *,
        overrides: dict[str, Any] | None = None, progress: Progress | None = None) -> Result:
    """Simulate one scenario (default: the baseline), optionally with ``overrides``
    (document path → value, e.g. ``{"products.ac.eol.collection.rate": 0.6}``) applied on
    top of it."""
    name = scenario or model.baseline.baseline_name
    if name not in model.compiled:
        raise _unknown_scenario(model, name)
    if overrides:
        check_overrides(overrides, model.source,
                        None if name == model.baseline.baseline_name else name)
    compiled = _overridden(model, name, overrides) if overrides else model.compiled[name]
    return Result(simulate_compiled(compiled, name, progress))


def _overridden(model: ModelFile, name: str, overrides: dict[str, Any]) -> Compiled:
    """Scenario ``name`` compiled with ``overrides``, from the cache when the same model,
    scenario and overrides were compiled before."""
    size = cache.size_of(model.digest)  # kept only while the model itself is (and keeps it)
    key = None if model.digest is None else cache.derived(model.digest, "run", name,
                                                          overrides)
    hit = cache.get(key)
    if hit is not None:
        return hit
    with paused_gc():
        compiled = _patch_with(model, name, overrides) or _compile_with(
            model.raw, name, overrides, model.source, model.baseline)
    if size is not None:
        cache.put(key, compiled, size)
    return compiled


def _patch_with(model: ModelFile, name: str, overrides: dict[str, Any]) -> Compiled | None:
    """Scenario ``name`` with ``overrides`` as a patch of its compiled form
    (:mod:`~junkan.lifecycle.patch`), or ``None`` when it must be compiled whole (also when
    an override is not a document path: compiling reports it, and when the limits changed
    since the model was loaded: compiling checks them, review 229)."""
    if model.limits != limits().model_dump_json():
        return None
    base = model.compiled[name]
    doc = dict(scenario_document(model.raw, name, model.source))
    try:
        for key, value in overrides.items():
            set_path(doc, key, value, fresh=True)
    except (KeyError, ValueError):
        return None
    try:
        changed = validate_changed(base.model, doc, [str(k) for k in overrides],
                                   model.source, name)
    except ModelError:
        return None  # compiling whole reports it, with the scenario's paths
    return patched(base, changed)


def simulate(model: ModelFile, scenario: str | None = None,
             progress: Progress | None = None) -> Result:
    """Simulate one scenario (default: the baseline); :func:`run` without overrides."""
    return run(model, scenario, progress=progress)


def _unknown_scenario(model: ModelFile, name: str) -> ModelError:
    return ModelError([Problem("scenarios", f"unknown scenario {short(name)}; known: "
                                            f"{', '.join(model.scenarios)}")], model.source)


def simulate_all(model: ModelFile, progress: Progress | None = None) -> dict[str, Result]:
    """Simulate every scenario, baseline first."""
    return {name: simulate(model, name, progress) for name in model.scenarios}


def compare(model: ModelFile, results: dict[str, Result] | None = None,
            indicator_hook: IndicatorHook | None = None) -> Comparison:
    """All scenarios side by side: headline figures, totals and change against the baseline
    (simulated here unless ``results`` are given). ``indicator_hook`` adds entries to each
    scenario (``junkan.indicators.scenario_indicators`` adds the circularity indicators)."""
    results = results or simulate_all(model)
    if model.baseline.baseline_name not in results:  # a bare KeyError before (review 223)
        raise JunkanError(f"the results hold no run of the baseline "
                          f"{short(model.baseline.baseline_name)}, which every scenario is "
                          f"compared with: run it too, or use Comparison.of(results, baseline=…) "
                          f"to compare with another")
    descriptions = {n: (s.description if s else None)
                    for n, s in model.baseline.scenarios.items()}
    descriptions.setdefault(model.baseline.baseline_name, "baseline")
    doc = comparison_document(model.name, model.baseline.title, model.baseline.baseline_name,
                              results, model.baseline.headline, descriptions,
                              indicator_hook=indicator_hook)
    return Comparison(doc, results)
