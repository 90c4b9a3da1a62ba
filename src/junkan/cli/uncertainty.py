"""Uncertainty, sensitivity and calibration of lifecycle models: ``junkan uncertainty |
sensitivity | calibrate MODEL`` (:mod:`junkan.lifecycle.uncertainty`). The uncertain
parameters come from the model's ``uncertainty`` section or from ``--spec FILE``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from junkan import lifecycle
from junkan.cli.common import (
    Format,
    atomic_dir,
    check_file_out,
    check_out,
    console,
    fail,
    interactive,
    number,
    print_json,
    print_table,
    progress,
    refuse_foreign_file,
    refuse_inside_out,
    refuse_reading_path,
    reported,
    write_file_out,
)
from junkan.cli.out_record import starts_with
from junkan.core.documents import read_document, validate_with
from junkan.core.report import PLOTLY_JS
from junkan.lifecycle import uncertainty

app = typer.Typer()

ModelArg = Annotated[Path, typer.Argument(help="Model file (YAML or JSON).")]
SpecOpt = Annotated[
    Path | None,
    typer.Option(
        "--spec",
        help="Uncertainty section in its own file (default: the model's 'uncertainty' section).",
    ),
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Folder for JSON, CSV and the HTML report.")
]
SeedOpt = Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1, help="Random seed.")]
FormatOpt = Annotated[Format, typer.Option("--format", help="table or json.")]
MAX_RUNS = 100_000


TABLES = {
    "uncertainty": ("percentiles.csv", "runs.csv"),
    "sensitivity": ("indices.csv",),
    "calibrate": ("observations.csv",),
}
"""The CSV tables each command writes into ``--out``, in the order :func:`_write` is given
their frames."""
WRITES = {command: ("summary.json", *tables, uncertainty.PAGES[command], PLOTLY_JS)
          for command, tables in TABLES.items()}
"""Every file each command writes into ``--out``: the early check (:func:`check_out`) and
the writing (:func:`_write`) both go by it."""


def _inputs(
    path: Path, spec: Path | None, out: Path | None, command: str
) -> tuple[lifecycle.ModelFile, Any]:
    check_out(out, WRITES[command], command=command)  # a user's summary.json is theirs
    with reported(path, OSError):
        model = lifecycle.load(path)
    if spec is None:
        return model, None
    with reported(spec, OSError):
        doc = read_document(spec)
        _refuse_wrapped(spec, doc)
        section = validate_with(uncertainty.UncertaintySection, doc, str(spec))
    return model, section.located(str(spec))


MODEL_KEYS = ("junkan", "products", "actors", "materials", "processes")
"""Sections of a model that an uncertainty spec never has."""


def _refuse_wrapped(spec: Path, doc: Any) -> None:
    """A model given as --spec, or the model's section pasted whole under 'uncertainty:',
    said plainly (review 231: told only 'unknown field'; review 235: a model was told to
    un-indent its section, which would have broken it)."""
    if not isinstance(doc, dict):
        return
    if any(key in doc for key in MODEL_KEYS):
        fail(f"{spec}: is a model, not a --spec file; a model's own 'uncertainty:' section is "
             "used without --spec, and a --spec file holds only parameters, groups and "
             "observations (examples/uncertainty/ has one)")
    if isinstance(doc.get("uncertainty"), dict) and "parameters" not in doc:
        fail(f"{spec}:uncertainty: a --spec file holds the section's fields (parameters, "
             "groups, observations) at its top level: remove the 'uncertainty:' line and "
             "un-indent what it holds")


def _write(out: Path, command: str, doc: dict[str, Any], result: Any, *frames: Any) -> None:
    """The summary, the tables (:data:`TABLES`) and the report of ``command`` into ``out``,
    all or nothing; exactly the files :data:`WRITES` names."""
    try:
        with atomic_dir(out, writes=WRITES[command], record=command) as tmp:
            (tmp / "summary.json").write_text(
                json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8"
            )
            for name, frame in zip(TABLES[command], frames, strict=True):
                frame.to_csv(tmp / name, index=False)
            result.report(tmp)
    except OSError as exc:
        fail(f"--out {out}: cannot write the results ({exc.strerror or exc}); check the folder")


def _check_write_model(path: Path, model: Path, spec: Path | None) -> None:
    """Exit 2, before any work, for a ``--write-model`` path that is not YAML or is a file
    the command reads (the model, or the spec: it was replaced by the model)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        fail(f"--write-model {path}: the calibrated model is written as YAML; give a .yaml "
             "or .yml path")
    refuse_reading_path("--write-model", path, model=model, spec=spec)
    check_file_out("--write-model", path)
    refuse_foreign_file("--write-model", path, "calibrate",
                        starts_with(f"{uncertainty.CALIBRATED_HEAD}junkan calibrate".encode()))


