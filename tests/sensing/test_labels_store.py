"""Alarm labels in the store (SQLite and PostgreSQL): per organisation, the last label of an
alarm counts, and nothing is lost when the service starts again (a new connection)."""

from __future__ import annotations

from pathlib import Path

import pytest

from junkan.sensing import label_precision
from junkan.store import sensing_repo
from junkan.store.db import Database
from junkan.store.sensing_repo import SensingRepo, TooManyLabels
from junkan.store.tables import Organisation, User
from tests.api.conftest import store_url


def _rec(alarm: int, label: str, stream: str = "s1") -> dict[str, object]:
    return {
        "line": "L1",
        "stream": stream,
        "alarm": alarm,
        "label": label,
        "state": None,
        "note": "",
        "model_version": 3,
        "action": "stop_feed",
        "sources": ["rules"],
        "evidence": [{"source": "rules", "signal": "load", "value": float("nan"), "threshold": 1}],
    }


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_labels_per_organisation_survive_a_restart(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = store_url(kind, tmp_path)
    db = Database(url)
    db.migrate()
    with db.session() as s:  # two organisations with a user each (no password hashing)
        for o in ("a", "b"):
            s.add(Organisation(id=f"org{o}", name=f"{o} plant"))
            s.flush()
            s.add(
                User(
                    id=f"u{o}",
                    org_id=f"org{o}",
                    email=f"op@{o}.example",
                    display_name=o,
                    password_hash="-",
                )
            )
    repo = SensingRepo(db)
    repo.add_label("orga", "ua", _rec(1, "confirmed"))
    repo.add_label("orga", "ua", _rec(2, "confirmed"))
    repo.add_label("orga", "ua", _rec(1, "false_alarm"))  # relabel: this one counts
    repo.add_label("orga", "ua", _rec(1, "confirmed", stream="s2"))  # another stream's alarm 1
    repo.add_label("orgb", "ub", _rec(1, "confirmed"))
    db.engine.dispose()

    again = SensingRepo(Database(url))  # the service started again
    latest = again.latest_labels("orga")
    assert [(r["stream"], r["alarm"], r["label"]) for r in latest] == [
        ("s1", 2, "confirmed"),
        ("s1", 1, "false_alarm"),
        ("s2", 1, "confirmed"),
    ]
    assert latest[0]["by"] == "ua" and latest[0]["evidence"][0]["value"] is None
    p = label_precision(latest)
    assert (p["overall"]["labelled"], p["overall"]["confirmed"]) == (3, 2)
    assert [r["alarm"] for r in again.labels("orga", limit=2)] == [1, 1]
    assert len(again.labels("orga")) == 4 and len(again.labels("orgb")) == 1
    assert again.latest_labels("no-such-org") == []
    monkeypatch.setattr(sensing_repo, "MAX_LABELS", 4)  # the cap is per organisation
    with pytest.raises(TooManyLabels):
        again.add_label("orga", "ua", _rec(9, "confirmed"))
    again.add_label("orgb", "ub", _rec(9, "confirmed"))
    again.db.engine.dispose()
