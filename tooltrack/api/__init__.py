"""The REST API (FastAPI): `create_app(engine)`; `tooltrack serve` runs it."""

from tooltrack.api.app import create_app

__all__ = ["create_app"]
