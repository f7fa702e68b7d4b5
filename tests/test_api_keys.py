"""Managing API keys on /user/api-tokens and on the command line; a petition's API settings page."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from models.apikey import ApiKey, authenticate
from models.tokens import hash_token
from models.audit import AuditEvent
from models.petition import Petition
from tests.support_api import call, new_key, sign_in_as

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.gen_test
async def test_create_key_on_the_web_shows_token_once_and_it_works(web, make):
    user = sign_in_as(web, make.user())
    page = await web.get("/user/api-tokens")
    assert page.code == 200 and "You have no keys yet" in page.text
    created = await web.post("/user/api-tokens", {"name": "campaign site", "scopes": ["read", "create"]})
    assert created.code == 201, created.text
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.text).group(1)
    key = ApiKey.get()
    assert key.user_id == user.id and key.scope_set == {"read", "create"} and key.secret_hash == hash_token(token)
    assert token not in (key.name + key.prefix + key.secret_hash)
    assert created.headers["Cache-Control"] == "no-store"
    reply = await call(web, "GET", "/api/v1/organisations", token=token)
    assert reply.code == 200
    listing = await web.get("/user/api-tokens")
    assert key.prefix in listing.text and token not in listing.text and "create, read" in listing.text
    assert "never" not in listing.text.split(key.prefix)[1].split("</tr>")[0]  # last use is shown


@pytest.mark.gen_test
async def test_update_keys_only_for_organisations_the_clerk_works_for(web, make):
    mine, theirs = make.organisation(name="My Council"), make.organisation(name="Their Council")
    clerk = sign_in_as(web, make.clerk(mine))
    page = await web.get("/user/api-tokens")
    assert "My Council" in page.text and "Their Council" not in page.text
    no_org = await web.post("/user/api-tokens", {"name": "x", "scopes": ["update"]})
    assert no_org.code == 422 and "exactly one organisation" in no_org.text
    foreign = await web.post("/user/api-tokens", {"name": "x", "scopes": ["update"], "organisation": str(theirs.id)})
    assert foreign.code == 422 and "organisations you work for" in foreign.text
    no_scope = await web.post("/user/api-tokens", {"name": "x"})
    assert no_scope.code == 422 and "Choose one or more" in no_scope.text
    assert ApiKey.select().count() == 0
    ok = await web.post("/user/api-tokens", {"name": "records system", "scopes": ["update"],
                                             "organisation": str(mine.id), "is_test": "y"})
    assert ok.code == 201
    key = ApiKey.get()
    assert (key.organisation_id, key.is_test, key.user_id) == (mine.id, True, clerk.id)


@pytest.mark.gen_test
async def test_revoke_own_keys_only(web, make):
    user = sign_in_as(web, make.user())
    key, token = new_key(make, user=user)
    other_key, _ = new_key(make)
    refused = await web.post(f"/user/api-tokens/{other_key.id}/revoke", {})
    assert refused.code == 404 and ApiKey.get_by_id(other_key.id).revoked_at is None
    without_xsrf = await web.post(f"/user/api-tokens/{key.id}/revoke", {}, xsrf=False)
    assert without_xsrf.code == 403 and ApiKey.get_by_id(key.id).revoked_at is None
    done = await web.post(f"/user/api-tokens/{key.id}/revoke", {})
    assert done.code == 303 and ApiKey.get_by_id(key.id).revoked_at is not None
    assert authenticate(token) is None
    assert (await call(web, "GET", "/api/v1/organisations", token=token)).code == 401


@pytest.mark.gen_test
async def test_key_pages_need_a_signed_in_user(web, make):
    page = await web.get("/user/api-tokens")
    assert page.code == 302 and page.location.startswith("/signin?next=")
    assert (await web.post("/user/api-tokens", {"name": "x", "scopes": ["read"]})).code == 403
    petition = make.petition()
    assert (await web.get(f"/petitions/{petition.slug}/api-settings")).code == 302


def _cli(database, *args):
    env = {**os.environ, "PORTAL_DATABASE_URL": database.database_url, "PORTAL_DATA_DIR": str(database.data_dir),
           "PORTAL_COOKIE_SECRET": database.cookie_secret}
    return subprocess.run([sys.executable, "portal.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_command_line_create_list_revoke(make, database):
    from models.db import db

    org = make.organisation(slug="riverton")
    clerk = make.clerk(org, email="clerk@example.org")
    db.close()
    made = _cli(database, "apikey", "create", "--user", "clerk@example.org", "--scopes", "create,update",
                "--organisation", "riverton", "--name", "records")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip().splitlines()[-1]
    db.connect(reuse_if_open=True)
    key = authenticate(token)
    assert key.user_id == clerk.id and key.scope_set == {"create", "update"} and key.organisation_id == org.id
    db.close()
    listed = _cli(database, "apikey", "list", "--user", "clerk@example.org")
    assert key.prefix in listed.stdout and "riverton" in listed.stdout and token not in listed.stdout
    refused = _cli(database, "apikey", "create", "--user", "clerk@example.org", "--scopes", "update")
    assert refused.returncode != 0 and "exactly one organisation" in refused.stderr
    outsider = _cli(database, "apikey", "create", "--user", make_outsider(database), "--scopes", "update",
                    "--organisation", "riverton")
    assert outsider.returncode != 0 and "not a member" in outsider.stderr
    revoked = _cli(database, "apikey", "revoke", key.prefix)
    assert revoked.returncode == 0, revoked.stderr
    db.connect(reuse_if_open=True)
    assert authenticate(token) is None
    test_key = _cli(database, "apikey", "create", "--user", "clerk@example.org", "--scopes", "read", "--test")
    assert test_key.returncode == 0 and authenticate(test_key.stdout.strip().splitlines()[-1]).is_test


def make_outsider(database):
    from models.user import create_user

    return create_user("outsider@example.org", "Out Sider", "long enough password").email


@pytest.mark.gen_test
async def test_api_settings_page_for_lead_clerks_and_admins_only(web, make):
    org = make.organisation()
    lead = make.user()
    petition = make.petition(organisation=org, lead=lead)
    path = f"/petitions/{petition.slug}/api-settings"
    for outsider in (make.user(), make.clerk(make.organisation()), make.moderator()):
        sign_in_as(web, outsider)
        assert (await web.get(path)).code == 404
        assert (await web.post(path, {"api_enabled": "y"})).code == 404
    for allowed in (lead, make.clerk(org), make.admin()):
        sign_in_as(web, allowed)
        assert (await web.get(path)).code == 200
    sign_in_as(web, lead)
    saved = await web.post(path, {"api_enabled": "y", "allowed_domains": "Forms.Example.org\n\n127.0.0.1:8000\n",
                                  "hidden": "y"})
    assert saved.code == 303 and saved.location.endswith("?saved=1")
    stored = Petition.get_by_id(petition.id)
    assert (stored.api_enabled, stored.domain_list, stored.hidden) == (True, ["forms.example.org", "127.0.0.1:8000"],
                                                                       True)
    page = await web.get(saved.location)
    assert "Settings saved" in page.text and "forms.example.org" in page.text
    fields = {e.field for e in AuditEvent.select().where(AuditEvent.petition_id == petition.id,
                                                        AuditEvent.action.in_(["api_settings", "hidden"]))}
    assert fields == {"api_enabled", "allowed_domains", "hidden"}
    assert (await web.get(f"/petitions/{petition.slug}")).code == 404  # hidden from public pages


@pytest.mark.gen_test
async def test_each_wrong_domain_line_gets_its_own_message(web, make):
    lead = make.user()
    petition = make.petition(lead=lead)
    sign_in_as(web, lead)
    text = "\n".join(["example.com", "https://forms.example.org", "example.org/path", "bad host", "localhost:99999",
                      "under_score.example", "127.0.0.1:8000"])
    reply = await web.post(f"/petitions/{petition.slug}/api-settings", {"api_enabled": "y", "allowed_domains": text})
    assert reply.code == 422
    errors = re.findall(r'<span class="error-line"><span class="visually-hidden">Error:</span> ([^<]+)</span>', reply.text)
    assert len(errors) == 5
    assert errors[0].startswith("Line 2:") and "scheme" in errors[0]
    assert errors[1].startswith("Line 3:") and "path" in errors[1]
    assert errors[2].startswith("Line 4:") and "without spaces" in errors[2]
    assert errors[3].startswith("Line 5:") and "port" in errors[3]
    assert errors[4].startswith("Line 6:") and "not a hostname" in errors[4]
    stored = Petition.get_by_id(petition.id)
    assert (stored.api_enabled, stored.allowed_domains) == (False, "")


def test_command_line_api_settings(make, database):
    from models.db import db

    petition = make.petition()
    db.close()
    done = _cli(database, "api-settings", petition.slug, "--enable", "--domains", "forms.example.org, localhost:8000",
                "--hide")
    assert done.returncode == 0, done.stderr
    assert "enabled" in done.stdout and "hidden from" in done.stdout
    bad = _cli(database, "api-settings", str(petition.id), "--domains", "https://x.example/path")
    assert bad.returncode != 0 and "Line 1" in bad.stderr and "scheme" in bad.stderr
    db.connect(reuse_if_open=True)
    stored = Petition.get_by_id(petition.id)
    assert (stored.api_enabled, stored.domain_list, stored.hidden) == (True, ["forms.example.org", "localhost:8000"],
                                                                       True)
