"""Faults with real processes (issue 10): a `serve --processes 2` child SIGKILLed during a signing
burst, and PostgreSQL stopped during a signing burst (a PostgreSQL the test starts itself)."""
import asyncio
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import tornado.httpclient
import tornado.iostream

from models.db import bind, db
from models.signature import Signature
from tests.support import free_port
from tests.support_api import new_key
from tests.test_api_signing import api_petition

ROOT = Path(__file__).resolve().parent.parent
ORIGIN = "https://forms.example.org"
LIMIT = 120  # seconds: generous, for loaded CI machines; a condition ends each wait long before


def wait_for(condition, what, limit=LIMIT):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting ({limit} s) for {what}")


def children(pid):
    try:
        return set(int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except FileNotFoundError:
        return set()


class Portal:
    """`python portal.py serve` in a process of its own."""

    def __init__(self, database_url, data_dir, processes=1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PORTAL_DATABASE_URL": database_url, "PORTAL_DATA_DIR": str(data_dir),
               "PORTAL_BASE_URL": self.url, "PORTAL_COOKIE_SECRET": "fault-test-" + uuid.uuid4().hex,
               "PORTAL_RUN_JOBS": "0", "PORTAL_API_RATE_BURST": "0", "PORTAL_API_RATE_PER_MINUTE": "0",
               # one client signs many times on purpose: the abuse limits would refuse it
               "PORTAL_SIGN_RATE_PER_CLIENT": "0", "PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR": "0"}
        self.log = open(Path(data_dir) / f"serve-{self.port}.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "portal.py", "serve", "--port", str(self.port), "--processes", str(processes)],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.processes = processes

    def wait_ready(self, path):
        import urllib.request

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=30) as reply:
                    return reply.status == 200
            except OSError:
                return False

        wait_for(answers, f"{self.url}{path} to answer")
        if self.processes > 1:
            wait_for(lambda: len(children(self.process.pid)) == self.processes, "the children to start")

    def stop(self):
        kids = children(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(LIMIT)
        finally:
            for pid in kids:  # they follow their parent; make sure
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.log.close()


async def burst(url, slug, token, emails, concurrency=16, on_progress=None):
    """POST one signature per email (Forbrukermakt's body); returns {email: status code (599 = no answer)}
    and {status: [Retry-After values]}."""
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=concurrency)
    results, retry_after = {}, {}
    queue = list(emails)

    async def worker():
        while queue:
            email = queue.pop()
            body = json.dumps({"full_name": "Fault Tester", "email": email, "accept_terms": True})
            try:
                reply = await client.fetch(f"{url}/api/v1/petitions/{slug}/signatures", method="POST", body=body,
                                           headers={"Content-Type": "application/json", "Origin": ORIGIN,
                                                    "Authorization": f"Bearer {token}"},
                                           raise_error=False, request_timeout=LIMIT)
                code = reply.code
                retry_after.setdefault(code, []).append(reply.headers.get("Retry-After"))
            except (OSError, tornado.httpclient.HTTPClientError, tornado.iostream.StreamClosedError):
                code = 599  # no answer: the connection died with the killed child
            results[email] = code
            if on_progress:
                on_progress(len(results))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    client.close()
    return results, retry_after


@pytest.mark.slow
@pytest.mark.gen_test(timeout=600)
async def test_a_killed_child_loses_no_accepted_signature_and_is_replaced(database, make, tmp_path):
    petition = api_petition(make)
    _, token = new_key(make, scopes=("create",))
    db.close()
    portal = Portal(database.database_url, tmp_path, processes=2)
    try:
        await asyncio.get_running_loop().run_in_executor(
            None, portal.wait_ready, f"/api/v1/petitions/{petition.slug}/signature-count")
        before = children(portal.process.pid)
        victim = min(before)
        killed = []

        def kill_midway(done):
            if done >= 60 and not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)

        emails = [f"burst{n}@example.org" for n in range(400)]
        results, _ = await burst(portal.url, petition.slug, token, emails, on_progress=kill_midway)
        assert killed, "the burst ended before the child was killed"
        assert set(results.values()) <= {202, 599}, results  # accepted, or no answer from the killed child
        accepted = {email for email, code in results.items() if code == 202}
        assert len(accepted) > 100
        stored = {s.email for s in Signature.select(Signature.email).where(Signature.petition == petition.id)}
        assert accepted <= stored, f"{len(accepted - stored)} accepted signatures are missing"
        # the parent forks a new child in the dead one's place
        after = wait_for(lambda: (lambda kids: kids if len(kids) == 2 and victim not in kids else None)(
            children(portal.process.pid)), "the parent to replace the killed child")
        assert victim not in after and portal.process.poll() is None
        # stopping the parent stops its children
        portal.process.terminate()
        portal.process.wait(LIMIT)
        wait_for(lambda: not any(Path(f"/proc/{pid}").exists() and "zombie" not in _state(pid) for pid in after),
                 "the children to exit after their parent")
    finally:
        portal.stop()


