"""Rate limits and abuse limits (handlers/ratelimit.py) over real HTTP: one behaviour in every API
dialect, limits on signing in every channel, trusted proxies, and a Redis-backed limit shared by
two application instances."""
import asyncio
import os
import threading
import urllib.parse
import uuid

import pytest
import tornado.httpserver
import tornado.httputil

from handlers import ratelimit
from models.api import update_api_settings
from models.audit import Actor
from models.db import db
from models.mail import OutboxMessage
from models.petition import Petition
from models.signature import Signature
from tests.support import free_port
from tests.support_api import call, new_key

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ORIGIN = "https://forms.example.org"
VICTIM = "victim@example.org"
SIGN_FORM = {"full_name": "Jane Doe", "email": VICTIM, "accept_terms": "y"}


# ---- helpers ---------------------------------------------------------------------------------------

def read_call(dialect, token):
    """(path, headers) of a read call with `token` in the dialect's own way."""
    return {"v1": ("/api/v1/petitions", {"Authorization": f"Bearer {token}"}),
            "wtp": (f"/v1/petitions?api_key={token}", {}),
            "osdi": ("/api/osdi/v1/petitions", {"OSDI-API-Token": token})}[dialect]


def assert_limited_in_shape(dialect, reply):
    assert reply.code == 429, reply.text
    assert 1 <= int(reply.headers["Retry-After"]) <= 3600
    body = reply.json()
    if dialect == "v1":
        assert body["error"] in ("rate_limited", "too_many_mails") and "Fix:" in body["message"]
    elif dialect == "wtp":
        assert body["metadata"]["responseInfo"]["status"] == "429"
        assert "Fix:" in body["metadata"]["responseInfo"]["userMessage"]
    else:
        assert body["osdi:error"]["response_code"] == 429
        assert "Fix:" in body["error"]


def api_petition(make, lead):
    petition = make.petition(lead=lead)
    update_api_settings(petition, Actor.for_user(lead), api_enabled=True, allowed_domains="forms.example.org",
                        hidden=False)
    return Petition.get_by_id(petition.id)


def signer_key(make):
    """A create key whose owner leads the petitions it signs (keys reach their own petitions)."""
    lead = make.user()
    _key, token = new_key(make, scopes=("create", "read"), user=lead)
    return lead, token


async def api_sign(web, channel, petition, token, email, origin=None):
    headers = {"Origin": origin} if origin else {}
    if channel == "forbrukermakt":
        return await call(web, "POST", f"/api/v1/petitions/{petition.slug}/signatures",
                          {"full_name": "Jane Doe", "email": email, "accept_terms": True}, token=token,
                          headers={"Origin": origin or ORIGIN})
    if channel == "petitions_eu":
        return await call(web, "POST", f"/api/v1/petitions/{petition.id}/signature",
                          {"name": "Jane Doe", "email": email}, token=token, headers=headers)
    if channel == "wtp":
        return await call(web, "POST", f"/v1/signatures?api_key={token}",
                          {"petition_id": str(petition.id), "email": email, "first_name": "Jane",
                           "last_name": "Doe"}, headers=headers)
    return await call(web, "POST", f"/api/osdi/v1/petitions/{petition.id}/record_signature_helper",
                      {"person": {"given_name": "Jane", "family_name": "Doe",
                                  "email_addresses": [{"address": email, "primary": True}]}},
                      headers={"OSDI-API-Token": token, **headers})


SHAPE_OF = {"forbrukermakt": "v1", "petitions_eu": "v1", "wtp": "wtp", "osdi": "osdi"}


def mails_to(address):
    return OutboxMessage.select().where(OutboxMessage.to_address == address).count()


@pytest.fixture(autouse=True)
def patient_redis(monkeypatch):
    """A Redis call that times out lets its requests through uncounted (by design); on a busy CI
    machine a slow answer is not that, so these tests wait for Redis as long as they must."""
    monkeypatch.setattr(ratelimit, "REDIS_TIMEOUT", 30)


def redis_or_skip():
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=10).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {error}")


def start_server(database, limiter):
    """A second application instance on its own port (as a second process would be)."""
    import portal

    server = tornado.httpserver.HTTPServer(portal.make_app(database, limiter=limiter))
    port = free_port()
    server.listen(port, address="127.0.0.1")
    return server, f"http://127.0.0.1:{port}"


