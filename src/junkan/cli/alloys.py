"""``junkan alloy``: ELV aluminium — predict, plan, grade, update, experiments, library (the
verbs of :mod:`junkan.alloys`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import typer
from rich.text import Text

from junkan import alloys

# not yet public names of junkan.alloys: the control-chart figure and the shipped sorters
from junkan.alloys import chart_figure, shipped_sorters
from junkan.cli.common import (
    Format,
    atomic_dir,
    check_out,
    console,
    fail,
    out_console,
    print_json,
    print_table,
    refuse_inside_out,
    reported,
)
from junkan.core.documents import read_document
from junkan.core.errors import JunkanError
from junkan.core.report import Page

app = typer.Typer(no_args_is_help=True, help="ELV aluminium: predict, plan, grade, update.")

FormatOption = Annotated[Format, typer.Option("--format")]
Kind = Literal["predict", "plan", "grade", "update"]


class Answer(Protocol):
    def document(self) -> dict[str, Any]: ...


SorterOption = Annotated[Path | None, typer.Option(
    "--sorter", help="Evaluation JSON of `junkan vision evaluate` (or a sorter document): "
                     "its confusion matrix and piece counts replace the request's sorter.")]


def sorter_from(path: Path) -> alloys.Sorter:
    """The sorter in an evaluation file; exits 2 naming the file when it has none."""
    try:  # read within the document limits (depth, size, encoding), named on a problem
        return alloys.Sorter.from_evaluation(read_document(path), str(path))
    except JunkanError as exc:
        fail(exc)
    except (OSError, ValueError) as exc:  # validation errors
        fail(f"{path}: {exc}")


def answer(file: Path, kind: Kind, verb: Callable[[Any], Answer],
           estimates: Path | None = None, format: Format = Format.table,
           sorter: Path | None = None) -> dict[str, Any]:
    """Load the ``kind`` request in ``file``, run ``verb`` on it and return its answer; bad
    input exits 2 naming the file. An infeasible plan exits 2 too; with ``--format json``
    its answer (nearest window, levers) is printed on stdout first."""
    with reported():
        request = alloys.load(file, kind=kind, estimates=estimates)
    if sorter is not None:
        request = request.model_copy(update={"sorter": sorter_from(sorter)})
    try:
        return verb(request).document()
    except alloys.PlanError as exc:
        if format == Format.json and exc.detail:
            print_json({"status": "infeasible", "message": str(exc), **exc.detail})
        fail(f"{file}: {exc}")
    except ValueError as exc:  # GradeError, FeedError: what is wrong
        fail(f"{file}: {exc}")


@app.command("predict")
def alloy_predict(
    file: Annotated[Path, typer.Argument(help="Feed plan (YAML/JSON): vehicles, remove, "
                                              "grain_mm; optional sorter, buyer, samples.")],
    format: FormatOption = Format.table,
    sorter: SorterOption = None,
) -> None:
    """Predict the recovered fractions with mass and composition (Monte Carlo)."""
    doc = answer(file, "predict", alloys.run, sorter=sorter)
    if format == Format.json:
        print_json(doc)
        return
    els = ("Si", "Fe", "Cu", "Mn", "Mg", "Zn", "Li")
    rows = []
    for fr, d in doc["fractions"].items():
        comp = d["composition_wt_pct"]
        rows.append((fr, f"{d['mass_kg']['mean']:,.0f} ± {d['mass_kg']['sd']:,.0f}",
                     *[f"{comp[e]['mean']:.3g} ({comp[e]['p5']:.3g}–{comp[e]['p95']:.3g})"
                       for e in els]))
    print_table(f"{doc['vehicles']:g} vehicles at {doc['grain_mm']:g} mm "
                f"({doc['throughput_t_per_h']:.1f} t/h); wt %: mean (5–95 %)",
                ("fraction", "kg", *els), rows)
    af = doc["al_fraction"]
    out_console.print(f"Al fraction: Al share {af['al_share']['mean']:.3f}, wrought share "
                      f"{af['wrought_share']['mean']:.3f}, Al recovery "
                      f"{af['al_recovery']['mean']:.3f}", highlight=False)
    if "grade_al_fraction" in doc:
        g = doc["grade_al_fraction"]
        out_console.print(f"{g['buyer']}: P(met) {g['probability_met']:.2f}, expected "
                          f"{g['expected_price_JPY_per_kg']:.0f} JPY/kg, most limiting "
                          f"{g['most_limiting']}", highlight=False)
    print_warnings(doc.get("warnings", []))


def print_warnings(warnings: list[str]) -> None:
    """Every warning of an answer after its table, word for word as in its JSON."""
    for w in warnings:
        out_console.print(Text.assemble(("warning: ", "bold yellow"), w))


@app.command("plan")
def alloy_plan(
    file: Annotated[Path, typer.Argument(help="Plan request (YAML/JSON): stock, buyer, "
                                              "probability, grain_mm, capacity_vehicles …")],
    format: FormatOption = Format.table,
    sorter: SorterOption = None,
) -> None:
    """Choose the feed mix and parts to remove, in whole vehicles: best margin with the
    buyer's window met at the chosen probability (HiGHS), and its gap to the LP bound."""
    doc = answer(file, "plan", alloys.plan, format=format, sorter=sorter)
    if format == Format.json:
        print_json(doc)
        return
    # whole vehicles and whole removals (the plan is in whole units)
    rows = [(v, f"{c:,d}", ", ".join(f"{p} ×{n:,d}" for p, n in
                                      doc["removals"].get(v, {}).items()))
            for v, c in doc["vehicles"].items() if c > 0]
    print_table(f"Plan for {doc['buyer']}: margin {doc['margin_JPY']:,.0f} JPY, product "
                f"{doc['product_kg']:,.0f} kg, P(met) {doc['probability_met']:.3f}",
                ("vehicle", "shred", "remove first"), rows)
    for comp, r in doc.get("legal_removals", {}).items():
        out_console.print(f"{comp} removed from {r['vehicles']:,d} vehicles as the law "
                          f"requires ({r['law']})", highlight=False)
    whole = doc.get("whole_units")
    if whole:
        how = ("MILP (HiGHS branch and bound)" if whole["method"] == "milp"
               else "LP plan rounded down, repaired and greedily completed")
        out_console.print(f"whole vehicles by {how}: {whole['gap_JPY']:,.0f} JPY "
                          f"({whole['gap_pct']:.2f} %) below the LP bound "
                          f"{whole['lp_bound_JPY']:,.0f} JPY", highlight=False)


