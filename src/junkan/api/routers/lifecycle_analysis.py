"""Lifecycle analyses as background jobs: uncertainty (Monte Carlo), sensitivity (Sobol' /
Morris), calibration and optimisation (best loop, Pareto front).

``POST /api/lifecycle/analyses?kind=…`` validates the request, checks that the caller may
read the model (a stored model of the organisation, or a document sent inline), and answers
202 with a job; the work runs in a budgeted worker (``junkan.core.budget``, the run budget
``JUNKAN_BUDGET_RUN_*``). ``GET /api/lifecycle/analyses/{id}`` polls it: status, then the
result (the same document as ``junkan uncertainty|sensitivity|calibrate|optimise --format
json``) or the error. Analyses are visible to the user who started them only and are kept
in the store (:mod:`junkan.store.analyses_repo`; the last :data:`MAX_KEPT` per user): an
accepted one survives a restart, which fails it if it was unfinished."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from fastapi import HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, model_validator

from junkan.api import background
from junkan.api.auth import CurrentUser, StoreDep
from junkan.api.common import NOT_FOUND, refused, within_data_limits
from junkan.api.request_json import strict_router
from junkan.api.work import analysis_job, offload, uncertainty_parameters_job
from junkan.core.base import Strict
from junkan.core.document_checks import more_values_than
from junkan.core.documents import validate_with
from junkan.core.errors import ModelError, Problem, refusal
from junkan.core.extras import require

router = strict_router()

Kind = Literal["uncertainty", "sensitivity", "calibrate", "optimise"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_MODEL_CHARS = 2_000_000
MAX_RUNS = 10_000
MAX_PARAMETERS = 50
MAX_DECISIONS = 20

KIND_EXTRAS = {"sensitivity": "sensitivity"}
"""The optional dependency group each kind needs beyond the service (SALib's designs)."""
MAX_SPEC_VALUES = 50_000
"""Most values (numbers, strings, lists and mappings) a spec may hold: 50 parameters or
20 decisions with their options take a few thousand."""


def _few_values(value: dict[str, Any]) -> dict[str, Any]:
    """``value`` if it holds at most :data:`MAX_SPEC_VALUES` values; counted with an early
    stop, before the walk over every value (:func:`within_data_limits`), so that a spec of
    millions of values is refused in milliseconds instead of holding the event loop."""
    if more_values_than(value, MAX_SPEC_VALUES):
        raise refusal("spec-too-many-values", "the spec holds more than {most} values; a spec "
                      "names parameters, observations and decisions, not data",
                      most=f"{MAX_SPEC_VALUES:,}")
    return value


Spec = Annotated[dict[str, Any], Field(max_length=20), AfterValidator(_few_values),
                 AfterValidator(within_data_limits)]


class AnalysisIn(Strict):
    """A model (stored: ``model_id`` and ``version``; or inline: ``model``, YAML or JSON
    text) and the analysis' settings."""


    model_id: str | None = Field(default=None, max_length=64)
    version: int | None = Field(default=None, ge=1, le=2**31 - 1, strict=True)
    model: str | None = Field(default=None, max_length=MAX_MODEL_CHARS)
    spec: Spec | None = None
    """The uncertainty section (uncertainty, sensitivity, calibrate) or the optimisation
    document (optimise); default: the model's own section / decisions from its scenarios."""
    runs: int = Field(default=1000, ge=1, le=MAX_RUNS, strict=True)  # not true, not "10"
    seed: int = Field(default=0, ge=0, le=2**32 - 1, strict=True)
    method: Literal["sobol", "morris"] = "sobol"
    n: int = Field(default=256, ge=4, le=4096, strict=True)
    outputs: list[Annotated[str, Field(max_length=200)]] | None = Field(default=None, max_length=50)

    @model_validator(mode="after")
    def _one_model(self) -> AnalysisIn:
        if (self.model_id is None) == (self.model is None):
            raise refusal("model-or-model-id", "give 'model_id' (a stored model) or 'model' "
                          "(the document)")
        return self


APPLIES: dict[str, tuple[str, ...]] = {
    "runs": ("uncertainty",), "seed": ("uncertainty", "sensitivity"),
    "method": ("sensitivity",), "n": ("sensitivity",), "outputs": ("sensitivity",)}
"""The kinds each setting applies to: given to another, it is refused, not ignored (review
254: ``runs`` of a sensitivity, ``outputs`` of an uncertainty ran without them)."""


def _refused(problems: list[Problem]) -> HTTPException:
    """:func:`~junkan.api.common.refused` under the analyses' own lead message."""
    return refused(problems, "the request is invalid")


def _settings_apply(kind: str, body: AnalysisIn) -> None:
    """422 (``invalid-request``) naming each setting given that ``kind`` does not take, a
    ``version`` without ``model_id``, and each output that is not ``scenario:figure``
    (whether the model has it, the job says)."""
    wrong = [f for f in sorted(body.model_fields_set & APPLIES.keys()) if kind not in APPLIES[f]]
    # each with its rule's code and figures (review 264: the page could not translate them)
    errors: list[dict[str, Any]] = [
        {"loc": ("body", f), "type": "setting-not-for-kind",
         "ctx": {"kinds": " and ".join(APPLIES[f]), "kind": kind},
         "msg": f"applies to kind {' and '.join(APPLIES[f])}, not {kind}; leave it out"}
        for f in wrong]
    if body.version is not None and body.model_id is None:  # review 254: it was ignored
        errors.append({"loc": ("body", "version"), "type": "version-without-model-id",
                       "msg": "a version of the stored model 'model_id'; a document sent as "
                              "'model' has none"})
    errors += [{"loc": ("body", "outputs", i), "type": "output-not-figure",
                "msg": "give scenario:figure, e.g. B:co2_reduction_t or B:totals.co2e_t"}
               for i, o in enumerate(body.outputs or []) if kind == "sensitivity"
               and not all(part.strip() for part in o.partition(":")[::2])]
    if errors:
        raise RequestValidationError(errors)


def _limits(kind: str, spec: dict[str, Any] | None) -> None:
    """422 in the service's one shape for a refused field (``errors: [{path, message}]``,
    ``code: invalid-request``) when the spec has more decisions or parameters than the
    service takes."""
    if spec is None:
        return
    key = "decisions" if kind == "optimise" else "parameters"
    items = spec.get(key) or []
    if isinstance(items, list):
        _at_most(key, len(items), ("body", "spec"))


def _at_most(key: str, count: int, loc: tuple[str, ...], where: str = "") -> None:
    most, what = ((MAX_DECISIONS, "decisions") if key == "decisions"
                  else (MAX_PARAMETERS, "uncertain parameters"))
    if count > most:
        raise RequestValidationError([{
            "loc": (*loc, key), "type": f"service-{key}-too-many",
            "ctx": {"count": count, "most": most},
            "msg": f"{count} {what}{where}; the service takes at most {most} (use the CLI "
                   "for more)"}])


async def _own_section(kind: str, text: str, source: str, loc: tuple[str, ...]) -> None:
    """The cap of :func:`_limits` on the model's own ``uncertainty`` section, which a job
    without a spec reads, and its absence: past, 51 parameters there, or none, were
    accepted (202) and the job failed (review 264). The model is read in a budgeted worker
    (review 265: a 2 MB YAML model took 5 s of the server's own CPU); one that does not
    parse is left to the job, which reports it in full. Optimise decisions come from the
    model's scenarios and are counted by the job."""
    if kind == "optimise":
        return
    count = await offload(uncertainty_parameters_job, text, source)
    if count is None:
        return
    if count >= 0:
        _at_most("parameters", count, (*loc, "uncertainty"),
                 " in the model's 'uncertainty' section")
        return
    from junkan.lifecycle import uncertainty

    no = uncertainty.MISSING_SECTION
    where = ".".join(loc[1:] + (no.path,))
    raise _refused([Problem(where, no.message, no.kind)])


def _spec_checked(kind: str, spec: dict[str, Any] | None) -> None:
    """422 (``invalid-request``) naming each refused field of the spec as ``spec.<path>``
    with its rule, before a job is accepted: the spec's own schema (its fit to the model is
    checked by the job). Past: every such refusal was a job failed with one English string.
    An empty spec is no spec, as the job reads it (the model's own section)."""
    if not spec:
        return
    from junkan.lifecycle import optimise, uncertainty

    schema: type[BaseModel] = (optimise.OptimiseSpec if kind == "optimise"
                               else uncertainty.UncertaintySection)
    try:
        valid = validate_with(schema, spec, "spec")
        if isinstance(valid, optimise.OptimiseSpec):  # nothing to choose: no job (review 254)
            optimise.require_decisions(valid, "spec")
    except ModelError as exc:
        problems = [Problem(f"spec.{p.path}" if p.path else "spec", p.message, p.kind,
                            p.limits) for p in exc.problems]
        raise _refused(problems) from None


@router.post("/api/lifecycle/analyses", tags=["lifecycle"], status_code=202)
async def start_analysis(
    kind: Annotated[Kind, Query()], body: AnalysisIn, request: Request, user: CurrentUser,
    s: StoreDep,
) -> dict[str, Any]:
    """Start an uncertainty, sensitivity, calibration or optimisation job on a model you may
    read; poll ``GET /api/lifecycle/analyses/{id}``."""
    _settings_apply(kind, body)
    _limits(kind, body.spec)
    _spec_checked(kind, body.spec)
    if kind in KIND_EXTRAS:  # 501 naming the extra now, not a failed job later
        require(KIND_EXTRAS[kind])
    if body.model_id is not None:
        rec = s.get_model(user.org_id, body.model_id)
        mv = s.get_version(user.org_id, body.model_id, body.version)
        if rec is None or mv is None:
            raise NOT_FOUND
        # the job's messages name the model as its users know it (its name, as the model's
        # card does), not by its id
        text, source = mv.content, f"model {rec.name} v{mv.version}"
        stored = {"id": rec.id, "version": mv.version}
    else:
        assert body.model is not None
        text, source, stored = body.model, "model", None
    if not body.spec:
        await _own_section(kind, text, source,
                           ("body", "model" if body.model_id is None else "model_id"))
    args = {
        "stored_model": stored,
        "max_parameters": MAX_PARAMETERS,
        "max_decisions": MAX_DECISIONS,
        "spec": body.spec,
        "runs": body.runs,
        "seed": body.seed,
        "method": body.method,
        "n": body.n,
        "outputs": body.outputs,
    }
    return await background.start(s, user, kind, analysis_job, kind, text, source, args)


background.add_routes(router, "/api/lifecycle/analyses", "lifecycle", KINDS, "analysis",
                      "analyses")
