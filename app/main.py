"""ASGI entry point: `uvicorn app.main:app`. Settings are read when the app starts, not at import."""

from app.serve import create_app

app = create_app()
