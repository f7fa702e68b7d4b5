"""Rate limits and abuse limits: one limiter for every channel, kept out of the database.

A transport concern, so it lives beside the handlers: the `limits` library counts fixed windows in
process memory by default, or in Redis when PORTAL_REDIS_URL is set (then every process and every
machine shares one count). No request opens a database transaction to be counted.

- API calls (every dialect): per key (per client address for calls without a valid key), a burst
  limit per second and a sustained limit per minute. Over the burst a call waits for the next
  window (at most PACE_SECONDS, asynchronously, before it touches the database); over the
  sustained limit, or when waiting would not help, a 429 with Retry-After in the dialect's shape.
- Signing (the web form and the four API paths): per client address, and per target email
  address (confirmation mails to one address per hour across petitions; one mail per interval
  for a repeated signature of one petition).

The client address is `client_address()`: the peer, or the address a trusted proxy
(PORTAL_TRUSTED_PROXIES) forwarded. Every limit uses it.
"""
import asyncio
import collections
import functools
import hashlib
import ipaddress
import logging
import math
import os
import threading
import time

from limits import RateLimitItemPerMinute, RateLimitItemPerSecond, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from models.api import RateLimited
from models.i18n import N_

log = logging.getLogger("portal.ratelimit")

PACE_SECONDS = 3  # the longest an API call waits for the burst limit's next window
DEFAULTS = {
    "PORTAL_API_RATE_BURST": "10",  # API calls per second per key (or client address)
    "PORTAL_API_RATE_PER_MINUTE": "1500",  # API calls per minute per key (or client address)
    "PORTAL_SIGN_RATE_PER_CLIENT": "10/minute;60/hour",  # signing attempts per client address
    "PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR": "5",  # confirmation mails to one address, across petitions
    "PORTAL_SIGN_REPEAT_MAIL_MINUTES": "10",  # one mail per interval for a repeated signature of a petition
}


# ---- settings (read from the environment; parsed once per distinct value) -------------------------

def environment_value(name):
    """os.environ.get(name) for the settings read on every request (limits, trusted proxies).

    They are read each time, not kept, so that a changed environment (as in tests) counts at once;
    but os.environ.get encodes the name and decodes the value on each call, which costs about as
    much as the rest of a limit check. On POSIX its own bytes store is read directly."""
    if _ENVIRON_BYTES is None:
        return os.environ.get(name)
    encoded = _ENCODED.get(name)
    if encoded is None:
        encoded = _ENCODED[name] = os.fsencode(name)
    raw = _ENVIRON_BYTES.get(encoded)
    if raw is None:
        return None
    value = _DECODED.get(raw)
    if value is None:
        if len(_DECODED) > 256:
            _DECODED.clear()
        value = _DECODED[raw] = os.fsdecode(raw)
    return value


# os.environ's store (bytes names and values on POSIX; os.putenv and monkeypatching change it)
_ENVIRON_BYTES = os.environ._data if os.name == "posix" and isinstance(getattr(os.environ, "_data", None), dict) \
    else None
_ENCODED, _DECODED = {}, {}


def setting(name, env=None):
    value = environment_value(name) if env is None else env.get(name)
    return DEFAULTS[name] if value is None or not value.strip() else value.strip()


_parsed = {}


