"""Schedules and settings from the environment, the job lock, run records and their retention."""
import datetime as dt
import os
import subprocess
import sys
import threading

import pytest

from jobs import scheduler
from jobs.scheduler import ScheduleError, check_schedules, job_settings, next_run, schedule_of, trigger_of
from models import clock
from models import jobs as records
from models.jobs import JobLock, JobRun
from models.mail import OutboxMessage
from tests.support_jobs import published_response


def test_schedules_and_settings_come_from_the_environment():
    job = scheduler.by_name("chase_handover")
    assert schedule_of(job, {}) == "cron 15 6 * * *"
    assert schedule_of(job, {"PORTAL_JOB_CHASE_HANDOVER": " Every  5M "}) == "every 5m"
    assert trigger_of("every 5m").interval == dt.timedelta(minutes=5)
    assert trigger_of("off") is None
    assert job_settings(job, {"PORTAL_JOB_CHASE_HANDOVER_MAX_REMINDERS": "5"}) == {
        "after_days": 14, "max_reminders": 5, "spacing_days": 7}
    for wrong in ("every 0s", "every fortnight", "cron 61 * * * *", "hourly"):
        with pytest.raises(ScheduleError):
            trigger_of(wrong)
    with pytest.raises(ScheduleError, match="PORTAL_JOB_CHASE_HANDOVER_AFTER_DAYS must be a whole number"):
        job_settings(job, {"PORTAL_JOB_CHASE_HANDOVER_AFTER_DAYS": "two weeks"})
    with pytest.raises(ScheduleError, match="PORTAL_JOB_DELIVER_MAIL"):
        check_schedules({"PORTAL_JOB_DELIVER_MAIL": "sometimes"})
    check_schedules({})


def test_next_run_follows_the_schedule(monkeypatch):
    now = dt.datetime(2026, 11, 24, 7, 0)
    assert next_run(scheduler.by_name("signature_hygiene"), None, now) == dt.datetime(2026, 11, 25, 3, 0)
    last = JobRun(started_at=dt.datetime(2026, 11, 24, 6, 59, 50))
    assert next_run(scheduler.by_name("deliver_mail"), last, now) == dt.datetime(2026, 11, 24, 7, 0, 5)
    monkeypatch.setenv("PORTAL_JOB_DELIVER_MAIL", "off")
    assert next_run(scheduler.by_name("deliver_mail"), last, now) is None


def test_the_lock_admits_one_holder_at_a_time(database):
    assert records.acquire("close_petitions")
    other = []
    thread = threading.Thread(target=lambda: other.append(records.acquire("close_petitions")))
    thread.start()
    thread.join()
    assert other == [False]  # another thread of this process
    records.release("close_petitions")
    assert records.acquire("close_petitions")
    records.release("close_petitions")


def test_a_job_running_elsewhere_is_skipped_and_not_recorded(database):
    assert records.acquire("deliver_mail")
    try:
        result = []
        thread = threading.Thread(target=lambda: result.append(scheduler.run_job("deliver_mail")))
        thread.start()
        thread.join()
    finally:
        records.release("deliver_mail")
    assert result == [{"outcome": "skipped", "counts": {}, "error": None}]
    assert JobRun.select().count() == 0


def test_sqlite_lease_taken_over_when_expired_or_its_process_died(backend):
    if backend != "sqlite":
        pytest.skip("PostgreSQL uses advisory locks, released by the server when a session ends")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    future = clock.wall_now() + dt.timedelta(minutes=5)
    JobLock.create(name="a", holder="elsewhere.example:1", lease_until=future)
    JobLock.create(name="b", holder="elsewhere.example:1", lease_until=clock.wall_now() - dt.timedelta(seconds=1))
    JobLock.create(name="c", holder=f"{records.HOST}:{dead.pid}", lease_until=future)
    JobLock.create(name="d", holder=f"{records.HOST}:{os.getppid()}", lease_until=future)  # alive
    assert [records.acquire(name) for name in "abcd"] == [False, True, True, False]
    for name in "bc":
        records.release(name)
    assert JobLock.get_by_id("b").holder is None


def test_runs_are_recorded_and_old_ones_pruned(database):
    now = clock.wall_now()
    JobRun.create(job="close_petitions", worker="x:1", started_at=now - dt.timedelta(days=8), outcome="ok")
    JobRun.create(job="close_petitions", worker="x:1", started_at=now - dt.timedelta(days=8), outcome="failed")
    JobRun.create(job="close_petitions", worker="x:1", started_at=now - dt.timedelta(days=91), outcome="failed")
    assert scheduler.run_job("close_petitions", trigger="cli")["outcome"] == "ok"
    runs = list(JobRun.select().order_by(JobRun.id))
    assert [r.outcome for r in runs] == ["failed", "ok"]
    assert runs[-1].trigger == "cli" and runs[-1].finished_at >= runs[-1].started_at
    assert runs[-1].counts_dict == {"closed": 0, "skipped": 0}


def test_a_lead_petitioner_who_also_signed_gets_one_notice(make):
    lead = make.user(email="lead@example.net")
    petition = make.petition(lead=lead)
    make.signature(petition, email="lead@example.net", wants_notice=True)
    make.signature(petition, wants_notice=True)
    OutboxMessage.delete().execute()
    published_response(petition)
    assert scheduler.run_job("response_notices")["counts"]["signers"] == 1
    assert sorted(m.to_address for m in OutboxMessage.select())[0] == "lead@example.net"
    assert OutboxMessage.select().count() == 2
