"""The real service as a child process (`python -m app serve`), so a test can SIGKILL it mid-write.

In-process servers cannot be killed the way a power cut or OOM killer kills one: only a separate
process dies without running a single `finally`. The child binds port 0 and prints its address.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
KEY = "crash-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}


class ServerProcess:
    def __init__(self, index_dir: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "INDEX_DIR": str(index_dir),
            "ADMIN_API_KEY": KEY,
            "LLM_BASE_URL": "",
            "RELOAD_INTERVAL_S": "0.2",
            "RATE_LIMIT_PER_IP": "",  # the tests send bursts from one address
            "RATE_LIMIT_PER_KEY": "",
            **env,
        }
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.output: list[str] = []

    def start(self, ready_timeout: float = 90) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        match = None
        for _ in range(50):  # log lines may come before the address
            line = self.proc.stdout.readline()
            self.output.append(line)
            if not line or (match := re.search(r"serving on (http://[\d.]+:\d+)", line)):
                break
        if not match:
            self.kill()
            raise RuntimeError("server did not start:\n" + "".join(self.output[-30:]))
        self.url = match.group(1)
        # Keep draining the pipe so the child never blocks on a full one.
        threading.Thread(target=self._drain, daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("server not ready:\n" + "".join(self.output[-30:]))

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def kill(self) -> None:
        """SIGKILL: no cleanup runs, exactly like a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
