"""Large sweeps on Dask: the draws are made by the caller and split into the same chunks
the local evaluator uses; each chunk is evaluated on a ``dask.distributed`` worker by the
same code, so the numbers equal the local ones from the same seed."""

from __future__ import annotations

from typing import Any

import numpy as np

from junkan.lifecycle.uncertainty.evaluate import Evaluator, Outputs, chunk_size
from junkan.lifecycle.uncertainty.study import Study


def _chunk(evaluator: Evaluator, theta: np.ndarray) -> Outputs:
    return evaluator.evaluate(theta)


def evaluate_dask(study: Study, theta: np.ndarray, client: Any = None) -> Outputs:
    """Evaluate ``theta`` in chunks of :func:`~.evaluate.chunk_size` runs on ``client``
    (default: the current ``dask.distributed`` client)."""
    from dask.distributed import get_client  # the 'distributed' extra

    client = client or get_client()
    evaluator = Evaluator(study)
    evaluator.check(theta)  # every draw, here, before any chunk is shipped
    evaluator.prepare(theta)
    # the engine check of each scenario's first run happens here, once, as locally
    Evaluator.evaluate(evaluator, theta[:1])
    remote = client.scatter(evaluator, broadcast=True)
    size = chunk_size(study)
    futures = [
        client.submit(_chunk, remote, theta[i : i + size], pure=False)
        for i in range(0, len(theta), size)
    ]
    return Outputs.concat(client.gather(futures))