def _items(name, value):
    """The limits a setting names, a tuple (empty when switched off with 0); ValueError names the setting."""
    cached = _parsed.get((name, value))
    if cached is not None:
        return cached
    try:
        if name == "PORTAL_API_RATE_BURST":
            items = [RateLimitItemPerSecond(int(value))] if int(value) > 0 else []
        elif name == "PORTAL_API_RATE_PER_MINUTE":
            items = [RateLimitItemPerMinute(int(value))] if int(value) > 0 else []
        elif name == "PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR":
            items = parse_many(f"{int(value)}/hour") if int(value) > 0 else []
        elif name == "PORTAL_SIGN_REPEAT_MAIL_MINUTES":
            items = parse_many(f"1 per {int(value)} minutes") if int(value) > 0 else []
        else:
            items = [] if value == "0" else parse_many(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a valid limit; see README.md (rate limits).") from None
    if any(item.amount < 1 for item in items):
        raise ValueError(f"{name}={value!r}: a limit must allow at least 1; use 0 to switch it off.")
    items = _parsed[(name, value)] = tuple(items)
    return items


def limits_of(name, env=None):
    return _items(name, setting(name, env))


_api_limits = {}


def api_limits():
    """(every API call limit, the sustained ones among them), combined once per pair of settings."""
    burst, sustained = setting("PORTAL_API_RATE_BURST"), setting("PORTAL_API_RATE_PER_MINUTE")
    combined = _api_limits.get((burst, sustained))
    if combined is None:
        minute = _items("PORTAL_API_RATE_PER_MINUTE", sustained)
        combined = _api_limits[(burst, sustained)] = (_items("PORTAL_API_RATE_BURST", burst) + minute, minute)
    return combined


def check_settings(env=None):
    """Raise ValueError naming the first setting that is not a valid limit (serve checks at start)."""
    for name in DEFAULTS:
        limits_of(name, env)
    trusted_proxies(env)


# ---- client address and trusted proxies ----------------------------------------------------------

_networks = {}


def trusted_proxies(env=None):
    """The networks of PORTAL_TRUSTED_PROXIES (addresses or CIDR networks, comma or space separated)."""
    raw = (environment_value("PORTAL_TRUSTED_PROXIES") if env is None else env.get("PORTAL_TRUSTED_PROXIES")) or ""
    cached = _networks.get(raw)
    if cached is None:
        cached = []
        for part in raw.replace(",", " ").split():
            try:
                cached.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"PORTAL_TRUSTED_PROXIES: {part[:60]!r} is not an address or network "
                                 "(like 10.0.0.0/8 or 127.0.0.1).") from None
        _networks[raw] = cached
    return cached


@functools.lru_cache(maxsize=4096)  # every request parses its peer's address: keep the recent ones
def _address(text):
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)
def _peer_text(remote_ip):
    """A peer's address in its normal text form (IPv4 inside IPv6 unwrapped), or the raw text."""
    peer = _address(remote_ip)
    return str(peer) if peer is not None else (remote_ip or "unknown")


def _trusted(address, networks):
    return address is not None and any(address in network for network in networks)


def client_address(request, env=None):
    """The address of the client behind a request: the connection's peer, unless the peer is a
    trusted proxy (PORTAL_TRUSTED_PROXIES), in which case the nearest untrusted address of
    X-Forwarded-For (read from the right, skipping trusted proxies), else X-Real-Ip. Headers from
    any other peer are ignored, so rotating them changes nothing."""
    cached = getattr(request, "_portal_client_address", None)
    if cached is not None:
        return cached
    networks = trusted_proxies(env)
    if not networks:  # the usual case without a proxy: the peer's address, as text
        request._portal_client_address = result = _peer_text(request.remote_ip or "")
        return result
    peer = _address(request.remote_ip or "")
    result = str(peer) if peer is not None else (request.remote_ip or "unknown")
    if _trusted(peer, networks):
        chain = [part for header in request.headers.get_list("X-Forwarded-For") for part in header.split(",")]
        chain = [part for part in chain if part.strip()]
        found = None
        for part in reversed(chain):
            address = _address(part)
            if address is None:
                break  # a hop we cannot read: trust nothing beyond it
            found = address
            if not _trusted(address, networks):
                break
        if found is None and not chain:
            found = _address(request.headers.get("X-Real-Ip", ""))
        if found is not None:
            result = str(found)
    request._portal_client_address = result
    return result


def forwarded_protocol(request, env=None):
    """'https' or 'http' as a trusted proxy says (X-Forwarded-Proto, X-Scheme); else the connection's."""
    networks = trusted_proxies(env)
    if networks and _trusted(_address(request.remote_ip or ""), networks):
        value = (request.headers.get("X-Forwarded-Proto") or request.headers.get("X-Scheme") or "").strip().lower()
        value = value.split(",")[-1].strip()
        if value in ("http", "https"):
            return value
    return request.protocol


@functools.lru_cache(maxsize=4096)  # every anonymous API call asks; the addresses seen lately repeat
def address_bucket(address):
    """The bucket of a client address: IPv6 clients by their /64 (one household's or one server's
    prefix), so that rotating addresses inside it does not escape a limit."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return "ip:" + str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return f"ip:{address}"


def key_bucket(token):
    """The bucket of an API key: its token's hash, so the limit is counted before any database lookup."""
    return "key:" + hashlib.sha256(token.encode("utf-8")).hexdigest()[:32]


# ---- the limiter -----------------------------------------------------------------------------------

