"""schemathesis against the running app's own OpenAPI schema: every operation, a bounded number of
generated requests each (valid and invalid), checked for server errors and for responses that do not
match the schema (status codes, content types, bodies). The admin key is sent, so the admin routes
are exercised past their 401, over a copy of the index."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from pydantic import SecretStr
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.serve import create_app
from app.serve.server import running_app

KEY = "schemathesis-admin-key"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory, seed_index: Settings) -> Iterator[str]:
    root = tmp_path_factory.mktemp("schemathesis")
    shutil.copytree(seed_index.INDEX_DIR, root / "index")
    app_settings = seed_index.model_copy(
        update={"INDEX_DIR": root / "index", "ADMIN_API_KEY": SecretStr(KEY)}
    )
    with running_app(app_settings) as base:
        yield base


# The schema the running app serves is built from routes alone, so it can be read at collection time
# (one test per operation) without starting anything; the calls go to the running app.
schema = schemathesis.openapi.from_dict(create_app(Settings(_env_file=None)).openapi())


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_schema(case: schemathesis.Case, base_url: str) -> None:
    case.call_and_validate(base_url=base_url, headers={"X-API-Key": KEY}, checks=CHECKS, timeout=30)


def test_the_served_schema_is_the_one_tested(base_url: str) -> None:
    assert httpx.get(f"{base_url}/openapi.json").json() == schema.raw_schema
