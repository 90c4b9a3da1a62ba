"""Demo data for ``junkan serve --seed``: two organisations, a user each (the admin of their
organisation), the shipped examples owned by the first. The demo passwords meet the password
policy (:mod:`junkan.api.passwords`) but are public: never seed a shared deployment."""

from __future__ import annotations

from importlib import resources

from junkan.store.repo import Store

DEMO_EMAIL = "demo@junkan.local"
DEMO_PASSWORD = "junkan-demo-2024"
PARTNER_EMAIL = "partner@junkan.local"
PARTNER_PASSWORD = "junkan-partner-2024"


def seed_demo(store: Store) -> bool:
    """Seed once (when the demo user does not exist). Returns True if it seeded."""
    if store.user_by_email(DEMO_EMAIL) is not None:
        return False
    org = store.organisation_by_name("Demo Manufacturing") or \
        store.create_organisation("Demo Manufacturing")
    user = store.create_user(org.id, DEMO_EMAIL, DEMO_PASSWORD, "Demo user", role="admin")
    partner = store.organisation_by_name("Partner Recycling") or \
        store.create_organisation("Partner Recycling")
    if store.user_by_email(PARTNER_EMAIL) is None:
        store.create_user(partner.id, PARTNER_EMAIL, PARTNER_PASSWORD, "Partner user",
                          role="admin")
    examples = resources.files("junkan.data") / "examples"
    from junkan.lifecycle import load_model

    for name in ("compressor_magnet.yaml", "atm_reuse.yaml"):
        text = (examples / name).read_text("utf-8")
        mf = load_model(text=text, source=name)
        store.create_model(user, mf.name, mf.baseline.title, text, "yaml",
                           comment="shipped example")
    seed_lots(store)
    return True


def seed_lots(store: Store) -> None:
    """A small lot chain (seed 002 style): the demo company's scrap and ingot blended and
    shipped to the partner, who remelts it; plus a catalogue offer."""
    from pydantic import TypeAdapter

    from junkan.store.trace_repo import TraceRepo
    from junkan.trace import Event

    repo = TraceRepo(store.db)
    ev = TypeAdapter(list[Event]).validate_python
    repo.ingest("Demo Manufacturing", ev([
        {"type": "create", "lot": "DEMO-SCRAP-1", "material": "aluminium scrap",
         "mass_kg": 10, "cfp": {"total": 2}, "recycled": {"post_consumer": 0.2},
         "composition": {"Si": 7.1, "Fe": 0.4},
         "claims": [{"type": "due_diligence", "issuer": "demo certifier", "id": "DD-001",
                     "valid_until": "2027-12-31"}],
         "pcf": {"country": "JP", "fossil_carbon_kg": 0}},  # metal: no carbon content
        {"type": "create", "lot": "DEMO-INGOT-1", "material": "aluminium ingot",
         "mass_kg": 30, "cfp": {"total": 10}, "pcf": {"country": "JP", "fossil_carbon_kg": 0}},
        {"type": "merge", "lot": "DEMO-BLEND-1", "mass_kg": 40, "inputs": [
            {"lot": "DEMO-SCRAP-1", "mass_kg": 10}, {"lot": "DEMO-INGOT-1", "mass_kg": 30}]},
        {"type": "ship", "lot": "DEMO-BLEND-1", "to": "Partner Recycling"}]),
        source="seed")
    repo.ingest("Partner Recycling", ev([
        {"type": "receive", "lot": "DEMO-BLEND-1"},
        {"type": "process", "lot": "PARTNER-ALLOY-1", "mass_kg": 38,
         "inputs": [{"lot": "DEMO-BLEND-1", "mass_kg": 40}],
         "process": {"cfp_kgco2e": 1.5, "energy_kwh": 30}}]), source="seed")
    repo.offer("Demo Manufacturing", "Shredded aluminium scrap lots", lots=["*"],
               fields=["cfp", "composition"], description="LIBS-graded lots, composition on "
               "agreement", policy={"purpose": "recycled-content and DD claims"})
