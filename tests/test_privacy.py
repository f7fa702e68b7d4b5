"""Signers' rights and the lifetime of their data: withdrawal links (and counts that agree in every
dialect afterwards), "what do you hold about me", account export and deletion, the retention job."""
import datetime as dt
import json
import re

import pytest

from jobs.scheduler import run_job
from models import clock, config
from models.audit import AuditEvent
from models.mail import OutboxMessage
from models.petition import Petition
from models.privacy import anonymous_email, withdraw_url
from models.signature import Signature
from models.user import User
from tests.support import PASSWORD, deliver_mail, link_in, mails_in, without_per_response_values
from tests.support_api import call, new_key, sign_in_as
from tests.support_dialects import answer, osdi_headers, token

pytestmark = pytest.mark.usefixtures("relaxed_rate_limits")
WITHDRAW = r"https?://\S+/signatures/withdraw/[0-9]+-[0-9a-f]{32}"


def _path(url):
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


def _count(petition):
    return Petition.get_by_id(petition.id).signature_count


# ---- withdrawal -----------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_the_confirmation_mail_carries_a_withdrawal_link_that_needs_a_post(web, make):
    petition = make.petition()
    reply = await web.post(f"/petitions/{petition.slug}/sign", {"full_name": "Jane Smith", "email": "jane@example.org",
                                                                 "accept_terms": "y"})
    assert reply.code == 303
    deliver_mail()
    message = mails_in(config.current().mail_dir)[-1]
    confirm, withdraw = link_in(message), link_in(message, WITHDRAW)
    assert (await web.post(_path(confirm), {})).code in (200, 303)
    assert _count(petition) == 1
    page = await web.get(_path(withdraw))  # what a mail scanner does: nothing changes
    assert page.code == 200 and "Withdraw my signature" in page.text and "Jane Smith" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert _count(petition) == 1
    done = await web.post(_path(withdraw), {})
    assert done.code == 200 and "withdrawn" in done.text
    assert _count(petition) == 0 and Signature.select().count() == 0
    events = list(AuditEvent.select().where((AuditEvent.petition_id == petition.id)
                                            & (AuditEvent.action == "signature_withdrawn")))
    assert len(events) == 1 and "jane" not in (events[0].actor_label + str(events[0].note)).lower()
    again = await web.post(_path(withdraw), {})
    assert again.code == 404 and _count(petition) == 0
    assert (await web.get(_path(withdraw))).code == 404
    sign_in_as(web, petition.lead_petitioner)
    history = await web.get(f"/my/petitions/{petition.id}")
    assert "withdrew their signature" in history.text and "Jane" not in history.text


@pytest.mark.gen_test
async def test_a_forged_or_closed_withdrawal_is_refused(web, make):
    petition = make.petition()
    signature = make.signature(petition)
    url = withdraw_url(signature)
    forged = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert (await web.post(_path(forged), {})).code == 404
    other = make.signature(petition)
    assert (await web.post(_path(withdraw_url(other)).rsplit("-", 1)[0] + "-" + url.rsplit("-", 1)[1], {})).code == 404
    Petition.update(status="to_process", closed_at=clock.now()).where(Petition.id == petition.id).execute()
    refused = await web.post(_path(url), {})
    assert refused.code == 409 and "closed" in refused.text
    assert _count(petition) == 2


@pytest.mark.gen_test
async def test_counts_agree_in_every_dialect_after_a_withdrawal(web, make):
    petition = make.petition(api_enabled=True)
    signatures = [make.signature(petition) for _ in range(3)]
    secret = token(make, scopes=("read",))

    async def counts():
        v1 = (await call(web, "GET", f"/api/v1/petitions/{petition.slug}/signature-count")).json()["signature_count"]
        v1_list = (await call(web, "GET", f"/api/v1/signatures?petitions={petition.id}", token=secret)).json()["total"]
        wtp = (await web.get(f"/v1/petitions/{petition.id}.json")).json()["results"][0]["signatureCount"]
        wtp_list = (await web.get(f"/v1/petitions/{petition.id}/signatures.json")).json()
        osdi = (await web.get(f"/api/osdi/v1/petitions/{petition.id}", headers=osdi_headers(secret))).json()
        osdi_list = (await web.get(f"/api/osdi/v1/petitions/{petition.id}/signatures",
                                   headers=osdi_headers(secret))).json()
        return {v1, v1_list, wtp, wtp_list["metadata"]["resultset"]["count"], osdi["total_signatures"],
                osdi_list["total_records"]}

    assert await counts() == {3}
    assert (await web.post(_path(withdraw_url(signatures[1])), {})).code == 200
    assert await counts() == {2}


# ---- what do you hold about me ----------------------------------------------------------------------

