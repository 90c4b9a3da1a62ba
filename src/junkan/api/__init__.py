"""HTTP API and web UI host (FastAPI): ``create_app``."""

from junkan.api.app import create_app

__all__ = ["create_app"]
