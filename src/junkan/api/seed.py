"""Demo data for ``junkan serve --seed``: two organisations, a user each, the shipped
examples owned by the first."""

from __future__ import annotations

from importlib import resources

from junkan.store.repo import Store

DEMO_EMAIL = "demo@junkan.local"
DEMO_PASSWORD = "junkan-demo"
PARTNER_EMAIL = "partner@junkan.local"
PARTNER_PASSWORD = "junkan-partner"


def seed_demo(store: Store) -> bool:
    """Seed once (when the demo user does not exist). Returns True if it seeded."""
    if store.authenticate(DEMO_EMAIL, DEMO_PASSWORD) is not None:
        return False
    org = store.organisation_by_name("Demo Manufacturing") or \
        store.create_organisation("Demo Manufacturing")
    user = store.create_user(org.id, DEMO_EMAIL, DEMO_PASSWORD, "Demo user")
    partner = store.organisation_by_name("Partner Recycling") or \
        store.create_organisation("Partner Recycling")
    store.create_user(partner.id, PARTNER_EMAIL, PARTNER_PASSWORD, "Partner user")
    examples = resources.files("junkan.data") / "examples"
    from junkan.lifecycle.api import load_model

    for name in ("compressor_magnet.yaml", "atm_reuse.yaml"):
        text = (examples / name).read_text("utf-8")
        mf = load_model(text=text, source=name)
        store.create_model(user, mf.name, mf.baseline.title, text, "yaml",
                           comment="shipped example")
    return True
