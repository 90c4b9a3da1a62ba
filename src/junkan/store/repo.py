"""Organisation-scoped data access. Every read takes the caller's organisation and returns
``None`` for records that organisation may not see, so the API answers 404 — never 403 — and
nobody can infer that another organisation's record exists.

:class:`Store` combines the repositories: accounts (:mod:`junkan.store.accounts_repo`) and
models and runs (:mod:`junkan.store.models_repo`), background analyses
(:mod:`junkan.store.analyses_repo`)."""

from __future__ import annotations

from junkan.store.accounts_repo import DELETED_DOMAIN, AccountError, AccountsRepo, Lockout
from junkan.store.analyses_repo import AnalysesRepo, TooManyAnalyses
from junkan.store.db import Database
from junkan.store.models_repo import ModelsRepo, QuotaExceeded

__all__ = ["DELETED_DOMAIN", "AccountError", "Lockout", "QuotaExceeded", "Store",
           "TooManyAnalyses"]


class Store(AccountsRepo, ModelsRepo, AnalysesRepo):
    """The repositories, over one :class:`Database`.

    ``quota_bytes`` caps what one organisation stores (model versions plus run result
    tables; 0 = no cap); ``keep_versions`` keeps only the newest N versions of each model
    (0 = all), never deleting a version that a run refers to."""

    def __init__(self, db: Database, *, quota_bytes: int = 0, keep_versions: int = 0) -> None:
        self.db = db
        self.quota_bytes = quota_bytes
        self.keep_versions = keep_versions

