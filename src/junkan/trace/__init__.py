"""Traceability (seed 002's data-linkage platform): lots and events, CFP and recycled-content
propagation with automatic downstream updates, chain of custody, tamper evidence (RFC 9162
Merkle log, Ed25519 over RFC 8785 canonical JSON). Pure domain logic: persistence lives in
:mod:`junkan.store.trace_repo`."""

from junkan.trace.access import GRANTABLE, HOLDER_FIELDS, Grant, visible_fields
from junkan.trace.events import Batch, ClosePeriod, Event
from junkan.trace.formats import read_batch
from junkan.trace.keystore import KeyStoreError, master_key_problem

__all__ = ["GRANTABLE", "HOLDER_FIELDS", "Batch", "ClosePeriod", "Event", "Grant",
           "KeyStoreError", "master_key_problem", "read_batch", "visible_fields"]
