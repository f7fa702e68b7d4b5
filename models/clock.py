"""One clock for the whole portal, so jobs can run 'as if it were' another time and tests never sleep.

All timestamps are naive UTC datetimes (the same on SQLite and PostgreSQL).
"""
import datetime as dt
import threading
import time

_override = threading.local()
_global_override = None
_second = (0, None)  # (Unix second, that second as a naive UTC datetime): a signature reads the time five times


def now() -> dt.datetime:
    value = getattr(_override, "value", None) or _global_override
    if value is not None:
        return value
    return wall_now()


def wall_now() -> dt.datetime:
    """The real time, whatever the clock is pinned to (for leases and for when mail is due)."""
    global _second
    second = int(time.time())
    cached = _second
    if cached[0] != second:
        cached = _second = (second, dt.datetime(1970, 1, 1) + dt.timedelta(seconds=second))
    return cached[1]


def today() -> dt.date:
    return now().date()


class frozen:
    """Context manager: `with clock.frozen(when): ...` makes now() return `when` in this thread."""

    def __init__(self, when: dt.datetime):
        self.when = when

    def __enter__(self):
        self.previous = getattr(_override, "value", None)
        _override.value = self.when
        return self.when

    def __exit__(self, *exc):
        _override.value = self.previous


def set_global(when):
    """Pin the clock for every thread (tests and `jobs run --now`); None releases it."""
    global _global_override
    _global_override = when


def parse_iso(value: str) -> dt.datetime:
    """Parse an ISO-8601 time; aware times are converted to naive UTC."""
    parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed
