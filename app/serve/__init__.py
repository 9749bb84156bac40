"""HTTP service: `create_app(settings)` builds the FastAPI app."""

from app.serve.app import create_app

__all__ = ["create_app"]
