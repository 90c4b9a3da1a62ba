"""The best loop per product: ``junkan optimise MODEL`` (:mod:`junkan.lifecycle.optimise`).
The decisions come from ``--spec FILE`` or, without it, from the model's scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from junkan import lifecycle
from junkan.cli import common
from junkan.cli.common import (
    Format,
    atomic_dir,
    check_out,
    fail,
    interactive,
    number,
    print_json,
    print_table,
    progress,
    reported,
)
from junkan.core.errors import JunkanError, ModelError, Problem
from junkan.core.report import PLOTLY_JS
from junkan.lifecycle import optimise as opt

app = typer.Typer()


SUMMARY, TABLE = "optimise.json", "actors.csv"
WRITES = (SUMMARY, TABLE, opt.Optimum.PAGE, opt.ParetoFront.PAGE, PLOTLY_JS)
"""Every file ``optimise --out`` may write: the early check (:func:`check_out`) and the
writing (:func:`_write`) both go by it."""


def _write(out: Path, doc: dict[str, Any], result: Any) -> None:
    try:
        with atomic_dir(out, writes=WRITES, record="optimise") as tmp:
            (tmp / SUMMARY).write_text(
                json.dumps(doc, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
            )
            result.to_frame().to_csv(tmp / TABLE, index=False)
            result.report(tmp)
    except OSError as exc:
        fail(f"--out {out}: cannot write the results ({exc.strerror or exc}); check the folder")


def _fmt(x: Any) -> str:
    """A figure of the tables: 6 significant digits, whole numbers from a million on with
    thousands separators (1,270,000, not 1.27e+06), as simulate's tables."""
    return "—" if x is None else number(x, ",.6g", 1e6) if isinstance(x, float) else str(x)


def _spec(
    mf: lifecycle.ModelFile,
    spec: Path | None,
    objective: str | None,
    pareto: str | None,
    points: int | None,
) -> opt.OptimiseSpec:
    if spec is not None:
        with reported(spec, OSError):
            s = opt.load_spec(spec)
    else:
        with reported(None):
            s = opt.auto_spec(mf.raw, mf.source)
    doc = s.model_dump(exclude_none=True)
    if objective is not None and pareto is not None:
        fail(f"--objective {objective!r} and --pareto {pareto!r}: give one — --objective "
             "optimises one figure, --pareto draws the front between two")
    if objective is not None:  # one figure asked for: a front the spec describes is not drawn
        doc["objective"] = objective
        doc.pop("pareto", None)
    if pareto is not None:
        names = [p.strip() for p in pareto.split(",")]
        if len(names) != 2 or not all(names):
            fail(f"--pareto {pareto!r}: give two objectives separated by a comma, "
                 "e.g. co2e,cost")
        doc["pareto"] = {"objectives": names, **({} if points is None else {"points": points})}
    elif points is not None:
        if "pareto" not in doc:
            fail(f"--points {points}: there is no Pareto front to sample; give --pareto "
                 "(e.g. co2e,cost) or a spec with a 'pareto' section")
        doc["pareto"]["points"] = points
    try:
        # problems of the options' values are named by the option (_said)
        return opt.load_spec(doc=doc, source=str(spec) if spec is not None
                             else s.origin).scenarios_of(s)
    except ModelError as exc:  # a problem of an option is the option's, not the file's
        fail("\n".join(_said(p, exc.source, objective, pareto, points)
                       for p in exc.problems))
    except JunkanError as exc:
        fail(exc)


def _said(problem: Problem, source: str | None, objective: str | None,
          pareto: str | None, points: int | None) -> str:
    """A spec problem, named by the command-line option that set the value if one did:
    ``--objective 'x': …``, ``--pareto 'a,b' (objective 2): …``; else by the spec."""
    path = problem.path
    if objective is not None and (path == "objective" or path.startswith("objective.")):
        return f"--objective {objective!r}: {problem.message}"
    if points is not None and path == "pareto.points":
        return f"--points {points}: {problem.message}"
    if pareto and (path == "pareto" or path.startswith("pareto.")):
        head, _, rest = path.partition("[")
        which = f" (objective {int(rest.split(']')[0]) + 1})" if \
            head == "pareto.objectives" and rest[:1].isdigit() else ""
        return f"--pareto {pareto!r}{which}: {problem.message}"
    return problem.render(source)


