"""Fuzzing the API from its own OpenAPI document (schemathesis): no input may cause a 5xx.

Requests go through the real WSGI application, so every middleware runs. Each operation gets
schema-valid and schema-breaking examples, with generated ids and with ids of real records (so
the writes reach the services, not only the 404). The examples are derandomised so that a run
is reproducible; the count is modest to keep the suite fast.

Each operation is fuzzed once in the suite. One pass here covers every operation outside the
visits, appeals and residents-decide APIs (those are fuzzed with real ids of their own, in
tests/visits/test_api.py, tests/appeals/test_api.py and tests/decide/), the service hall's catalogue,
applications and steps included: the token is the community worker's, who works at the hall
where the application was taken, so writes on the application and its active step reach the
services.
"""

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from linli.accounts.services import api_token_issue
from tests.hall import app_helpers as hall_helpers

EXAMPLES = 12


@pytest.fixture
def wsgi_app():
    """The project's WSGI application, sharing the test's database transaction: like Django's
    own test client, stop the request signals from closing the connection mid-test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(operation, headers: dict, mode: GenerationMode, path_parameters=None) -> list[str]:
    failures: list[str] = []
    strategy = operation.as_strategy(mode, headers=headers, path_parameters=path_parameters)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case):
        response = case.call()
        if response.status_code >= 500:
            failures.append(
                f"{response.status_code} {case.as_curl_command()}\n{response.text[:500]}"
            )

    run()
    return failures


def fuzz_operation(operation, headers: dict, real_id: int | None) -> list[str]:
    """Schema-valid and schema-breaking examples for one operation, with generated ids and, for
    an operation on one record, with the id of a real one (so writes reach the services)."""
    failures: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        failures += _fuzz(operation, headers, mode)
        # With the id pinned, a detail GET has nothing left to break.
        only_id = operation.method.lower() == "get" and operation.path.endswith("{id}")
        if "{id}" in operation.path and not (only_id and mode is GenerationMode.NEGATIVE):
            failures += _fuzz(operation, headers, mode, path_parameters={"id": real_id})
    return failures


# Fuzzed in the test files of their own modules, with the records those build.
FUZZED_ELSEWHERE = (
    "/api/visits/",
    "/api/appeals",
    "/api/appeal-categories",
    "/api/decide/matters",
    "/api/decide/votes",
)


@pytest.mark.slow
def test_no_server_errors(world, wsgi_app):
    hall = hall_helpers.build_hall(world)
    application = hall_helpers.take(hall, hall.items.illness)
    # The hall's lists hold one application of each handling mode, not only the proxy one.
    hall_helpers.take(hall, hall.items.guidance)
    hall_helpers.take(hall, hall.items.residence)
    _, key = api_token_issue(actor=None, user=world.users["community_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    real_ids = {
        "/api/areas": world.communities[0].pk,
        "/api/households": world.households[0].pk,
        "/api/residents": world.households[0].head_id,
        "/api/catalogue": hall.items.illness.pk,
        "/api/applications": application.pk,
        "/api/steps": hall_helpers.active_step(application).pk,
    }
    failures, operations, elsewhere = [], 0, 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(FUZZED_ELSEWHERE):
            elsewhere += 1
            continue
        operations += 1
        # Residents decide's tasks and commitments have no record in this world: their ids are
        # the fuzzer's own (a 404 answered cleanly is what is checked there).
        real_id = (
            real_ids.get("/api/" + operation.path.split("/")[2])
            if "{id}" in operation.path
            else None
        )
        failures += fuzz_operation(operation, headers, real_id)
    assert (operations, elsewhere) == (29 + 6, 24 + 6 + 3)
    assert not failures, "\n\n".join(failures[:5])
