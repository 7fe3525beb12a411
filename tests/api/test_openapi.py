"""The OpenAPI document (made once per process and language, the same for every caller) and
the docs page (served from vendored files, no CDN)."""

import json
import re

import ninja.main

from linli.api import api
from tests import factories as f

EXPECTED = {
    "/api/areas": {"get"},
    "/api/areas/{id}": {"get"},
    "/api/areas/{id}/children": {"get"},
    "/api/households": {"get", "post"},
    "/api/households/{id}": {"get", "patch"},
    "/api/residents": {"get", "post"},
    "/api/residents/{id}": {"get", "patch"},
    "/api/residents/{id}/reveal": {"post"},
    "/api/catalogue": {"get"},
    "/api/catalogue/categories": {"get"},
    "/api/catalogue/{id}": {"get"},
    "/api/applications": {"get", "post"},
    "/api/applications/{id}": {"get"},
    "/api/applications/{id}/submit": {"post"},
    "/api/applications/{id}/resubmit": {"post"},
    "/api/applications/{id}/withdraw": {"post"},
    "/api/applications/{id}/reject": {"post"},
    "/api/applications/{id}/complete": {"post"},
    "/api/applications/{id}/guidance": {"post"},
    "/api/applications/{id}/trips": {"post"},
    "/api/applications/{id}/rating": {"post"},
    "/api/steps": {"get"},
    "/api/steps/{id}": {"get"},
    "/api/steps/{id}/finish": {"post"},
    "/api/visits/assignments": {"get", "post"},
    "/api/visits/assignments/{id}": {"get"},
    "/api/visits/assignments/{id}/end": {"post"},
    "/api/visits/visits": {"get", "post"},
    "/api/visits/visits/{id}": {"get"},
    "/api/visits/needs": {"get"},
    "/api/visits/needs/{id}": {"get"},
    "/api/visits/needs/{id}/application": {"post"},
    "/api/visits/needs/{id}/close": {"post"},
    "/api/visits/coverage": {"get"},
    "/api/visits/coverage/children": {"get"},
    "/api/visits/gaps": {"get"},
    "/api/visits/overdue": {"get"},
    "/api/appeals": {"get", "post"},
    "/api/appeals/{id}": {"get"},
    "/api/appeals/{id}/take": {"post"},
    "/api/appeals/{id}/settle": {"post"},
    "/api/appeals/{id}/hand-up": {"post"},
    "/api/appeals/{id}/send-to-department": {"post"},
    "/api/appeals/{id}/return-visit": {"post"},
    "/api/appeal-categories": {"get"},
    "/api/decide/votes/{id}": {"get"},
    "/api/decide/votes/{id}/ballots": {"post"},
    "/api/decide/votes/{id}/close": {"post"},
    "/api/decide/matters": {"get", "post"},
    "/api/decide/matters/{id}": {"get"},
    "/api/decide/matters/{id}/merge": {"post"},
    "/api/decide/matters/{id}/support": {"post"},
    "/api/decide/matters/{id}/take-up": {"post"},
    "/api/decide/tasks": {"get"},
    "/api/decide/tasks/{id}": {"get"},
    "/api/decide/tasks/{id}/reports": {"post"},
    "/api/decide/tasks/matters/{id}/ratings": {"post"},
    "/api/decide/commitments": {"get"},
    "/api/decide/commitments/{id}/ratings": {"post"},
}


def test_openapi_document(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.content)
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "Linli API"
    assert {path: set(ops) for path, ops in doc["paths"].items()} == EXPECTED
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    operation_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids)) == sum(len(m) for m in EXPECTED.values())
    writes = [doc["paths"]["/api/households"]["post"], doc["paths"]["/api/residents/{id}"]["patch"]]
    for op in writes:
        headers = {p["name"] for p in op["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers
        assert "422" in op["responses"]
    resident = doc["components"]["schemas"]["ResidentIn"]
    assert resident["properties"]["id_number"]["maxLength"] == 18
    assert resident["additionalProperties"] is False


def test_the_document_is_made_once_and_is_the_same_for_everyone(client, db, monkeypatch):
    made = []

    def get_schema(**kwargs):
        made.append(kwargs["path_prefix"])
        return real_get_schema(**kwargs)

    real_get_schema = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", get_schema)
    monkeypatch.setattr(api, "_openapi_documents", {})
    anonymous = client.get("/api/openapi.json").content
    client.force_login(f.user_with("district_leader", f.area("峡山区", "district")))
    signed_in = client.get("/api/openapi.json").content
    assert made == ["/api/"] and signed_in == anonymous
    assert api.get_openapi_schema() is api.get_openapi_schema()
    # Another language has a document of its own (a translated text could differ).
    assert client.get("/api/openapi.json", HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
    assert len(made) == 2


def test_docs_page_uses_only_vendored_files(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    # By their own names, or by hashed ones where `linli serve` collected the files already.
    hashed = r"(\.[0-9a-f]{12})?"
    assert any(re.fullmatch(rf"/static/ninja/swagger-ui-bundle{hashed}\.js", a) for a in assets)
    assert any(re.fullmatch(rf"/static/ninja/swagger-ui{hashed}\.css", a) for a in assets)
    assert all(a.startswith("/static/") for a in assets)
    assert "<script>" not in html  # the page's only scripts are files (CSP is 'self')
    for asset in assets:
        if asset.endswith((".js", ".css")):
            assert client.get(asset).status_code == 200, asset  # served from the package itself