@app.command("optimise")
def optimise_cmd(
    model: Annotated[Path, typer.Argument(help="Model file (YAML or JSON).")],
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec", help="Decisions, objective, constraints (default: from the scenarios)."
        ),
    ] = None,
    objective: Annotated[
        str | None,
        typer.Option(
            help="co2e, cost, revenue, margin, virgin_input, recycled_input, "
            "recycled_share[:MATERIAL], rap or rap:ACTOR (overrides the spec's)"
        ),
    ] = None,
    pareto: Annotated[
        str | None, typer.Option(help="Two objectives for a Pareto front, e.g. co2e,cost")
    ] = None,
    points: Annotated[
        int | None,
        typer.Option(min=2, max=opt.spec.MAX_POINTS,
                     help="Points of the Pareto front (default: the spec's, else 9)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for optimise.json, actors.csv and the HTML report."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="table or json.")] = Format.table,
    quiet: Annotated[bool, typer.Option(help="No progress bar.")] = False,
) -> None:
    """Choose, per product and part, among the loop options the model allows, to minimise
    CO2e, cost or virgin input or maximise margin, revenue, recycled share or RAP under
    constraints; --pareto for the front between two objectives with each actor's gain or
    loss. A progress bar on stderr (in a terminal, unless --quiet) counts the simulations
    run of the most there may be."""
    check_out(out, WRITES, command="optimise")  # a user's actors.csv is theirs
    with reported(model, OSError):
        mf = lifecycle.load(model)
    s = _spec(mf, spec, objective, pareto, points)
    with reported(spec):
        opt.require_decisions(s, None if spec is None else str(spec))
    label = (f"Pareto front {' vs '.join(o.label() for o in s.pareto.objectives)}"
             if s.pareto else f"optimising {s.objective.label()}")
    try:
        with progress(escape(label), not quiet and interactive(), unit="simulations") as cb:
            result: opt.Optimum | opt.ParetoFront = (
                opt.pareto(mf, s, progress=cb) if s.pareto else opt.optimise(mf, s, progress=cb)
            )
    except ModelError as exc:  # e.g. an unknown actor in --objective rap:nobody
        fail("\n".join(_said(p, exc.source, objective, pareto, points)
                       for p in exc.problems))
    except JunkanError as exc:
        fail(exc)
    doc = result.to_json()
    if out is not None:
        _write(out, doc, result)
    if fmt == Format.json:
        print_json(doc)
        return
    _tables(mf.name, doc, result)


def _head(name: str, unit: str | None) -> str:
    """A column heading naming its unit, ``CO2e change [t]`` (``[–]`` when the result gives
    none); print_table shows its brackets as text."""
    return f"{name} [{unit or '–'}]"


def _tables(name: str, doc: dict[str, Any], result: opt.Optimum | opt.ParetoFront) -> None:
    """The terminal tables of ``doc`` (the result's JSON); each figure names the unit the
    result gives it."""
    if isinstance(result, opt.ParetoFront):
        labels = [o["figure"] for o in doc["objectives"]]
        heads = [_head(o["figure"], o.get("unit")) for o in doc["objectives"]]
        print_table(
            f"{name}: Pareto front ({doc['method']['name']})",
            ["point", *heads, "choices"],
            [
                (str(i), _fmt(p[labels[0]]), _fmt(p[labels[1]]),
                 result.points[i].label())
                for i, p in enumerate(doc["points"])
            ],
            right=tuple(heads),
        )
        # complete, incomplete or sampled: only the JSON said so (review 241)
        if front := doc["method"].get("front"):
            print(f"method: {front['text']}")
        for i, p in enumerate(doc["points"]):  # a scenario taken apart (review 315)
            for note in opt.split_notes(p.get("scenario_splits", []), f"point {i}"):
                common.out_console.print(f"note: {note}", highlight=False, markup=False)
        return
    o = doc["objective"]
    print_table(
        f"{name}: {o['sense']} {o['figure']} [{o['unit']}] — "
        f"{_fmt(o['value'])} (model as given {_fmt(o['as_modelled'])})",
        ["decision", "option"],
        [(c["decision"], str(c["option"])) for c in doc["choices"]],
    )
    units = doc["units"]["actors"]
    heads = [_head("CO2e change", units.get("co2e_change_t")),
             _head("margin change", units.get("margin_change"))]
    print_table(
        "each actor against the model as given",
        ["actor", *heads],
        [(a["actor"], _fmt(a["co2e_change_t"]), _fmt(a["margin_change"]))
         for a in doc["actors"]],
        right=tuple(heads),
    )
    print(f"method: {doc['method']['text']}")
    for note in doc.get("notes", []):  # wrapped at the terminal's width
        common.out_console.print(f"note: {note}", highlight=False, markup=False)
