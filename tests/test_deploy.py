"""deploy/: the compose file and the load balancer agree with the service (no Docker here, so what
can be checked without running them is checked: names, settings, wiring)."""

from __future__ import annotations

import re
from pathlib import Path

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
