"""External signing (Forbrukermakt and petitions.eu bodies), the public count, CORS (rate limits: test_rate_limits.py)."""

import pytest

from models.api import update_api_settings
from models.apikey import revoke
from models.audit import Actor
from models.mail import OutboxMessage
from models.petition import Petition
from models.signature import Signature
from tests.support import deliver_mail, link_in, mails_in
from tests.support_api import call, new_key

ORIGIN = "https://forms.example.org"
GOOD = {"full_name": "Jane Doe", "email": "Jane@Example.org", "accept_terms": True, "show_name_public": False,
        "comment": "I support this campaign."}


def api_petition(make, domains="forms.example.org\nlocalhost\n127.0.0.1:8000", enabled=True, hidden=False, **kw):
    lead = make.user()
    petition = make.petition(lead=lead, **kw)
    update_api_settings(petition, Actor.for_user(lead), api_enabled=enabled, allowed_domains=domains, hidden=hidden)
    return Petition.get_by_id(petition.id)


def sign(web, petition, body=None, token=None, origin=ORIGIN, path="signatures", raw=None):
    headers = {"Origin": origin} if origin else {}
    return call(web, "POST", f"/api/v1/petitions/{getattr(petition, 'slug', petition)}/{path}",
                GOOD if body is None and raw is None else body, token=token, headers=headers, raw=raw)


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_forbrukermakt_signature_is_stored_mailed_and_counted_once_confirmed(web, make, database):
    petition = api_petition(make)
    key, token = new_key(make, scopes=("create",))
    reply = await sign(web, petition, token=token)
    assert reply.code == 202, reply.text
    assert reply.json()["status"] == "pending_verification" and "jane" not in reply.text.lower()
    assert reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    signature = Signature.get()
    assert (signature.email, signature.source, signature.api_key_id, signature.origin, signature.show_name) == (
        "jane@example.org", "api_forbrukermakt", key.id, ORIGIN, False)
    count = await web.get(f"/api/v1/petitions/{petition.slug}/signature-count")
    assert count.code == 200 and count.json() == {"id": petition.id, "slug": petition.slug, "signature_count": 0}
    assert deliver_mail()["sent"] == 1
    [message] = mails_in(database.mail_dir)
    assert message["To"] == "jane@example.org"
    path = "/" + link_in(message).split("/", 3)[3]
    assert (await web.post(path, {})).code == 200
    count = await web.get(f"/api/v1/petitions/{petition.id}/signature-count")
    assert count.json()["signature_count"] == 1 and count.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_petitions_eu_signature_body(web, make):
    petition = api_petition(make)
    key, token = new_key(make, scopes=("create",))
    body = {"name": "J. Jansen", "email": "j.jansen@example.nl", "city": "Utrecht", "visible": 1}
    reply = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature", body, token=token, query_key=True)
    assert reply.code == 200 and reply.json() == {"message": "Thank you, confirmation e-mail will be sent"}
    signature = Signature.get()
    assert (signature.full_name, signature.city, signature.show_name, signature.source) == (
        "J. Jansen", "Utrecht", True, "api_v1")
    assert OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature").count() == 1
    missing = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature", {"city": "Utrecht"}, token=token)
    assert missing.code == 400 and missing.json()["error"] == "Required fields missing"
    assert sorted(missing.json()["fields"]) == ["email", "name"]
    wrong = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature",
                       {"name": "Jan", "email": "x@", "visible": "yes"}, token=token)
    assert wrong.code == 400 and wrong.json()["error"] == "Invalid fields"
    assert sorted(wrong.json()["fields"]) == ["email", "name", "visible"]
    duplicate = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature", body, token=token)
    assert duplicate.code == 409 and duplicate.json()["error"] == "already_signed"
    # A browser call must come from an allowed domain; server-to-server calls send no Origin.
    other = await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature",
                       {**body, "email": "b@example.nl"}, token=token, headers={"Origin": "https://evil.example"})
    assert other.code == 403 and other.json()["error"] == "origin_not_allowed"
    assert Signature.select().count() == 1


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_every_error_cause_has_its_status_and_a_message_with_the_fix(web, make):
    petition = api_petition(make)
    _, token = new_key(make, scopes=("create",))
    _, reader = new_key(make, scopes=("read",))
    _, test_token = new_key(make, scopes=("create",), is_test=True)
    revoked_key, revoked = new_key(make, scopes=("create",))
    revoke(revoked_key)
    disabled = api_petition(make, enabled=False)
    closed = api_petition(make, status="to_process")
    await sign(web, petition, token=token)  # the first signature, for the duplicate case
    cases = [
        ("no token", sign(web, petition), 401, "api_key_missing", "Authorization: Bearer"),
        ("revoked token", sign(web, petition, token=revoked), 401, "api_key_invalid", "/user/api-tokens"),
        ("unknown token", sign(web, petition, token="pp_nothing_here"), 401, "api_key_invalid", "Fix"),
        ("no create scope", sign(web, petition, token=reader), 403, "scope_missing", "create permission"),
        ("test key", sign(web, petition, token=test_token), 403, "test_key", "live key"),
        ("unknown petition", sign(web, "no-such-petition", token=token), 404, "not_found", "slug"),
        ("API disabled", sign(web, disabled, token=token), 403, "api_submissions_disabled", "enable API submissions"),
        ("origin not allowed", sign(web, petition, token=token, origin="https://evil.example"), 403,
         "origin_not_allowed", "add that hostname"),
        ("origin port differs", sign(web, petition, token=token, origin="http://127.0.0.1:9000"), 403,
         "origin_not_allowed", "allowed domains"),
        ("no origin", sign(web, petition, token=token, origin=None), 403, "origin_not_allowed", "Origin"),
        ("duplicate", sign(web, petition, {**GOOD, "email": "jane@example.org"}, token=token), 409, "already_signed",
         "do not submit"),
        ("missing fields", sign(web, petition, {"comment": "hi"}, token=token), 422, "invalid_fields", "accept_terms"),
        ("terms not accepted", sign(web, petition, {**GOOD, "email": "x@example.org", "accept_terms": "yes"},
                                    token=token), 422, "invalid_fields", "accept_terms=true"),
        ("unknown field", sign(web, petition, {**GOOD, "email": "y@example.org", "admin": True}, token=token), 422,
         "invalid_fields", "send only"),
        ("wrong types", sign(web, petition, {"full_name": ["a"], "email": 5, "accept_terms": True,
                                             "show_name_public": "no"}, token=token), 422, "invalid_fields", "email"),
        ("not open", sign(web, closed, token=token), 403, "petition_not_signable", "not open"),
        ("bad JSON", sign(web, petition, raw=b'{"full_name": ', token=token), 400, "invalid_json", "JSON"),
        ("not UTF-8", sign(web, petition, raw=b'{"full_name": "\xff"}', token=token), 400, "bad_request", "UTF-8"),
        ("NUL in a field", sign(web, petition, {**GOOD, "email": "n@example.org", "full_name": "Jane \u0000Doe"},
                                token=token), 422, "invalid_fields", "control characters"),
        ("deeply nested", sign(web, petition, raw=b"[" * 60000, token=token), 400, "invalid_json", "nested"),
        ("huge body", sign(web, petition, raw=b'{"comment": "' + b"x" * 70000 + b'"}', token=token), 413,
         "body_too_large", "larger"),
    ]
    for label, pending, status, code, hint in cases:
        reply = await pending
        body = reply.json()
        assert (reply.code, body["error"]) == (status, code), (label, reply.code, reply.text)
        assert hint in body["message"], (label, body["message"])
        assert "@" not in body["message"], label
    missing = (await sign(web, petition, {"comment": "hi"}, token=token)).json()
    assert set(missing["fields"]) == {"full_name", "email", "accept_terms"}
    assert Signature.select().count() == 1


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_cors_preflight_for_allowed_origins_only(web, make):
    petition = api_petition(make)
    disabled = api_petition(make, enabled=False)
    path = f"/api/v1/petitions/{petition.slug}/signatures"
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    for origin in (ORIGIN, "http://localhost:3000", "http://127.0.0.1:8000"):
        reply = await web.fetch(path, method="OPTIONS", headers={**headers, "Origin": origin})
        assert reply.code == 204 and reply.headers["Access-Control-Allow-Origin"] == origin
        assert "POST" in reply.headers["Access-Control-Allow-Methods"]
        assert "Authorization" in reply.headers["Access-Control-Allow-Headers"]
    for origin in ("https://evil.example", "https://forms.example.org.evil.example", "null", "http://127.0.0.1:8001"):
        reply = await web.fetch(path, method="OPTIONS", headers={**headers, "Origin": origin})
        assert reply.code == 403 and "Access-Control-Allow-Origin" not in reply.headers, origin
    # Submissions off: the preflight still passes for an allowed domain, so that the page can read
    # the POST's true refusal (tests/test_integrators.py).
    reply = await web.fetch(f"/api/v1/petitions/{disabled.slug}/signatures", method="OPTIONS",
                            headers={**headers, "Origin": ORIGIN})
    assert reply.code == 204 and reply.headers["Access-Control-Allow-Origin"] == ORIGIN
    # an error answer to an allowed origin is readable by that page
    reply = await sign(web, petition, {"comment": "x"}, token=None)
    assert reply.code == 401 and reply.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_count_of_hidden_petitions_works_only_with_api_enabled(web, make):
    hidden_api = api_petition(make, hidden=True)
    hidden_plain = api_petition(make, enabled=False, hidden=True)
    draft = make.petition(status="staging")
    make.signature(hidden_api)
    make.signature(hidden_api, confirmed=False)
    reply = await web.get(f"/api/v1/petitions/{hidden_api.slug}/signature-count")
    assert reply.code == 200 and reply.json()["signature_count"] == 1
    assert (await web.get(f"/petitions/{hidden_api.slug}")).code == 404  # hidden from public pages
    assert (await web.get(f"/api/v1/petitions/{hidden_plain.slug}/signature-count")).code == 404
    assert (await web.get(f"/api/v1/petitions/{draft.slug}/signature-count")).code == 404
    assert (await web.get("/api/v1/petitions/%00/signature-count")).code == 404
    # signing a hidden petition with API enabled works
    _, token = new_key(make, scopes=("create",))
    assert (await sign(web, hidden_api, token=token)).code == 202