class QuietMemoryStorage(MemoryStorage):
    """limits' memory storage for fixed windows, with expiry that scales.

    MemoryStorage starts a threading.Timer (a new thread) on an increment whenever the previous
    one has ended, about a hundred threads a second under load, each taking the GIL from the
    IOLoop, and each run walks every key. Here no thread is started: expired windows are dropped
    when read (as get() does) and, at most once a second in the caller's thread, from queues of
    (expiry, key) kept per window length, so a sweep costs what expired, not what is stored (a
    viral petition leaves a window per signer's address for an hour)."""

    def __init__(self, clock=time.time):
        super().__init__()
        self.timer.cancel()
        self.clock = clock
        self._lock = threading.Lock()
        self._queues = {}  # window length -> deque of (expiry, key), in expiry order
        self._swept = clock()

    def _MemoryStorage__schedule_expiry(self):  # MemoryStorage.__schedule_expiry starts the thread
        pass

    def incr(self, key, expiry, amount=1):
        return self.incr_many(((key, expiry),), amount)[0]

    def incr_many(self, windows, amount=1):
        """Add `amount` to each (key, expiry) window under one lock; the counts, in order."""
        counts = []
        with self._lock:
            now = self.clock()
            storage, expirations = self.storage, self.expirations
            for key, expiry in windows:
                if expirations.get(key, 0) <= now:  # a new window
                    storage[key] = amount
                    expirations[key] = now + expiry
                    self._queues.setdefault(expiry, collections.deque()).append((now + expiry, key))
                else:
                    storage[key] += amount
                counts.append(storage[key])
            if now - self._swept >= 1.0:
                self._swept = now
                self._sweep(now)
        return counts

    def _sweep(self, now):
        for queue in self._queues.values():
            while queue and queue[0][0] <= now:
                _expiry, key = queue.popleft()
                if self.expirations.get(key, now + 1) <= now:
                    self.storage.pop(key, None)
                    self.expirations.pop(key, None)

    def get(self, key):
        with self._lock:
            if self.expirations.get(key, 0) <= self.clock():
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
            return self.storage.get(key, 0)

    def get_expiry(self, key):
        return self.expirations.get(key, self.clock())


def window_keys(items, identifiers):
    """((key, seconds) of each limit's window for these identifiers: what FixedWindowRateLimiter.hit
    builds on every hit (limits' key_for and get_expiry), with each limit's own part built once, and
    kept for the callers who come again (an API key, an address)."""
    if type(items) is tuple:
        known = _WINDOW_KEYS.get((id(items), identifiers))
        if known is not None and known[0] is items:
            return known[1]
    if not identifiers or not all(type(part) is str for part in identifiers):  # key_for's own way
        return tuple((item.key_for(*identifiers), item.get_expiry()) for item in items)
    joined = "/".join(identifiers)
    keys = tuple((f"{namespace}/{joined}/{end}", expiry) for namespace, end, expiry in map(_key_parts, items))
    if type(items) is tuple:  # (a list could change under the same id)
        if len(_WINDOW_KEYS) > 4096:
            _WINDOW_KEYS.clear()
        _WINDOW_KEYS[(id(items), identifiers)] = (items, keys)  # the entry holds items: its id stays its own
    return keys


_WINDOW_KEYS = {}  # (id(limits), identifiers) -> (limits, their windows' keys)


_KEY_PARTS = {}  # id(limit) -> (limit, its parts): the entry holds the limit, so its id stays its own


def _key_parts(item):
    """(namespace, the key's end, seconds) of a limit: key_for(*identifiers) is namespace/identifiers/end.
    Looked up by identity: a limit's own hash is computed in Python, field by field, on every call."""
    entry = _KEY_PARTS.get(id(item))
    if entry is None or entry[0] is not item:
        if len(_KEY_PARTS) > 1024:
            _KEY_PARTS.clear()
        entry = _KEY_PARTS[id(item)] = (item, (item.namespace, item.key_for()[len(item.namespace) + 1:],
                                               item.get_expiry()))
    return entry[1]


REDIS_TIMEOUT = 0.5  # seconds a Redis call may take (the synchronous ones block the IOLoop that long)
REDIS_RETRY_SECONDS = 5  # after a Redis failure, requests go uncounted this long before Redis is tried again
SYNC_SECONDS = 0.02  # how often a process sends its requests' hits to Redis (SharedWindows)
# How old a process's view of a window may be before a request waits to learn it afresh: five batch
# intervals, so that in a busy window the next batch's answer arrives while the view is still good,
# even when a loaded IOLoop takes tens of milliseconds to read it (with one interval, every request
# in the round trip after each batch waited for it, milliseconds each: a tenth of the throughput).
STALE_SECONDS = 5 * SYNC_SECONDS


