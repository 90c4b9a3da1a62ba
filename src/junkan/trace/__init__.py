"""Traceability: lots and events, CFP and recycled-content propagation with automatic
downstream updates, ISO 22095 chain of custody and mass balance, data sovereignty, tamper
evidence (RFC 9162 Merkle logs, Ed25519 over RFC 8785 canonical JSON), PACT v3 footprints.
The rules are pure domain logic; persistence lives in :mod:`junkan.store.trace_repo`.

``load`` / ``run`` work out a supply chain in memory with the ledger's rules
(:mod:`junkan.trace.chain`); ``read_batch`` reads one organisation's event batch."""

from junkan.trace.access import GRANTABLE, HOLDER_FIELDS, Grant, visible_fields
from junkan.trace.balance import period_of
from junkan.trace.chain import Chain, ChainResult, load, run
from junkan.trace.events import Batch, ClosePeriod, Event
from junkan.trace.formats import read_batch
from junkan.trace.keystore import KeyStoreError, master_key_problem

__all__ = ["GRANTABLE", "HOLDER_FIELDS", "Batch", "Chain", "ChainResult", "ClosePeriod",
           "Event", "Grant", "KeyStoreError", "load", "master_key_problem", "period_of",
           "read_batch", "run", "visible_fields"]
