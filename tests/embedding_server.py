"""A scripted OpenAI-compatible `/v1/embeddings` server on loopback, for the remote embedder's tests
and bench/ingest.py: vectors made from each text's hash (the same text, the same vector, any
request), a fixed delay per request, and faults played from a script, one per request."""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np


def scripted_vector(text: str, dim: int) -> list[float]:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32).tolist()


@dataclass
class Fault:
    """What one request gets instead of vectors: `status` (with `retry_after`), `hang_s` before an
    answer, `garbage` (not JSON), or `dim` (vectors of another dimension)."""

    status: int = 200
    retry_after: str | None = None
    hang_s: float = 0.0
    garbage: bool = False
    dim: int | None = None


@dataclass
class Log:
    requests: int = 0
    inputs: list[int] = field(default_factory=list)  # texts per request that got vectors
    models: list[str] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    times: list[float] = field(default_factory=list)


def _encoded(vector: list[float], as_base64: bool) -> list[float] | str:
    if not as_base64:
        return vector
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


class ScriptedEmbeddings:
    def __init__(
        self,
        dim: int = 8,
        delay_s: float = 0.0,
        faults: Iterable[Fault] = (),
        floats_only: bool = False,
        port: int = 0,
    ) -> None:
        self.dim = dim
        self.floats_only = floats_only  # answer a request for base64 with a 400, as some servers do
        self.delay_s = delay_s
        self.faults: deque[Fault] = deque(faults)
        self.log = Log()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> ScriptedEmbeddings:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as two writes: without TCP_NODELAY (which real servers set)
            # Nagle holds the body for the client's delayed ACK, ~20 ms a reply after the delay.
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self._arrived = time.monotonic()
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                with owner._lock:
                    owner.log.requests += 1
                    owner.log.in_flight += 1
                    owner.log.max_in_flight = max(owner.log.max_in_flight, owner.log.in_flight)
                    fault = owner.faults.popleft() if owner.faults else Fault()
                try:
                    self._answer(body, fault)
                finally:
                    with owner._lock:
                        owner.log.in_flight -= 1

            def _answer(self, body: dict, fault: Fault) -> None:
                if fault.hang_s:
                    time.sleep(fault.hang_s)
                if self.path.rstrip("/") != "/v1/embeddings":
                    return self._send(404, b'{"error": {"message": "no such route"}}')
                if fault.status != 200:
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return self._send(fault.status, b'{"error": {"message": "scripted"}}', headers)
                if fault.garbage:
                    return self._send(200, b"<html>proxy error</html>")
                if body.get("encoding_format") == "base64" and owner.floats_only:
                    return self._send(
                        400, b'{"error": {"message": "encoding_format base64 is not supported"}}'
                    )
                texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                dim = fault.dim or owner.dim
                as_base64 = body.get("encoding_format") == "base64"
                data = [
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": _encoded(scripted_vector(t, dim), as_base64),
                    }
                    for i, t in enumerate(texts)
                ]
                with owner._lock:
                    owner.log.inputs.append(len(texts))
                    owner.log.models.append(body.get("model", ""))
                    owner.log.times.append(time.monotonic())
                payload = json.dumps({"object": "list", "data": data[::-1], "model": body.get("model", "")})
                return self._send(200, payload.encode())

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
                # A fixed time a request, its own work included (a woken idle CPU here takes ~20 ms
                # more for it than a busy one would, which is not the client's to pay).
                time.sleep(max(0.0, self._arrived + owner.delay_s - time.monotonic()))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def main() -> None:
    """Run it as its own process (bench/ingest_targets.py): its work then takes no time from the
    client being measured, as a real endpoint's would not."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--delay", type=float, default=0.2)
    args = parser.parse_args()
    with ScriptedEmbeddings(dim=args.dim, delay_s=args.delay, port=args.port) as srv:
        print(f"scripted embeddings on {srv.url}", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
