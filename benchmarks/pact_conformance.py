"""Our side of a PACT v3 conformance run: a store with an organisation, an API client and
lots whose footprints exercise the mapping (declared facts, table-derived carbon, a blend, a
re-declared lot with a Deprecated footprint), and ``junkan trace pact-serve`` on it with the
tester registered as the partner its callbacks go to.

    python benchmarks/pact_conformance.py seed --database URL        # prints the credentials
    python benchmarks/pact_conformance.py serve --database URL --port 8443 \\
        --partner http://127.0.0.1:8004 --partner-client test_client_id:test_client_secret

``serve`` seeds first (once per database), writes the partners file next to the certificate
and runs the host in the foreground over HTTPS (its certificate: ``<cert-dir>/cert.pem``).
    python benchmarks/pact_conformance.py check                      # make conformance

``check`` runs tests/trace/test_pact_conformance.py (WBCSD's 41 v3 cases against a real
``pact-serve`` started with ``serve``) and reports each case and the counts."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ORG = "org-conformance"
SUPPLIER = "org-supplier"


def _events() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(supplier's batch, our batch, our re-declaration)."""
    supplier = [
        {"type": "create", "lot": "PE-1", "material": "polyethylene", "mass_kg": 1000,
         "cfp": {"total": 1900, "biogenic": 0}, "recycled": {"post_consumer": 0.3},
         "pcf": {"country": "JP", "reference_period_start": "2025-01-01T00:00:00Z",
                 "reference_period_end": "2026-01-01T00:00:00Z",
                 "dqi": {"technological": 2, "geographical": 1.5, "temporal": 1},
                 "verification": {"coverage": "product level", "provider_name": "Auditor K.K.",
                                  "completed_at": "2026-02-01T00:00:00Z"}}},
        {"type": "ship", "lot": "PE-1", "to": ORG}]
    ours = [
        {"type": "receive", "lot": "PE-1"},
        {"type": "create", "lot": "AL-1", "material": "aluminium", "mass_kg": 300,
         "cfp": {"total": 100}, "recycled": {"post_consumer": 1.0},
         "pcf": {"country": "JP", "fossil_carbon_kg": 0}},
        {"type": "create", "lot": "BIO-1", "material": "bio-based polyethylene",
         "mass_kg": 100, "cfp": {"total": 50, "biogenic": -250},
         "pcf": {"subdivision": "JP-13", "fossil_carbon_kg": 0,
                 "biogenic_uptake_kg": -310, "ccs": {"included": False}}},
        {"type": "blend", "lot": "BLEND-1", "mass_kg": 400, "country": "JP", "inputs": [
            {"lot": "PE-1", "mass_kg": 100}, {"lot": "AL-1", "mass_kg": 300}]},
    ]
    redeclare = [{"type": "redeclare", "lot": "AL-1", "cfp": {"total": 90},
                  "reason": "new smelter data"}]
    return supplier, ours, redeclare


def seed(database: str) -> tuple[str, str]:
    """Seed ``database`` once; (client id, client secret) of the organisation's API client
    (a new secret each call)."""
    from pydantic import TypeAdapter

    from junkan.store.db import Database
    from junkan.store.repo import Store
    from junkan.store.trace_repo import TraceRepo
    from junkan.trace.events import Event

    db = Database(database)
    db.migrate()
    store = Store(db)
    org = store.organisation_by_name(ORG)
    if org is None:
        org = store.create_organisation(ORG)
        store.create_organisation(SUPPLIER)
        store.create_user(org.id, "conformance@example.org", "pw-conformance-1", "conformance")
        adapter = TypeAdapter(list[Event])
        repo = TraceRepo(db)
        supplier, ours, redeclare = _events()
        repo.ingest(SUPPLIER, adapter.validate_python(supplier))
        repo.ingest(ORG, adapter.validate_python(ours))
        _publish(db, org.id)  # version 1 of every footprint, as a client would have seen
        repo.ingest(ORG, adapter.validate_python(redeclare))
    user = store.user_by_email("conformance@example.org")
    assert user is not None
    cid, secret = store.create_client(user.id, "pact-conformance")
    db.engine.dispose()
    return cid, secret


def _publish(db: Any, org_id: str) -> None:
    from junkan.api.pact_snapshot import Footprints
    from junkan.store.tables import User

    footprints = Footprints(db)
    user = User(id="seed", org_id=org_id, email="", display_name="", password_hash="")
    footprints.build(user, footprints.state(org_id))


