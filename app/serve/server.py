"""Run the app under uvicorn on a socket we bind ourselves, with TCP_NODELAY.

Sockets an asyncio server accepts inherit the listening socket's options, and asyncio does not set
TCP_NODELAY on them: each streamed event after the first then waits for the client's delayed ACK
(~40 ms on Linux). Binding the socket here, with the option set, sends every SSE delta as it is made.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from app.config import Settings


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _server(settings: Settings, log_level: str) -> uvicorn.Server:
    """uvicorn with our logging, the connection limit, and forwarded addresses from trusted proxies."""
    from app.serve import create_app
    from app.serve.logs import configure

    configure(settings.LOG_FORMAT, log_level)
    proxies = settings.FORWARDED_ALLOW_IPS.strip()
    config = uvicorn.Config(
        create_app(settings),
        log_level=log_level,
        log_config=None,
        lifespan="on",  # a failing start-up must stop the server, not leave it serving without state
        access_log=False,  # RequestContext logs each request, with its id
        timeout_graceful_shutdown=5,
        limit_concurrency=settings.MAX_CONNECTIONS,  # past it uvicorn answers 503 itself
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
        server_header=False,
    )
    return uvicorn.Server(config)


def serve(settings: Settings, host: str, port: int, log_level: str = "info") -> None:
    sock = bind(host, port)
    print(f"serving on http://{host}:{sock.getsockname()[1]}", flush=True)
    _server(settings, log_level).run(sockets=[sock])


@contextmanager
def running_app(settings: Settings) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port, for as long as the block runs."""
    sock = bind("127.0.0.1", 0)
    server = _server(settings, "warning")
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