# ---- one rate-limit behaviour in every dialect -----------------------------------------------------

@pytest.mark.gen_test(timeout=120)
@pytest.mark.parametrize("dialect", ["v1", "wtp", "osdi"])
async def test_over_the_burst_a_call_waits_for_the_next_window_in_every_dialect(web, make, monkeypatch, dialect):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "2")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1000")
    _key, token = new_key(make)
    path, headers = read_call(dialect, token)
    replies = await asyncio.gather(*(web.get(path, headers=headers) for _ in range(4)))
    assert [reply.code for reply in replies] == [200] * 4, [reply.text[:200] for reply in replies]


@pytest.mark.gen_test(timeout=120)
@pytest.mark.parametrize("dialect", ["v1", "wtp", "osdi"])
async def test_over_the_sustained_limit_a_429_with_retry_after_in_the_dialects_shape(web, make, monkeypatch,
                                                                                   dialect):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "3")
    _key, token = new_key(make)
    path, headers = read_call(dialect, token)
    codes = [(await web.get(path, headers=headers)).code for _ in range(3)]
    assert codes == [200] * 3
    limited = await web.get(path, headers=headers)
    assert_limited_in_shape(dialect, limited)
    assert int(limited.headers["Retry-After"]) <= 60 and "per minute" in limited.text
    _other, other_token = new_key(make)
    other_path, other_headers = read_call(dialect, other_token)
    assert (await web.get(other_path, headers=other_headers)).code == 200  # counted per key


