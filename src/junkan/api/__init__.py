"""HTTP API and web UI host (FastAPI): ``create_app``.

``create_app`` is imported on first use, so a budgeted worker that loads one job function from
:mod:`junkan.api.work` does not import the whole service."""

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from junkan.core.extras import require

        require("service")  # a clear "install junkan[service]" instead of a bare import error
        from junkan.api.app import create_app

        return create_app
    raise AttributeError(name)