def _model_text(cal: Any, model: Path, spec: Path | None, path: Path) -> str:
    """The calibrated model (:mod:`~junkan.lifecycle.uncertainty.calibrated_model`) as the
    text to write at ``path``, checked to load as that file will."""
    with reported(spec or model, ValueError, KeyError):
        written = uncertainty.calibrated_document(
            cal, None if spec is None else read_document(spec))
    command = f"junkan calibrate {model}" + (f" --spec {spec}" if spec else "") + \
        f" --write-model {path}"
    text = str(uncertainty.calibrated_text(cal, written, command))
    with reported(path, ValueError):
        lifecycle.load(text=text, source=str(path))  # what is written loads
    return text


def _write_model(cal: Any, path: Path, text: str) -> None:
    """``text`` at ``path``, whole or not at all (its missing folders made)."""
    write_file_out("--write-model", path, text.encode("utf-8"))
    n = len(cal.names) if cal.informed is None else int(sum(cal.informed))
    console.print(f"wrote {path}: the model with {n} calibrated values", highlight=False,
                  markup=False)


def _fmt(x: Any) -> str:
    """A figure of the tables: 4 significant digits, whole numbers from 10,000 on with
    thousands separators (12,346, not 1.235e+04), as compare's tables."""
    return "—" if x is None else number(x, ",.4g", 1e4)


@app.command("uncertainty")
def uncertainty_cmd(
    model: ModelArg,
    runs: Annotated[
        int, typer.Option("--runs", min=1, max=MAX_RUNS, help="Monte Carlo runs.")
    ] = 1000,
    seed: SeedOpt = 0,
    spec: SpecOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = Format.table,
    backend: Annotated[
        str, typer.Option(help="local, or dask (the 'distributed' extra; a LocalCluster)")
    ] = "local",
) -> None:
    """Percentiles (5/25/50/75/95) of every headline figure, total and actor figure per
    scenario, and P(scenario B beats A) on paired draws (ties count as half; P(equal)
    beside it)."""
    if backend not in ("local", "dask"):
        fail(f"--backend {backend!r}: use local or dask")
    mf, section = _inputs(model, spec, out, "uncertainty")
    client = None
    if backend == "dask":
        from dask.distributed import Client, LocalCluster

        client = Client(LocalCluster(n_workers=2, threads_per_worker=1, processes=True))
    try:
        # a bar on a terminal: 100,000 runs print nothing for minutes (review 241)
        with reported(model, ValueError), progress(
                "Monte Carlo", backend == "local" and interactive(), unit="runs",
                total=runs) as bar:  # not 0/? until a chunk of runs ends (review 248)
            ens = uncertainty.propagate(
                mf, runs, seed, section=section, backend=backend, client=client, progress=bar
            )
    finally:
        if client is not None:
            client.close()
    doc = ens.to_json()
    if out is not None:
        _write(out, "uncertainty", doc, ens, ens.to_frame(), ens.runs_frame())
    if fmt == Format.json:
        print_json(doc)
        return
    # the headline figures, or the totals of a model that declares none
    section = "headline" if any(s["headline"] for s in doc["scenarios"]) else "totals"
    unit = doc.get("units", {}).get(section, {})
    # the runs in which a figure is a number, as a column when some figure lacks any
    defined = any(u["section"] == section for u in doc.get("undefined", []))
    rows = [
        (s["name"], k, *(_fmt(v[f"p{q}"]) for q in (5, 50, 95)), unit.get(k) or "–",
         *([f"{v['n_defined']:,}"] if defined else []))
        for s in doc["scenarios"]
        for k, v in s[section].items()
    ]
    print_table(
        f"{mf.name}: {runs:,} run{'' if runs == 1 else 's'} (seed {seed})",
        ["scenario", "headline" if section == "headline" else "total", "p5", "p50", "p95",
         "unit", *(["defined"] if defined else [])],
        rows,
        right=("p5", "p50", "p95", "defined"),
    )
    for u in doc.get("undefined", []):
        over = "its percentiles are over those" if u["n_defined"] else "it has no percentiles"
        console.print(f"note: {u['scenario']} · {u['section']} · {u['figure']} is defined in "
                      f"{u['n_defined']:,} of {u['runs']:,} runs; {over}", highlight=False,
                      markup=False, soft_wrap=True)
    rows = [(c["a"], c["b"], _fmt(c["p_b_beats_a"].get("co2e_t")),
             _fmt(c["p_equal"].get("co2e_t"))) for c in doc["comparisons"]]
    if not rows:  # one scenario: nothing to compare
        return
    # not "A" and "B": scenarios are often named so (review 241)
    print_table("P(the alternative has less life-cycle CO2e than the reference; ties ½)",
                ["reference", "alternative", "P", "P(equal)"], rows, right=("P", "P(equal)"))
    for c in doc["comparisons"]:
        if c.get("note"):  # scenarios of different horizons (review 223)
            console.print(f"note: {c['note']}", highlight=False, markup=False, soft_wrap=True)