@pytest.mark.gen_test
async def test_a_signer_gets_the_list_of_their_signatures_by_mail(web, make):
    first, second = make.petition(title="Plant more trees in the park"), make.petition(title="Fix the bridge now please")
    make.signature(first, email="ann@example.org", full_name="Ann Lee", city="Riverton")
    make.signature(second, email="ann@example.org", full_name="Ann Lee", confirmed=False)
    make.signature(second, email="bob@example.org")
    page = await web.get("/my-data")
    assert page.code == 200 and 'name="email"' in page.text
    reply = await web.post("/my-data", {"email": "Ann@Example.org"})
    assert reply.code == 200 and "If we hold signatures" in reply.text
    nobody = await web.post("/my-data", {"email": "nobody@example.org"})
    assert nobody.code == 200 and without_per_response_values(nobody.text) == without_per_response_values(reply.text)
    again = await web.post("/my-data", {"email": "ann@example.org"})  # within the hour: no second mail
    assert again.code == 200
    bad = await web.post("/my-data", {"email": "not an address"})
    assert bad.code == 400 and "valid email address" in bad.text
    deliver_mail()
    mails = [m for m in mails_in(config.current().mail_dir) if "signatures we hold" in m["Subject"]]
    assert len(mails) == 1 and mails[0]["To"] == "ann@example.org"
    body = mails[0].get_body(("plain",)).get_content()
    assert "Plant more trees in the park" in body and "Fix the bridge now please" in body
    assert "Riverton" in body and "bob@example.org" not in body
    links = re.findall(WITHDRAW, body)
    assert len(links) == 2
    assert (await web.post(_path(links[0]), {})).code == 200
    assert _count(first) == 0


# ---- accounts ----------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_an_account_holder_downloads_their_data(web, make):
    user = make.user(email="lead@example.org", name="Lena Lead")
    petition = make.petition(lead=user, title="A petition of my very own")
    make.signature(petition, email="lead@example.org", full_name="Lena Lead")
    new_key(make, ("read",), user=user)
    make.signature(petition, email="someone.else@example.org")
    assert (await web.get("/account/export.json")).code == 302
    await web.sign_in(user)
    reply = await web.get("/account/export.json")
    assert reply.code == 200 and reply.headers["Content-Type"].startswith("application/json")
    assert "attachment" in reply.headers["Content-Disposition"]
    data = reply.json()
    assert data["account"]["email"] == "lead@example.org" and data["account"]["name"] == "Lena Lead"
    assert [p["title"] for p in data["petitions"]] == ["A petition of my very own"]
    assert [s["email"] for s in data["signatures"]] == ["lead@example.org"]
    assert len(data["api_keys"]) == 1 and "secret_hash" not in json.dumps(data)
    assert len(data["sessions"]) == 1 and "someone.else" not in reply.text
    assert "password" not in json.dumps(data).lower()


@pytest.mark.gen_test
async def test_deleting_an_account_keeps_its_petitions_as_a_former_users(web, http_client, base_url, make):
    organisation = make.organisation()
    user = make.user(email="leaving@example.org", name="Leo Leaving", organisation=organisation)
    petition = make.petition(lead=user, status="concept")
    from models.audit import Actor
    from models.petitioning import edit_petition

    edit_petition(petition, Actor.for_user(user), {"title": "A better title for my petition"})
    key, secret = new_key(make, ("read",), user=user)
    await web.sign_in(user)
    wrong = await web.post("/account/delete", {"password": "not my password"})
    assert wrong.code == 400 and "password is not right" in wrong.text
    reply = await web.post("/account/delete", {"password": PASSWORD})
    assert reply.code == 200 and "deleted" in reply.text
    gone = User.get_by_id(user.id)
    assert gone.deleted_at is not None and gone.name == "Former user" and "leaving" not in gone.email
    assert gone.password_hash is None and not gone.memberships.count()
    assert Petition.get_by_id(petition.id).lead_petitioner_id == user.id
    assert (await web.get("/my/petitions")).code == 302
    assert (await call(web, "GET", "/api/v1/petitions", token=secret)).code == 401
    signin = await web.post("/signin", {"email": "leaving@example.org", "password": PASSWORD})
    assert signin.code == 400
    public = await web.get(f"/petitions/{petition.slug}")
    assert "Leo Leaving" not in public.text
    assert AuditEvent.select().where(AuditEvent.actor_label.contains("Leo")).count() == 0
    assert AuditEvent.select().where((AuditEvent.petition_id == petition.id)
                                     & (AuditEvent.actor_label == "Former user")).count() >= 1
    # the address is free again
    assert (await web.post("/signup", {"email": "leaving@example.org", "name": "Leo Again",
                                       "password": "a new password"})).code == 200


# ---- the retention job ------------------------------------------------------------------------------

def _answered(make, closed_at, notices="done"):
    from models.audit import Actor
    from models.petition import transition

    petition = make.petition()
    signatures = [make.signature(petition, city="Riverton", postal_code="1234 AB") for _ in range(3)]
    for step in ("to_process", "in_process"):
        petition = transition(Petition.get_by_id(petition.id), step, Actor.system("test"))
    response = answer(make, [petition])
    response.notices_state = notices
    response.save()
    Petition.update(closed_at=closed_at).where(Petition.id == petition.id).execute()
    return Petition.get_by_id(petition.id), signatures