@pytest.mark.gen_test(timeout=120)
async def test_a_browser_on_an_allowed_site_can_read_a_429_from_the_signing_route(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1")
    lead, token = signer_key(make)
    petition = api_petition(make, lead)
    assert (await api_sign(web, "forbrukermakt", petition, token, "first@example.org")).code == 202
    limited = await api_sign(web, "forbrukermakt", petition, token, "second@example.org")
    assert_limited_in_shape("v1", limited)
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Retry-After" in limited.headers["Access-Control-Expose-Headers"]


@pytest.mark.gen_test(timeout=120)
async def test_a_browser_on_an_allowed_site_can_read_a_429_from_we_the_peoples_signing(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1")
    lead, token = signer_key(make)
    petition = api_petition(make, lead)
    assert (await api_sign(web, "wtp", petition, token, "first@example.org", origin=ORIGIN)).code == 200
    limited = await api_sign(web, "wtp", petition, token, "second@example.org", origin=ORIGIN)
    assert_limited_in_shape("wtp", limited)
    assert limited.headers["Access-Control-Allow-Origin"] == ORIGIN
    elsewhere = await api_sign(web, "wtp", petition, token, "third@example.org", origin="https://elsewhere.example")
    assert elsewhere.code == 429 and "Access-Control-Allow-Origin" not in elsewhere.headers


@pytest.mark.gen_test(timeout=120)
async def test_a_burst_beyond_the_wait_budget_answers_429(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "1")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1000")
    _key, token = new_key(make)
    replies = await asyncio.gather(*(call(web, "GET", "/api/v1/organisations", token=token) for _ in range(20)))
    codes = [reply.code for reply in replies]
    assert 200 in codes and 429 in codes and set(codes) == {200, 429}
    limited = next(reply for reply in replies if reply.code == 429)
    assert limited.headers["Retry-After"] == "1" and "per second" in limited.json()["message"]


@pytest.mark.gen_test(timeout=120)
async def test_calls_without_a_key_count_per_client_address_and_need_no_database_table(web, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "2")
    for _ in range(2):
        assert (await web.get("/api/v1/petitions/nothing/signature-count")).code == 404
    assert_limited_in_shape("v1", await web.get("/api/v1/petitions/nothing/signature-count"))
    assert_limited_in_shape("wtp", await web.get("/v1/petitions"))  # the same address, another dialect
    assert "api_rate_window" not in db.get_tables()  # 0013: nothing is counted in the database


@pytest.mark.gen_test(timeout=120)
async def test_invalid_keys_count_against_the_client_address(web, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "0")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "3")
    codes = [(await call(web, "GET", "/api/v1/petitions", token=f"guess-{n}")).code for n in range(3)]
    assert codes == [401] * 3
    assert_limited_in_shape("v1", await call(web, "GET", "/api/v1/petitions", token="guess-4"))


def test_the_memory_limiter_starts_no_threads_and_forgets_old_windows():
    from limits import RateLimitItemPerHour, RateLimitItemPerSecond

    now = [1_000_000.0]
    limiter = ratelimit.Limiter()
    limiter.storage = ratelimit.QuietMemoryStorage(clock=lambda: now[0])
    limiter.strategy = ratelimit.FixedWindowRateLimiter(limiter.storage)
    before = {thread for thread in threading.enumerate() if isinstance(thread, threading.Timer)}
    second, hour = RateLimitItemPerSecond(5), RateLimitItemPerHour(2)
    results = [limiter.hit([second], f"ip:192.0.2.{n % 50}") is None for n in range(500)]
    assert results.count(True) == 250  # 5 of each address's 10 hits in this second
    assert limiter.hit([hour], "mail:a") is None and limiter.hit([hour], "mail:a") is None
    assert limiter.hit([hour], "mail:a") == hour
    assert {thread for thread in threading.enumerate() if isinstance(thread, threading.Timer)} <= before
    now[0] += 2  # the second's windows ended; the hour's did not
    assert limiter.hit([second], "ip:192.0.2.1") is None
    assert sorted(limiter.storage.storage) == sorted([second.key_for("ip:192.0.2.1"), hour.key_for("mail:a")])
    assert limiter.hit([hour], "mail:a") == hour and 3590 < limiter.seconds_left(hour, "mail:a") <= 3600
    now[0] += 3600
    assert limiter.hit([hour], "mail:a") is None  # a new hour


# ---- Redis: several instances share one limit --------------------------------------------------------

@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_the_limiter_counts_every_hit_across_threads(storage):
    """Five threads (with Redis: five limiters, like five processes) share one count: exactly 50 of
    60 hits pass a limit of 50 per minute."""
    from limits import RateLimitItemPerMinute

    if storage == "redis":
        redis_or_skip()
        prefix = f"portal-test-{uuid.uuid4().hex[:12]}"
        limiters = [ratelimit.Limiter(REDIS_URL, prefix) for _ in range(5)]
    else:
        limiters = [ratelimit.Limiter()] * 5
    item = RateLimitItemPerMinute(50)
    passed = []

    def worker(limiter):
        for _ in range(12):
            passed.append(limiter.hit([item], "key:shared") is None)

    threads = [threading.Thread(target=worker, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(passed) == 60 and passed.count(True) == 50


async def until(condition, seconds=60):
    """Wait until condition() holds (a loaded machine is slow, not broken)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)


def sent(*limiters):
    """Every hit these limiters counted has been answered by Redis (SharedWindows' batches)."""
    return lambda: all(limiter.windows.idle for limiter in limiters)


def redis_instances(database, count=2):
    """`count` application instances sharing one Redis (as processes on several machines would)."""
    redis_or_skip()
    prefix = f"portal-test-{uuid.uuid4().hex[:12]}"
    return [start_server(database, ratelimit.Limiter(REDIS_URL, prefix)) for _ in range(count)]


@pytest.mark.gen_test(timeout=120)
async def test_a_redis_backed_limit_is_shared_by_two_app_instances(web, make, database, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "100")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "4")
    instances = redis_instances(database)
    urls = [url for _server, url in instances]
    try:
        _key, token = new_key(make)
        headers = {"Authorization": f"Bearer {token}"}
        limiters = [server.request_callback.settings["limiter"] for server, _url in instances]
        codes = []
        for url in urls * 2:
            codes.append((await web.get(f"{url}/api/v1/organisations", headers=headers)).code)
            # each instance's hits are in Redis within SYNC_SECONDS, and an instance whose view is
            # older than STALE_SECONDS asks afresh: past it, the other instance's calls count here too
            await until(sent(*limiters))
            await asyncio.sleep(ratelimit.STALE_SECONDS + ratelimit.SYNC_SECONDS)
        assert codes == [200] * 4
        for url in urls:
            assert_limited_in_shape("v1", await web.get(f"{url}/api/v1/organisations", headers=headers))
    finally:
        for server, _url in instances:
            server.stop()


@pytest.mark.gen_test(timeout=120)
async def test_a_burst_through_two_instances_on_redis_is_paced(web, make, database, monkeypatch):
    monkeypatch.setenv("PORTAL_API_RATE_BURST", "2")
    monkeypatch.setenv("PORTAL_API_RATE_PER_MINUTE", "1000")
    instances = redis_instances(database)
    try:
        _key, token = new_key(make)
        replies = await asyncio.gather(*(web.get(f"{url}/api/osdi/v1/petitions", headers={"OSDI-API-Token": token})
                                         for _server, url in instances * 3))
        assert [reply.code for reply in replies] == [200] * 6
    finally:
        for server, _url in instances:
            server.stop()


@pytest.mark.gen_test(timeout=120)
async def test_an_unreachable_redis_lets_requests_through(web, make, database):
    limiter = ratelimit.Limiter(f"redis://127.0.0.1:{free_port()}/0", "portal-down")
    server, url = start_server(database, limiter)
    try:
        _key, token = new_key(make)
        reply = await web.get(f"{url}/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
        assert reply.code == 200, reply.text
        await until(lambda: limiter.down_until > 0)  # its batch failed: the next calls leave Redis alone a while
        reply = await web.get(f"{url}/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
        assert reply.code == 200, reply.text
    finally:
        server.stop()


@pytest.mark.gen_test(timeout=120)
async def test_requests_counted_in_batches_all_reach_redis_and_two_processes_stay_near_the_limit():
    """Two limiters (two processes) count 300 concurrent calls against 100 per minute: every hit is
    in Redis afterwards, and together they admit the limit plus at most what the other admitted
    within one batch interval or two."""
    from limits import RateLimitItemPerMinute

    redis_or_skip()
    prefix = f"portal-test-{uuid.uuid4().hex[:12]}"
    limiters = [ratelimit.Limiter(REDIS_URL, prefix) for _ in range(2)]
    item = RateLimitItemPerMinute(100)
    admitted = []

    async def calls(limiter):
        for _ in range(150):
            admitted.append(not await limiter.hit_each_async([item], "key:together"))
            await asyncio.sleep(0.001)  # requests arrive over time, as they do

    await asyncio.gather(*(calls(limiter) for limiter in limiters))
    await until(sent(*limiters))
    assert int(limiters[0].storage.get_connection().get(limiters[0].storage.prefixed_key(
        item.key_for("key:together")))) == 300  # every hit counted
    assert 100 <= admitted.count(True) <= 140, admitted.count(True)


@pytest.mark.gen_test(timeout=120)
async def test_a_redis_that_forgot_the_script_still_gets_every_hit():
    """A restarted or flushed Redis has forgotten the increment script: the batch loads it and is
    sent again, no hit lost and none counted twice."""
    import redis
    from limits import RateLimitItemPerMinute

    redis_or_skip()
    limiter = ratelimit.Limiter(REDIS_URL, f"portal-test-{uuid.uuid4().hex[:12]}")
    item = RateLimitItemPerMinute(100)
    await limiter.hit_each_async([item], "key:forgot")
    await until(sent(limiter))
    redis.Redis.from_url(REDIS_URL).script_flush()
    for _ in range(2):
        assert await limiter.hit_each_async([item], "key:forgot") == []
    await until(sent(limiter))
    key = limiter.storage.prefixed_key(item.key_for("key:forgot"))
    assert int(limiter.storage.get_connection().get(key)) == 3
    assert limiter.down_until == 0  # no failure was taken for Redis being down


# ---- abuse limits on web signing -------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=300)
async def test_sixty_quick_signatures_from_one_client_are_cut_off_with_a_clear_page(web, make):
    petition = make.petition()
    codes = []
    for n in range(60):
        reply = await web.post(f"/petitions/{petition.slug}/sign", {**SIGN_FORM, "email": f"person{n}@example.org"})
        codes.append(reply.code)
    assert codes == [303] * 10 + [429] * 50  # PORTAL_SIGN_RATE_PER_CLIENT: 10/minute
    assert Signature.select().count() == 10
    assert "Too many signatures came from your network" in reply.text and reply.headers["Retry-After"]


@pytest.mark.gen_test(timeout=300)
async def test_a_mail_flood_to_one_address_sends_one_mail_and_shows_the_same_page(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_SIGN_RATE_PER_CLIENT", "0")  # many clients at once: only the address limits
    petition = make.petition()
    locations = set()
    for _ in range(25):
        reply = await web.post(f"/petitions/{petition.slug}/sign", SIGN_FORM)
        assert reply.code == 303
        locations.add(reply.location)
    assert locations == {f"/petitions/{petition.slug}/signed"}
    assert mails_to(VICTIM) == 1  # a repeated signature: one mail per PORTAL_SIGN_REPEAT_MAIL_MINUTES
    for _ in range(8):  # across petitions: PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR (5)
        other = make.petition()
        reply = await web.post(f"/petitions/{other.slug}/sign", SIGN_FORM)
        assert reply.code == 303 and reply.location == f"/petitions/{other.slug}/signed"
    assert mails_to(VICTIM) == 5


@pytest.mark.gen_test(timeout=120)
async def test_the_mail_limits_are_configurable(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_SIGN_REPEAT_MAIL_MINUTES", "0")
    monkeypatch.setenv("PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR", "3")
    petition = make.petition()
    for _ in range(5):
        assert (await web.post(f"/petitions/{petition.slug}/sign", SIGN_FORM)).code == 303
    assert mails_to(VICTIM) == 3


# ---- abuse limits on the four API signing paths -------------------------------------------------------

@pytest.mark.gen_test(timeout=120)
@pytest.mark.parametrize("channel", ["forbrukermakt", "petitions_eu", "wtp", "osdi"])
async def test_api_signing_mails_one_address_a_few_times_an_hour_then_429(web, make, monkeypatch, channel):
    monkeypatch.setenv("PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR", "2")
    lead, token = signer_key(make)
    petitions = [api_petition(make, lead) for _ in range(3)]
    for petition in petitions[:2]:
        reply = await api_sign(web, channel, petition, token, VICTIM)
        assert reply.code in (200, 202), reply.text
    limited = await api_sign(web, channel, petitions[2], token, VICTIM.upper())
    assert_limited_in_shape(SHAPE_OF[channel], limited)
    assert mails_to(VICTIM) == 2 and Signature.select().count() == 2
    other = await api_sign(web, channel, petitions[2], token, "someone.else@example.org")
    assert other.code in (200, 202), other.text


@pytest.mark.gen_test(timeout=120)
@pytest.mark.parametrize("channel", ["forbrukermakt", "petitions_eu", "wtp", "osdi"])
async def test_api_signing_from_a_browser_counts_per_client_address(web, make, monkeypatch, channel):
    monkeypatch.setenv("PORTAL_SIGN_RATE_PER_CLIENT", "3/minute")
    lead, token = signer_key(make)
    petition = api_petition(make, lead)
    for n in range(3):
        reply = await api_sign(web, channel, petition, token, f"person{n}@example.org", origin=ORIGIN)
        assert reply.code in (200, 202, 403), reply.text  # 403: a channel that refuses this Origin
    assert_limited_in_shape(SHAPE_OF[channel], await api_sign(web, channel, petition, token, "late@example.org",
                                                             origin=ORIGIN))


# ---- trusted proxies -------------------------------------------------------------------------------------

@pytest.mark.gen_test(timeout=120)
async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(web, make, monkeypatch):
    monkeypatch.delenv("PORTAL_TRUSTED_PROXIES", raising=False)
    monkeypatch.setenv("PORTAL_SIGN_RATE_PER_CLIENT", "3/minute")
    petition = make.petition()
    codes = []
    for n in range(5):
        rotated = {"X-Forwarded-For": f"203.0.113.{n}", "X-Real-Ip": f"198.51.100.{n}"}
        reply = await web.post(f"/petitions/{petition.slug}/sign", {**SIGN_FORM, "email": f"p{n}@example.org"},
                               headers=rotated)
        codes.append(reply.code)
    assert codes == [303, 303, 303, 429, 429]


@pytest.mark.gen_test(timeout=120)
async def test_a_trusted_proxy_is_honoured(web, make, monkeypatch):
    monkeypatch.setenv("PORTAL_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    monkeypatch.setenv("PORTAL_SIGN_RATE_PER_CLIENT", "3/minute")
    petition = make.petition()
    for n in range(5):  # five clients behind the proxy: each has its own limit
        reply = await web.post(f"/petitions/{petition.slug}/sign", {**SIGN_FORM, "email": f"p{n}@example.org"},
                               headers={"X-Forwarded-For": f"203.0.113.{n}, 10.1.2.3"})
        assert reply.code == 303
    codes = []
    for n in range(4):  # one client, whatever it claims further left
        reply = await web.post(f"/petitions/{petition.slug}/sign", {**SIGN_FORM, "email": f"q{n}@example.org"},
                               headers={"X-Forwarded-For": f"192.0.2.{n}, 198.51.100.7"})
        codes.append(reply.code)
    assert codes == [303, 303, 303, 429]


@pytest.mark.slow
def test_serve_ignores_forwarded_headers_from_an_untrusted_peer(make, database):
    """`serve` itself (it used to pass xheaders=True, trusting the headers of anyone)."""
    import http.client
    import socket

    from tests.support_jobs import start_cli, wait_for

    petition = make.petition()
    port = free_port()
    child = start_cli(database, "serve", "--port", str(port), PORTAL_RUN_JOBS="0",
                      PORTAL_SIGN_RATE_PER_CLIENT="3/minute")
    try:
        def listening():
            assert child.poll() is None, child.stdout.read()
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for(listening, timeout=120, what="serve to listen")
        codes = []
        for n in range(5):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            body = urllib.parse.urlencode({**SIGN_FORM, "email": f"p{n}@example.org", "_xsrf": "0123456789abcdef"})
            connection.request("POST", f"/petitions/{petition.slug}/sign", body=body, headers={
                "Content-Type": "application/x-www-form-urlencoded", "Cookie": "_xsrf=0123456789abcdef",
                "X-Forwarded-For": f"203.0.113.{n}", "X-Real-Ip": f"198.51.100.{n}"})
            codes.append(connection.getresponse().status)
            connection.close()
        assert codes == [303, 303, 303, 429, 429]
    finally:
        child.terminate()
        child.communicate(timeout=60)


def request_from(peer, **headers):
    request = tornado.httputil.HTTPServerRequest(
        start_line=tornado.httputil.RequestStartLine("GET", "/", "HTTP/1.1"),
        headers=tornado.httputil.HTTPHeaders({"Host": "portal.example", **{k.replace("_", "-"): v for k, v in headers.items()}}))
    request.remote_ip = peer
    return request


def test_client_address_reads_forwarded_headers_only_from_trusted_peers():
    env = {"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8 ::1"}
    address = ratelimit.client_address
    assert address(request_from("192.0.2.1", X_Forwarded_For="203.0.113.9"), env) == "192.0.2.1"
    assert address(request_from("10.0.0.2", X_Forwarded_For="203.0.113.9"), env) == "203.0.113.9"
    assert address(request_from("10.0.0.2", X_Forwarded_For="1.1.1.1, 203.0.113.9, 10.0.0.5"), env) == "203.0.113.9"
    assert address(request_from("10.0.0.2", X_Real_Ip="203.0.113.10"), env) == "203.0.113.10"
    assert address(request_from("10.0.0.2", X_Forwarded_For="not-an-address"), env) == "10.0.0.2"
    assert address(request_from("::1", X_Forwarded_For="2001:db8::5"), env) == "2001:db8::5"
    assert address(request_from("10.0.0.2"), {}) == "10.0.0.2"
    assert ratelimit.address_bucket("2001:db8:1:2:3::9") == ratelimit.address_bucket("2001:db8:1:2:ffff::1")
    assert ratelimit.forwarded_protocol(request_from("10.0.0.2", X_Forwarded_Proto="https"), env) == "https"
    assert ratelimit.forwarded_protocol(request_from("192.0.2.1", X_Forwarded_Proto="https"), env) == "http"


def test_a_malformed_setting_is_named():
    with pytest.raises(ValueError, match="PORTAL_SIGN_RATE_PER_CLIENT"):
        ratelimit.check_settings({"PORTAL_SIGN_RATE_PER_CLIENT": "lots"})
    with pytest.raises(ValueError, match="PORTAL_TRUSTED_PROXIES"):
        ratelimit.check_settings({"PORTAL_TRUSTED_PROXIES": "10.0.0.0/8 proxy.example"})
    with pytest.raises(ValueError, match="PORTAL_API_RATE_BURST"):
        ratelimit.check_settings({"PORTAL_API_RATE_BURST": "ten"})
    ratelimit.check_settings({"PORTAL_API_RATE_BURST": "0", "PORTAL_SIGN_RATE_PER_CLIENT": "5/minute;20/hour"})