@app.command("sensitivity")
def sensitivity_cmd(
    model: ModelArg,
    method: Annotated[str, typer.Option(help="sobol (Saltelli sampling) or morris")] = "sobol",
    n: Annotated[
        int,
        typer.Option(
            "--n", min=4, max=65_536,
            help="Base sample size (Sobol': rounded up to a power of 2, (k + 2) × n "
            "evaluations; Morris: trajectories, (k + 1) × n).",
        ),
    ] = 256,
    seed: SeedOpt = 0,
    spec: SpecOpt = None,
    out: OutOpt = None,
    output: Annotated[
        list[str] | None,
        typer.Option(
            "--output",
            help="scenario:figure (repeatable), e.g. B:co2_reduction_t or "
            "B:totals.co2e_t; default every headline figure",
        ),
    ] = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Sobol' indices or Morris screening of the headline figures (or the totals and actor
    figures named by --output); the top drivers (those above their noise) with their
    indices, the n used, and notes (rounding of n, unstable indices, correlations left
    out)."""
    methods = uncertainty.METHODS
    if method not in methods:  # the option's, before the model is read
        raise typer.BadParameter(f"{method!r}; use {' or '.join(methods)}",
                                 param_hint="--method")
    mf, section = _inputs(model, spec, out, "sensitivity")
    with reported(model, ValueError, KeyError), progress(
            method, interactive(), unit="model runs") as bar:
        sa = uncertainty.sensitivity(mf, method, n, seed, outputs=output or None,
                                     section=section, progress=bar)
    doc = sa.to_json()
    if out is not None:
        _write(out, "sensitivity", doc, sa, sa.to_frame())
    if fmt == Format.json:
        print_json(doc)
        return
    cols = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
    rows = []  # Morris' μ* and σ are in the output's unit, given beside it
    for o, d in doc["outputs"].items():
        top = d["top_drivers"] or [None]
        for p in top:
            i = doc["parameters"].index(p) if p is not None else None
            label = f"{o} ({d['unit']})" if method == "morris" and d.get("unit") else o
            rows.append((label if p == top[0] else "", p or "— (no index above its noise)",
                         *(_index(d, c, i) for c in cols)))
    rows += [(o, f"— ({why})", "", "") for o, why in doc["skipped"].items()]
    print_table(
        f"{mf.name}: {method}, n {sa.n:,}, {sa.evaluations:,} evaluations",
        ["output", "top drivers", *({"mu_star": "μ*", "sigma": "σ"}.get(c, c) for c in cols)],
        rows, right=("S1", "ST", "μ*", "σ"),
    )
    console.print(f"drivers: {doc['driver_rule']}; index: {doc['index_unit']}")
    for note in doc["notes"]:
        console.print(f"note: {note}")


def _index(d: dict[str, Any], key: str, i: int | None) -> str:
    """A parameter's index with its 95 % interval (± half-width), where SALib gives one."""
    if i is None:
        return ""
    conf = d.get(f"{key}_conf")
    return _fmt(d[key][i]) + (f" ± {_fmt(conf[i])}" if conf is not None else "")


