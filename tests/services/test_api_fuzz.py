"""Fuzzing the service hall's API operations from the OpenAPI document (schemathesis): no
input may cause a 5xx. Each operation gets schema-valid and schema-breaking examples, with
generated ids and with the ids of real records — an application and a step at the caller's own
office, an item on offer — so that the writes reach the services, not only the 404."""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode

from linli.accounts.services import api_token_issue
from tests.api.test_fuzz import _fuzz, wsgi_app  # noqa: F401 — the fixture is used by name

from . import app_helpers as h

SERVICE_HALL = ("/api/catalogue", "/api/applications", "/api/steps")


@pytest.fixture
def hall(world):
    return h.build_hall(world)


def _real_ids(hall) -> dict[str, int]:
    illness = h.take(hall, hall.items.illness)
    h.take(hall, hall.items.guidance)
    h.take(hall, hall.items.residence)
    return {
        "/api/catalogue": hall.items.illness.pk,
        "/api/applications": illness.pk,
        "/api/steps": h.active_step(illness).pk,
    }


def test_no_server_errors_in_the_service_hall(hall, wsgi_app):  # noqa: F811
    real_ids = _real_ids(hall)
    _, key = api_token_issue(actor=None, user=hall.users["hall_worker"], name="fuzz")
    headers = {"Authorization": f"Bearer {key}"}
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        base = "/api/" + operation.path.split("/")[2]
        if base not in SERVICE_HALL:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _fuzz(operation, headers, mode)
            only_id = operation.method.lower() == "get" and operation.path.endswith("{id}")
            if "{id}" in operation.path and not (only_id and mode is GenerationMode.NEGATIVE):
                real = {"id": real_ids[base]}
                failures += _fuzz(operation, headers, mode, path_parameters=real)
    assert operations == 17
    assert not failures, "\n\n".join(failures[:5])
