"""Traceability (seed 002's data-linkage platform): lots and events, CFP and recycled-content
propagation with automatic downstream updates, chain of custody, tamper evidence (RFC 9162
Merkle log, Ed25519 over RFC 8785 canonical JSON). Pure domain logic: persistence lives in
:mod:`junkan.store.trace_repo`."""

from junkan.trace.events import Batch, Event
from junkan.trace.formats import read_batch
from junkan.trace.keystore import KeyStoreError, master_key_problem

__all__ = ["Batch", "Event", "KeyStoreError", "master_key_problem", "read_batch"]