def serve(args: argparse.Namespace) -> None:
    cid, secret = seed(args.database)
    cert_dir = Path(args.cert_dir)
    cert_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "JUNKAN_DATABASE_URL": args.database}
    if args.partner:
        partner: dict[str, str] = {}
        if args.partner_client:
            client_id, _, client_secret = args.partner_client.partition(":")
            partner = {"auth_url": f"{args.partner.rstrip('/')}/auth/token",
                       "client_id": client_id, "client_secret": client_secret}
        path = cert_dir / "partners.json"
        path.write_text(json.dumps({args.partner.rstrip("/"): partner}))
        env["JUNKAN_PACT_PARTNERS"] = str(path)
        if args.partner.startswith("http://") or args.allow_loopback:
            env["JUNKAN_OUTBOUND_ALLOW_HTTP"] = "true"
            env["JUNKAN_OUTBOUND_ALLOW_PRIVATE"] = "true"
    from junkan.api.pact import self_signed_certificate

    cert, _ = self_signed_certificate(str(cert_dir), (args.host, "localhost"))  # as pact-serve
    print(json.dumps({"baseUrl": f"https://{args.host}:{args.port}", "clientId": cid,
                      "clientSecret": secret, "certificate": cert}), flush=True)
    os.execve(sys.executable, [sys.executable, "-m", "junkan", "trace", "pact-serve",
                               "--host", args.host, "--port", str(args.port),
                               "--cert-dir", str(cert_dir)], env)


CASES = {  # test function → the conformance cases it runs (one per parameter, in order)
    "test_case_01_02_18_19_auth": ["1", "2", "18", "19"],
    "test_case_03_get_footprint": ["3"], "test_case_04_list_footprints": ["4"],
    "test_case_05_pagination": ["5"], "test_case_06_07_invalid_token": ["6", "7"],
    "test_case_08_unknown_id": ["8"],
    "test_case_09_10_11_17_plain_http_fails": ["9", "10", "11", "17"],
    "test_case_12_13_request_fulfilled_at_the_source": ["12", "13"],
    "test_case_14_request_rejected_at_the_source": ["14.A", "14.B"],
    "test_case_15_16_40_published_events": ["15", "16", "40"],
    "test_case_20_to_29_filters": [str(n) for n in range(20, 30)],
    "test_case_30_to_39_negative_filters": [str(n) for n in range(30, 40)],
}


def check() -> int:
    """Run the ported cases; print each case's outcome and 'N passed, M failed'."""
    import subprocess
    from collections import defaultdict

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
                          "tests/trace/test_pact_conformance.py"], cwd=root,
                         capture_output=True, text=True)
    seen: dict[str, list[str]] = defaultdict(list)
    for line in out.stdout.splitlines():
        word, _, test = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR") and "::" in test:
            seen[test.split("::", 1)[1].split("[", 1)[0].split(" ", 1)[0]].append(word)
    results: dict[str, str] = {}
    for func, cases in CASES.items():
        outcomes = seen.get(func, [])
        for i, case in enumerate(cases):
            outcome = outcomes[0] if len(outcomes) == 1 else (
                outcomes[i] if i < len(outcomes) else "NOT RUN")
            results[case] = outcome
    for case, outcome in sorted(results.items(),
                                key=lambda kv: (int(kv[0].split(".")[0]), kv[0])):
        print(f"case {case:>4}: {outcome}")
    passed = sum(v == "PASSED" for v in results.values())
    if out.returncode not in (0, 1) or passed != len(results):
        print(out.stdout[-4000:], out.stderr[-4000:], sep="\n")
    print(f"conformance: {passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--database", required=True)
    v = sub.add_parser("serve")
    v.add_argument("--database", required=True)
    v.add_argument("--host", default="127.0.0.1")
    v.add_argument("--port", type=int, default=8443)
    v.add_argument("--cert-dir", default="var/pact-conformance")
    v.add_argument("--partner", help="origin callbacks go to (the tester's /3/events)")
    v.add_argument("--partner-client", help="id:secret this host uses at the partner's "
                                            "/auth/token")
    v.add_argument("--allow-loopback", action="store_true",
                   help="let callbacks reach a partner on this machine (test runs only)")
    sub.add_parser("check")
    args = p.parse_args(argv)
    if args.command == "check":
        sys.exit(check())
    if args.command == "seed":
        cid, secret = seed(args.database)
        print(json.dumps({"clientId": cid, "clientSecret": secret}))
    else:
        serve(args)


if __name__ == "__main__":
    main()