@app.command("grade")
def alloy_grade(
    file: Annotated[Path, typer.Argument(help="Lot (YAML/JSON): composition (wt %), buyer.")],
    format: FormatOption = Format.table,
) -> None:
    """Grade a lot against buyer specifications: met or not, margins, limiting element, price."""
    doc = answer(file, "grade", alloys.grade)
    if format == Format.json:
        print_json(doc)
        return
    rows = [(g["buyer"], {True: "yes", False: "no", None: "unknown"}[g["met"]],
             ", ".join(g["unmeasured"]) or "—", g["limiting_element"] or "—",
             limiting_margin(g),
             "—" if g["price_JPY_per_kg"] is None else f"{g['price_JPY_per_kg']:.0f}")
            for g in doc["grades"].values()]
    print_table("Grade", ("buyer", "met", "not measured", "limiting", "margin (wt %)",
                          "JPY/kg"), rows)
    print_warnings([w for g in doc["grades"].values() for w in g["warnings"]])


def limiting_margin(g: dict[str, Any]) -> str:
    """The limiting element's margin (to its maximum, else to its minimum), or — for none."""
    row = g["elements"].get(g["limiting_element"] or "", {})
    margin = row.get("margin", row.get("margin_low"))
    return "—" if margin is None else f"{margin:+.3f}"


