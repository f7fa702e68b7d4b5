"""Operations over real HTTP and real processes: /healthz, Prometheus metrics (token, separate
address, several processes), the public address `serve` derives from its port, a busy port."""
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

import pytest

from models import metrics
from models.db import SchemaMigration, db, make_database
from tests.support import free_port
from tests.support import Factory
from tests.support_jobs import ROOT, child_env, start_cli, wait_for

TOKEN = "metrics-token-for-tests-0123456789"


def scrape_value(text, name, **labels):
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line.split("}")[0] if "{" in line else ""))
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


# ---- /healthz ------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_healthz_is_200_json_without_cookies(web):
    reply = await web.get("/healthz")
    assert reply.code == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.json() == {"status": "ok", "database": "ok", "schema": "current"}
    assert "Set-Cookie" not in reply.headers
    assert reply.headers["Cache-Control"] == "no-store"


@pytest.mark.gen_test
async def test_healthz_is_503_while_a_migration_is_pending(web):
    last = SchemaMigration.select().order_by(SchemaMigration.version.desc()).first()
    SchemaMigration.delete().where(SchemaMigration.version == last.version).execute()
    try:
        reply = await web.get("/healthz")
    finally:
        SchemaMigration.create(version=last.version, applied_at=last.applied_at)
    assert reply.code == 503
    assert int(reply.headers["Retry-After"]) > 0
    assert reply.json() == {"status": "unavailable", "database": "ok", "schema": "migrations pending",
                            "pending": [last.version]}
    assert (await web.get("/healthz")).code == 200


@pytest.mark.gen_test
async def test_healthz_is_503_when_the_database_cannot_be_reached(web):
    # A real PostgreSQL client connecting to a port where nothing listens.
    unreachable = make_database(f"postgresql://portal@127.0.0.1:{free_port()}/portal")
    previous = db.obj
    db.initialize(unreachable)
    try:
        reply = await web.get("/healthz")
    finally:
        db.initialize(previous)
    assert reply.code == 503
    assert reply.headers["Retry-After"]
    body = reply.json()
    assert body["status"] == "unavailable" and body["database"] == "unreachable"
    assert "127.0.0.1" not in reply.text and "portal@" not in reply.text  # no connection details
    assert (await web.get("/healthz")).code == 200


# ---- /metrics ------------------------------------------------------------------------------------------

@pytest.mark.gen_test
async def test_metrics_are_not_public_without_a_token(web, monkeypatch):
    monkeypatch.delenv("PORTAL_METRICS_TOKEN", raising=False)
    assert (await web.get("/metrics")).code == 404
    monkeypatch.setenv("PORTAL_METRICS_TOKEN", TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN},
                    {"Authorization": f"Basic {TOKEN}"}):
        reply = await web.get("/metrics", headers=headers)
        assert reply.code == 401, headers
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        assert "portal_" not in reply.text
    assert (await web.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).code == 200


