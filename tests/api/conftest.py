"""Helpers for the API tests: a client that speaks JSON with a bearer token."""

import json

import pytest

from linli.accounts.services import api_token_issue


class ApiClient:
    """Django's test client, sending `Authorization: Bearer …` and JSON bodies."""

    def __init__(self, client, key: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def _headers(self, extra):
        return self.headers | (extra or {})

    def get(self, path, params=None, headers=None):
        return self.client.get(path, params or {}, headers=self._headers(headers))

    def post(self, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.post(
            path, data, content_type="application/json", headers=self._headers(headers)
        )

    def patch(self, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body or {})
        return self.client.patch(
            path, data, content_type="application/json", headers=self._headers(headers)
        )


@pytest.fixture
def api_as(client):
    """api_as(user) → a client authenticated with a fresh API token of that user."""

    def make(user) -> ApiClient:
        _, key = api_token_issue(actor=None, user=user, name="test integration")
        return ApiClient(client, key)

    return make


def error_fields(response) -> dict[str, str]:
    """{field: message} of an error answer."""
    return {e["field"]: e["message"] for e in response.json()["errors"]}
