"""Shared fixtures: a small but complete model exercising every loop type."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _worker_postgres() -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (``<name>_gw0``, …),
    created on first use: the store tests drop and recreate the public schema, which two
    workers must not do to each other. Runs at import, before any other conftest reads the
    URL."""
    import os

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("JUNKAN_TEST_POSTGRES_URL")
    if not worker or not url:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = text("SELECT 1 FROM pg_database WHERE datname = :n")
        if conn.execute(exists, {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    own = base.set(database=name).render_as_string(hide_password=False)
    os.environ["JUNKAN_TEST_POSTGRES_URL"] = own


_worker_postgres()


def _cheap_test_apps() -> None:
    """Argon2 at its cheapest for the suite (thousands of users, sign-ins and client secrets:
    ~0.2 s each at the standard cost); the tests of flooding and of the hashing itself ask for
    the standard cost with :func:`standard_password_hashing`. Servers and commands the tests
    start inherit it."""
    import os

    from junkan.store.passwords import ENV, INSECURE

    os.environ.setdefault(ENV, INSECURE)
    # and an app's budgeted workers start with its first task, not with every test's app
    os.environ.setdefault("JUNKAN_BUDGET_START", "lazy")


_cheap_test_apps()
EXAMPLES = ROOT / "examples"


@pytest.fixture
def standard_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service's real Argon2 cost, for tests whose point is that hashing is expensive."""
    from junkan.store.passwords import ENV, STANDARD

    monkeypatch.setenv(ENV, STANDARD)


@pytest.fixture(scope="session", autouse=True)
def sensing_dirs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """No test reads or writes the working tree's ``var/sensing``: the live hub's directory
    (kept lines, ``JUNKAN_SENSING_DIR``) is a temporary one per worker, and every app the tests
    start reads the session's one set of trained monitor models (``JUNKAN_SENSING_MODELS``,
    tests/sensing/modeldir.py), so the monitor is trained once per test run."""
    from tests.sensing.modeldir import shared_model_dir

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUNKAN_SENSING_DIR", str(tmp_path_factory.mktemp("sensing-hub")))
        mp.setenv("JUNKAN_SENSING_MODELS", str(shared_model_dir(tmp_path_factory)))
        yield

SMALL: dict[str, Any] = {
    "junkan": 1,
    "name": "small",
    "currency": "JPY",
    "years": {"start": 2020, "end": 2039},
    "actors": {
        "maker": {"role": "product_maker"},
        "supplier": {"role": "part_maker"},
        "recycler": {"role": "material_regenerator"},
        "waste": {"role": "waste_handler"},
    },
    "materials": {
        "steel": {"virgin": {"co2e": "2 kgCO2e/kg", "cost": "100 JPY/kg", "source": "test"},
                  "recycled": {"co2e": "0.5 kgCO2e/kg", "source": "test"}},
        "plastic": {"virgin": {"co2e": "3 kgCO2e/kg", "source": "test"}},
    },
    "parts": {
        "motor": {"make": ["part_making"], "bom": [
            {"part": "magnet", "quantity": 2},
            {"material": "steel", "mass": "3 kg"}],
            "recovery": {"reuse": {"share": 0.5, "pass_rate": 0.8},
                         "residual": {"steel_recycling": 1}}},
        "magnet": {"bom": [{"material": "steel", "mass": "250 g"}],
                   "recovery": {"residual": {"steel_recycling": 1}}},
    },
    "products": {
        "widget": {
            "make": ["assembly"],
            "sales": {2020: 1000, 2030: 2000},
            "lifetime": {"distribution": "weibull", "scale": "6 year", "shape": 2.0},
            "bom": [{"part": "motor", "quantity": 1},
                    {"material": "steel", "mass": "5 kg"},
                    {"material": "plastic", "mass": "2 kg"}],
            "maintenance": [{"part": "motor", "replacement_rate": 0.05,
                             "collection": {"rate": 0.5}, "extract": ["magnet"],
                             "residual": {"steel_recycling": 1},
                             "uncollected": {"landfill": 1}}],
            "eol": {"collection": {"rate": 0.7, "processes": ["collect"]},
                    "reuse": {"share": 0.2, "pass_rate": 0.5},
                    "dismantling": {"extract": ["motor", "motor/magnet"],
                                    "residual": {"shredding": 0.9, "landfill": 0.1}},
                    "uncollected": {"landfill": 0.5, "incineration": 0.3, "export": 0.2}},
        }
    },
    "processes": {
        "part_making": {"actor": "supplier", "stage": "manufacturing",
                        "co2e": "1 kgCO2e/piece", "cost": "500 JPY/piece", "source": "test"},
        "assembly": {"actor": "maker", "stage": "manufacturing", "co2e": "4 kgCO2e/piece",
                     "revenue": "9000 JPY/piece", "source": "test"},
        "collect": {"actor": "recycler", "stage": "collection", "co2e": "200 gCO2e/(t*km)",
                    "distance": "100 km", "cost": "50 JPY/piece", "source": "test"},
        "steel_recycling": {"kind": "recycling", "actor": "recycler", "stage": "recycling",
                            "yields": {"steel": 0.9}, "residue": {"landfill": 1},
                            "co2e": "0.1 kgCO2e/kg", "source": "test"},
        "shredding": {"kind": "recycling", "closed_loop": False, "actor": "recycler",
                      "stage": "recycling", "yields": {"steel": 0.9, "plastic": 0.3},
                      "residue": {"incineration": 1}, "source": "test"},
        "landfill": {"kind": "landfill", "actor": "waste", "stage": "disposal",
                     "source": "test"},
        "incineration": {"kind": "energy_recovery", "actor": "waste",
                         "stage": "energy_recovery", "co2e": "1 kgCO2e/kg", "source": "test"},
        "export": {"kind": "export", "actor": "waste", "stage": "export", "source": "test"},
    },
    "scenarios": {
        "more_collection": {"set": {"products.widget.eol.collection.rate": 0.95}},
    },
    "headline": {
        "co2_reduction_t": {"metric": "co2e", "compare": "reduction", "unit": "t"},
    },
}


def _train_small_vision_model(path: Path) -> None:
    import cv2

    from junkan.vision import RenderSpec, from_frames, render, train

    cv2.setNumThreads(1)
    frames = [
        render(RenderSpec(width=640, height=512, pieces=25, mm_per_px=0.8, grain_mm=40), seed=i)
        for i in range(16)
    ]
    train(from_frames(frames), trees=30).save(path)


@pytest.fixture(scope="session")
def small_vision_model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The file of a vision model trained on 16 small renders (fast; not for accuracy),
    trained once per run: by the first xdist worker that needs it (the vision tests and the
    Vision page), under a lock file the others wait on, then read from disk."""
    import fcntl
    import os

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # pytest-N/, shared by popen-gw0, popen-gw1, ...
    d = base / "vision-models"
    d.mkdir(exist_ok=True)
    path = d / "small.json"
    with open(d / "small.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.is_file():
            _train_small_vision_model(path)
    return path


@pytest.fixture
def small() -> dict[str, Any]:
    """A fresh deep copy of the small model document."""
    return copy.deepcopy(SMALL)


def write_model(tmp_path: Path, doc: dict[str, Any], name: str = "model.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


SERVICE_FIXTURES = {"app_client", "client", "server", "auth"}
"""Fixtures that start the service (migrations, seeding, Argon2 hashing, budgeted workers):
tests using them belong to the outer loop."""
SLOW_MODULES = ("tests/api/", "tests/packaging/", "tests/core/test_budget.py",
                "tests/trace/test_pact.py", "tests/trace/test_cli.py")
"""The service suite, and modules that build virtual environments, start worker processes or
TLS servers, or kill processes."""


LONGEST_FIRST = (
    "tests/security/test_openapi.py",
    "tests/web/test_a11y.py",
    "tests/vision/test_pipeline.py",  # trains the shared small model before its page needs it
    "tests/web/test_screens.py",
    "tests/web/test_nature_vision_pages.py",
    "tests/sensing/test_detectors.py",
    "tests/web/test_capability_pages.py",
    "tests/web/test_reverse_chain_page.py",
    "tests/web/test_browser.py",
    "tests/web/test_policy_pages.py",
    "tests/nature/test_distributed.py",
    "tests/lifecycle/uncertainty/test_uncertainty.py",
    "tests/nature/test_api.py",
    # then the other modules of 10 s or more, longest first (a full run, 2026-12-06)
    "tests/web/test_analyses_vision_walk.py",
    "tests/api/test_accounts.py",
    "tests/api/test_trace_verify_worker.py",
    "tests/web/test_workspace.py",
    "tests/web/test_field_problems_beside_pages.py",
    "tests/web/test_analyses_yen_tables.py",
    "tests/api/test_service.py",
    "tests/web/test_analyses_review.py",
    "tests/lifecycle/uncertainty/test_sensitivity_calibration.py",
    "tests/web/test_analyses_phone_yen.py",
    "tests/api/test_analysis_review.py",
    "tests/web/test_analyses_notes.py",
    "tests/api/test_lifecycle_analysis.py",
    "tests/web/test_form_checks.py",
    "tests/web/test_analyses_sort_signs_zero.py",
    "tests/web/test_sankey_labels.py",
    "tests/core/test_budget.py",
    "tests/web/test_rule_messages.py",
    "tests/web/test_large_model_page.py",
    "tests/vision/test_cnn.py",
    "tests/lifecycle/test_review230.py",  # (this stop's, ~45 s)
    "tests/lifecycle/test_optimise_review214.py",
    "tests/sensing/test_opcua.py",
    "tests/security/test_abuse.py",
    "tests/lifecycle/test_optimise.py",
    "tests/api/test_hardening.py",
    "tests/foresight/test_branching.py",
    "tests/trace/test_hardening.py",
    "tests/lifecycle/uncertainty/test_steps_and_spellings.py",
    "tests/lifecycle/test_optimise_front_refine.py",
    "tests/sensing/test_readings_and_actions.py",
    "tests/web/test_field_problems_beside.py",
    "tests/api/test_network_jobs.py",
    "tests/lifecycle/test_optimise_review.py",
    "tests/api/test_policy_routes.py",
    "tests/trace/test_verify_since.py",
    "tests/web/test_japanese_forms_and_yen.py",
    "tests/api/test_request_data.py",
    "tests/web/test_model_forms_page.py",
    "tests/lifecycle/test_review225.py",
    "tests/web/test_passports_page.py",
    "tests/api/test_jobs.py",
    "tests/policy/test_table_imports.py",
    "tests/cli/test_admin.py",
    "tests/vision/test_api.py",
    "tests/cli/test_side_files_hostile.py",
)
"""Modules that take one xdist worker a minute or more (``--durations`` of a full run),
started first, then every other module of 10 s or more, longest first: with ``--dist
loadfile`` a module runs whole on one worker, so a long one started last keeps the run
going while the other worker idles (longest first balances; the run ends with short ones).
``--no-loadscope-reorder`` (pyproject's addopts) keeps this order: by default xdist puts the
modules with the most tests first, which left the one-test schemathesis module (5 min) last."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the outer loop ``slow``, so ``pytest -m "not slow"`` is the fast inner loop;
    put the longest modules first (:data:`LONGEST_FIRST`), the rest in collection order."""
    missing = [m for m in LONGEST_FIRST if not (config.rootpath / m).exists()]
    if missing:
        raise pytest.UsageError(f"LONGEST_FIRST names modules that do not exist: {missing}")
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    root = config.rootpath
    for item in items:
        path = item.path.as_posix()
        if SERVICE_FIXTURES & set(getattr(item, "fixturenames", ())) or any(
                m in path for m in SLOW_MODULES):
            item.add_marker(pytest.mark.slow)

    def first(item: pytest.Item) -> int:
        try:
            name = item.path.relative_to(root).as_posix()
        except ValueError:
            return len(rank)
        return rank.get(name, len(rank))

    items.sort(key=first)
