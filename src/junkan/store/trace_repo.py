"""The traceability ledger on the platform's store: ingest signed events all-or-nothing,
derive CFP and recycled content, recompute downstream on re-declaration and notify owners,
keep mass-balance accounts, serve lots with data sovereignty, verify the logs.

:class:`TraceRepo` combines the mixins: ingest (:mod:`junkan.store.trace_ingest`, with
:mod:`junkan.store.trace_batch` and the bulk rows of :mod:`junkan.store.trace_rows`),
recompute and notifications (:mod:`junkan.store.trace_recompute`), checkpoints and
verification (:mod:`junkan.store.trace_audit`), reads, offers and agreements
(:mod:`junkan.store.trace_access`), key rotation and webhooks
(:mod:`junkan.store.trace_admin`), over :class:`junkan.store.trace_base.TraceBase`."""

from __future__ import annotations

from junkan.store.trace_access import AccessMixin
from junkan.store.trace_admin import AdminMixin
from junkan.store.trace_base import (
    GRANTABLE,
    HOLDER_FIELDS,
    IngestResult,
    SigningKey,
    TraceError,
    TraceNotFound,
    VerifyResult,
    lot_view,
    not_found,
    split_ref,
)
from junkan.store.trace_ingest import IngestMixin
from junkan.store.trace_rows import EVENT_COLUMNS, MUTABLE, NewLot, ledger_version

__all__ = ["EVENT_COLUMNS", "GRANTABLE", "HOLDER_FIELDS", "MUTABLE", "IngestResult", "NewLot",
           "SigningKey", "TraceError", "TraceNotFound", "TraceRepo", "VerifyResult",
           "ledger_version", "lot_view", "not_found", "split_ref"]


class TraceRepo(IngestMixin, AccessMixin, AdminMixin):
    """The ledger on the store. ``keys``: the master keys the signing keys are encrypted
    with (default: as configured, :func:`junkan.trace.keystore.load_keyring`);
    ``outbound``: the outbound-request policy of webhook deliveries (default: the
    ``JUNKAN_OUTBOUND_*`` settings, read when delivery starts)."""
