"""Large sweeps on Dask: the draws are made by the caller and split into the same chunks
the local evaluator uses; each chunk is evaluated on a ``dask.distributed`` worker by the
same code, so the numbers equal the local ones from the same seed."""

from __future__ import annotations

from concurrent.futures import CancelledError
from typing import Any

import numpy as np

from junkan.core.errors import JunkanError
from junkan.lifecycle.uncertainty.evaluate import Evaluator, Outputs, chunk_size
from junkan.lifecycle.uncertainty.study import Study


def _chunk(evaluator: Evaluator, theta: np.ndarray) -> Outputs:
    return evaluator.evaluate(theta)


def _held(evaluator: Evaluator) -> Evaluator:
    return evaluator


def evaluate_dask(study: Study, theta: np.ndarray, client: Any = None,
                  yearly: tuple[str, ...] = ()) -> Outputs:
    """Evaluate ``theta`` in chunks of :func:`~.evaluate.chunk_size` runs on ``client``
    (default: the current ``dask.distributed`` client).

    The evaluator goes to the cluster as a task's argument, not as scattered data: when the
    workers holding it die, the scheduler runs the task again on another (scattered data
    cannot be recovered: every chunk was cancelled, review 222). A cluster that cannot
    finish (its workers lost or killed) is a :class:`~junkan.core.errors.JunkanError`
    saying so, not a traceback."""
    from dask.distributed import get_client  # the 'distributed' extra
    from distributed import KilledWorker

    client = client or get_client()
    evaluator = Evaluator(study, yearly=yearly)
    evaluator.check(theta)  # every draw, here, before any chunk is shipped
    evaluator.prepare(theta)
    # the engine check of each scenario's first run happens here, once, as locally
    Evaluator.evaluate(evaluator, theta[:1])
    remote = client.submit(_held, evaluator, pure=False)
    size = chunk_size(study)
    futures = [
        client.submit(_chunk, remote, theta[i : i + size], pure=False)
        for i in range(0, len(theta), size)
    ]
    try:
        return Outputs.concat(client.gather(futures))
    except (CancelledError, KilledWorker, OSError, TimeoutError) as exc:
        raise JunkanError(
            f"the Dask cluster did not finish the {len(theta):,} runs ({type(exc).__name__}: "
            f"{str(exc)[:200]}): its workers were lost or killed — a worker out of memory "
            "is killed by its nanny; start the cluster again, with more memory per worker "
            "or fewer runs") from None
