"""Background simulation runs: a thread pool; progress and results go to the store.

A run's result is stored in one transaction with its "succeeded" status, so a killed server
never leaves half a result; runs left queued or running are marked failed at the next start.
"""

from __future__ import annotations

import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from junkan.indicators.compute import compute, from_lifecycle
from junkan.indicators.report import as_json
from junkan.lifecycle.api import compile_scenario
from junkan.lifecycle.engine import simulate_compiled
from junkan.lifecycle.results import Result
from junkan.lifecycle.summary import jsonable, run_summary
from junkan.core.errors import JunkanError
from junkan.store.repo import Store

log = logging.getLogger("junkan.jobs")


class JobRunner:
    def __init__(self, store: Store, workers: int = 2) -> None:
        self.store = store
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="junkan-run")

    def submit(self, run_id: str) -> None:
        self.pool.submit(self._run, run_id)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, run_id: str) -> None:
        try:
            found = self.store.run_content(run_id)
            if found is None:
                return
            run, version = found
            self.store.mark_started(run_id)
            compiled = compile_scenario(version.content, run.scenario, run.overrides or None,
                                        source=f"model {run.model_id} v{run.version}")
            last = [0.0]

            def progress(done: int, total: int) -> None:
                t = time.monotonic()
                if t - last[0] > 0.2 or done == total:
                    last[0] = t
                    self.store.set_progress(run_id, 0.95 * done / total)

            result = Result(simulate_compiled(compiled, run.scenario, progress))
            tables = {}
            for name, df in result.tables().items():
                buf = io.BytesIO()
                df.to_parquet(buf, index=False)
                tables[name] = buf.getvalue()
            summary = run_summary(result)
            summary["indicators"] = jsonable(as_json(compute(from_lifecycle(result))))
            self.store.finish_run(run_id, summary, tables)
        except JunkanError as exc:
            self.store.fail_run(run_id, str(exc))
        except Exception as exc:  # keep the worker alive; record what happened
            log.exception("run %s failed", run_id)
            self.store.fail_run(run_id, f"internal error: {type(exc).__name__}: {exc}")
