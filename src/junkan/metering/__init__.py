"""Reverse-chain metering: power and energy from current-clamp series, operating cycles by
change-point detection, attribution to process steps and units with station scan events, and
unit factors per product model × step exported as a lifecycle library template (seed 003,
solution 2). See docs/metering.md.

    from junkan import metering
    plant = metering.load_plant("circuits.yaml")
    imported = metering.read_csv("clamps.csv", plant)
    result = metering.run(imported, plant, metering.read_scans("scans.csv", plant))
    result.factors                   # kWh, CO2e, JPY per unit, per model × step
    metering.write(result, Path("out"))   # ... and out/library.yaml

Live input: :class:`Subscriber` (MQTT, ``junkan/metering/<station>/readings``) and
:class:`Poller` (Modbus TCP meters) fill a :class:`Recorder`, whose ``to_import(plant)`` is the
same :class:`Import` as :func:`read_csv`'s. :func:`link` fills the processes of a lifecycle
model that name ``measured: {model, step}`` and adds the factors' uncertainty to its
``uncertainty`` section. Model identification from a photo:
:func:`identify` against a :class:`Catalogue` built with :func:`enrol` (QR / barcode by zbar,
nameplate text by Tesseract, outline features by scikit-image).

Streaming: :class:`Stream` validates, converts and segments readings as they arrive
(:class:`OnlineSegmenter`: the batch segmenter's penalised least squares, solved point by point,
segments final a few seconds after each load change; :func:`compare_segmentations` measures the
difference from the batch result).

Segmentation needs the ``metering`` extra (``ruptures``); import and power do not. Modbus
needs ``pymodbus`` (``metering``), MQTT ``paho-mqtt`` (``sensing``), identification
``pyzbar``, ``pytesseract``, ``scikit-image``, Pillow (``metering``) and the Debian packages
``libzbar0`` and ``tesseract-ocr``.
"""

from junkan.metering.attribute import Attribution, attribute, read_scans, scans_from_frame
from junkan.metering.config import (
    Circuit,
    Electrical,
    MeteringError,
    Plant,
    Reference,
    electrical,
    load_plant,
    plant_from_dict,
    read_yaml,
)
from junkan.metering.csvfile import cells_of_text
from junkan.metering.enrol import Identification, calibrate, demo_catalogue, enrol, identify
from junkan.metering.factors import library_template, step_totals, unit_factors
from junkan.metering.generator import SEED_KWH_PER_DAY, Day, compressor_day
from junkan.metering.identify import Catalogue, Entry, IdentifyError, load_catalogue
from junkan.metering.ingest import Import, Series, from_frame, read_csv
from junkan.metering.link import link
from junkan.metering.live import Feed, Publisher, Recorder, Subscriber, to_messages
from junkan.metering.modbus import Meter, Poller, load_meters
from junkan.metering.online import OnlineSegmenter, segment_online
from junkan.metering.online import compare as compare_segmentations
from junkan.metering.photos import MODELS as PHOTO_MODELS
from junkan.metering.photos import photo_set, render
from junkan.metering.pipeline import (
    Result,
    factors_frame,
    read_factors,
    run,
    run_frames,
    write,
    write_import,
)
from junkan.metering.segment import Segment, Segmentation, segment
from junkan.metering.stream import Stream

__all__ = [
    "read_yaml",
    "factors_frame",
    "Identification",
    "calibrate",
    "demo_catalogue",
    "enrol",
    "identify",
    "Catalogue",
    "Entry",
    "IdentifyError",
    "load_catalogue",
    "Feed",
    "Publisher",
    "Recorder",
    "Subscriber",
    "to_messages",
    "Meter",
    "Poller",
    "load_meters",
    "PHOTO_MODELS",
    "photo_set",
    "render",
    "attribute",
    "Attribution",
    "Circuit",
    "compressor_day",
    "cells_of_text",
    "Day",
    "electrical",
    "Electrical",
    "from_frame",
    "Import",
    "library_template",
    "load_plant",
    "MeteringError",
    "Plant",
    "plant_from_dict",
    "read_csv",
    "read_factors",
    "read_scans",
    "Reference",
    "Result",
    "run",
    "run_frames",
    "scans_from_frame",
    "SEED_KWH_PER_DAY",
    "segment",
    "segment_online",
    "link",
    "compare_segmentations",
    "OnlineSegmenter",
    "Stream",
    "Segment",
    "Segmentation",
    "Series",
    "step_totals",
    "unit_factors",
    "write",
    "write_import",
]
