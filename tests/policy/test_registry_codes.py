"""The solar-panel registry's refusals carry their rule's code and figures, so the page can
say them in Japanese: a name registered already, an organisation or a panel model not found,
a handover dated after today, and an end of business before commissioning (its code kept
through the store's re-labelling). Each English catalogue message, filled in, is the
message itself."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from junkan.core.errors import ModelError, Problem
from junkan.store.db import Database
from junkan.store.policy_repo import SolarConflict, SolarNotFound, SolarRepo
from junkan.store.repo import Store
from tests.api.conftest import store_url
from tests.core.test_rule_codes import _says_its_rule

MODEL = {"name": "PV-A", "technology": "c-Si", "mass_kg": 20, "glass_share": 0.75}
SITE = {"name": "I1", "maker": "maker-a", "model": "PV-A", "municipality": "13101",
        "count": 10, "commissioned": "2015-01-01"}


def _one(exc: SolarConflict | SolarNotFound) -> Problem:
    (p,) = exc.problems
    _says_its_rule(p)
    assert p.message == str(exc)
    return p


def test_registry_refusals_carry_their_rule(tmp_path: Path) -> None:
    db = Database(store_url("sqlite", tmp_path))
    store = Store(db)
    ids = {n: store.create_organisation(n).id for n in ("maker-a", "owner-1")}
    repo = SolarRepo(db)
    repo.register_model(ids["maker-a"], MODEL)
    with pytest.raises(SolarConflict) as conflict:
        repo.register_model(ids["maker-a"], MODEL)
    assert _one(conflict.value).kind == "model-registered-already"
    assert str(conflict.value) == "you registered a model 'PV-A' already"
    rid = repo.register_installation(ids["owner-1"], SITE)
    with pytest.raises(SolarConflict) as conflict:
        repo.register_installation(ids["owner-1"], SITE)
    assert _one(conflict.value).limits == {"name": "'I1'"}
    with pytest.raises(SolarNotFound) as missing:
        repo.register_installation(ids["owner-1"], {**SITE, "name": "I2", "model": "PV-Z"})
    p = _one(missing.value)
    assert (p.kind, p.limits) == ("panel-model-not-found", {"model": "'PV-Z'",
                                                             "maker": "'maker-a'"})
    hand = {"to": "nobody", "role": "dismantler", "count": 1, "date": "2025-08-01"}
    with pytest.raises(SolarNotFound) as missing:
        repo.handover(ids["owner-1"], rid, hand)
    assert _one(missing.value).limits == {"name": "'nobody'"}
    later = (date.today() + timedelta(days=30)).isoformat()
    with pytest.raises(ModelError) as err:
        repo.handover(ids["owner-1"], rid, {**hand, "to": "maker-a", "date": later})
    (p,) = err.value.problems
    assert (p.kind, p.limits) == ("date-after-today", {"date": later})
    _says_its_rule(p)
    with pytest.raises(ModelError) as err:
        repo.set_end_of_business(ids["owner-1"], rid, {"end_of_business": "2009-01-01"})
    (p,) = err.value.problems
    assert p.path == "end_of_business" and p.kind == "ends-before-commissioned"
    _says_its_rule(p)
    db.engine.dispose()
