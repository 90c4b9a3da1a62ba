"""Background analyses in the store: created when the service accepts one (202), with the
call it makes (:class:`~junkan.store.tables.AnalysisRequest`), marked running, then
succeeded with their document or failed with their message — so an accepted analysis
survives a restart: one left unfinished by a stopped server is queued again at the next
start (at most :data:`MOST_RESUMED` times), or failed as interrupted when its call was not
kept. Each is its starter's only: every read takes the user and answers None for anyone
else's."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update

from junkan.core.errors import JunkanError
from junkan.store.repo_base import RepoBase, get_for_update
from junkan.store.tables import Analysis, AnalysisRequest, AnalysisResult, User, now

INTERRUPTED = ("interrupted: the server stopped during the analysis, which could not be "
               "resumed; start the analysis again")
UNFINISHED = ("queued", "running")
"""The statuses of an analysis that has not ended."""
MOST_RESUMED = 2
"""How many times a restart runs an interrupted analysis again (not without end: one that
stopped the server each time would stop it at every start)."""


class TooManyAnalyses(JunkanError):
    """The user has as many analyses queued or running as allowed."""


class AnalysesRepo(RepoBase):
    def create_analysis(self, user: User, kind: str, *, max_active: int,
                        max_kept: int, request: dict[str, Any] | None = None) -> Analysis:
        """A queued analysis, with the ``request`` that runs it again after a restart (in
        the same transaction: one accepted is one kept); refuses
        (:class:`TooManyAnalyses`) a user with ``max_active`` unfinished ones, and keeps the
        user's newest ``max_kept`` (the oldest finished ones go, with their documents)."""
        with self.db.session() as s:
            get_for_update(s, User, user.id)  # counted and added in one step (review 273)
            active = s.scalar(select(func.count()).select_from(Analysis).where(
                Analysis.user_id == user.id, Analysis.status.in_(UNFINISHED))) or 0
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
            if request is not None:
                s.add(AnalysisRequest(analysis_id=job.id, request=request))
            self.audit(s, user.org_id, user.id, "analysis.create", "analysis", job.id,
                       {"kind": kind})
            return job

    def analysis_started(self, analysis_id: str) -> bool:
        """Mark a queued analysis running; whether it was queued (one that ended or runs
        elsewhere meanwhile is not run again: review 266, a job another server had finished
        was set running and then failed)."""
        with self.db.session() as s:
            res = s.execute(update(Analysis).where(
                Analysis.id == analysis_id, Analysis.status == "queued").values(
                status="running", started_at=now()))
            return bool(getattr(res, "rowcount", 0))

    def finish_analysis(self, analysis_id: str, document: dict[str, Any]) -> bool:
        """Store the document and mark the analysis succeeded, in one transaction — if it
        is still unfinished; whether it was (one that ended meanwhile, e.g. run twice by two
        processes, keeps its first outcome: review 265, a second finish failed on the
        result's key and turned a succeeded analysis into a failed one)."""
        with self.db.session() as s:
            res = s.execute(update(Analysis).where(
                Analysis.id == analysis_id, Analysis.status.in_(UNFINISHED))
                .values(status="succeeded", finished_at=now()))
            if not getattr(res, "rowcount", 0):
                return False
            s.add(AnalysisResult(analysis_id=analysis_id, document=document))
            s.execute(delete(AnalysisRequest).where(AnalysisRequest.analysis_id == analysis_id))
            return True

    def fail_analysis(self, analysis_id: str, message: str,
                      problems: dict[str, Any] | None = None, *,
                      unfinished_only: bool = False) -> None:
        """Mark the analysis failed with ``message`` and, for a refusal, its coded
        ``problems``; with ``unfinished_only``, only if it is still queued or running (one
        that finished meanwhile keeps its result). A succeeded analysis is never failed."""
        q = update(Analysis).where(Analysis.id == analysis_id, Analysis.status != "succeeded")
        if unfinished_only:
            q = q.where(Analysis.status.in_(UNFINISHED))
        with self.db.session() as s:
            s.execute(q.values(status="failed", error=message, problems=problems,
                               finished_at=now()))
            s.execute(delete(AnalysisRequest).where(AnalysisRequest.analysis_id == analysis_id))

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

    def resume_interrupted_analyses(self, most: int = MOST_RESUMED, *,
                                    user_gone: tuple[str, str] = ("", "")
                                    ) -> list[tuple[str, str, str, dict[str, Any]]]:
        """At start-up: the analyses a stopped server left queued or running. Each whose
        request was kept is queued again and returned as ``(id, organisation id, kind,
        request)``, oldest first, for the service to run — unless it had started ``most``
        times already (only a start counts: a job that waited through restarts never ran),
        or its user was disabled or deleted meanwhile (failed with ``user_gone``'s first or
        second message; review 265: it ran); the others are failed as
        :data:`INTERRUPTED`."""
        out = []
        with self.db.session() as s:
            left = s.scalars(select(Analysis).where(Analysis.status.in_(UNFINISHED))
                             .order_by(Analysis.created_at))
            for job in left:
                req = s.get(AnalysisRequest, job.id)
                user = s.get(User, job.user_id)
                gone = user is None or user.deleted_at is not None or \
                    user.disabled_at is not None
                if req is not None and not gone and (req.resumed < most or job.status == "queued"):
                    req.resumed += job.status == "running"
                    job.status, job.started_at = "queued", None
                    out.append((job.id, job.org_id, job.kind, dict(req.request)))
                    continue
                why = INTERRUPTED
                if gone and user is not None and any(user_gone):
                    why = user_gone[1] if user.deleted_at is not None else user_gone[0]
                job.status, job.error, job.finished_at = "failed", why, now()
                if req is not None:
                    s.delete(req)
        return out
