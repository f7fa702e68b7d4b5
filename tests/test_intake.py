"""Intake under load (issue 10): group commit, mail rendered at delivery, the short caches with their
bounds, cacheable reads (Cache-Control, ETag, 304), SQLite writers that wait, 503 when the database
is unreachable."""
import asyncio
import json
import re
import threading

import peewee as pw
import pytest

from models import cache
from models.apikey import revoke
from models.db import db, is_postgres
from models.errors import ServiceUnavailable, from_database
from models.mail import OutboxMessage
from models.signature import Signature
from tests.support import deliver_mail, link_in, mails_in
from tests.support_api import call, new_key
from tests.test_api_signing import api_petition


@pytest.fixture
def caches_on():
    """The caches with long bounds, so a test can see that they keep values (then off again)."""
    cache.set_bounds(keys=3600, petitions=3600, pages=3600)
    yield
    cache.set_bounds(keys=0, petitions=0, pages=0)


def eu_sign(web, petition, token, name="Jo Bloggs", email="jo@example.org"):
    return call(web, "POST", f"/api/v1/petitions/{petition.id}/signature", {"name": name, "email": email},
                token=token)


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_concurrent_signatures_are_committed_together_and_a_duplicate_sinks_no_neighbour(web, make):
    petition = api_petition(make)
    _, token = new_key(make, scopes=("create",))
    emails = [f"signer{n}@example.org" for n in range(40)] + ["signer7@example.org", "signer8@example.org"]
    replies = await asyncio.gather(*(eu_sign(web, petition, token, name=f"Signer {n}", email=email)
                                     for n, email in enumerate(emails)))
    codes = sorted(reply.code for reply in replies)
    assert codes == [200] * 40 + [409] * 2, [r.text for r in replies if r.code != 200]
    stored = {s.email for s in Signature.select(Signature.email).where(Signature.petition == petition.id)}
    assert stored == set(emails)
    mails = OutboxMessage.select().where(OutboxMessage.kind == "confirm_signature")
    assert sorted(m.to_address for m in mails) == sorted(set(emails))


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_confirmation_mail_is_rendered_when_delivered(web, make, database):
    petition = api_petition(make)
    _, token = new_key(make, scopes=("create",))
    assert (await eu_sign(web, petition, token)).code == 200
    queued = OutboxMessage.get()
    assert queued.body == "" and json.loads(queued.params)["signature"] == Signature.get().id
    assert deliver_mail()["sent"] == 1
    [message] = mails_in(database.mail_dir)
    assert petition.title in message["Subject"]
    path = "/" + link_in(message).split("/", 3)[3]
    assert (await web.post(path, {})).code == 200
    assert Signature.get().confirmed_at is not None


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("relaxed_rate_limits")
async def test_a_mail_whose_signature_is_gone_is_not_sent(web, make, database):
    petition = api_petition(make)
    _, token = new_key(make, scopes=("create",))
    assert (await eu_sign(web, petition, token)).code == 200
    Signature.delete().execute()
    assert deliver_mail() == {"sent": 0, "retry": 0, "failed": 1}
    assert mails_in(database.mail_dir) == []


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("relaxed_rate_limits", "caches_on")
async def test_count_is_cacheable_with_etag_and_304_and_kept_for_the_micro_cache_bound(web, make):
    petition = api_petition(make)
    path = f"/api/v1/petitions/{petition.slug}/signature-count"
    first = await web.get(path)
    assert first.code == 200 and first.json()["signature_count"] == 0
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    etag = first.headers["Etag"]
    again = await web.fetch(path, headers={"If-None-Match": etag})
    assert again.code == 304 and again.body == b""
    make.signature(petition)  # a confirmed signature: the count rises in the database
    assert (await web.get(path)).json()["signature_count"] == 0  # within the (here: long) bound
    cache.set_bounds(pages=0)
    fresh = await web.get(path)
    assert fresh.json()["signature_count"] == 1 and fresh.headers["Etag"] != etag


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("relaxed_rate_limits", "caches_on")
async def test_a_revoked_key_stops_at_once_in_the_revoking_process(web, make):
    petition = api_petition(make)
    key, token = new_key(make, scopes=("create",))
    assert (await eu_sign(web, petition, token)).code == 200
    revoke(key)
    reply = await eu_sign(web, petition, token, email="second@example.org")
    assert reply.code == 401, reply.text