def test_the_retention_job_anonymises_what_is_due_and_keeps_counts(database, make):
    now = dt.datetime(2027, 9, 1, 3, 0)
    due, due_signatures = _answered(make, dt.datetime(2027, 2, 28, 12, 0))  # 6 months and a bit
    recent, _ = _answered(make, dt.datetime(2027, 3, 2, 12, 0))  # not 6 months yet
    pending, _ = _answered(make, dt.datetime(2026, 1, 1), notices="running")  # notices still going out
    open_one = make.petition()
    make.signature(open_one)
    days = {s.id: s.created_at.date() for s in due_signatures}
    clock.set_global(now)
    result = run_job("signature_retention", trigger="cli")
    assert result["outcome"] == "ok" and result["counts"] == {"anonymised": 3}
    for signature in Signature.select().where(Signature.petition == due.id):
        assert signature.full_name == "" and signature.city is None and signature.postal_code is None
        assert "@" not in signature.email and signature.email == anonymous_email(
            [s for s in due_signatures if s.id == signature.id][0].email)
        assert signature.anonymised_at == now and signature.created_at.date() == days[signature.id]
        assert signature.confirmed_at is not None
    assert _count(due) == 3 and Signature.select().where(Signature.petition == due.id).count() == 3
    for kept in (recent, pending, open_one):
        assert Signature.select().where((Signature.petition == kept.id) & Signature.anonymised_at.is_null(False)
                                        ).count() == 0
        assert all("@" in s.email for s in Signature.select().where(Signature.petition == kept.id))
    # idempotent
    assert run_job("signature_retention", trigger="cli")["counts"] == {"anonymised": 0}
    # the uniqueness rule still holds for the anonymised rows (the keyed hash is stable)
    assert anonymous_email(due_signatures[0].email) == anonymous_email(due_signatures[0].email)
    # the months are a setting
    config.configure(config.current().with_(signature_retention_months=1))
    assert run_job("signature_retention", trigger="cli")["counts"] == {"anonymised": 3}


def test_anonymised_signatures_are_not_in_data_requests_or_withdrawable(database, make):
    from models.errors import NotFound
    from models.privacy import request_signer_data, signature_for_withdrawal, withdraw_token

    petition, signatures = _answered(make, dt.datetime(2026, 1, 1))
    tokens = [withdraw_token(s) for s in signatures]
    clock.set_global(dt.datetime(2027, 1, 1))
    run_job("signature_retention", trigger="cli")
    assert request_signer_data(signatures[0].email) == 0
    assert OutboxMessage.select().where(OutboxMessage.kind == "signer_data").count() == 0
    for value in tokens:
        with pytest.raises(NotFound):
            signature_for_withdrawal(value)


@pytest.mark.gen_test
async def test_signatures_from_every_dialect_are_withdrawn_by_their_mails_link(web, make):
    from tests.test_key_reach import sign_everywhere

    petition = make.petition(api_enabled=True, allowed_domains="forms.example.org")
    _, writer = new_key(make, ("read", "create"))
    results = await sign_everywhere(web, petition, writer, 7)
    assert all(code in (200, 201, 202) for _, code, _ in results), results
    await web.post(f"/petitions/{petition.slug}/sign", {"full_name": "Web Signer", "email": "web7@example.org",
                                                         "accept_terms": "y"})
    deliver_mail()
    mails = {m["To"]: m for m in mails_in(config.current().mail_dir)}
    addresses = ["fm7@example.org", "pe7@example.org", "wtp7@example.org", "osdi7@example.org", "web7@example.org"]
    for address in addresses:
        assert (await web.post(_path(link_in(mails[address])), {})).code in (200, 303), address
    assert _count(petition) == 5
    secret = token(make, scopes=("read",))
    for n, address in enumerate(addresses[:4], 1):
        assert (await web.post(_path(link_in(mails[address], WITHDRAW)), {})).code == 200, address
        v1 = (await call(web, "GET", f"/api/v1/petitions/{petition.slug}/signature-count")).json()["signature_count"]
        wtp = (await web.get(f"/v1/petitions/{petition.id}.json")).json()["results"][0]["signatureCount"]
        osdi = (await web.get(f"/api/osdi/v1/petitions/{petition.id}/signatures",
                              headers=osdi_headers(secret))).json()["total_records"]
        assert v1 == wtp == osdi == 5 - n == Signature.select().where(Signature.confirmed_at.is_null(False)).count()


@pytest.mark.gen_test
async def test_the_periods_stated_are_the_jobs_settings(web, monkeypatch):
    from models.privacy import periods

    monkeypatch.setenv("PORTAL_JOB_SIGNATURE_HYGIENE_DELETE_AFTER_DAYS", "17")
    config.configure(config.current().with_(signature_retention_months=9))
    assert periods()["unconfirmed_signature_days"] == 17 and periods()["signature_retention_months"] == 9
    page = await web.get("/my-data")
    assert "9 months" in page.text and "17 days" in page.text