@pytest.mark.gen_test
async def test_metrics_count_requests_by_route_signatures_jobs_and_the_outbox(web, make, monkeypatch):
    from jobs.scheduler import run_job
    from models.mail import OutboxMessage

    monkeypatch.setenv("PORTAL_METRICS_TOKEN", TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    petition = make.petition("live")
    route = "/petitions/([^/]+)"

    before = (await web.get("/metrics", headers=auth)).text
    for _ in range(3):
        assert (await web.get(f"/petitions/{petition.slug}")).code == 200
    assert (await web.get("/petitions/no-such-petition")).code == 404
    signed = await web.post(f"/petitions/{petition.slug}/sign",
                            {"full_name": "Metric Signer", "email": "metric.signer@example.net", "city": "Riverton",
                             "accept_terms": "y"})
    assert signed.code in (302, 303), signed.text[:500]
    assert run_job("mail_retention", trigger="cli")["outcome"] == "ok"

    reply = await web.get("/metrics", headers=auth)
    assert reply.code == 200
    assert reply.headers["Content-Type"].startswith("text/plain")
    after = reply.text

    def grew(name, **labels):
        return scrape_value(after, name, **labels) - scrape_value(before, name, **labels)

    assert grew("portal_http_requests_total", route=route, method="GET", status="200") == 3
    assert grew("portal_http_requests_total", route=route, method="GET", status="404") == 1
    assert grew("portal_http_request_duration_seconds_count", route=route, method="GET") == 4
    assert grew("portal_signatures_accepted_total", channel="web") == 1
    assert grew("portal_job_runs_total", job="mail_retention", outcome="ok") == 1
    assert scrape_value(after, "portal_job_failures_total", job="mail_retention") == scrape_value(
        before, "portal_job_failures_total", job="mail_retention")
    pending = OutboxMessage.select().where(OutboxMessage.status == "pending").count()
    assert pending >= 1
    assert scrape_value(after, "portal_outbox_messages", status="pending") == pending
    assert scrape_value(after, "portal_database_up") == 1
    # Route patterns, never raw paths (ids, slugs, tokens) nor personal data, in the labels.
    assert petition.slug not in after and "no-such-petition" not in after
    assert "metric.signer" not in after


# ---- real processes: separate address, several processes, public address, busy port --------------------

def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _answers(url):
    try:
        return _get(url)[0] == 200
    except OSError:
        return False


def _stop(process):
    process.terminate()
    try:
        return process.communicate(timeout=120)[0]
    except Exception:
        process.kill()
        return process.communicate()[0]


def test_metrics_on_a_separate_address_sum_several_processes(database, tmp_path):
    multiproc = tmp_path / "prometheus"
    multiproc.mkdir()
    metrics_port = free_port()
    ports = [free_port(), free_port()]
    env = dict(PORTAL_RUN_JOBS="false", PORTAL_METRICS_ADDRESS=f"127.0.0.1:{metrics_port}",
               PROMETHEUS_MULTIPROC_DIR=str(multiproc))
    servers = []
    try:
        for port in ports:
            servers.append(start_cli(database, "serve", "--port", str(port), **env))
            wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout=120, what=f"serve on {port}")
        for port in ports:
            for _ in range(2):
                assert _get(f"http://127.0.0.1:{port}/organisations")[0] == 200
        # not on the public port without a token; on the metrics address with the sum of both processes
        assert _get(f"http://127.0.0.1:{ports[0]}/metrics")[0] == 404
        def organisations_counted():
            return scrape_value(_get(f"http://127.0.0.1:{metrics_port}/metrics")[1], "portal_http_requests_total",
                                route="/organisations", method="GET", status="200")

        # a process counts a request just after answering it: wait for the last one to be counted
        wait_for(lambda: organisations_counted() >= 4, timeout=120, what="4 requests counted over 2 processes")
        assert organisations_counted() == 4
        status, text = _get(f"http://127.0.0.1:{metrics_port}/metrics")
        assert status == 200
        assert scrape_value(text, "portal_http_requests_total", route="/healthz", method="GET", status="200") >= 2
    finally:
        outputs = [_stop(server) for server in servers]
    assert any("another process serves them there" in output for output in outputs), outputs


def test_serve_announces_and_mails_links_with_its_own_port(database, tmp_path):
    port = free_port()
    # child_env passes the test's PORTAL_BASE_URL: take it away, as for an operator who never set it
    environment = child_env(database, PORTAL_RUN_JOBS="false", PORTAL_MAIL_TRANSPORT="file")
    environment.pop("PORTAL_BASE_URL")
    server = subprocess.Popen([sys.executable, str(ROOT / "portal.py"), "serve", "--port", str(port)], cwd=str(ROOT),
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), timeout=120, what="serve")
        petition = Factory().petition("live")
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        page = opener.open(f"http://127.0.0.1:{port}/petitions/{petition.slug}/sign", timeout=120).read().decode()
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"_xsrf": xsrf, "full_name": "Port Checker", "email": "port.check@example.net",
                                       "city": "Riverton", "accept_terms": "y"}).encode()
        opener.open(f"http://127.0.0.1:{port}/petitions/{petition.slug}/sign", data=body, timeout=120)
        from models.mail import OutboxMessage

        from models.mail import content

        message = OutboxMessage.select().where(OutboxMessage.to_address == "port.check@example.net").get()
        _subject, text = content(message)  # rendered here, at delivery, with the links of where it was signed
        assert f"http://127.0.0.1:{port}/signatures/confirm/" in text
        assert "127.0.0.1:8888" not in text
    finally:
        output = _stop(server)
    assert f"public address http://127.0.0.1:{port}" in output, output


def test_a_busy_port_ends_in_one_line_and_a_failure_status(database):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_cli(database, "serve", "--port", str(port), PORTAL_RUN_JOBS="false")
        output = process.communicate(timeout=120)[0]
    assert process.returncode != 0
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use (another program is using "
                     "this port; choose another with --port)"], output


