"""The OpenAPI document: served, readable as a page, and true (schemathesis against the live app)."""
import pytest
import requests


pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")


@pytest.mark.gen_test
async def test_openapi_document_and_docs_page(web):
    reply = await web.get("/api/v1/openapi.json")
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("application/json")
    spec = reply.json()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/api/v1/petitions", "/api/v1/petitions/{id}", "/api/v1/petitions/{id}/signatures",
                                  "/api/v1/petitions/{id}/signature", "/api/v1/petitions/{id}/signature-count",
                                  "/api/v1/signatures", "/api/v1/organisations", "/api/v1/organisations/{id}"}
    page = await web.get("/api/v1/docs")
    assert page.code == 200 and "PUT /api/v1/petitions/{id}" in page.text and "Retry-After" in page.text
    assert "signature-count" in page.text and "openapi.json" in page.text
    home = await web.get("/")
    assert 'href="/api/v1/docs"' in home.text


def test_schemathesis_finds_no_server_errors_and_conforming_responses(live_server, make):
    """Property-based calls of every operation (valid and invalid data) against the running app."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                                   response_headers_conformance, response_schema_conformance,
                                                   status_code_conformance)

    from models.api import issue_key, update_api_settings
    from models.audit import Actor

    org = make.organisation(slug="riverton")
    lead = make.user()
    petition = make.petition(organisation=org, lead=lead)  # id 1: the examples in the document name it
    update_api_settings(petition, Actor.for_user(lead), api_enabled=True, allowed_domains="forms.example.org",
                        hidden=False)
    make.petition(organisation=org, status="to_process")
    make.signature(petition)
    _, token = issue_key(make.clerk(org), "schemathesis", ["read", "create", "update"], organisation=org)
    assert requests.get(live_server.url + "/api/v1/organisations", timeout=120,
                        headers={"Authorization": f"Bearer {token}"}).status_code == 200

    schema = schemathesis.openapi.from_url(live_server.url + "/api/v1/openapi.json")
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              response_headers_conformance, negative_data_rejection]
    headers = {"Authorization": f"Bearer {token}"}
    failures, calls = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=15, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                nonlocal calls
                calls += 1
                case.call_and_validate(headers=headers, checks=checks, timeout=120)

            try:
                run()
            except (Exception, BaseExceptionGroup) as error:  # collect every operation's failure, then report them all
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): {error}"[:2000])
    assert calls > 100
    assert not failures, "\n\n".join(failures)
