"""Group commit for signature intake: one writer thread per process gathers concurrent submissions
and writes them in one transaction.

A request validates its signature and checks the petition (from short-lived caches), hands the row
to the writer and awaits a future while holding NO database connection (see DESIGN.md). The writer
thread, with its own connection, takes what is queued (up to PORTAL_INTAKE_BATCH rows, waiting at
most PORTAL_INTAKE_WINDOW_MS for more after the first), writes every signature and its
confirmation mail in one transaction, and resolves each request's future only after the commit: a
202 always means the row is in the database. A batch that fails (a duplicate email, a value the
database refuses) is retried row by row, each in its own transaction, so one bad row does not sink
its neighbours; each request gets its own row's result or error.

The writer is started lazily in the process that first submits (so each process forked by
`serve --processes N` gets its own after the fork).
"""
import asyncio
import logging
import os
import queue
import threading
import time

from models.db import db, is_postgres

log = logging.getLogger("portal.intake")


def _setting(name, default):
    try:
        return max(0, int(os.environ.get(name) or default))
    except ValueError:
        return default


class Writer:
    """A daemon thread writing batches: write_batch(items) in one transaction, else write_one(item)."""

    def __init__(self, write_batch, write_one, max_batch=None, window_ms=None):
        self.write_batch = write_batch
        self.write_one = write_one
        self.max_batch = max_batch or _setting("PORTAL_INTAKE_BATCH", 200) or 1
        self.window = (window_ms if window_ms is not None else _setting("PORTAL_INTAKE_WINDOW_MS", 2)) / 1000
        self.queue = queue.SimpleQueue()
        self.pid = os.getpid()
        self.thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
        self.thread.start()

    async def submit(self, item):
        """Queue one item; return its result once its transaction has committed (or raise its error)."""
        if db.in_transaction():
            raise RuntimeError("submit the signature outside a transaction: its batch commits on its own")
        if not db.is_closed() and is_postgres():
            # hold no connection while waiting (DESIGN.md): back to the pool. (SQLite: the thread's
            # one connection stays open, with no transaction, as between requests.)
            db.close()
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self.queue.put((item, loop, future))
        return await future

    def _gather(self):
        """The first item, and what else arrives within the window (at most max_batch). The thread
        sleeps through the window and then takes what came: waiting on the queue instead would wake
        it (and take the GIL from the IOLoop) once per signature of a burst."""
        batch = [self.queue.get()]
        if self.window:
            time.sleep(self.window)
        while len(batch) < self.max_batch:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _run(self):
        while True:
            batch = self._gather()
            try:
                outcomes = self._write(batch)
            except BaseException as error:  # the writer itself must never die
                log.exception("intake batch failed")
                outcomes = [error] * len(batch)
            by_loop = {}  # one wake-up per event loop for the whole batch, not one per request
            for (_, loop, future), outcome in zip(batch, outcomes):
                by_loop.setdefault(loop, []).append((future, outcome))
            for loop, results in by_loop.items():
                try:
                    loop.call_soon_threadsafe(_resolve_all, results)
                except RuntimeError:  # that loop is gone
                    pass

    def _write(self, batch):
        items = [item for item, _, _ in batch]
        try:
            with db.connection_context():
                return [_Ok(value) for value in self.write_batch(items)]
        except Exception:
            pass
        outcomes = []
        for item in items:  # one bad row (a duplicate, a refused value) must not sink its neighbours
            try:
                with db.connection_context():
                    outcomes.append(_Ok(self.write_one(item)))
            except Exception as error:
                outcomes.append(error)
        return outcomes


class _Ok:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def _resolve_all(results):
    for future, outcome in results:
        if future.done():  # the request went away meanwhile
            continue
        if isinstance(outcome, _Ok):
            future.set_result(outcome.value)
        else:
            future.set_exception(outcome)


_writers = {}
_lock = threading.Lock()


def writer(name, write_batch, write_one):
    """This process's writer called `name` (started on first use; a forked child starts its own)."""
    pid = os.getpid()
    current = _writers.get(name)
    if current is None or current.pid != pid:
        with _lock:
            current = _writers.get(name)
            if current is None or current.pid != pid:
                current = _writers[name] = Writer(write_batch, write_one)
    return current
