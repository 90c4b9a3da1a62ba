"""A re-declared net biogenic CFP must still hold the lot's declared biogenic uptake, as a
create's must: P (100 kg, net biogenic -40, of which a declared uptake of -60) re-declared at
-80 would have biogenic emissions of -80 − (-60) = -20 kg. It was accepted, and P and every
lot made from it could then not be published as a PACT footprint ("declared biogenic uptake
-60 kg CO2e exceeds the net biogenic -80"). A record already signed replays as it was."""

from __future__ import annotations

import pytest

from junkan.core.errors import JunkanError
from junkan.store.trace_repo import TraceError, TraceRepo
from junkan.trace import rules
from junkan.trace.chain import Chain, run
from tests.trace.test_ledger import ev
from tests.trace.test_uptake_follows import LOTS, footprints
from tests.trace.test_uptake_rule import blend, clean


def redeclare_p(biogenic: float) -> dict[str, object]:
    return {"type": "redeclare", "lot": "P", "cfp": {"total": 100, "biogenic": biogenic}}


def test_a_redeclaration_below_the_declared_uptake_is_refused(repo: TraceRepo) -> None:
    repo.ingest("org-A", ev(*LOTS, blend("PQ", ("P", 50), ("Q", 50))))
    with pytest.raises(TraceError, match=(
            r"cfp\.biogenic: -80 kg CO2e re-declared for lot 'P' is below its declared "
            r"biogenic uptake \(-60 kg CO2e, pcf\.biogenic_uptake_kg\)")):
        repo.ingest("org-A", ev(redeclare_p(-80)))
    clean(repo)
    # equal to the uptake (no biogenic emissions) and above it are taken
    for biogenic in (-60, -50, 10):
        repo.ingest("org-A", ev(redeclare_p(biogenic)))
    assert footprints(repo)["P"]["pcf"]["biogenicCO2Uptake"] == "-0.6"
    clean(repo)


def test_the_chain_tool_refuses_it_too() -> None:
    doc = {"batches": [{"org": "org-A", "events": [*LOTS]},
                       {"org": "org-A", "events": [redeclare_p(-61)]}]}
    with pytest.raises(JunkanError, match=r"batches\[1\] .*below its declared biogenic uptake"):
        run(Chain.model_validate(doc))


def test_a_signed_record_of_it_still_verifies(repo: TraceRepo,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A ledger that took such a re-declaration before the check keeps verifying."""
    repo.ingest("org-A", ev(*LOTS))
    with monkeypatch.context() as m:
        m.setattr(rules, "_uptake_within", lambda ev, uptake, bio: None)
        repo.ingest("org-A", ev(redeclare_p(-80)))
    clean(repo)
