"""Schemathesis against the portal's OpenAPI description: no input, however odd, makes the portal answer 500.

Every operation is called with generated path parameters, query strings and bodies (valid and invalid
by the schema), as an HR + Finance user so that the requests get past the role check into the code.
A portal of its own: fuzzing logs in, changes participants and may lock accounts.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.server import Portal, running_portal

# Each operation gets this many generated cases: enough to reach every validator, short enough for CI.
EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzzed_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("fuzz")) as running:
        running.login("demo.hrfin")
        yield running


@pytest.fixture(scope="module")
def portal_schema(fuzzed_portal: Portal) -> object:
    # Logging out would end the token the other cases go on using (its refusals are in test_accounts.py).
    return schemathesis.openapi.from_url(f"{fuzzed_portal.url}/openapi.json").exclude(path="/api/auth/logout")


schema = schemathesis.pytest.from_fixture("portal_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_generated_request_makes_the_portal_fail(case: schemathesis.Case, fuzzed_portal: Portal) -> None:
    response = case.call(headers={"Authorization": f"Bearer {fuzzed_portal.tokens['demo.hrfin']}"}, timeout=30)
    assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
