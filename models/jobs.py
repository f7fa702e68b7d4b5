"""Scheduled-job bookkeeping: the runs, the lock that lets one process run a job at a time, and
the records that make reminders idempotent (chases sent, answer-due reminders sent).

Locking: on PostgreSQL a session advisory lock (released by the server if the process dies); on
SQLite a lease row taken with one conditional UPDATE (free, expired, ours, or held by a process on
this host that no longer exists). Lease times use the real wall clock, not clock.now(): a job run
`--now` some other time must not take a lease until that time.
"""
import datetime as dt
import json
import logging
import os
import socket
import threading
import time
import zlib
from pathlib import Path

import peewee as pw

from models import clock
from models.db import BaseModel, db, is_postgres

log = logging.getLogger("portal.jobs")
LEASE = dt.timedelta(minutes=10)
HOST = socket.gethostname()[:100]


class JobRun(BaseModel):
    job = pw.CharField(max_length=64, index=True)
    trigger = pw.CharField(max_length=16, default="schedule")  # schedule, cli, admin
    worker = pw.CharField(max_length=128)  # host:pid
    started_at = pw.DateTimeField(index=True)  # wall clock
    finished_at = pw.DateTimeField(null=True)
    as_of = pw.DateTimeField(null=True)  # clock.now() the job acted at (differs under --now)
    outcome = pw.CharField(max_length=12, default="running", index=True)  # running ok failed abandoned
    counts = pw.TextField(default="{}")  # JSON
    error = pw.TextField(null=True)

    @property
    def counts_dict(self):
        try:
            return json.loads(self.counts or "{}")
        except ValueError:
            return {}

    @property
    def counts_text(self):
        return ", ".join(f"{k} {v}" for k, v in self.counts_dict.items()) or "-"


class JobLock(BaseModel):
    """The SQLite lease (PostgreSQL uses advisory locks and leaves this table alone)."""
    name = pw.CharField(max_length=64, primary_key=True)
    holder = pw.CharField(max_length=128, null=True)
    acquired_at = pw.DateTimeField(null=True)
    lease_until = pw.DateTimeField(null=True)


class ChaseRecord(BaseModel):
    """One handover reminder sent for a petition (number 1..max), so restarts never resend."""
    petition_id = pw.IntegerField(index=True)
    number = pw.IntegerField()
    sent_at = pw.DateTimeField()
    recipients = pw.IntegerField(default=0)

    class Meta:
        indexes = ((("petition_id", "number"), True),)


class ReminderSent(BaseModel):
    """An answer-due reminder or overdue notice sent for one value of answer_due_date."""
    petition_id = pw.IntegerField(index=True)
    kind = pw.CharField(max_length=24)  # answer_due, answer_overdue
    due_date = pw.DateField()
    sent_at = pw.DateTimeField()

    class Meta:
        indexes = ((("petition_id", "kind", "due_date"), True),)


# ---- locks ------------------------------------------------------------------------------------

_held = set()  # names this process holds (a second thread of the same process must not re-enter)
_held_guard = threading.Lock()
_local = threading.local()


def holder_id():
    return f"{HOST}:{os.getpid()}"


def _advisory_key(name):
    return 0x50455400 ^ zlib.crc32(f"portal-job:{name}".encode())


def _pid_gone(holder):
    host, _, pid = (holder or "").rpartition(":")
    if host != HOST or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def acquire(name, lease=LEASE):
    """Take the job's lock for this process; False when another process (or thread) holds it."""
    with _held_guard:
        if name in _held:
            return False
        _held.add(name)
    try:
        if is_postgres():
            taken = db.execute_sql("SELECT pg_try_advisory_lock(%s)", (_advisory_key(name),)).fetchone()[0]
        else:
            taken = _acquire_lease(name, lease)
    except BaseException:
        with _held_guard:
            _held.discard(name)
        raise
    if not taken:
        with _held_guard:
            _held.discard(name)
        return False
    _local.lock = (name, lease)
    return True


def _acquire_lease(name, lease):
    now = clock.wall_now()
    me = holder_id()
    JobLock.insert(name=name).on_conflict_ignore().execute()
    row = JobLock.get_by_id(name)
    condition = JobLock.holder.is_null() | (JobLock.lease_until < now) | (JobLock.holder == me)
    if row.holder and _pid_gone(row.holder):
        condition |= (JobLock.holder == row.holder)  # its process died: compare-and-set on that holder
    return bool(JobLock.update(holder=me, acquired_at=now, lease_until=now + lease)
                .where((JobLock.name == name) & condition).execute())


