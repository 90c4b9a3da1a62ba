"""Shredder sensing: real-time multimodal monitoring of a car-shredder line (seed 000,
theme 1) — acoustic, rotor-speed, motor-current, gas (LEL) and spark streams over MQTT or from
recordings, a physics-based generator of scripted scenarios, detectors behind one interface
(a Bayesian-attractor state classifier, a reservoir anomaly scorer, a rule layer, baselines),
fusion into advisory actions with evidence, the operator's labels, and event metrics.

    sc = sensing.load("jam_and_gas.yaml")        # Scenario
    res = sensing.run(sc)                         # MonitorRun: to_frame/to_json/report
    ev = sensing.evaluate([sc])                   # Evaluation: to_frame/to_json/report
"""

from typing import Any

from junkan.sensing.api import TUNING_SEEDS, evaluate, load, run, train, tuning_scenario
from junkan.sensing.features import FEATURES, acoustic_features
from junkan.sensing.fusion import ACTIONS
from junkan.sensing.generator import LineParams, Recording, generate, synthesize_audio
from junkan.sensing.ingest import LineIngest
from junkan.sensing.live import LINE_ID, Hub, LiveError
from junkan.sensing.live import precision as label_precision
from junkan.sensing.modelcache import ModelCache
from junkan.sensing.modelcache import cache_dir as model_cache_dir
from junkan.sensing.monitor import Alarm, Models, Monitor, monitor_recording
from junkan.sensing.reorder import Gap, Reorder
from junkan.sensing.results import NOT_DEFINED_NOTE, Evaluation, MonitorRun
from junkan.sensing.samples import Batch, SampleError, parse_message
from junkan.sensing.scenario import Scenario, reference
from junkan.sensing.sources import LineSource, SourceRefused
from junkan.sensing.store import RawStore, read_csv, read_raw

__all__ = [
    "ACTIONS",
    "acoustic_features",
    "Alarm",
    "Batch",
    "evaluate",
    "Evaluation",
    "FEATURES",
    "Gateway",
    "generate",
    "Hub",
    "Ingest",
    "label_precision",
    "LINE_ID",
    "LineIngest",
    "LineSource",
    "LiveError",
    "LineParams",
    "load",
    "ModelCache",
    "model_cache_dir",
    "Models",
    "Monitor",
    "monitor_recording",
    "MonitorRun",
    "NOT_DEFINED_NOTE",
    "OpcuaIngest",
    "parse_message",
    "RawStore",
    "read_csv",
    "read_raw",
    "Recording",
    "reference",
    "Gap",
    "Reorder",
    "run",
    "SampleError",
    "SourceRefused",
    "Scenario",
    "synthesize_audio",
    "train",
    "TUNING_SEEDS",
    "tuning_scenario",
]


def __getattr__(name: str) -> Any:
    """The MQTT gateway and ingest (:mod:`junkan.sensing.mqtt`) and the OPC UA ingest
    (:mod:`junkan.sensing.opcua`), imported when first used: they need the 'sensing' extra
    (paho-mqtt, asyncua), the rest does not."""
    if name in ("Gateway", "Ingest"):
        from junkan.sensing import mqtt

        return getattr(mqtt, name)
    if name == "OpcuaIngest":
        from junkan.sensing import opcua

        return opcua.OpcuaIngest
    raise AttributeError(f"module 'junkan.sensing' has no attribute {name!r}")
