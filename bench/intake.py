"""Benchmark of issue 10 (a viral petition): intake, counts and pages against ceilings measured in
the same run, on PostgreSQL and SQLite, with 1 and N processes.

    .venv/bin/python bench/intake.py [--seconds 5] [--processes 2] [--connections 128]

It starts everything itself: a Tornado hello-world (bench/hello.py) with 1 and N processes,
measured right before each portal workload it is the ceiling of (each ratio pairs two measurements
taken seconds apart), pgbench running the two inserts of a signature (signature row + queued mail) in one transaction,
and `portal.py serve --processes P` on a scratch PostgreSQL database (created on
PORTAL_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres, and dropped at
the end) and on a scratch SQLite file. Load comes from wrk when it is installed, else from a Python
asyncio client (keep-alive connections). After each intake run it checks that every 202 is a row.
On SQLite it also runs a mixed load (signing, confirming, page and count reads) while the mail job
delivers every second, and counts server errors. Prints one table with ratios and the goals.
"""
import argparse
import asyncio
import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from httpload import free_port, read_response  # noqa: E402 -- bench/ is the script's own folder

ORIGIN = "https://bench.example"
LIMIT = 120  # seconds to wait for a server to come up (a loaded machine is slow, not broken)


def wait_until_up(url, process):
    import urllib.request

    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited ({process.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=30):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up within {LIMIT} s")


def children_of(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def stop(process):
    kids = children_of(process.pid)
    process.terminate()
    try:
        process.wait(LIMIT)
    except subprocess.TimeoutExpired:
        process.kill()
    for pid in kids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- load generators ------------------------------------------------------------------------------

class Result:
    def __init__(self, statuses, errors, seconds, p99_ms):
        self.statuses, self.errors, self.seconds, self.p99_ms = statuses, errors, seconds, p99_ms

    def rate(self, *codes):
        wanted = codes or tuple(code for code in self.statuses if 200 <= code < 400)
        return sum(self.statuses.get(code, 0) for code in wanted) / self.seconds

    @property
    def server_errors(self):
        return sum(n for code, n in self.statuses.items() if code >= 500)


def load(url, seconds, connections, mode="get", prefix="run", token="", origin=ORIGIN):
    if shutil.which("wrk"):
        return _wrk(url, seconds, connections, mode, prefix, token, origin)
    return asyncio.run(_python_load(url, seconds, connections, mode, prefix, token, origin))


def _wrk(url, seconds, connections, mode, prefix, token, origin):
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
               "-s", str(ROOT / "bench" / "wrk_count.lua"), url, "--", mode, prefix, token, origin]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    statuses = {int(code): int(n) for code, n in re.findall(r"^STATUS (\d+) (\d+)$", output, re.M)}
    errors = int(re.search(r"^ERRORS (\d+)$", output, re.M).group(1))
    duration = int(re.search(r"^DURATION_US (\d+)$", output, re.M).group(1)) / 1e6
    p99 = int(re.search(r"^P99_US (\d+)$", output, re.M).group(1)) / 1000
    return Result(statuses, errors, duration, p99)


async def _python_load(url, seconds, connections, mode, prefix, token, origin):
    parsed = urlparse(url)
    host, port, path = parsed.hostname, parsed.port, parsed.path or "/"
    statuses, latencies, errors = collections.Counter(), [], [0]
    deadline = time.monotonic() + seconds

    def request(n, worker):
        if mode != "sign":
            return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
        body = json.dumps({"full_name": "Bench Signer", "email": f"{prefix}-{worker}-{n}@bench.example",
                           "accept_terms": True}).encode()
        return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                f"Authorization: Bearer {token}\r\nOrigin: {origin}\r\nContent-Length: {len(body)}\r\n\r\n"
                ).encode() + body

    async def worker(number):
        n = 0
        reader = writer = None
        while time.monotonic() < deadline:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                n += 1
                started = time.monotonic()
                writer.write(request(n, number))
                status = await read_response(reader)
                latencies.append(time.monotonic() - started)
                statuses[status] += 1
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                errors[0] += 1
                writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker(i) for i in range(connections)))
    elapsed = time.monotonic() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    return Result(dict(statuses), errors[0], elapsed, p99)


# ---- databases and data ---------------------------------------------------------------------------

def create_postgres_database(admin_url):
    import psycopg2

    name = f"portal_bench_{uuid.uuid4().hex[:10]}"
    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return name, urlunparse(urlparse(admin_url)._replace(path="/" + name))


