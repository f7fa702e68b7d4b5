"""Secrets we mail or show once (confirmation links, reset links, invitations, API keys) are
stored only as their SHA-256: a leaked database gives no working link or key."""
import base64
import hashlib
import os
import threading


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class _RandomPool:
    """os.urandom, read POOL_BYTES at a time, for the tokens of a signing burst.

    Each os.urandom call is a getrandom() system call that lets go of the GIL; under load the
    intake writer takes it meanwhile and the request waits for it back. From a pool, a token costs
    a slice. Bytes are handed out once (under a lock: the intake writer makes tokens too), and a
    forked child starts with an empty pool: two processes must never hand out the same bytes."""

    POOL_BYTES = 4096

    def __init__(self):
        self._lock = threading.Lock()
        self._forget()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._forget)

    def _forget(self):
        self._lock = threading.Lock()  # a lock held at fork time stays held in the child
        self._bytes, self._used = b"", 0

    def take(self, size):
        with self._lock:
            if self._used + size > len(self._bytes):
                self._bytes, self._used = os.urandom(max(self.POOL_BYTES, size)), 0
            chunk = self._bytes[self._used:self._used + size]
            self._used += size
        return chunk


_pool = _RandomPool()


def token_urlsafe(size=24):
    """secrets.token_urlsafe(size), from the pool (the same randomness: os.urandom)."""
    return base64.urlsafe_b64encode(_pool.take(size)).rstrip(b"=").decode("ascii")
