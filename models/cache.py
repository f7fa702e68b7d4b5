"""Short-lived in-process caches, each with a stated bound on how stale it may be.

| cache | default bound | setting | what it means |
|---|---|---|---|
| API keys | 5 s | PORTAL_CACHE_KEYS_SECONDS | a revoked key (or one whose owner left its organisation) keeps working at most this long in another process; revoking clears this process's entries at once |
| petitions (signing checks) | 2 s | PORTAL_CACHE_PETITIONS_SECONDS | a petition closed, hidden or with API submissions switched off may take signatures that long |
| pages and counts (micro-cache) | 1 s | PORTAL_MICROCACHE_SECONDS | the verified count and the public petition and home pages, rendered once a second per process |

0 switches a cache off (the test suite does, except for the tests of the caches themselves). Each
process has its own caches; nothing in them is needed by another process (see DESIGN.md).
"""
import os
import threading
import time

_DEFAULTS = {"keys": 5.0, "petitions": 2.0, "pages": 1.0}
_ENV = {"keys": "PORTAL_CACHE_KEYS_SECONDS", "petitions": "PORTAL_CACHE_PETITIONS_SECONDS",
        "pages": "PORTAL_MICROCACHE_SECONDS"}


def _seconds(name):
    try:
        return max(0.0, float(os.environ.get(_ENV[name]) or _DEFAULTS[name]))
    except ValueError:
        return _DEFAULTS[name]


class TtlCache:
    """key -> value for at most `seconds` (a monotonic clock); at most max_items entries."""

    def __init__(self, name, max_items=10_000):
        self.name = name
        self.seconds = _seconds(name)
        self.max_items = max_items
        self._items = {}
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The cached value of `key`, or compute() stored for `seconds`. Exceptions are not cached."""
        if self.seconds <= 0:
            return compute()
        now = time.monotonic()
        item = self._items.get(key)
        if item is not None and item[0] > now:
            return item[1]
        value = compute()
        with self._lock:
            if len(self._items) >= self.max_items:
                self._items.clear()
            self._items[key] = (now + self.seconds, value)
        return value

    def clear(self):
        with self._lock:
            self._items.clear()


keys = TtlCache("keys")
petitions = TtlCache("petitions")
pages = TtlCache("pages")
ALL = (keys, petitions, pages)


def set_bounds(**seconds):
    """Set caches' bounds (seconds; 0 = off) and empty them: set_bounds(keys=0, pages=1)."""
    for cache in ALL:
        if cache.name in seconds:
            cache.seconds = float(seconds[cache.name])
        cache.clear()


def clear_all():
    for cache in ALL:
        cache.clear()