def write_chart(charts: dict[str, Any], out: Path, source: Path) -> None:
    """``control-chart.html`` (with plotly.min.js beside it) in the folder ``out``."""
    with atomic_dir(out, record="alloy update") as tmp:
        Page(f"Control charts — {source.name}", source=source).figure(chart_figure(charts)).write(
            tmp / "control-chart.html")


@app.command("update")
def alloy_update(
    file: Annotated[Path, typer.Argument(help="Update request (YAML/JSON): feed, lots "
                                              "(lot, method, composition), buyer.")],
    estimates: Annotated[Path | None, typer.Option(help="Estimates JSON to start from and "
                                                        "to write back.")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for control-chart.html.")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Fold measured lots into the per-part composition estimates (Bayesian) and chart them.
    Re-plan with them: put the estimates file's content under ``estimates:`` in a plan
    request (``alloy plan``)."""
    check_out(out, command="alloy update")  # refused before the work (reviews 233, 235)
    if estimates is not None:
        refuse_inside_out("--estimates", estimates, out, "the chart")
    doc = answer(file, "update", alloys.update, estimates)
    if out is not None and doc["control_charts"]:
        write_chart(doc["control_charts"], out, file)
    if estimates is not None:
        tmp = estimates.with_suffix(".tmp")
        tmp.write_text(json.dumps(doc["estimates"]))
        tmp.replace(estimates)
    if format == Format.json:
        print_json(doc)
        return
    rows = [(c["key"], c["element"], f"{c['prior']:.3f}", f"{c['posterior']:.3f}",
             f"{c['posterior_sd']:.3f}") for c in doc["changed"][:30]]
    print_table(f"Estimates after {doc['lots']} lots",
                ("part", "element", "prior", "posterior", "sd"), rows)
    for e, ch in doc["control_charts"].items():
        flagged = [lot for lot, f in zip(ch["lots"], ch["flags"], strict=True) if f]
        out_console.print(f"{e}: centre {ch['centre']:.3f}, UCL {ch['ucl']:.3f}, flagged lots "
                          f"{', '.join(flagged) or 'none'}", highlight=False)
    print_warnings(doc["warnings"])


@app.command("experiments")
def alloy_experiments(
    out: Annotated[Path, typer.Option(help="Folder for hypotheses.html and .json.")]
    = Path("out/alloy-hypotheses"),
    format: FormatOption = Format.table,
) -> None:
    """Run seed 002's hypotheses I–V on the model and chart them."""
    check_out(out, command="alloy experiments")  # refused before the work (reviews 233, 235)
    with atomic_dir(out, record="alloy experiments") as tmp:
        res = alloys.run_hypotheses(tmp)
    if format == Format.json:
        print_json(res)
        return
    for v in res.values():
        verdict = "supported" if v["supported"] else "NOT supported"
        out_console.print(f"{v['hypothesis']}: {verdict}", highlight=False)
    console.print(f"wrote {out}/hypotheses.html and hypotheses.json")


@app.command("library")
def alloy_library(format: FormatOption = Format.table) -> None:
    """Vehicles, alloys, buyers and sorters shipped with junkan."""
    lib = alloys.load_alloy_library()
    if format == Format.json:
        print_json({"vehicles": {k: v.model_dump() for k, v in lib.vehicles.items()},
                    "alloys": {k: v.model_dump() for k, v in lib.alloys.items()},
                    "buyers": {k: v.model_dump() for k, v in lib.buyers.items()},
                    "dismantling": {k: v.model_dump() for k, v in lib.dismantling.items()},
                    "sorters": {k: v.model_dump() for k, v in shipped_sorters().items()}})
        return
    print_table("Vehicles", ("id", "make", "year", "powertrain", "Al kg"),
                [(v.id, v.make, v.year, v.powertrain, f"{v.al_kg:.0f}")
                 for v in lib.vehicles.values()])
    print_table("Buyers", ("id", "name", "max wt %"),
                [(k, b.name, ", ".join(f"{e} ≤ {x:g}" for e, x in b.max.items()))
                 for k, b in lib.buyers.items()])
