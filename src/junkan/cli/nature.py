"""``junkan nature``: TNFD LEAP assessment of sourcing areas from satellite scenes — assess
the areas, classify land cover, write the LEAP report, map flooding per pixel and per area,
write a generated sample (the verbs of :mod:`junkan.nature`; needs the 'nature' extra)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from junkan.cli.common import (
    Format,
    LangOption,
    atomic_dir,
    check_out,
    console,
    print_json,
    print_table,
    reported,
)

if TYPE_CHECKING:  # junkan.nature (rasterio, xarray, dask) is imported by the commands
    from junkan import nature

app = typer.Typer(no_args_is_help=True, help="Nature: TNFD LEAP assessment of sourcing areas.")

FileArg = Annotated[Path, typer.Argument(help="Assessment (YAML or JSON); see docs/nature.md.")]
FormatOption = Annotated[Format, typer.Option("--format")]
EncoreDeps = Annotated[Path | None, typer.Option(
    "--encore-dependencies",
    help="Your ENCORE '06. Dependency mat ratings.csv' (overrides encore: dependencies:).")]
EncorePres = Annotated[Path | None, typer.Option(
    "--encore-pressures",
    help="Your ENCORE '07. Pressure mat ratings.csv' (overrides encore: pressures:).")]


def _load(file: Path) -> nature.Assessment:
    from junkan import nature

    with reported(file):
        return nature.load(file)


def with_encore(a: nature.Assessment, deps: Path | None, pres: Path | None
                 ) -> nature.Assessment:
    """The assessment with the ENCORE files given on the command line (paths from the
    working directory), the rest of its ``encore`` kept."""
    if deps is None and pres is None:
        return a
    from junkan import nature
    from junkan.core.documents import validate_with

    old = a.spec.encore.model_dump() if a.spec.encore else {}
    new = {k: str(v.resolve()) for k, v in (("dependencies", deps), ("pressures", pres)) if v}
    with reported(Path(a.source)):
        spec = validate_with(nature.EncoreSpec, old | new, a.source)
    return a.model_copy(update={"spec": a.spec.model_copy(update={"encore": spec})})


ASSESSED = "nature assess or report"
"""The command a results folder of ``assess`` or ``report`` records: both write the same
files (:func:`_write`), so either replaces the other's."""


def _write(res: nature.NatureResult, out: Path, lang: str, pdf: bool = False) -> None:
    with atomic_dir(out, record=ASSESSED) as tmp:
        res.report(tmp / "report.html", lang=lang)
        if pdf:
            res.report(tmp / "report.pdf", lang=lang)
        res.to_frame().to_parquet(tmp / "scenes.parquet", index=False)
        (tmp / "result.json").write_text(
            json.dumps(res.to_json(), ensure_ascii=False), encoding="utf-8"
        )
    console.print(
        f"wrote {out}/report.html (its charts need plotly.min.js beside it, also written)"
        f"{', report.pdf' if pdf else ''}, result.json, scenes.parquet"
    )


@app.command()
def assess(
    file: FileArg,
    fmt: FormatOption = Format.table,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for report.html, result.json, scenes.parquet."),
    ] = None,
    lang: LangOption = "en",
    encore_deps: EncoreDeps = None,
    encore_pres: EncorePres = None,
) -> None:
    """Indicators of every sourcing area: TNFD C1.0/C1.1, protected overlap, indices,
    water, drought, trends, integrated impact, risk (weighed by your ENCORE export)."""
    check_out(out, command=ASSESSED)  # refused before the work (reviews 233, 235)
    from junkan import nature

    a = with_encore(_load(file), encore_deps, encore_pres)
    with reported(file):
        res = nature.run(a)
    if out is not None:
        _write(res, out, lang)
    if fmt is Format.json:
        print_json(res.to_json())
        return
    print_table(
        f"nature — {res.name}\nC1.0, C1.1 km²; C3.0 m³ from water-stressed areas; "
        "in PA: share in protected areas; impact: integrated, 0–100",
        ["area", "commodity", "supplier", "C1.0", "C1.1", "C3.0", "in PA", "impact"],
        res.summary(),
        right=("C1.0", "C1.1", "C3.0", "in PA", "impact"),
    )


