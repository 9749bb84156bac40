"""deploy/: the compose file and the load balancer agree with the service (no Docker here, so what
can be checked without running them is checked: names, settings, wiring)."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

from app.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def test_the_replicas_share_milvus_and_set_only_real_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert {"etcd", "minio", "milvus", "api1", "api2", "lb"} <= services.keys()
    known = set(Settings.model_fields)
    for name in ("api1", "api2", "ingest"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known  # a misspelt setting would be silently ignored
        assert env["VECTOR_STORE"] == "milvus" and env["MILVUS_URI"] == "http://milvus:19530"
        assert services[name]["build"]["args"]["EXTRAS"] == "[milvus]"
    milvus_env = services["milvus"]["environment"]
    assert milvus_env["ETCD_ENDPOINTS"].startswith("etcd:") and milvus_env["MINIO_ADDRESS"].startswith(
        "minio:"
    )
    upstreams = re.findall(r"server (\w+):8000", (DEPLOY / "nginx.conf").read_text(encoding="utf-8"))
    assert upstreams == ["api1", "api2"]


def _default(value: object) -> str:
    """A compose value as it is with nothing in the environment: `${NAME:-default}` is `default`."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", str(value))


def _listens_on(server: dict) -> int:
    """The port a model server listens on, from its own configuration: `--port N` (llama.cpp's
    server) or OLLAMA_HOST (Ollama)."""
    command = server.get("command", "")
    words = command.split() if isinstance(command, str) else [str(w) for w in command]
    if "--port" in words:
        return int(words[words.index("--port") + 1])
    host = server.get("environment", {}).get("OLLAMA_HOST")
    assert host, f"no port found in {server}"
    return int(host.rsplit(":", 1)[1])


def test_the_local_model_file_wires_each_api_to_its_model_server() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.local-llm.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    profiles = {p for s in services.values() for p in s.get("profiles", [])}
    assert {"llamacpp", "ollama"} <= profiles
    known = set(Settings.model_fields)
    apis = {"api-llamacpp": "llamacpp", "api-ollama": "ollama"}
    for name, profile in apis.items():
        api = services[name]
        assert api["profiles"] == [profile]
        env = api["environment"]
        assert set(env) <= known, set(env) - known  # a misspelt setting would be silently ignored
        url = urlsplit(env["LLM_BASE_URL"])
        assert url.hostname in services, url  # a service of this file ...
        server = services[url.hostname]
        assert profile in server["profiles"]  # ... started with the API ...
        assert url.port == _listens_on(server) and url.path == "/v1"  # ... on the port it listens on
        assert url.hostname in api["depends_on"]
        assert env["LLM_PROTOCOL"] == "sentences" and _default(env["LLM_MODEL"])
        # The values the file sets are valid settings, and leave a CPU model time to answer.
        settings = Settings(_env_file=None, **{k: _default(v) for k, v in env.items()})
        assert settings.LLM_DEADLINE_S > 2 * 20  # ~20 s a question measured on 2 cores
        assert settings.LLM_FIRST_TOKEN_TIMEOUT_S > 20
        assert api["build"]["context"] == ".." and "../seeds:/srv/seeds:ro" in api["volumes"]
    # The API is written once (YAML anchor): the two differ only in their model server.
    same = [
        {k: v for k, v in services[n].items() if k not in ("profiles", "environment", "depends_on")}
        for n in apis
    ]
    assert same[0] == same[1]
    llama = services["llamacpp"]
    assert llama["image"].startswith("ghcr.io/ggml-org/llama.cpp:server")
    words = llama["command"].split()
    gguf = PurePosixPath(_default(words[words.index("-m") + 1]))
    mounts = {target: source for source, target, *_ in (v.split(":") for v in llama["volumes"])}
    assert mounts.get(str(gguf.parent)) == "./models" and gguf.suffix == ".gguf"
    assert "/health" in " ".join(llama["healthcheck"]["test"])
