"""schemathesis over every operation of `/openapi.json`, three times per generated case:
without a token, with a player token and with an admin token.

No response may be a 5xx (except a 503 the operation documents, a server state such as
"segments not published yet"), and every response must match the schema its operation
publishes for that status. schemathesis adds its own coverage cases (boundary values,
wrong methods, missing fields) to the generated examples, so even the default suite's
two examples per operation make well over 1,000 requests; `make soak` raises
PULSE_FUZZ_EXAMPLES. Counts go to test-artifacts/reliability/fuzz.json.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, response_schema_conformance

from pulse.settings import PROJECT_ROOT
from tests.support.auth import admin_headers, user_headers
from tests.support.fuzz import no_server_error
from tests.support.live_server import LiveServer, live_server
from tests.support.players import fresh_user_id

EXAMPLES_PER_OPERATION = int(os.environ.get("PULSE_FUZZ_EXAMPLES", "2"))
REPORT = PROJECT_ROOT / "test-artifacts" / "reliability" / "fuzz.json"
CHECKS = [no_server_error, response_schema_conformance, content_type_conformance]

_statuses: Counter[str] = Counter()
_operations: set[str] = set()
_documented_503 = 0
_tokens_sent: set[str] = set()


@pytest.fixture(scope="module")
def fuzz_server(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    # One caller sends every request, so the per-user rate limit is off for this server.
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    with live_server(log, env={"PULSE_RATE_LIMIT_PER_SECOND": "0"}) as running:
        yield running
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(
        json.dumps(
            {
                "examples_per_operation": EXAMPLES_PER_OPERATION,
                "operations": len(_operations),
                "requests": sum(_statuses.values()),
                "server_errors": sum(n for status, n in _statuses.items() if status >= "500")
                - _documented_503,
                "documented_503_not_published": _documented_503,
                "statuses": dict(sorted(_statuses.items())),
            },
            indent=2,
        )
    )


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_server: LiveServer) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzz_server.base_url}/openapi.json")


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_caller_gets_a_server_error_or_an_off_schema_answer(
    case: schemathesis.Case, fuzz_server: LiveServer
) -> None:
    global _documented_503
    _operations.add(case.operation.label)
    for headers in ({}, user_headers(fresh_user_id()), admin_headers()):
        _tokens_sent.update(value.removeprefix("Bearer ") for value in headers.values())
        response = case.call(base_url=fuzz_server.base_url, headers=headers)
        _statuses[str(response.status_code)] += 1
        case.validate_response(response, checks=CHECKS)
        # Reached only when the checks passed: a 503 here is one the operation documents.
        _documented_503 += response.status_code == 503


def test_no_token_reaches_the_server_log(fuzz_server: LiveServer) -> None:
    """Every operation is called here with a player's, an admin's, an expired and a forged
    token, so the test holds in any order; after the fuzz run, its tokens are checked too."""
    forged = user_headers(fresh_user_id())["Authorization"][:-6] + "forged"
    sent_here = [
        user_headers(fresh_user_id()),
        admin_headers(),
        user_headers(fresh_user_id(), ttl_seconds=-60),
        {"Authorization": forged},
    ]
    paths = httpx.get(f"{fuzz_server.base_url}/openapi.json").json()["paths"]
    requests = 0
    with httpx.Client(base_url=fuzz_server.base_url) as client:
        for path, operations in paths.items():
            url = re.sub(r"\{[^}]+\}", "1", path)
            for method in operations:
                for headers in sent_here:
                    client.request(method.upper(), url, headers=headers, json={})
                    requests += 1
    tokens = _tokens_sent | {h["Authorization"].removeprefix("Bearer ") for h in sent_here}
    log = fuzz_server.log_path.read_text()
    assert len(paths) >= 10 and log.count('"route"') >= requests
    assert not [token for token in tokens if token in log]
    assert "Bearer" not in log
