"""Benchmark: what the rate limiter costs, limiter on vs off, as ratios measured in one run.

    python bench/ratelimit.py [--requests 20000] [--concurrency 16] [--rounds 5] [--redis redis://127.0.0.1:6379/0]

Starts `portal.py serve` (one process, SQLite in a scratch folder, demo data) once per setting and
drives the anonymous `GET /api/v1/petitions/{slug}/signature-count` with a keep-alive asynchronous
client: limiter off (both API limits 0), on in memory, and on in Redis (when reachable). Limits are
set high enough that nothing is refused, so only the counting is measured. Settings alternate
over several rounds, in a different order each round; the figures are the medians of each round's
on/off ratios (the machine is shared, and its load moves between rounds): of requests per second,
and of the server's own CPU time per request (from /proc, which the load generator's share of the
CPU does not move). Then it times the limiter's check itself (the two hits of one API call)
against a request's service time.
Goal (issue 10): limiter on costs under 5% (ratio on/off >= 0.95).
"""
import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from httpload import free_port, read_response  # noqa: E402 -- bench/ is the script's own folder

HIGH = str(10 ** 9)


def base_env(scratch):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATA_DIR=scratch, PORTAL_DATABASE_URL=f"sqlite:///{scratch}/bench.db",
               PORTAL_COOKIE_SECRET="bench", PORTAL_RUN_JOBS="false", PYTHONUNBUFFERED="1")
    return env


def run(args, env):
    subprocess.run([sys.executable, str(ROOT / "portal.py"), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def a_live_slug(env):
    import sqlite3

    with sqlite3.connect(f"{env['PORTAL_DATA_DIR']}/bench.db") as connection:
        row = connection.execute("SELECT slug FROM petition WHERE status = 'live' ORDER BY id LIMIT 1").fetchone()
    return row[0]


class Server:
    def __init__(self, env, extra):
        self.port = free_port()
        self.process = subprocess.Popen([sys.executable, str(ROOT / "portal.py"), "serve", "--port", str(self.port)],
                                        cwd=ROOT, env={**env, **extra}, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"serve exited with {self.process.returncode}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise SystemExit("serve did not start listening within 120 s")

    def cpu_seconds(self):
        """CPU time the server process has used (user + system, from /proc)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.process.terminate()
        self.process.wait(60)


async def load(port, path, requests, concurrency):
    """Requests per second over `concurrency` keep-alive connections; every answer must be a 200."""
    counter = iter(range(requests))
    statuses = {}
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()

    async def connection():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in counter:
            writer.write(request)
            status = await read_response(reader)
            statuses[status] = statuses.get(status, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise SystemExit(f"unexpected answers {statuses}: the limiter refused or the server failed")
    return requests / elapsed


def redis_reachable(url):
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return True
    except Exception:  # noqa: BLE001
        return False


def micro(redis_url, calls=20000):
    """Microseconds per API call's limiter check (burst + minute hits), as requests count them
    (hit_each_async: with Redis, in the process and sent in batches), including the batches sent."""
    from limits import RateLimitItemPerMinute, RateLimitItemPerSecond

    from handlers.ratelimit import SYNC_SECONDS, Limiter

    items = [RateLimitItemPerSecond(10 ** 9), RateLimitItemPerMinute(10 ** 9)]
    results = {}

    async def measure(limiter):
        started = time.perf_counter()
        for n in range(calls):
            await limiter.hit_each_async(items, "ip:127.0.0.1")  # what one API call costs (admit_api_call)
            if n % 200 == 0:
                await asyncio.sleep(0)  # let the batches go, as the IOLoop does between requests
        elapsed = time.perf_counter() - started
        if limiter.shared:  # the last batch, and the CPU time of the batches (not their waits)
            await asyncio.sleep(SYNC_SECONDS * 3)
        return elapsed

    for name, limiter in [("memory", Limiter())] + ([("redis", Limiter(redis_url, f"bench-{os.getpid()}"))]
                                                    if redis_url else []):
        cpu = time.process_time()
        elapsed = asyncio.run(measure(limiter))
        results[name] = max(elapsed, time.process_time() - cpu) / calls * 1e6
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--redis", default=os.environ.get("PORTAL_REDIS_URL", "redis://127.0.0.1:6379/0"))
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="bench-ratelimit-")
    env = base_env(scratch)
    run(["migrate"], env)
    run(["demo"], env)
    path = f"/api/v1/petitions/{a_live_slug(env)}/signature-count"
    redis_url = args.redis if redis_reachable(args.redis) else None

    settings = {"off": {"PORTAL_API_RATE_BURST": "0", "PORTAL_API_RATE_PER_MINUTE": "0"},
                "memory": {"PORTAL_API_RATE_BURST": HIGH, "PORTAL_API_RATE_PER_MINUTE": HIGH}}
    if redis_url:
        settings["redis"] = {**settings["memory"], "PORTAL_REDIS_URL": redis_url,
                             "PORTAL_REDIS_PREFIX": f"bench-{os.getpid()}"}
    servers = {name: Server(env, extra) for name, extra in settings.items()}
    rates = {name: [] for name in settings}
    cpu = {name: [] for name in settings}  # the server's CPU µs per request
    names = list(settings)
    try:
        for name, server in servers.items():  # warm up (imports, caches, SQLite pages)
            asyncio.run(load(server.port, path, min(500, args.requests), args.concurrency))
        for round_number in range(args.rounds):
            # each round in another order: whatever drifts within a round does not always favour one
            for name in names[round_number % len(names):] + names[:round_number % len(names)]:
                server = servers[name]
                before = server.cpu_seconds()
                rates[name].append(asyncio.run(load(server.port, path, args.requests, args.concurrency)))
                cpu[name].append((server.cpu_seconds() - before) / args.requests * 1e6)
    finally:
        for server in servers.values():
            server.stop()
    best = {name: max(values) for name, values in rates.items()}
    # Each round's ratio pairs runs made seconds apart, so a change in the machine's load between
    # rounds moves both; the median of those ratios is the figure. Throughput also moves with the
    # load generator's share of the CPU; the server's own CPU time per request does not.
    paired = {name: statistics.median(on / off for on, off in zip(values, rates["off"]))
              for name, values in rates.items()}
    cpu_paired = {name: statistics.median(off / on for on, off in zip(values, cpu["off"]))
                  for name, values in cpu.items()}

    print(f"GET {path.rsplit('/', 2)[0]}/…/signature-count, {args.requests} requests x {args.rounds} rounds, "
          f"concurrency {args.concurrency}, one serve process, load average {os.getloadavg()[0]:.1f}")
    print(f"{'limiter':<10}{'best requests/s':>16}{'median ratio to off':>21}{'server CPU µs/request':>23}"
          f"{'median ratio to off':>21}")
    for name, rate in best.items():
        print(f"{name:<10}{rate:>16.0f}{paired[name]:>21.3f}{statistics.median(cpu[name]):>23.0f}"
              f"{cpu_paired[name]:>21.3f}")
    service_us = 1e6 / best["off"]
    print(f"\nlimiter check per API call (2 hits), against one request's service time ({service_us:.0f} µs):")
    for name, cost in micro(redis_url).items():
        print(f"{name:<10}{cost:>8.1f} µs = {cost / service_us * 100:.1f}% of a request")
    print("\ngoal: ratio >= 0.95 (the limiter costs under 5%); ratios per round, requests/s and CPU per request")
    if not redis_url:
        print(f"(Redis not reachable at {args.redis}: its row is missing)")


if __name__ == "__main__":
    main()
