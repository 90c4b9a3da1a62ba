"""``junkan vision``: render a synthetic belt, train a piece classifier, evaluate it (the
confusion matrix ``junkan alloy plan --sorter`` takes), and predict counts and masses on
images (the verbs of :mod:`junkan.vision`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from junkan.cli.common import (
    Format,
    atomic_dir,
    check_out,
    console,
    fail,
    interactive,
    out_console,
    print_json,
    print_table,
    progress,
)

app = typer.Typer(
    no_args_is_help=True, help="Vision for shredded scrap: render, train, evaluate, predict."
)
FormatOption = Annotated[Format, typer.Option("--format")]


def _stage_lines() -> Any:
    """Without a terminal: one line on stderr as each network's training starts."""
    said: list[str] = []

    def stage(done: int, total: int, what: str) -> None:
        if not said or said[-1] != what:
            said.append(what)
            console.print(f"{what}: {total} passes …")

    return stage


def _threads() -> None:
    """One thread for OpenCV (the pipeline is written for one core per process)."""
    import cv2

    cv2.setNumThreads(1)


@app.command("render")
def vision_render(
    out: Annotated[Path, typer.Argument(help="Folder for images/ and annotations.json.")],
    images: Annotated[int, typer.Option(min=1, max=10_000)] = 20,
    pieces: Annotated[int, typer.Option(min=0, max=400)] = 50,
    grain_mm: Annotated[
        list[float] | None,
        typer.Option(help="Shred grain size(s) in mm; repeat to cycle through several."),
    ] = None,
    touching: Annotated[float, typer.Option(min=0, max=1)] = 0.25,
    dirt: Annotated[float, typer.Option(min=0, max=1)] = 0.15,
    seed: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Render a synthetic belt as a COCO data set with ground truth (masks, materials,
    masses, compositions from the alloy library)."""
    from pydantic import ValidationError

    from junkan.vision import RenderSpec, render, write_coco

    _threads()
    check_out(out, command="vision render", flag="")  # refused before the first frame
    try:  # every spec checked before the first frame is drawn
        specs = [RenderSpec(pieces=pieces, grain_mm=g, touching=touching, dirt=dirt)
                 for g in grain_mm or [65.0]]
    except ValidationError as exc:  # the options, named as typed (not RenderSpec's fields)
        fail("\n".join(f"--{str(e['loc'][0]).replace('_', '-')}: {e['msg']}"
                        for e in exc.errors()))
    # one frame at a time, written as drawn (a list of 10,000 frames of 1280 x 1024 held about
    # 40 GB), into a folder that replaces OUT only once every frame is written
    frames = (render(specs[i % len(specs)], seed=seed + i) for i in range(images))
    with atomic_dir(out, str(out), record="vision render") as tmp:
        try:
            write_coco(frames, tmp)
        except ValueError as exc:
            fail(str(exc))
    console.print(f"wrote {images} images and {out / 'annotations.json'}")


@app.command("train")
def vision_train(
    data: Annotated[
        Path,
        typer.Argument(
            help="COCO annotations (.json or a folder holding annotations.json) or class folders."
        ),
    ],
    out: Annotated[Path, typer.Option(help="Model file to write (JSON).")] = Path("model.json"),
    model_kind: Annotated[
        str,
        typer.Option(
            "--model",
            help="boosted: gradient boosting on piece features; cnn: the small CNN on piece "
            "patches (training needs the cnn extra: pip install 'junkan[cnn]').",
        ),
    ] = "boosted",
    trees: Annotated[int, typer.Option(min=10, max=2000, help="Trees (boosted).")] = 120,
    epochs: Annotated[int, typer.Option(min=1, max=500, help="Passes (cnn).")] = 30,
    seed: Annotated[int, typer.Option(min=0)] = 0,
    format: FormatOption = Format.table,
) -> None:
    """Train the classifier (gradient boosting or a small CNN → ONNX), calibrate its
    probabilities, and write it with its version and training-data hash."""
    from junkan import vision

    _threads()
    if model_kind not in vision.KINDS:
        fail(f"--model {model_kind!r}: use one of {', '.join(vision.KINDS)}")
    try:
        dataset = vision.load_dataset(data)
        # a CNN trains for minutes (217 s on 2 cores): its passes, per network, on stderr
        with progress("training", model_kind == "cnn" and interactive(), unit="passes") as cb:
            model = vision.train(
                dataset, seed=seed, trees=trees, kind=model_kind, epochs=epochs,
                progress=cb or (_stage_lines() if model_kind == "cnn" else None),
            )
    except ImportError as exc:
        fail(f"--model {model_kind} needs {exc.name}: pip install 'junkan[cnn]'")
    except ValueError as exc:  # ImageError, TrainingError
        fail(str(exc))
    model.save(out)
    if format == Format.json:
        print_json(model.info)
        return
    ref = "scikit-learn" if model.kind == "boosted" else "JAX"
    ovs = model.info["onnx_vs_sklearn" if model.kind == "boosted" else "onnx_vs_jax"]
    out_console.print(
        f"{model.kind} model {model.version} from {model.info['pieces']} pieces on "
        f"{model.info['images']} images → {out}\nclasses: {model.classes}\n"
        f"ONNX vs {ref}: max |Δp| {ovs['max_abs_probability_difference']:.1e}"
        f", argmax agreement {ovs['argmax_agreement']:.3f}",
        highlight=False,
    )


@app.command("evaluate")
def vision_evaluate(
    model: Annotated[Path, typer.Argument(help="Model file from `vision train`.")],
    data: Annotated[Path, typer.Argument(help="Held-out COCO annotations or folder.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Write the evaluation JSON here (what `alloy plan --sorter` reads)."),
    ] = None,
    interval_s: Annotated[float, typer.Option(min=0.001, max=1e7)] = 600.0,
    format: FormatOption = Format.table,
) -> None:
    """Confusion matrix with uncertainty, calibration, accuracy by size/overlap/dirt, count
    and mass errors per interval, and the sorter document for the alloy model."""
    from junkan import vision

    _threads()
    try:
        doc = vision.evaluate(vision.load(model), vision.load_dataset(data), interval_s)
    except ValueError as exc:
        fail(str(exc))
    if out is not None:
        out.write_text(json.dumps(doc), "utf-8")
    if format == Format.json:
        print_json(doc)
        return
    g = doc["groups"]
    print_table(
        f"Confusion (rows true, columns predicted): accuracy {doc['accuracy']:.3f} "
        f"on {doc['matched']} of {doc['pieces']} pieces; count error "
        f"{doc['count_error']:+.1%}",
        ("true", *g),
        [(t, *row) for t, row in zip(g, doc["confusion"], strict=True)],
    )
    if doc["sorter"] is None:
        out_console.print("no sorter document: a group has fewer than 10 pieces")


@app.command("predict")
def vision_predict(
    model: Annotated[Path, typer.Argument(help="Model file from `vision train`.")],
    images: Annotated[list[Path], typer.Argument(help="Images, or one COCO file/folder.")],
    mm_per_px: Annotated[
        float | None,
        typer.Option(min=0.01, max=10, help="Scale of plain images (COCO metadata has its own)."),
    ] = None,
    interval_s: Annotated[float, typer.Option(min=0.001, max=1e7)] = 600.0,
    format: FormatOption = Format.table,
) -> None:
    """Pieces per image (class, probability, area, mass) and, per belt interval, counts and
    mass by group with 5–95 % bands."""
    from junkan import vision

    _threads()
    try:
        m = vision.load(model)
        if len(images) == 1 and (images[0].suffix.lower() == ".json" or images[0].is_dir()):
            if mm_per_px is not None:  # it would be ignored: the data set has its own scales
                fail(f"--mm-per-px {mm_per_px:g}: for plain images only; {images[0]} gives "
                     "each image's scale (junkan.mm_per_px, or metadata.yaml)")
            items = vision.load_dataset(images[0]).items
            if not items:
                fail(f"{images[0]}: the data set lists no images to analyse")
        else:
            if mm_per_px is None:
                fail("give --mm-per-px for plain images")
            meta = vision.ImageMeta(mm_per_px=mm_per_px)
            # every file checked first (an unreadable one is named before any is analysed),
            # then read one at a time as the run reaches them
            vision.check_images(images)
            items = [vision.Item(str(p), meta) for p in images]
        res = vision.run(m, items, interval_s)
    except ValueError as exc:
        fail(str(exc))
    doc = res.to_json()
    if format == Format.json:
        print_json(doc)
        return
    rows = [
        (
            im["image"],
            len(im["pieces"]),
            *(im["counts"][g] for g in vision.GROUPS),
            "; ".join(im["warnings"]),
        )
        for im in doc["images"]
    ]
    print_table(f"model {doc['model']}", ("image", "pieces", *vision.GROUPS, "warnings"), rows)
