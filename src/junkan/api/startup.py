"""Checks before the service starts in production mode (``junkan serve --production``)."""

from __future__ import annotations

from pathlib import Path

from junkan.store.db import Settings
from junkan.trace import master_key_problem


def production_problems(settings: Settings, *, seed: bool = False) -> list[str]:
    """Every reason the service must not start in production with ``settings``; empty when
    it may. Each reason says what to do."""
    problems = []
    if seed:
        problems.append("--seed creates demo users with published passwords; production "
                        "mode never seeds them")
    if not settings.tls_certfile and not settings.trusted_proxy:
        problems.append("no TLS: give --tls-cert and --tls-key (JUNKAN_TLS_CERTFILE, "
                        "JUNKAN_TLS_KEYFILE), or --trusted-proxy for a TLS-terminating "
                        "reverse proxy (JUNKAN_TRUSTED_PROXY)")
    if bool(settings.tls_certfile) != bool(settings.tls_keyfile):
        problems.append("give both --tls-cert and --tls-key")
    for what, path in (("TLS certificate", settings.tls_certfile),
                       ("TLS key", settings.tls_keyfile)):
        if path and not Path(path).is_file():
            problems.append(f"{what} {path} does not exist")
    key = master_key_problem(settings.database_url)
    if key:
        problems.append(key)
    problems += _demo_users(settings)
    return problems


def _demo_users(settings: Settings) -> list[str]:
    """Demo accounts (published passwords) left in the database."""
    from sqlalchemy import inspect, select

    from junkan.api.seed import DEMO_EMAIL, PARTNER_EMAIL
    from junkan.store.db import Database
    from junkan.store.tables import User

    db = Database(settings.database_url)
    try:
        if not inspect(db.engine).has_table("users"):
            return []
        with db.session() as s:
            found = s.scalars(select(User.email).where(
                User.email.in_([DEMO_EMAIL, PARTNER_EMAIL]))).all()
    finally:
        db.engine.dispose()
    return [f"the database holds the demo account {e} (published password): use another "
            "database or delete it with 'junkan admin user delete'" for e in found]