class SharedWindows:
    """Redis windows for requests, counted here and sent in batches.

    A round trip to Redis per request cost about half of a cached read's throughput (and a blocking
    one stalls every request while Redis is slow). So a hit is counted in this process at once and
    sent with the others in one pipelined round trip (limits' own increment script with their
    number, and each window's remaining time), within SYNC_SECONDS. Redis answers with every
    process's count so far. A request is judged on that shared count plus this process's hits not
    sent yet; when what this process knows of a window is older than STALE_SECONDS, the request
    waits for a batch to learn it afresh (a busy window is refreshed by the batches before that).
    So a limit may be passed across processes and machines by at most what the others admitted
    within STALE_SECONDS. Every hit reaches Redis unless Redis is unreachable (then requests pass
    uncounted, as with the synchronous path)."""

    MAX_KEYS = 100_000  # windows remembered; expired ones are dropped when there are more

    def __init__(self, limiter):
        self.limiter = limiter
        self.unsent = {}  # Redis key -> [window seconds, hits not sent yet]
        self.known = {}  # Redis key -> (count in Redis, monotonic time its window ends, when learned)
        self.next_batch = None  # (future resolved once the batch is answered, its timer handle, its delay)
        self.in_flight = 0  # batches sent and not answered yet

    @property
    def idle(self):
        """Every hit counted here has been answered by Redis (none waiting, none on its way)."""
        return not self.unsent and self.next_batch is None and not self.in_flight

    def hit_each(self, items, identifiers):
        """The limits now over, as a list; or, when this process's view of a window is stale, an
        awaitable of them (no coroutine for the usual case: a busy window's view is fresh)."""
        now = time.monotonic()
        hits, stale = [], False
        prefix = self.limiter.storage.key_prefix
        for item, (window, expiry) in zip(items, window_keys(items, identifiers)):
            key = f"{prefix}:{window}"  # limits' RedisStorage.prefixed_key
            pending = self.unsent.get(key)
            if pending is None:
                pending = self.unsent[key] = [expiry, 0]
            pending[1] += 1
            learned = self.known.get(key)
            stale = stale or learned is None or now - learned[2] > STALE_SECONDS
            hits.append((item, key, pending[1]))  # this hit's place among the batch's hits of key
        batch = self._batch(0 if stale else SYNC_SECONDS)
        if stale:
            return self._judged_by(batch, hits)
        over = []
        for item, key, place in hits:  # the last count Redis gave, then this hit's place among the unsent
            count, ends, _learned = self.known[key]
            if (count if ends > now else 0) + place > item.amount:
                over.append(item)
        return over

    @staticmethod
    async def _judged_by(batch, hits):
        """Judged on the count Redis gives this batch: the hits before it, then each hit's place."""
        answers = await batch
        if answers is None:  # Redis unreachable: serve rather than refuse
            return []
        return [item for item, key, place in hits if answers[key][0] - answers[key][1] + place > item.amount]

    def seconds_left(self, key):
        """Seconds until the window of `key` ends, as the last batch said (None: not known)."""
        left = self.known.get(key, (0, 0.0, 0.0))[1] - time.monotonic()
        return left if left > 0 else None

    def _batch(self, delay):
        """The future of the batch that will carry the hits counted so far, sent within `delay`."""
        loop = asyncio.get_running_loop()
        if self.next_batch is not None and self.next_batch[2] <= delay:
            return self.next_batch[0]
        if self.next_batch is not None:  # sooner than planned
            self.next_batch[1].cancel()
            future = self.next_batch[0]
        else:
            future = loop.create_future()
        self.next_batch = (future, loop.call_later(delay, self._start), delay)
        return future

    def _start(self):
        future, _handle, _delay = self.next_batch
        self.next_batch = None
        batch, self.unsent = self.unsent, {}
        self.in_flight += 1
        task = asyncio.ensure_future(self._send(batch))
        task.add_done_callback(lambda task: future.done() or future.set_result(task.result()))

    async def _pipeline(self, batch):
        """Each window's increment (limits' own script, by its SHA) and remaining time, in one round
        trip. Not through the registered script object: a pipeline holding one asks Redis first
        whether the script exists, a second round trip on every batch. If Redis has forgotten it
        (restarted, flushed), no increment ran: it is loaded and the batch sent once more."""
        from redis.exceptions import NoScriptError

        client, script = self.limiter._async_client()
        for attempt in (1, 2):
            pipeline = client.pipeline(transaction=False)
            for key, (expiry, hits) in batch.items():
                pipeline.evalsha(script.sha, 1, key, expiry, hits)
                pipeline.pttl(key)
            try:
                return await pipeline.execute()
            except NoScriptError:
                if attempt == 2:
                    raise
                await client.script_load(script.script)

    async def _send(self, batch):
        """Send a batch; {key: (count in Redis, hits this batch sent)}, or None when Redis failed."""
        try:
            if not batch:
                return {}
            answers = await self._pipeline(batch)
            now = time.monotonic()
            if len(self.known) > self.MAX_KEYS:
                self.known = {key: value for key, value in self.known.items() if value[1] > now}
            counts = {}
            for n, (key, (_expiry, hits)) in enumerate(batch.items()):
                count, left = int(answers[2 * n]), int(answers[2 * n + 1])
                self.known[key] = (count, now + max(left, 0) / 1000, now)
                counts[key] = (count, hits)
            return counts
        except Exception:  # noqa: BLE001 — Redis down: these hits go uncounted (serve rather than refuse)
            self.limiter._warn()
            return None
        finally:
            self.in_flight -= 1
            if self.unsent and self.next_batch is None:  # hits counted while this batch was out
                self._batch(SYNC_SECONDS)