def _attainable(o: dict[str, Any]) -> str:
    """The least … the most a figure takes over the ranges, ✗ when the observation is out."""
    if "attainable" not in o:
        return "—"
    lo, hi = o["attainable"]
    return f"{_fmt(lo)} … {_fmt(hi)}" + ("" if o["reachable"] else " ✗")


def _bounds(p: dict[str, Any]) -> str:
    """A fitted parameter's range, marked where the fit ended at one of its ends."""
    lo, hi = p["bounds"]
    if not p["at_bound"]:
        return f"{_fmt(lo)} … {_fmt(hi)}"
    at_lower = abs(p["fitted"] - lo) <= abs(p["fitted"] - hi)
    return f"[{_fmt(lo)}] … {_fmt(hi)}" if at_lower else f"{_fmt(lo)} … [{_fmt(hi)}]"


def _range(p: dict[str, Any]) -> str:
    """A fitted parameter's 95 % range, or why it has none narrower than its bounds."""
    if not p.get("informed", True):
        return "not informed (kept)"
    if not p.get("identified", True):
        return "not identified"  # its range is its bounds (see the warning below the table)
    return f"{_fmt(p['ci95'][0])} … {_fmt(p['ci95'][1])}"


WriteModelOpt = Annotated[Path | None, typer.Option(
    "--write-model", help="Also write the model with the fitted values set, each marked "
    "calibrated (a .yaml or .yml path; a file there is replaced only if calibrate wrote it).")]


@app.command("calibrate")
def calibrate_cmd(
    model: ModelArg, spec: SpecOpt = None, out: OutOpt = None, fmt: FormatOpt = Format.table,
    write_model: WriteModelOpt = None,
) -> None:
    """Fit the 'calibrate: true' parameters to the observed figures (bounded least
    squares); fitted values, residuals and 95 % ranges (a parameter the observations do
    not identify is marked so, its range its bounds)."""
    if write_model is not None:
        _check_write_model(write_model, model, spec)
        refuse_inside_out("--write-model", write_model, out, "it")
    mf, section = _inputs(model, spec, out, "calibrate")
    with reported(model, ValueError, KeyError), progress(
            "calibration", interactive(), unit="model runs") as bar:
        cal = uncertainty.calibrate(mf, section=section, progress=bar)
    doc = cal.to_json()
    # the calibrated model is made and checked first: a failure leaves --out unwritten too
    text = None if write_model is None else _model_text(cal, model, spec, write_model)
    if out is not None:
        _write(out, "calibrate", doc, cal, cal.to_frame())
    if write_model is not None and text is not None:
        _write_model(cal, write_model, text)
    if fmt == Format.json:
        print_json(doc)
        return
    print_table(
        f"{mf.name}: fitted (calibrated; the solver: {doc['message'].rstrip('.')})",
        ["parameter", "start", "fitted", "95 % range", "bounds", "unit"],
        [
            (
                p["parameter"],
                _fmt(p["start"]),
                _fmt(p["fitted"]),
                _range(p),
                _bounds(p),
                p.get("unit") or "–",
            )
            for p in doc["parameters"]
        ],
    )
    for warning in doc.get("warnings", []):
        console.print(f"warning: {warning}")
    if stuck := sum(p["at_bound"] for p in doc["parameters"]):
        console.print(f"{stuck} of {len(doc['parameters'])} parameters ended at a bound of "
                      "their range: the model's structure or the ranges cannot reproduce "
                      "some observations (see the user guide, calibration)")
    print_table(
        "observed vs fitted",
        ["scenario", "figure", "observed", "fitted", "error", "attainable"],
        [
            (
                o["scenario"],
                o["figure"] + ("" if o.get("fitted_to", True) else " (not fitted)"),
                _fmt(o["observed"]),
                _fmt(o["fitted"]),
                f"{o['relative_error']:+.0%}" if o["relative_error"] is not None else "—",
                _attainable(o),
            )
            for o in doc["observations"]
        ],
        right=("observed", "fitted", "error"),
    )
    if out_of_reach := [o for o in doc["observations"] if o.get("reachable") is False]:
        console.print(f"{len(out_of_reach)} of {len(doc['observations'])} observed figures lie "
                      "outside what the model gives anywhere in the parameters' ranges "
                      "(marked ✗): no fit can reproduce them; see the user guide, calibration")
