"""Sensing fixtures: the trained models (the service's own, trained once per test session
into a shared model cache that every server and job worker of the session reads; see
tests/sensing/modeldir.py) and the MQTT broker (JUNKAN_TEST_MQTT_URL; required when CI=true,
as .ci/services.sh starts mosquitto)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from junkan import sensing
from tests.sensing.modeldir import use_shared_models


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield from use_shared_models(tmp_path_factory)


@pytest.fixture(scope="session")
def models(model_cache: Path) -> sensing.Models:
    """The service's monitor (:data:`junkan.api.routers.sensing.SERVICE_TUNING`)."""
    from junkan.api.routers.sensing import SERVICE_TUNING

    seeds, duration = SERVICE_TUNING
    return sensing.train(seeds, duration, str(model_cache))


@pytest.fixture
def mqtt_url() -> str:
    url = os.environ.get("JUNKAN_TEST_MQTT_URL")
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "CI must run the MQTT tests on a real broker: set JUNKAN_TEST_MQTT_URL "
                "(.ci/services.sh starts mosquitto)"
            )
        pytest.skip(
            'JUNKAN_TEST_MQTT_URL not set (eval "$(bash .ci/services.sh)" starts mosquitto)'
        )
    return url