@app.command()
def classify(
    file: FileArg,
    fmt: FormatOption = Format.table,
    scene: Annotated[
        int | None, typer.Option(help="Scene (0-based) to map; default: the training scene.")
    ] = None,
    map_out: Annotated[
        Path | None, typer.Option("--map", help="Write the class map (GeoTIFF, uint8, 0 = nodata).")
    ] = None,
) -> None:
    """Train the random forest on the training polygons; accuracy, kappa, per-class F1 and
    the confusion matrix on held-out polygons."""
    from junkan import nature

    a = _load(file)
    with reported(file):
        if scene is not None and not 0 <= scene < len(a.spec.scenes):
            raise nature.NatureInputError(f"--scene: 0 to {len(a.spec.scenes) - 1}")
        clf = nature.classify(a, scene=scene, out=map_out)
    doc = clf.to_json()
    if fmt is Format.json:
        print_json(doc)
        return
    print_table(
        f"held-out accuracy {doc['accuracy']:.3f} ({_ci(doc, 'accuracy_ci95')}), kappa "
        f"{doc['kappa']:.3f} ({_ci(doc, 'kappa_ci95')}); 95 % over the held-out polygons",
        ["reference \\ predicted", *doc["classes"], "F1"],
        [
            [c, *row, f"{doc['f1'][c]:.3f}"]
            for c, row in zip(doc["classes"], doc["confusion"], strict=True)
        ],
    )
    if map_out is not None:
        console.print(f"wrote {map_out}")


@app.command()
def report(
    file: FileArg,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for report.html, result.json, scenes.parquet.")
    ],
    lang: LangOption = "en",
    pdf: Annotated[bool, typer.Option("--pdf", help="Also write report.pdf (matplotlib).")] = False,
    encore_deps: EncoreDeps = None,
    encore_pres: EncorePres = None,
) -> None:
    """The LEAP report (Locate, Evaluate, Assess, Prepare) per company and portfolio; with
    your ENCORE export, its ratings in Evaluate and in the risk rating."""
    check_out(out, command=ASSESSED)  # refused before the work (reviews 233, 235)
    from junkan import nature

    a = with_encore(_load(file), encore_deps, encore_pres)
    with reported(file):
        res = nature.run(a)
        _write(res, out, lang, pdf)


@app.command("flood-map")
def flood_map(
    file: FileArg,
    out: Annotated[Path, typer.Option("--out", help="Folder for flood.tif and flood_areas.csv.")],
    scene: Annotated[
        int | None,
        typer.Option(help="Scene (0-based) to compare with the reference; default: the last."),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Flooding of one scene against the reference scene (flood_reference): the per-pixel
    map (GeoTIFF uint8: 0 nodata, 1 dry, 2 permanent water, 3 flooded, 4 receded) and the
    per-area table (km², with the range from the Otsu threshold's uncertainty)."""
    check_out(out, command="nature flood-map")  # refused before the work (reviews 233, 235)
    from junkan import nature

    a = _load(file)
    with reported(file), atomic_dir(out, record="nature flood-map") as tmp:
        doc = nature.flood_areas(a, tmp, scene=scene)
    doc |= {"map": str(out / "flood.tif"), "table": str(out / "flood_areas.csv")}
    if fmt is Format.json:
        print_json(doc)
        return
    th = {t["date"]: t for t in doc["thresholds"]}
    print_table(
        f"flooding per area — {doc['index']}: scene {doc['scene']} against reference scene "
        f"{doc['reference_scene']}; thresholds "
        + ", ".join(f"{d} {t['threshold']:.3f} ({t['method']})" for d, t in th.items())
        + "\nkm²; in brackets: range over the near-optimal thresholds",
        ["area", "date", "water", "flooded", "receded", "permanent"],
        [
            [
                r["area"],
                r["date"],
                f"{r['water_km2']:.3f} ({r['water_low_km2']:.3f}–{r['water_high_km2']:.3f})",
                f"{r['flooded_km2']:.3f} ({r['flooded_low_km2']:.3f}–{r['flooded_high_km2']:.3f})",
                f"{r['receded_km2']:.3f}",
                f"{r['permanent_km2']:.3f}",
            ]
            for r in doc["areas"]
        ],
        right=("water", "flooded", "receded", "permanent"),
    )
    console.print(f"wrote {out}/flood.tif, flood_areas.csv")


@app.command()
def sample(
    folder: Annotated[Path, typer.Argument(help="Folder to write the sample to.")],
    size: Annotated[int, typer.Option(min=60, max=3000)] = 300,
    seed: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Write a generated sample: six annual scenes, sourcing areas, a protected area,
    training polygons, precipitation, water withdrawals and stress basins, assessment.yaml."""
    from junkan import nature

    path = nature.write_sample(folder, size=size, seed=seed)
    console.print(f"wrote {path}")


def _ci(doc: dict[str, Any], key: str) -> str:
    """A 95 % interval of the classifier's validation as ``lo–hi`` (``–`` when not given)."""
    lo_hi = (doc.get("validation") or {}).get(key)
    return f"{lo_hi[0]:.3f}–{lo_hi[1]:.3f}" if lo_hi else "–"
