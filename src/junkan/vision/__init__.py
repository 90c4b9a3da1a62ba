"""Vision for shredded scrap: segment, classify, count and weigh non-ferrous pieces on a belt,
and measure the confusion matrix the alloy model's sorter uses.

    model = vision.train(vision.load_dataset("belt/annotations.json"))   # COCO or folders
    model.save("model.json"); model = vision.load("model.json")
    res = vision.run(model, ["img1.png", ...], meta)                      # PredictResult
    doc = vision.evaluate(model, vision.load_dataset("held_out/"))       # confusion, sorter
    frame = vision.render(vision.RenderSpec(grain_mm=65), seed=1)         # synthetic belt

``run`` returns a result with ``to_frame()``, ``to_json()`` and ``report(path)``."""

from junkan.vision.dataset import (
    Dataset,
    ImageError,
    ImageMeta,
    Item,
    decode,
    from_frames,
    load_coco,
    load_dataset,
    load_folders,
    read_image,
)
from junkan.vision.evaluate import evaluate
from junkan.vision.materials import GROUPS, group_from_composition, priors
from junkan.vision.model import KINDS, TrainingError, VisionModel, train
from junkan.vision.model import load_model as load
from junkan.vision.model_checks import OutdatedModelError
from junkan.vision.pipeline import analyse, intervals, weigh
from junkan.vision.preflight import check_image, check_images
from junkan.vision.render import Frame, RenderSpec, render
from junkan.vision.results import PredictResult, run, write_coco

__all__ = [
    "analyse",
    "check_image",
    "check_images",
    "Dataset",
    "decode",
    "evaluate",
    "Frame",
    "from_frames",
    "GROUPS",
    "group_from_composition",
    "ImageError",
    "ImageMeta",
    "KINDS",
    "intervals",
    "Item",
    "load",
    "load_coco",
    "load_dataset",
    "load_folders",
    "OutdatedModelError",
    "PredictResult",
    "priors",
    "read_image",
    "render",
    "RenderSpec",
    "run",
    "train",
    "TrainingError",
    "VisionModel",
    "weigh",
    "write_coco",
]
