"""Background analyses in the store: created when the service accepts one (202), marked
running, then succeeded with their document or failed with their message — so an accepted
analysis survives a restart (one left unfinished by a stopped server is failed at the next
start, like a run). Each is its starter's only: every read takes the user and answers None
for anyone else's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from junkan.core.errors import JunkanError
from junkan.store.repo_base import RepoBase
from junkan.store.tables import Analysis, AnalysisResult, User, now

INTERRUPTED = "interrupted: the server stopped during the analysis; start it again"


class TooManyAnalyses(JunkanError):
    """The user has as many analyses queued or running as allowed."""


class AnalysesRepo(RepoBase):
    def create_analysis(self, user: User, kind: str, *, max_active: int,
                        max_kept: int) -> Analysis:
        """A queued analysis; refuses (:class:`TooManyAnalyses`) a user with ``max_active``
        unfinished ones, and keeps the user's newest ``max_kept`` (the oldest finished ones
        go, with their documents)."""
        with self.db.session() as s:
            active = s.scalar(select(func.count()).select_from(Analysis).where(
                Analysis.user_id == user.id, Analysis.status.in_(("queued", "running")))) or 0
            if active >= max_active:
                raise TooManyAnalyses(f"you have {active} analyses running; wait for one to "
                                      "finish")
            finished = list(s.scalars(select(Analysis.id).where(
                Analysis.user_id == user.id, Analysis.status.in_(("succeeded", "failed")))
                .order_by(Analysis.created_at.desc()).offset(max(0, max_kept - 1 - active))))
            if finished:
                s.execute(delete(AnalysisResult).where(
                    AnalysisResult.analysis_id.in_(finished)))
                s.execute(delete(Analysis).where(Analysis.id.in_(finished)))
            job = Analysis(org_id=user.org_id, user_id=user.id, kind=kind)
            s.add(job)
            s.flush()
            self.audit(s, user.org_id, user.id, "analysis.create", "analysis", job.id,
                       {"kind": kind})
            return job

    def analysis_started(self, analysis_id: str) -> None:
        with self.db.session() as s:
            s.execute(update(Analysis).where(Analysis.id == analysis_id).values(
                status="running", started_at=now()))

    def finish_analysis(self, analysis_id: str, document: dict[str, Any]) -> None:
        """Store the document and mark the analysis succeeded, in one transaction."""
        with self.db.session() as s:
            s.add(AnalysisResult(analysis_id=analysis_id, document=document))
            s.execute(update(Analysis).where(Analysis.id == analysis_id).values(
                status="succeeded", finished_at=now()))

    def fail_analysis(self, analysis_id: str, message: str,
                      problems: dict[str, Any] | None = None, *,
                      unfinished_only: bool = False) -> None:
        """Mark the analysis failed with ``message`` and, for a refusal, its coded
        ``problems``; with ``unfinished_only``, only if it is still queued or running (one
        that finished meanwhile keeps its result)."""
        q = update(Analysis).where(Analysis.id == analysis_id)
        if unfinished_only:
            q = q.where(Analysis.status.in_(("queued", "running")))
        with self.db.session() as s:
            s.execute(q.values(status="failed", error=message, problems=problems,
                               finished_at=now()))

    def get_analysis(self, user_id: str, analysis_id: str
                     ) -> tuple[Analysis, dict[str, Any] | None] | None:
        """The user's analysis and its document (None until it succeeded); None if it is
        not the user's."""
        with self.db.session() as s:
            job = s.get(Analysis, analysis_id)
            if job is None or job.user_id != user_id:
                return None
            result = s.get(AnalysisResult, analysis_id)
            return job, (result.document if result is not None else None)

    def list_analyses(self, user_id: str, limit: int = 200) -> list[Analysis]:
        """The user's analyses, newest first."""
        with self.db.session() as s:
            return list(s.scalars(select(Analysis).where(Analysis.user_id == user_id)
                                  .order_by(Analysis.created_at.desc()).limit(limit)))

    def fail_interrupted_analyses(self) -> int:
        """At start-up: analyses left queued or running by a stopped server are failed."""
        with self.db.session() as s:
            res = s.execute(update(Analysis).where(Analysis.status.in_(
                ("queued", "running"))).values(status="failed", error=INTERRUPTED,
                                               finished_at=now()))
            return int(getattr(res, "rowcount", 0) or 0)