class Limiter:
    """Fixed windows in memory or Redis. A Redis failure lets requests through uncounted (and logs):
    every call waits at most REDIS_TIMEOUT, and after a failure Redis is left alone for
    REDIS_RETRY_SECONDS, so an unreachable Redis does not stall requests.

    Requests count with hit_each_async(): with Redis, through SharedWindows (counted in the
    process, sent to Redis every SYNC_SECONDS without blocking the IOLoop). The synchronous
    hit()/hit_each() count in Redis at once, blocking: for rare paths (an invalid key) and for code
    outside the IOLoop."""

    def __init__(self, redis_url=None, prefix="portal"):
        self.redis_url = redis_url
        self._async_redis = None  # (pid, loop, client, script): made in each process and loop that uses it
        self.windows = SharedWindows(self) if redis_url else None
        if redis_url:
            self.storage = storage_from_string(redis_url, key_prefix=prefix, socket_timeout=REDIS_TIMEOUT,
                                               socket_connect_timeout=REDIS_TIMEOUT)
        else:
            self.storage = QuietMemoryStorage()
        self.strategy = FixedWindowRateLimiter(self.storage)
        self.shared = bool(redis_url)
        self._last_warning = 0.0
        self.down_until = 0.0

    @classmethod
    def from_environment(cls, env=None):
        env = os.environ if env is None else env
        return cls(env.get("PORTAL_REDIS_URL") or None, env.get("PORTAL_REDIS_PREFIX") or "portal")

    def hit(self, items, *identifiers):
        """Count one hit on each limit; return the first limit that is now over, or None."""
        over = self.hit_each(items, *identifiers)
        return over[0] if over else None

    def hit_each(self, items, *identifiers):
        """Count one hit on each limit (with Redis in one round trip); the limits now over, in order."""
        if not items or (self.down_until and time.monotonic() < self.down_until):
            return []
        try:
            if self.shared:
                counts = self._redis_incr(items, identifiers)
            else:  # FixedWindowRateLimiter.hit (storage.incr of each window), with the windows' keys kept
                counts = self.storage.incr_many(window_keys(items, identifiers))
        except Exception:  # noqa: BLE001 — Redis down: serve rather than refuse everyone
            self._warn()
            return []
        return [item for item, count in zip(items, counts) if count > item.amount]

    async def hit_each_async(self, items, *identifiers):
        """hit_each() for request handlers, on the IOLoop: with Redis, counted through SharedWindows."""
        over = self.hit_each_soon(items, *identifiers)
        return over if type(over) is list else await over

    def hit_each_soon(self, items, *identifiers):
        """hit_each_async() without a coroutine where nothing is to be waited for (memory, or a fresh
        view of the Redis windows): the limits now over as a list, else an awaitable of them."""
        if not self.shared or not items:
            return self.hit_each(items, *identifiers)
        if self.down_until and time.monotonic() < self.down_until:
            return []
        return self.windows.hit_each(items, identifiers)

    def _async_client(self):
        """This process's asyncio Redis client for the running loop (a forked child, or a test's new
        loop, makes its own: a client's connections belong to one loop)."""
        import redis.asyncio

        loop = asyncio.get_running_loop()
        current = self._async_redis
        if current is None or current[0] != os.getpid() or current[1] is not loop:
            client = redis.asyncio.Redis.from_url(self.redis_url, socket_timeout=REDIS_TIMEOUT,
                                                  socket_connect_timeout=REDIS_TIMEOUT)
            script = client.register_script(self.storage.lua_incr_expire.script)
            current = self._async_redis = (os.getpid(), loop, client, script)
        return current[2], current[3]

    def _redis_incr(self, items, identifiers):
        """What FixedWindowRateLimiter.hit does per limit (limits' own increment script), pipelined."""
        pipeline = self.storage.get_connection().pipeline(transaction=False)
        for key, expiry in window_keys(items, identifiers):
            self.storage.lua_incr_expire([self.storage.prefixed_key(key)], [expiry, 1], client=pipeline)
        return [int(count) for count in pipeline.execute()]

    def seconds_left(self, item, *identifiers):
        """Seconds until the window of `item` resets (at least a small positive number)."""
        if self.down_until and time.monotonic() < self.down_until:
            return 1.0
        try:
            if self.shared:  # limits reads Redis' TTL in whole seconds; a wait needs milliseconds
                left = self.windows.seconds_left(self.storage.prefixed_key(item.key_for(*identifiers)))
                if left is not None:
                    return max(0.01, left)
                left = self.storage.get_connection(True).pttl(self.storage.prefixed_key(item.key_for(*identifiers)))
                return max(0.01, left / 1000) if left and left > 0 else 0.01
            reset = self.strategy.get_window_stats(item, *identifiers).reset_time
        except Exception:  # noqa: BLE001
            self._warn()
            return 1.0
        return max(0.01, reset - getattr(self.storage, "clock", time.time)())

    def refusal(self, item, *identifiers):
        return RateLimited(max(1, math.ceil(self.seconds_left(item, *identifiers))), item.amount, _label(item))

    def _warn(self):
        now = time.monotonic()
        if self.shared:
            self.down_until = now + REDIS_RETRY_SECONDS
        if now - self._last_warning > 60:
            self._last_warning = now
            log.warning("rate-limit storage unreachable; requests are let through uncounted", exc_info=True)