def test_a_bad_metrics_address_is_one_line(database):
    process = start_cli(database, "serve", "--port", str(free_port()), PORTAL_METRICS_ADDRESS="localhost")
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 1 and "Traceback" not in output
    assert output.strip().splitlines()[-1] == ("error: PORTAL_METRICS_ADDRESS must be host:port "
                                               "(e.g. 127.0.0.1:9108), not 'localhost'")


def test_serve_refuses_a_port_that_is_not_a_number(database):
    process = start_cli(database, "serve", "--port", "99999")
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 2 and "Traceback" not in output
    assert "'99999' is not a port number (1-65535)" in output


def test_metrics_settings_are_checked(monkeypatch):
    monkeypatch.setenv("PORTAL_METRICS_ADDRESS", ":9108")
    assert metrics.address() == ("127.0.0.1", 9108)
    monkeypatch.setenv("PORTAL_METRICS_ADDRESS", "[::1]:9108")
    assert metrics.address() == ("::1", 9108)
    monkeypatch.setenv("PORTAL_METRICS_ADDRESS", "9108x")
    with pytest.raises(ValueError, match="host:port"):
        metrics.address()


def test_a_worker_serves_its_metrics_on_the_separate_address(database):
    port = free_port()
    worker = start_cli(database, "worker", PORTAL_METRICS_ADDRESS=f"127.0.0.1:{port}")
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/metrics"), timeout=120, what="the worker's metrics")
        status, text = _get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
        assert scrape_value(text, "portal_database_up") == 1
        assert "# TYPE portal_job_runs_total counter" in text
    finally:
        output = _stop(worker)
    assert f"metrics on http://127.0.0.1:{port}/metrics" in output, output


@pytest.mark.gen_test
async def test_health_checks_stay_out_of_the_access_log_unless_they_fail(web):
    import logging

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(logging.DEBUG)
            self.records = []

        def emit(self, record):
            self.records.append(record)

    access, keep = logging.getLogger("tornado.access"), Keep()
    level = access.level
    access.addHandler(keep)
    access.setLevel(logging.DEBUG)
    try:
        assert (await web.get("/healthz")).code == 200
        last = SchemaMigration.select().order_by(SchemaMigration.version.desc()).first()
        SchemaMigration.delete().where(SchemaMigration.version == last.version).execute()
        try:
            assert (await web.get("/healthz")).code == 503
        finally:
            SchemaMigration.create(version=last.version, applied_at=last.applied_at)
    finally:
        access.removeHandler(keep)
        access.setLevel(level)
    lines = [(r.levelno, r.getMessage().split(" ")[0]) for r in keep.records if "/healthz" in r.getMessage()]
    assert lines == [(logging.DEBUG, "200"), (logging.ERROR, "503")]


def test_the_access_log_is_written_in_batches_without_losing_lines(database, tmp_path):
    """serve writes access lines through a buffer (no write per request): they appear within about
    a second while the server is idle, in the log format, redacted; and stopping it loses none."""
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "w") as output:
        server = subprocess.Popen([sys.executable, str(ROOT / "portal.py"), "serve", "--port", str(port)],
                                  cwd=str(ROOT), env=child_env(database, PORTAL_RUN_JOBS="false"), stdout=output,
                                  stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/organisations"), timeout=120, what="serve")
        assert _get(f"http://127.0.0.1:{port}/no/such/page")[0] == 404  # a warning: written at once
        assert _get(f"http://127.0.0.1:{port}/petitions?q=someone%40example.org")[0] == 200
        # no more requests: the periodic flush writes what the buffer holds
        wait_for(lambda: "GET /petitions?" in log.read_text(), timeout=120, what="the access line of the search")
        lines = log.read_text().splitlines()
        search = next(line for line in lines if "GET /petitions?" in line)
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO tornado\.access: 200 GET "
                            r"/petitions\?q=\[address\] \d+\.\d\dms", search), search
        assert "someone" not in log.read_text()
        assert any("WARNING tornado.access: 404 GET /no/such/page" in line for line in lines), lines
        for _ in range(20):
            assert _get(f"http://127.0.0.1:{port}/organisations")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=120)
    # stopped with SIGTERM right after the requests: every line is written
    assert log.read_text().count("GET /organisations") >= 21
