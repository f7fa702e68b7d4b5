"""A create key signs only its owner's petitions, its organisation's, or, as a partner key marked
by a site admin, every API-enabled petition: the same rule and the same reason in every dialect."""
import subprocess
import sys

import pytest

from models.apikey import ApiKey, authenticate
from models.audit import AuditEvent
from models.signature import Signature
from tests.support_api import call, new_key, sign_in_as
from tests.support_dialects import osdi_headers, post_json
from tests.support_jobs import ROOT, child_env

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
ORIGIN = "https://forms.example.org"
REASON = "signs only petitions"


async def sign_everywhere(web, petition, token, n):
    """One signature through each key-based channel: [(dialect, status, body text)]."""
    replies = [
        ("forbrukermakt", await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures",
                                     {"full_name": "Jane Doe", "email": f"fm{n}@example.org", "accept_terms": True},
                                     token=token, headers={"Origin": ORIGIN})),
        ("petitions.eu", await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature",
                                    {"name": "J. Doe", "email": f"pe{n}@example.org", "visible": 0}, token=token)),
        ("wtp", await web.post(f"/v1/signatures?api_key={token}",
                               {"petition_id": str(petition.id), "email": f"wtp{n}@example.org",
                                "first_name": "Wtp", "last_name": "Signer"}, xsrf=False)),
        ("osdi", await post_json(web, f"/api/osdi/v1/petitions/{petition.id}/record_signature_helper",
                                 {"person": {"given_name": "Osdi", "family_name": "Signer",
                                             "email_addresses": [{"address": f"osdi{n}@example.org"}]}},
                                 osdi_headers(token))),
    ]
    return [(name, reply.code, reply.text) for name, reply in replies]


def _petition(make, organisation=None, lead=None):
    return make.petition(organisation=organisation, lead=lead, api_enabled=True, allowed_domains="forms.example.org")


@pytest.mark.gen_test
async def test_a_key_of_another_owner_is_refused_in_every_dialect_and_says_why(web, make):
    petition = _petition(make)
    _, stranger = new_key(make, ("read", "create"), partner=False)
    for dialect, code, text in await sign_everywhere(web, petition, stranger, 1):
        assert code == 403, (dialect, code, text[:300])
        assert REASON in text, (dialect, text[:300])
    assert Signature.select().count() == 0


@pytest.mark.gen_test
async def test_the_owners_key_signs_in_every_dialect(web, make):
    lead = make.user()
    petition = _petition(make, lead=lead)
    _, own = new_key(make, ("read", "create"), user=lead, partner=False)
    for dialect, code, text in await sign_everywhere(web, petition, own, 2):
        assert code in (200, 201, 202), (dialect, code, text[:300])
    assert Signature.select().count() == 4


@pytest.mark.gen_test
async def test_an_organisation_key_signs_only_that_organisations_petitions(web, make):
    organisation, other = make.organisation(), make.organisation()
    mine, theirs = _petition(make, organisation=organisation), _petition(make, organisation=other)
    _, key = new_key(make, ("read", "create"), organisation=organisation, partner=False)
    assert all(code in (200, 201, 202) for _, code, _ in await sign_everywhere(web, mine, key, 3))
    for dialect, code, text in await sign_everywhere(web, theirs, key, 4):
        if dialect == "osdi" and code == 404:
            continue  # OSDI shows an organisation's key only its organisation's petitions
        assert code == 403 and "organisation" in text, (dialect, code, text[:300])
    assert Signature.select().where(Signature.petition == theirs.id).count() == 0


@pytest.mark.gen_test
async def test_an_admin_makes_a_partner_key_on_the_web(web, make):
    petition = _petition(make)
    key, token = new_key(make, ("read", "create"), partner=False)
    assert {code for _, code, _ in await sign_everywhere(web, petition, token, 5)} == {403}
    sign_in_as(web, make.admin())
    page = await web.get("/admin/api-keys")
    assert page.code == 200 and key.prefix in page.text and "Make it a partner key" in page.text
    reply = await web.post(f"/admin/api-keys/{key.id}/partner", {"partner": "1"})
    assert reply.code == 303
    assert ApiKey.get_by_id(key.id).is_partner
    assert AuditEvent.select().where(AuditEvent.action == "api_key_partner").count() == 1
    results = await sign_everywhere(web, petition, token, 6)
    assert all(code in (200, 201, 202) for _, code, _ in results), results
    await web.post(f"/admin/api-keys/{key.id}/partner", {"partner": "0"})
    assert not ApiKey.get_by_id(key.id).is_partner


@pytest.mark.gen_test
async def test_only_admins_reach_the_partner_page(web, make):
    key, _ = new_key(make, ("create",), partner=False)
    sign_in_as(web, make.user())
    assert (await web.get("/admin/api-keys")).code == 403
    assert (await web.post(f"/admin/api-keys/{key.id}/partner", {"partner": "1"})).code == 403
    assert not ApiKey.get_by_id(key.id).is_partner


@pytest.mark.gen_test
async def test_already_signed_answers_count_against_the_keys_limit(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "3")
    lead = make.user()
    petition = _petition(make, lead=lead)
    make.signature(petition, email="known@example.org")
    _, token = new_key(make, ("create",), user=lead, partner=False)
    body = {"name": "J. Doe", "email": "known@example.org", "visible": 0}
    codes = [(await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature", body, token=token)).code
             for _ in range(4)]
    assert codes == [409, 409, 409, 429]


def test_cli_creates_and_toggles_partner_keys(database, make):
    user = make.user()
    env = child_env(database)
    run = subprocess.run([sys.executable, "portal.py", "apikey", "create", "--user", user.email, "--scopes",
                          "create", "--partner"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "partner key" in run.stdout
    key = authenticate(run.stdout.strip().splitlines()[-1])
    assert key.is_partner
    run = subprocess.run([sys.executable, "portal.py", "apikey", "partner", key.prefix, "--off"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not ApiKey.get_by_id(key.id).is_partner
