"""Administration of the ledger: master key rotation, webhook origins and URLs,
and the webhook delivery worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from junkan.core.outbound import OutboundPolicy, OutboundRefused, parse_origin
from junkan.store import trace_outbox
from junkan.store.trace_base import TraceBase, TraceError
from junkan.store.trace_rows import begin_write
from junkan.store.trace_tables import TraceKey, TraceWebhook, TraceWebhookOrigin
from junkan.trace.keystore import (
    KeyRing,
    KeyStoreError,
    key_file_path,
    key_id,
    new_secret,
    public_of,
    write_key_file,
)


class AdminMixin(TraceBase):
    """Master key rotation, webhook origins and URLs, the delivery worker."""

    # ---- master key rotation -----------------------------------------------------------------
    def rotate_master_key(self, old: str | None, new: str) -> int:
        """Re-encrypt every organisation's signing key under the master key ``new``, in one
        transaction that holds the ledger's write lock (no batch signs meanwhile). Keys are
        decrypted with ``old`` (default: the configured master keys) and checked against
        their public keys before anything is written. The key pairs — and so every signature
        and checkpoint — stay as they are. Returns how many keys were re-encrypted. Then
        configure ``new`` (first) for every process: see docs/security-trace.md."""
        source = KeyRing([old], "old master key") if old else self.keys
        target = KeyRing([new], "new master key")
        n = 0
        with self.db.session() as s:
            begin_write(s)
            for key in s.scalars(select(TraceKey).order_by(TraceKey.org_id)):
                if key_id(key.private_key) == target.current_kid:
                    continue  # already under the new key (a rotation run again)
                private = source.decrypt(key.org_id, key.private_key) \
                    if key_id(key.private_key) is not None else key.private_key
                if public_of(private) != key.public_key:
                    raise KeyStoreError(f"the signing key of organisation {key.org_id} does not "
                                        "match its public key; nothing was re-encrypted")
                key.private_key = target.encrypt(key.org_id, private)
                n += 1
        with self._keys_lock:
            self._keys = KeyRing([new, *[k for k in source.secrets if k != new]],
                                 "rotated master keys")
        return n

    def rotate_configured_key(self, new: str | None = None) -> dict[str, Any]:
        """The rotation ``junkan admin rotate-key`` runs: with a key file, a new master key
        is written first in it (the old one kept below it, so running services that read
        the file again decrypt either), then every signing key is re-encrypted. With
        ``JUNKAN_SECRET_KEY`` (``NEW,OLD`` already set everywhere), every signing key is
        re-encrypted under its first key. Finish with :meth:`finish_rotation` once every
        process uses the new key."""
        path = key_file_path(self.db.url)
        old = self.keys.secrets
        if path is None:  # JUNKAN_SECRET_KEY: the operator has put the new key first
            new = new or old[0]
        else:
            new = new or new_secret()
            write_key_file(path, [new, *[k for k in old if k != new]])
        n = self.rotate_master_key(None, new)
        return {"reencrypted": n, "key_id": KeyRing([new]).current_kid,
                "key_file": str(path) if path is not None else None}

    def finish_rotation(self) -> int:
        """Drop the older master keys from the key file once no signing key needs them;
        returns how many were dropped. Refuses while a key still needs an old one."""
        current = self.keys.current_kid
        with self.db.session() as s:
            stale = [o for o, k in s.execute(select(TraceKey.org_id, TraceKey.private_key))
                     if key_id(k) != current]
        if stale:
            raise KeyStoreError(f"{len(stale)} signing key(s) are not under the current master "
                                "key yet: run the rotation first")
        path = key_file_path(self.db.url)
        ring = self.keys
        secrets_ = ring.secrets
        if path is not None and len(secrets_) > 1:
            write_key_file(path, secrets_[:1])
        with self._keys_lock:
            self._keys = KeyRing(secrets_[:1], ring.source)
        return len(secrets_) - 1

    # ---- webhooks -------------------------------------------------------------------------
    def allow_webhook_origin(self, org_name: str, origin: str) -> str:
        """Administrators: let ``org_name``'s webhook reach ``origin``
        (``https://host[:port]``, matched exactly). Returns the origin as stored. The origin
        is checked as the sender will check it (:meth:`OutboundPolicy.check_registration`:
        what its host resolves to must be public, so ``https://2130706433`` — loopback — is
        refused), whether ``junkan admin`` or the admin API registers it."""
        try:
            got = self.policy().check_registration(origin, "origin")
        except OutboundRefused as exc:
            raise TraceError(str(exc)) from None
        with self.db.session() as s:
            org = self._org(s, org_name)
            if s.get(TraceWebhookOrigin, (org.id, str(got))) is None:
                s.add(TraceWebhookOrigin(org_id=org.id, origin=str(got)))
        return str(got)

    def webhook_origins(self, org_name: str) -> list[str]:
        """The origins ``org_name``'s webhook may reach."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            return self._origins(s, org.id)

    @staticmethod
    def _origins(s: Session, org_id: str) -> list[str]:
        return list(s.scalars(select(TraceWebhookOrigin.origin).where(
            TraceWebhookOrigin.org_id == org_id).order_by(TraceWebhookOrigin.origin)))

    def remove_webhook_origin(self, org_name: str, origin: str) -> bool:
        """Administrators: withdraw an origin (deliveries to it stop, queued ones fail).
        Whether it was registered."""
        try:
            key = str(parse_origin(origin, "origin"))
        except OutboundRefused as exc:
            raise TraceError(str(exc)) from None
        with self.db.session() as s:
            org = self._org(s, org_name)
            row = s.get(TraceWebhookOrigin, (org.id, key))
            if row is not None:
                s.delete(row)
            return row is not None

    def set_webhook(self, org_name: str, url: str | None) -> None:
        """Register (or with None remove) the URL that receives the organisation's
        notifications as JSON POSTs. Its origin must be one an administrator allowed for the
        organisation (:meth:`allow_webhook_origin`)."""
        with self.db.session() as s:
            org = self._org(s, org_name)
            if url is not None:
                try:
                    self.policy().check_url(url, self._origins(s, org.id), "webhook url")
                except OutboundRefused as exc:
                    raise TraceError(str(exc)) from None
            hook = s.get(TraceWebhook, org.id)
            if url is None:
                if hook is not None:
                    s.delete(hook)
            elif hook is None:
                s.add(TraceWebhook(org_id=org.id, url=url))
            else:
                hook.url = url

    def _send_webhook(self, job: trace_outbox.Job, policy: OutboundPolicy) -> None:
        """Deliver one queued notification to an origin registered for its organisation."""
        with self.db.session() as s:
            allowed = self._origins(s, job.org_id)
        policy.post(job.url, job.body.encode("utf-8"), {"Content-Type": "application/json",
                                                        "User-Agent": "junkan-trace"}, allowed)

    def start_delivery(self, *, threads: int = 1, poll_s: float = 1.0) -> trace_outbox.Outbox:
        """Start the webhook delivery worker (the service calls this at start-up and
        :meth:`stop_delivery` at shutdown); deliveries queued before — by this process, an
        earlier run or the CLI — are sent too."""
        if self._worker is None:
            self._worker = trace_outbox.Outbox(
                self.db, {"webhook": self._send_webhook}, policy=self.outbound,
                backoff_s={"webhook": self.webhook_backoff_s}, threads=threads, poll_s=poll_s)
        return self._worker.start()

    def stop_delivery(self, timeout: float = 15.0) -> None:
        """Stop the delivery worker (pending deliveries stay queued for the next start)."""
        if self._worker is not None:
            self._worker.stop(timeout)

    def deliver_pending(self, limit: int = 1000) -> int:
        """Deliver what is due now in this thread (for a CLI run); how many were tried."""
        worker = self._worker or trace_outbox.Outbox(
            self.db, {"webhook": self._send_webhook}, policy=self.outbound,
            backoff_s={"webhook": self.webhook_backoff_s})
        return worker.deliver_due(limit)