def heartbeat():
    """Extend this thread's lease (long jobs call it between batches); a no-op on PostgreSQL."""
    current = getattr(_local, "lock", None)
    if current is None or is_postgres():
        return True
    name, lease = current
    now = clock.wall_now()
    return bool(JobLock.update(lease_until=now + lease)
                .where((JobLock.name == name) & (JobLock.holder == holder_id())).execute())


def release(name):
    _local.lock = None
    try:
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_unlock(%s)", (_advisory_key(name),))
        else:
            (JobLock.update(holder=None, lease_until=None)
             .where((JobLock.name == name) & (JobLock.holder == holder_id())).execute())
    finally:
        with _held_guard:
            _held.discard(name)


# ---- runs ---------------------------------------------------------------------------------------

_unrecorded = []  # failures that happened while the database was unreachable; written on next run
_unrecorded_guard = threading.Lock()


KEEP_OK_RUNS = dt.timedelta(days=7)
KEEP_FAILED_RUNS = dt.timedelta(days=90)


def start_run(name, trigger):
    now = clock.wall_now()
    # Retention: frequent jobs would otherwise add thousands of rows a day.
    (JobRun.delete().where((JobRun.job == name) & (
        ((JobRun.outcome == "ok") & (JobRun.started_at < now - KEEP_OK_RUNS))
        | (JobRun.started_at < now - KEEP_FAILED_RUNS))).execute())
    # Runs left 'running' by a process that died: we hold the lock, so nobody else is running it.
    (JobRun.update(outcome="abandoned", finished_at=clock.wall_now(), error="the process running it stopped")
     .where((JobRun.job == name) & (JobRun.outcome == "running")).execute())
    return JobRun.create(job=name, trigger=trigger, worker=holder_id(), started_at=clock.wall_now(), as_of=clock.now())


def finish_run(run, outcome, counts=None, error=None):
    (JobRun.update(outcome=outcome, finished_at=clock.wall_now(), counts=json.dumps(counts or {}),
                   error=(error or None) and error[:4000])
     .where(JobRun.id == run.id).execute())


def remember_unrecorded(name, trigger, started_at, error, run_id=None):
    """Keep a failure the database could not take; the next run in this process writes it."""
    with _unrecorded_guard:
        _unrecorded.append(dict(id=run_id, job=name, trigger=trigger, worker=holder_id(), started_at=started_at,
                                finished_at=clock.wall_now(), as_of=None, outcome="failed", counts="{}",
                                error=error[:4000]))
        del _unrecorded[:-50]


def flush_unrecorded():
    with _unrecorded_guard:
        rows, _unrecorded[:] = list(_unrecorded), []
    for row in rows:
        run_id = row.pop("id")
        if run_id is not None:  # its row exists, left 'running' when the connection was lost
            JobRun.update(outcome="failed", finished_at=row["finished_at"], error=row["error"]).where(
                JobRun.id == run_id).execute()
        else:
            JobRun.insert(**row).execute()


def last_runs():
    """{job name: its latest JobRun}."""
    latest = (JobRun.select(JobRun.job, pw.fn.MAX(JobRun.id).alias("last_id")).group_by(JobRun.job))
    ids = [row.last_id for row in latest]
    return {run.job: run for run in JobRun.select().where(JobRun.id.in_(ids))} if ids else {}


def recent_failures(limit=20):
    return list(JobRun.select().where(JobRun.outcome.in_(["failed", "abandoned"]))
                .order_by(JobRun.id.desc()).limit(limit))


# ---- a test hook for the crash and race tests ------------------------------------------------

_hits = {}


def pause_point(point):
    """With PORTAL_TEST_PAUSE='<point>[#n]:<file>', stop at the n-th (default first) pass here:
    create '<file>.reached' and wait until <file> exists. Lets tests kill a process or race two at
    a known moment. Unset in production."""
    spec = os.environ.get("PORTAL_TEST_PAUSE", "")
    wanted, _, path = spec.partition(":")
    wanted, _, nth = wanted.partition("#")
    if not path or wanted != point:
        return
    _hits[point] = _hits.get(point, 0) + 1
    if _hits[point] != int(nth or 1):
        return
    release_file = Path(path)
    Path(f"{path}.reached").touch()
    deadline = time.monotonic() + 120
    while not release_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