def _label(item):
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"


def limiter_of(handler):
    """The application's limiter (one per application; make_app creates it)."""
    limiter = handler.application.settings.get("limiter")
    if limiter is None:
        limiter = handler.application.settings["limiter"] = Limiter.from_environment()
    return limiter


# ---- API calls: one behaviour in every dialect -----------------------------------------------------

async def admit_api_call(handler, bucket, limits=None):
    """Count an API call for `bucket`. Over the burst limit it waits for the next window (up to
    PACE_SECONDS in all, holding no database connection); over the sustained limit, or past the
    wait budget, it raises RateLimited (a 429 with Retry-After in the dialect's shape)."""
    limiter = limiter_of(handler)
    items, sustained = limits or api_limits()  # (the caller may have read them already)
    over = limiter.hit_each_soon(items, bucket)  # one round trip at most; the call counts once a minute
    if type(over) is not list:
        over = await over
    for item in over:
        if item in sustained:
            raise limiter.refusal(item, bucket)  # waiting would not help
    waited = 0.0
    while over:
        wait = limiter.seconds_left(over[0], bucket) + 0.005
        if waited + wait > PACE_SECONDS:
            raise limiter.refusal(over[0], bucket)
        await asyncio.sleep(wait)
        waited += wait
        over = await limiter.hit_each_async(items[:len(items) - len(sustained)], bucket)  # the burst limit


def charge_address(handler):
    """Count a call whose key turned out invalid against the client address too (no waiting)."""
    limiter = limiter_of(handler)
    bucket = address_bucket(client_address(handler.request))
    over = limiter.hit(api_limits()[0], bucket)
    if over is not None:
        raise limiter.refusal(over, bucket)