def drop_postgres_database(admin_url, name):
    import psycopg2

    connection = psycopg2.connect(admin_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    connection.close()


def prepare(url, data_dir):
    """Migrate `url` and fill it: 20 live petitions, one of them taking API signatures; a create key."""
    from models import config
    from models.api import issue_key, update_api_settings
    from models.audit import Actor
    from models.db import bind, db, migrate
    from models.user import set_password_cost
    from tests.support import Factory

    set_password_cost(time_cost=1, memory_cost=8192)
    config.configure(config.Settings(data_dir=Path(data_dir), database_url=url, cookie_secret="bench",
                                     run_jobs_in_serve=False))
    bind(url)
    migrate()
    make = Factory()
    with db.connection_context():
        organisation = make.organisation()
        for n in range(19):
            make.petition(organisation=organisation, title=f"Benchmark petition {n} about parks and buses")
        lead = make.user()
        petition = make.petition(organisation=organisation, lead=lead, title="Save the viral petition benchmark")
        update_api_settings(petition, Actor.for_user(lead), api_enabled=True, allowed_domains="bench.example",
                            hidden=False)
        for n in range(30):
            make.signature(petition)
        _, token = issue_key(make.user(), "bench", ["create"], is_partner=True)  # a campaign site's partner key
    db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    return petition.slug, token


def rows_with_prefix(url, prefix):
    from models.db import bind, db
    from models.mail import OutboxMessage
    from models.signature import Signature

    bind(url)
    with db.connection_context():
        signatures = Signature.select().where(Signature.email.startswith(prefix + "-")).count()
        mails = (OutboxMessage.select().where(OutboxMessage.to_address.startswith(prefix + "-")
                                              & (OutboxMessage.kind == "confirm_signature")).count())
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    return signatures, mails


def pgbench(url, seconds):
    """Transactions per second of the two inserts of a signature, 8 clients, in the bench database."""
    import glob

    import psycopg2

    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/pgbench")) or [shutil.which("pgbench")]
    if not binaries or not binaries[-1]:
        return None
    connection = psycopg2.connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_signature (id serial PRIMARY KEY, petition_id int NOT NULL, "
                       "full_name varchar(255) NOT NULL, email varchar(255) NOT NULL, created_at timestamp NOT NULL, "
                       "token_hash varchar(64) UNIQUE, source varchar(24), UNIQUE (petition_id, email))")
        cursor.execute("CREATE TABLE bench_mail (id serial PRIMARY KEY, to_address varchar(255) NOT NULL, "
                       "kind varchar(48) NOT NULL, status varchar(12) NOT NULL DEFAULT 'pending', params text, "
                       "next_attempt_at timestamp NOT NULL, created_at timestamp NOT NULL)")
        cursor.execute("CREATE INDEX ON bench_mail (status)")
    connection.close()
    script = Path(tempfile.mkdtemp(prefix="portal-pgbench-")) / "signature.sql"
    script.write_text(
        "\\set n random(1, 2000000000)\n"
        "BEGIN;\n"
        "INSERT INTO bench_signature (petition_id, full_name, email, created_at, token_hash, source) VALUES "
        "(1, 'Bench Signer', 'pg-' || :client_id || '-' || :n || '@bench.example', now(), md5(random()::text), "
        "'api') ON CONFLICT DO NOTHING;\n"
        "INSERT INTO bench_mail (to_address, kind, params, next_attempt_at, created_at) VALUES "
        "('pg-' || :client_id || '@bench.example', 'confirm_signature', '{\"signature\": 1}', now(), now());\n"
        "END;\n")
    parsed = urlparse(url)
    output = subprocess.run([binaries[-1], "-n", "-c", "8", "-j", "2", "-T", str(seconds), "-f", str(script),
                             "-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432),
                             "-U", parsed.username or "postgres", parsed.path.lstrip("/")],
                            capture_output=True, text=True, check=True).stdout
    shutil.rmtree(script.parent, ignore_errors=True)
    return float(re.search(r"tps = ([\d.]+)", output).group(1))


# ---- the portal -----------------------------------------------------------------------------------

def start_portal(url, data_dir, processes, jobs=False):
    port = free_port()
    env = {**os.environ, "PORTAL_DATABASE_URL": url, "PORTAL_DATA_DIR": str(data_dir),
           "PORTAL_BASE_URL": f"http://127.0.0.1:{port}", "PORTAL_COOKIE_SECRET": "bench-" + uuid.uuid4().hex,
           "PORTAL_RUN_JOBS": "1" if jobs else "0", "PORTAL_JOB_DELIVER_MAIL": "every 1s",
           "PORTAL_API_RATE_BURST": "0", "PORTAL_API_RATE_PER_MINUTE": "0",
           # the load generator is one client address signing thousands of times: the per-client
           # abuse limit would refuse it (each signature has its own address, so the per-address
           # mail limits stay on); bench/ratelimit.py measures the limiter's cost
           "PORTAL_SIGN_RATE_PER_CLIENT": "0"}
    log = open(Path(data_dir) / f"serve-{port}.log", "ab")
    process = subprocess.Popen([sys.executable, "portal.py", "serve", "--port", str(port),
                                "--processes", str(processes)], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(base + "/", process)
    if processes > 1:
        deadline = time.monotonic() + LIMIT
        while len(children_of(process.pid)) < processes and time.monotonic() < deadline:
            time.sleep(0.1)
    return process, base


async def mixed_load(base, slug, token, url, seconds, connections, prefix):
    """Signing, confirming (links from the outbox), page and count reads; returns status counts."""
    import tornado.httpclient

    from models.db import bind, db
    from models.mail import OutboxMessage

    bind(url)
    client = tornado.httpclient.AsyncHTTPClient(force_instance=True, max_clients=connections)
    statuses = collections.Counter()
    deadline = time.monotonic() + seconds
    tokens, seen = [], set()

    def collect_tokens():
        with db.connection_context():
            for message in (OutboxMessage.select(OutboxMessage.id, OutboxMessage.params)
                            .where(OutboxMessage.kind == "confirm_signature", OutboxMessage.params.is_null(False))
                            .order_by(OutboxMessage.id.desc()).limit(200)):
                if message.id not in seen:
                    seen.add(message.id)
                    tokens.append(json.loads(message.params)["token"])

    async def one(n, worker):
        roll = random.random()
        if roll < 0.4:
            body = json.dumps({"full_name": "Mixed Signer", "email": f"{prefix}-{worker}-{n}@bench.example",
                               "accept_terms": True})
            request = dict(url=f"{base}/api/v1/petitions/{slug}/signatures", method="POST", body=body,
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                    "Origin": ORIGIN})
        elif roll < 0.6 and tokens:
            request = dict(url=f"{base}/signatures/confirm/{tokens.pop()}", method="POST", body="_xsrf=benchxsrf",
                           headers={"Cookie": "_xsrf=benchxsrf",
                                    "Content-Type": "application/x-www-form-urlencoded"})
        elif roll < 0.8:
            request = dict(url=f"{base}/petitions/{slug}")
        else:
            request = dict(url=f"{base}/api/v1/petitions/{slug}/signature-count")
        try:
            reply = await client.fetch(request.pop("url"), **request, raise_error=False, request_timeout=LIMIT,
                                       follow_redirects=False)
            statuses[reply.code] += 1
        except Exception:  # a failed connection counts as a server error here
            statuses[599] += 1

    async def worker(number):
        n = 0
        while time.monotonic() < deadline:
            n += 1
            await one(n, number)

    async def refill():
        while time.monotonic() < deadline:
            await asyncio.get_running_loop().run_in_executor(None, collect_tokens)
            await asyncio.sleep(0.5)

    await asyncio.gather(refill(), *(worker(i) for i in range(connections)))
    client.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()
    return statuses


class Ceilings:
    """Tornado hello-worlds with 1 and N processes, started once and measured right before each
    portal workload they are the ceiling of. The machine's other load drifts over minutes (the
    hello-world moved 15% between two runs here), so each ratio compares two measurements taken
    seconds apart rather than one taken minutes earlier. An idle server costs nothing meanwhile."""

    def __init__(self, counts):
        self.servers = {}
        try:
            for processes in counts:
                port = free_port()
                process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "hello.py"), str(port),
                                            str(processes)])
                self.servers[processes] = (process, f"http://127.0.0.1:{port}/")
                wait_until_up(self.servers[processes][1], process)
        except BaseException:
            self.close()
            raise

    def measure(self, processes, seconds, connections):
        return load(self.servers[processes][1], seconds, connections)

    def close(self):
        for process, _url in self.servers.values():
            stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per measurement (default 5)")
    parser.add_argument("--processes", type=int, default=2, help="N, the multi-process runs (default 2)")
    # A viral petition is many signers at once: with 128 connections the intake writer's batches
    # fill (with 32 they hold a dozen rows), and p99 stays far under the goal's 200 ms. The
    # ceilings are measured with the same number.
    parser.add_argument("--connections", type=int, default=128, help="concurrent connections (default 128)")
    args = parser.parse_args()
    seconds, n, connections = args.seconds, args.processes, args.connections
    admin_url = os.environ.get("PORTAL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    work = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    print(f"load generator: {'wrk' if shutil.which('wrk') else 'Python asyncio client'}; "
          f"{seconds} s per measurement, {connections} connections; load before: {os.getloadavg()[0]:.2f}",
          flush=True)
    pg_name, pg_url = create_postgres_database(admin_url)
    rows = []  # (workload, backend, processes, rate, ceiling name, ceiling, goal, p99, check)
    ceilings = None
    try:
        sqlite_url = f"sqlite:///{work / 'portal.db'}"
        slugs = {"postgresql": prepare(pg_url, work), "sqlite": prepare(sqlite_url, work)}
        urls = {"postgresql": pg_url, "sqlite": sqlite_url}
        ceilings = Ceilings((1, n))
        hello = {p: ceilings.measure(p, seconds, connections) for p in (1, n)}
        raw = pgbench(pg_url, seconds)
        rows.append((f"Tornado hello-world", "-", 1, hello[1].rate(), None, None, None, hello[1].p99_ms, ""))
        rows.append((f"Tornado hello-world", "-", n, hello[n].rate(), None, None, None, hello[n].p99_ms, ""))
        if raw is not None:
            rows.append(("pgbench: signature + mail inserts, 8 clients", "postgresql", "-", raw, None, None, None,
                         None, ""))
        for backend in ("postgresql", "sqlite"):
            slug, token = slugs[backend]
            for processes in (1, n):
                process, base = start_portal(urls[backend], work, processes)
                try:
                    prefix = f"{backend[:2]}{processes}x{uuid.uuid4().hex[:6]}"
                    ceiling = ceilings.measure(processes, seconds, connections)
                    result = load(f"{base}/api/v1/petitions/{slug}/signatures", seconds, connections, "sign",
                                  prefix, token)
                    accepted = result.statuses.get(202, 0)
                    time.sleep(1)  # requests cut off by the end of the load may still commit; count after them
                    stored, mails = rows_with_prefix(urls[backend], prefix)
                    lost = max(0, accepted - stored)
                    others = {c: k for c, k in result.statuses.items() if c != 202}
                    check = (f"202s {accepted}, rows {stored}, mails {mails}, lost {lost}"
                             + (f", other {others}" if others else "") + (f", errors {result.errors}"
                                                                          if result.errors else ""))
                    goal = 0.35 if (backend == "postgresql" and processes == n) else None
                    rows.append(("intake POST signatures (202/s)", backend, processes, result.rate(202),
                                 f"hello {processes}p", ceiling.rate(), goal, result.p99_ms, check))
                    if backend == "postgresql":
                        for name, path, goal in (("verified count", f"/api/v1/petitions/{slug}/signature-count", 0.8),
                                                 ("petition page", f"/petitions/{slug}", 0.4),
                                                 ("home page", "/", 0.3)):
                            ceiling = ceilings.measure(processes, seconds, connections)
                            result = load(base + path, seconds, connections)
                            bad = {c: k for c, k in result.statuses.items() if c != 200}
                            rows.append((name, backend, processes, result.rate(200), f"hello {processes}p",
                                         ceiling.rate(), goal if processes == n else None, result.p99_ms,
                                         f"non-200 {bad}" if bad else ""))
                finally:
                    stop(process)
            if backend == "sqlite":
                for processes in (1, n):
                    process, base = start_portal(urls[backend], work, processes, jobs=True)
                    try:
                        statuses = asyncio.run(mixed_load(base, slug, token, urls[backend], seconds * 2, connections,
                                                          f"mx{processes}x{uuid.uuid4().hex[:6]}"))
                    finally:
                        stop(process)
                    errors = sum(k for c, k in statuses.items() if c >= 500)
                    rows.append(("mixed: sign/confirm/page/count + mail job", backend, processes,
                                 sum(statuses.values()) / (seconds * 2), None, None, None, None,
                                 f"server errors {errors} (goal 0); {dict(sorted(statuses.items()))}"))
    finally:
        if ceilings is not None:
            ceilings.close()
        drop_postgres_database(admin_url, pg_name)
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows)
    print(f"load after: {os.getloadavg()[0]:.2f} (uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()})")


def print_table(rows):
    header = ("workload", "db", "procs", "per s", "ceiling", "ratio", "goal", "p99 ms", "check")
    lines = []
    for workload, backend, processes, rate, ceiling_name, ceiling, goal, p99, check in rows:
        ratio = rate / ceiling if ceiling else None
        verdict = "" if goal is None else (f">= {goal} {'MET' if ratio >= goal else 'MISSED'}")
        lines.append((workload, backend, str(processes), f"{rate:,.0f}",
                      f"{ceiling_name} {ceiling:,.0f}" if ceiling else "", f"{ratio:.2f}x" if ratio else "",
                      verdict, f"{p99:.0f}" if p99 is not None else "", check))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print()
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-|-".join("-" * w for w in widths))
    for line in lines:
        print(" | ".join(value.ljust(w) for value, w in zip(line, widths)))


if __name__ == "__main__":
    main()