def _state(pid):
    try:
        return Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return "zombie"


# ---- a PostgreSQL of the test's own ---------------------------------------------------------------

def _postgres_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


class OwnPostgres:
    """initdb + pg_ctl on a free port in a temporary folder (as the postgres user when run as root)."""

    def __init__(self):
        self.bin = _postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.data = self.dir / "data"
        self.prefix = []
        if os.geteuid() == 0:
            import pwd

            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/portal"

    def run(self, *args):
        subprocess.run(self.prefix + [str(self.bin / args[0]), *args[1:]], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.STDOUT, timeout=LIMIT)

    def init(self):
        self.run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "portal")

    def start(self):
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", str(LIMIT), "-l", str(self.dir / "log"),
                 "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self):
        self.run("pg_ctl", "-D", str(self.data), "-w", "-t", str(LIMIT), "-m", "fast", "stop")

    def destroy(self):
        try:
            self.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.gen_test(timeout=600)
async def test_postgres_down_during_a_burst_is_503_with_retry_after_and_recovers_without_restart(
        backend, make, tmp_path):
    if backend != "sqlite":
        pytest.skip("runs once (it brings its own PostgreSQL)")
    if _postgres_bin() is None:
        pytest.skip("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    from models.db import migrate

    server = OwnPostgres()
    portal = None
    saved = db.obj
    try:
        server.init()
        db.close()
        bind(server.url)  # this process: the test's data in the test's own PostgreSQL
        migrate()
        with db.connection_context():
            petition = api_petition(make)
            _, token = new_key(make, scopes=("create",))
        db.obj.close_all()
        db.initialize(saved)

        portal = Portal(server.url, tmp_path, processes=2)
        await asyncio.get_running_loop().run_in_executor(
            None, portal.wait_ready, f"/api/v1/petitions/{petition.slug}/signature-count")
        loop = asyncio.get_running_loop()
        stopped = asyncio.Event()

        def stop_midway(done):
            if done == 40:
                loop.run_in_executor(None, server.stop).add_done_callback(lambda _: stopped.set())

        first, retry_first = await burst(portal.url, petition.slug, token, [f"a{n}@example.org" for n in range(400)],
                                         on_progress=stop_midway)
        await stopped.wait()
        assert set(first.values()) <= {202, 503}, first  # never a 500
        assert all(value for value in retry_first.get(503, [])), "a 503 without Retry-After"

        down, retry_down = await burst(portal.url, petition.slug, token, [f"b{n}@example.org" for n in range(40)])
        assert set(down.values()) == {503}, down
        assert all(value and int(value) > 0 for value in retry_down[503])

        await loop.run_in_executor(None, server.start)
        recovered = {}

        async def signs_again():
            deadline = time.monotonic() + LIMIT
            n = 0
            while time.monotonic() < deadline:
                n += 1
                result, _ = await burst(portal.url, petition.slug, token, [f"c{n}@example.org"], concurrency=1)
                recovered.update(result)
                assert set(result.values()) <= {202, 503}, result
                if 202 in result.values():
                    return
                await asyncio.sleep(0.2)
            raise AssertionError("the portal did not recover after PostgreSQL came back")

        await signs_again()
        accepted = {email for email, code in {**first, **recovered}.items() if code == 202}
        db.close()
        bind(server.url)
        with db.connection_context():
            stored = {s.email for s in Signature.select(Signature.email).where(Signature.petition == petition.id)}
        db.obj.close_all()
        db.initialize(saved)
        assert accepted <= stored and len(accepted) >= 2
    finally:
        if db.obj is not saved:
            db.initialize(saved)
        if portal is not None:
            portal.stop()
        server.destroy()