class LimitedApiHandler:
    """Mixin for the API dialects' base handlers: counts every call before the database is touched.

    A dialect tells which token a request carries (request_token); calls without one count
    against the client address."""

    def request_token(self):
        return None

    async def prepare(self):
        limits = api_limits()
        if limits[0]:  # else nothing to count
            token = None
            try:
                token = self.request_token()
            except Exception:  # noqa: BLE001 — a malformed request is refused by the handler itself
                token = None
            bucket = key_bucket(token) if token else address_bucket(client_address(self.request))
            await admit_api_call(self, bucket, limits)
        super().prepare()

    def resolve_key(self, token):
        """api.resolve_key(), with an invalid key counted against the client address as well."""
        from models import api

        try:
            return api.resolve_key(token)
        except api.ApiKeyInvalid:
            charge_address(self)
            raise

    async def limit_signing(self, email):
        """Abuse limits on an API signature; raises RateLimited. Calls from a browser (with an
        Origin header) count against the client address as web signing does; server-to-server calls
        are bounded by their key's limits. Every attempt naming an address counts against that
        address's hourly budget of confirmation mails."""
        if self.request.headers.get("Origin"):
            await admit_signer(self)
        refusal = await mail_refusal(self, email)
        if refusal is not None:
            raise refusal

    async def signed(self, result, email):
        """After a stored signature: its mail counts against a repeated signature's interval."""
        if result is not None and result.created:
            items = limits_of("PORTAL_SIGN_REPEAT_MAIL_MINUTES")
            await limiter_of(self).hit_each_async(items, "repeat", email_bucket(email, result.signature.petition_id))


# ---- signing abuse limits ----------------------------------------------------------------------------

class SigningTooFast(RateLimited):
    code = "rate_limited"

    def __init__(self, retry_after):
        self.retry_after = retry_after
        super(RateLimited, self).__init__(
            f"Too many signatures from your network in a short time. Fix: wait {retry_after} s (see Retry-After) "
            "and try again.", retry_after=retry_after)


class TooManyMails(RateLimited):
    code = "too_many_mails"

    def __init__(self, retry_after):
        self.retry_after = retry_after
        super(RateLimited, self).__init__(
            "Too many confirmation mails were sent to this email address recently. Fix: let the signer confirm "
            f"the mail they have, or try again in {retry_after} s (see Retry-After).", retry_after=retry_after)


# The web page's words (translated where shown).
SIGNING_TOO_FAST_PAGE = N_("Too many signatures came from your network in a short time. Please wait %(minutes)s "
                           "minutes and try again.")


def email_bucket(email, petition_id=None):
    """An address's bucket: its hash (no address is stored in the limiter, in memory or Redis)."""
    digest = _email_digest(email)
    return f"mail:{digest}" if petition_id is None else f"mail:{digest}:{petition_id}"


@functools.lru_cache(maxsize=256)  # a signing request asks twice (before and after storing)
def _email_digest(email):
    from models.user import normalise_email

    return hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()[:32]


async def admit_signer(handler):
    """Count a signing attempt from the client's address; raise SigningTooFast over the limit."""
    items = limits_of("PORTAL_SIGN_RATE_PER_CLIENT")
    if not items:  # switched off: nothing to count
        return
    limiter = limiter_of(handler)
    bucket = address_bucket(client_address(handler.request))
    over = await limiter.hit_each_async(items, "sign", bucket)
    if over:
        raise SigningTooFast(max(1, math.ceil(limiter.seconds_left(over[0], "sign", bucket))))


async def mail_refusal(handler, email, petition_id=None):
    """Count a confirmation mail to `email`; the refusal (TooManyMails) when it must not be sent.

    With a petition (the web form, whose every attempt mails): a repeated signature of that
    petition mails at most once per PORTAL_SIGN_REPEAT_MAIL_MINUTES. Across petitions, at most
    PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR mails."""
    limiter = limiter_of(handler)
    if petition_id is not None:
        bucket = email_bucket(email, petition_id)
        over = await limiter.hit_each_async(limits_of("PORTAL_SIGN_REPEAT_MAIL_MINUTES"), "repeat", bucket)
        if over:
            return TooManyMails(max(1, math.ceil(limiter.seconds_left(over[0], "repeat", bucket))))
    bucket = email_bucket(email)
    over = await limiter.hit_each_async(limits_of("PORTAL_SIGN_MAILS_PER_EMAIL_PER_HOUR"), "hour", bucket)
    if over:
        return TooManyMails(max(1, math.ceil(limiter.seconds_left(over[0], "hour", bucket))))
    return None