@pytest.mark.gen_test(timeout=120)
@pytest.mark.usefixtures("caches_on")
async def test_cached_petition_page_gives_each_visitor_their_own_xsrf_token(http_client, base_url, make):
    from tests.support import WebClient

    petition = make.petition()
    one, two = WebClient(http_client, base_url), WebClient(http_client, base_url)
    first, second = await one.get(f"/petitions/{petition.slug}"), await two.get(f"/petitions/{petition.slug}")
    assert first.code == second.code == 200
    assert first.headers["Etag"] == second.headers["Etag"]
    assert first.headers["Cache-Control"].startswith("private, max-age=")
    tokens = [re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1) for page in (first, second)]
    assert tokens[0] != tokens[1] and one.cookies["_xsrf"] != two.cookies["_xsrf"]
    revalidated = await one.fetch(f"/petitions/{petition.slug}", headers={"If-None-Match": first.headers["Etag"]})
    assert revalidated.code == 304
    for client, email, token in ((one, "one@example.org", tokens[0]), (two, "two@example.org", tokens[1])):
        reply = await client.post(f"/petitions/{petition.slug}/sign",
                                  {"_xsrf": token, "full_name": "Jo Bloggs", "email": email, "accept_terms": "y"})
        assert reply.code == 303, reply.text
    swapped = await one.post(f"/petitions/{petition.slug}/sign",
                             {"_xsrf": tokens[1], "full_name": "Jo Bloggs", "email": "x@example.org", "accept_terms": "y"})
    assert swapped.code == 403
    assert Signature.select().count() == 2
    home = await one.get("/")
    assert home.code == 200 and home.headers["Cache-Control"].startswith("public, max-age=")


def test_sqlite_writers_wait_for_the_lock_instead_of_failing(backend, make):
    """Read-then-write transactions in several threads: with BEGIN IMMEDIATE none gets 'database is locked'."""
    petition = make.petition()
    errors, done = [], []

    def writer(n):
        try:
            with db.connection_context():
                for i in range(15):
                    with db.atomic():
                        Signature.select().where(Signature.petition == petition.id).count()
                        Signature.create(petition=petition.id, full_name="Jo Bloggs", email=f"w{n}-{i}@example.org",
                                         created_at=petition.created_at, source="web")
            done.append(n)
        except Exception as error:  # collected: the assertion below names it
            errors.append(repr(error))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(done) == 6
    assert Signature.select().count() == 6 * 15


def test_an_unreachable_or_locked_database_means_503_not_500(backend):
    assert isinstance(from_database(pw.InterfaceError("connection already closed")), ServiceUnavailable)
    if is_postgres():
        assert isinstance(from_database(pw.OperationalError("server closed the connection")), ServiceUnavailable)
    else:
        assert isinstance(from_database(pw.OperationalError("database is locked")), ServiceUnavailable)
        assert from_database(pw.OperationalError('near "selec": syntax error')) is None  # a bug stays a 500


def test_a_batch_stores_every_character_a_signer_may_send(make):
    """The writer's batch (one COPY or multi-row INSERT per table) stores text exactly: line breaks, tabs,
    backslashes, quotes and letters beyond ASCII in a comment; and each mail names its own signature."""
    from models import signature as signatures

    petition = make.petition()
    comments = ["Line one\nline two\r\nand a\ttab", "C:\\path\\to\\N and \\N", "It's \"quoted\"; ünïcödé ✓ 東京",
                None]
    pendings = [signatures.prepare(petition, full_name=f"Signer {n} Doe", email=f"batch{n}@example.org",
                                   comment=comment, source="api_v1", notify_duplicate=False)
                for n, comment in enumerate(comments)]
    results = signatures.store_batch(pendings)
    for result, comment in zip(results, comments):
        stored = Signature.get_by_id(result.signature.id)
        assert stored.comment == (comment.strip() if comment else None)
        assert stored.email == result.signature.email and stored.petition_id == petition.id
        mail = OutboxMessage.get(OutboxMessage.to_address == stored.email)
        assert json.loads(mail.params)["signature"] == stored.id
    # the batch's ids come from the table's own sequence: the next insert does not collide
    after = signatures.submit(petition, full_name="After Batch", email="after@example.org")
    assert after.created and after.signature.id > max(result.signature.id for result in results)
