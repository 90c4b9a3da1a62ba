"""A background job's call kept in the store (review 264): what it encodes comes back the
same, tags in a user's own keys are kept as keys, and nothing but a job function of the
service is ever called back."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from junkan.api.job_requests import JOB_FUNCTIONS, MAX_REQUEST_BYTES, decode, encode, resolve
from junkan.api.work import analysis_job


@pytest.mark.parametrize("args", [
    ("uncertainty", "junkan: 1\n", "model", {"spec": {"parameters": []}, "runs": 5}),
    ("x", b"\x89PNG\r\n\x00\xff", [b"", (1, 2.5, None)], {"k": (True, "t")}),
    ({"$bytes": "not bytes", "$tuple": [1]}, [{"$dict": {"a": 1}}], {"a": {"$x": 1}}),
    (None, 0, -1.5e300, "日本語", [[[]]], {}),
])
def test_a_call_comes_back_the_same(args: tuple[Any, ...]) -> None:
    request = encode(analysis_job, args)
    assert request is not None
    stored = json.loads(json.dumps(request, allow_nan=False))  # as a JSON column keeps it
    fn, back = decode(stored)
    assert fn is analysis_job and back == args
    assert [type(a) for a in back] == [type(a) for a in args]


@pytest.mark.parametrize("arg", [math.nan, math.inf, {1: "a"}, {"a"}, object()])
def test_what_json_cannot_hold_exactly_makes_no_request(arg: Any) -> None:
    assert encode(analysis_job, ("uncertainty", arg)) is None


def test_a_request_beyond_its_size_is_not_kept() -> None:
    assert encode(analysis_job, (b"x" * (MAX_REQUEST_BYTES // 4 * 3 + 3),)) is None


def test_a_function_that_is_no_job_is_never_kept_or_called() -> None:
    assert encode(json.dumps, ("a",)) is None
    for name in ("os:system", "junkan.api.work:_analysis", "junkan.api.work:nothing_job",
                 "builtins:eval", "junkan.api.work:analysis_job.__globals__",
                 "junkan.api.routers.nature:start_job",  # review 265: a route handler
                 "junkan.api.routers.policy_registry:sign_job"):  # and a signing job
        with pytest.raises(LookupError):
            resolve(name)
    with pytest.raises(LookupError):
        decode({"fn": "subprocess:run", "args": [["ls"]]})
    with pytest.raises(ValueError, match="not a job request"):
        decode({"fn": "junkan.api.work:analysis_job"})


def test_every_job_the_service_starts_can_be_kept() -> None:
    """The list of job functions a request may name is the list of those the service
    starts: one missing would not be resumed after a restart."""
    import re
    from pathlib import Path

    api = Path(__file__).parents[2] / "src" / "junkan" / "api"
    started = set()
    for path in api.rglob("*.py"):
        text = path.read_text("utf-8")
        for fn in re.findall(r"background\.start\(\s*\w+,\s*\w+,\s*[^,]+,\s*(\w+)", text):
            module = ".".join(path.relative_to(api.parents[1]).with_suffix("").parts)
            imported = re.search(rf"from (junkan[\w.]*) import[^\n]*\b{fn}\b", text)
            started.add(f"{imported.group(1) if imported else module}:{fn}")
    assert len(started) == 9 and started == JOB_FUNCTIONS
    for name in JOB_FUNCTIONS:
        assert callable(resolve(name))
