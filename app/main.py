"""ASGI entry point: `uvicorn app.main:app` (settings are read here, from the environment and .env)."""

from app.serve import create_app

app = create_app()
