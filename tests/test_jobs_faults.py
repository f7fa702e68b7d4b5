"""Faults the jobs must survive, with real separate processes where the fault is a process:
killed mid-batch, two processes starting the same job at once, the database unreachable."""
import datetime as dt
import threading
from pathlib import Path

import peewee as pw
import pytest

from jobs.scheduler import run_job
from models import clock
from models.db import db, make_database
from models.jobs import JobRun
from models.mail import OutboxMessage
from models.petition import Petition
from models.response import Response, notice_key
from models.signature import Signature
from tests.support import days, free_port
from tests.support_jobs import published_response, run_cli, start_cli, wait_for


def bulk_signers(petition, n, wants_notice=True, start=0):
    now = clock.now()
    rows = [{"petition": petition.id, "full_name": f"Bulk Signer{start + i}", "email": f"bulk{start + i}@example.net",
             "wants_notice": wants_notice, "created_at": now, "confirmed_at": now, "source": "demo"}
            for i in range(n)]
    with db.atomic():
        for i in range(0, n, 500):
            Signature.insert_many(rows[i:i + 500]).execute()


@pytest.mark.parametrize("where", ["notices-batch#2", "notices-uncommitted#3"])
def test_killed_mid_response_notices_then_restarted_nobody_gets_two(make, database, tmp_path, where):
    """SIGKILL after two committed batches, or inside the third batch's open transaction."""
    petition = make.petition()
    bulk_signers(petition, 95)
    bulk_signers(petition, 20, wants_notice=False, start=1000)
    response = published_response(petition)
    release = tmp_path / "never-released"
    child = start_cli(database, "jobs", "run", "response_notices", PORTAL_TEST_PAUSE=f"{where}:{release}",
                      PORTAL_JOB_RESPONSE_NOTICES_BATCH_SIZE=10)
    try:
        wait_for(lambda: Path(f"{release}.reached").exists() or child.poll() is not None, what="the pause point")
        assert child.poll() is None, child.stdout.read()
    finally:
        child.kill()
        child.wait()
    notices = OutboxMessage.select().where(OutboxMessage.kind == "response_notice")
    assert notices.count() == 1 + 20  # the lead and two committed batches; the open one rolled back
    assert Response.get_by_id(response.id).notices_state == "running"

    code, output = run_cli(database, "jobs", "run", "response_notices", PORTAL_JOB_RESPONSE_NOTICES_BATCH_SIZE=10)
    assert code == 0 and "response_notices: ok" in output, output

    opted = [s.id for s in Signature.select().where(Signature.wants_notice == True)]  # noqa: E712
    keys = [m.dedupe_key for m in notices]
    assert len(keys) == len(set(keys)) == 96
    assert set(keys) == {notice_key(response.id, sid) for sid in opted} | {
        notice_key(response.id, None, petition.lead_petitioner_id)}
    per_address = {}
    for message in notices:
        per_address[message.to_address] = per_address.get(message.to_address, 0) + 1
    assert set(per_address.values()) == {1}
    assert Response.get_by_id(response.id).notices_state == "done"
    assert [r.outcome for r in JobRun.select().order_by(JobRun.id)] == ["abandoned", "ok"]


def test_two_processes_starting_the_same_job_at_once_run_it_once(make, database, tmp_path):
    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    release = tmp_path / "release"
    # Both start now; the one that takes the lock waits at the pause until the other has given up.
    children = [start_cli(database, "jobs", "run", "close_petitions", PORTAL_TEST_PAUSE=f"locked:{release}")
                for _ in range(2)]
    try:
        wait_for(lambda: Path(f"{release}.reached").exists() and any(c.poll() is not None for c in children),
                 what="one process holding the lock and the other giving up")
        release.touch()
        outputs = [c.communicate(timeout=120)[0] for c in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    assert [c.returncode for c in children] == [0, 0], outputs
    assert sorted("skipped, it is running in another process" in o for o in outputs) == [False, True], outputs
    assert sum("close_petitions: ok (closed 1" in o for o in outputs) == 1, outputs
    assert [(r.job, r.outcome) for r in JobRun.select()] == [("close_petitions", "ok")]
    assert Petition.get_by_id(petition.id).status == "to_process"
    lead_mails = OutboxMessage.select().where(OutboxMessage.to_address == petition.lead_petitioner.email)
    assert lead_mails.count() == 1


def _unreachable(backend):
    if backend == "sqlite":
        return pw.SqliteDatabase("/nonexistent-directory/for/sure/portal.db")
    return make_database(f"postgresql://postgres@127.0.0.1:{free_port()}/portal")


def test_database_unreachable_job_fails_cleanly_says_so_and_succeeds_next_run(make, backend, caplog):
    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    real = db.obj
    db.initialize(_unreachable(backend))
    try:
        result = run_job("close_petitions")
    finally:
        db.initialize(real)
    assert result["outcome"] == "failed" and result["error"].startswith("database unavailable"), result
    assert "job close_petitions failed: database unavailable" in caplog.text

    assert run_job("close_petitions") == {"outcome": "ok", "counts": {"closed": 1, "skipped": 0}, "error": None}
    assert Petition.get_by_id(petition.id).status == "to_process"
    runs = list(JobRun.select().order_by(JobRun.started_at, JobRun.id))
    assert [r.outcome for r in runs] == ["failed", "ok"]  # the failure is recorded once it can be
    assert runs[0].error.startswith("database unavailable")


def test_connection_lost_mid_job_fails_cleanly_and_next_run_succeeds(make, backend, monkeypatch, tmp_path):
    if backend != "postgres":
        pytest.skip("terminating a server connection is a PostgreSQL fault")
    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    release = tmp_path / "release"
    monkeypatch.setenv("PORTAL_TEST_PAUSE", f"locked:{release}")
    from models import jobs as records

    records._hits.clear()
    results = []
    worker = threading.Thread(target=lambda: results.append(run_job("close_petitions")))
    worker.start()
    wait_for(lambda: Path(f"{release}.reached").exists(), what="the job to hold its lock")
    db.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    release.touch()
    worker.join(120)
    assert results and results[0]["outcome"] == "failed" and "database unavailable" in results[0]["error"], results
    assert Petition.get_by_id(petition.id).status == "live"
    monkeypatch.delenv("PORTAL_TEST_PAUSE")

    assert run_job("close_petitions")["outcome"] == "ok"
    assert Petition.get_by_id(petition.id).status == "to_process"
    assert [r.outcome for r in JobRun.select().order_by(JobRun.id)] == ["failed", "ok"]


def test_cli_jobs_run_with_now_and_jobs_list(make, database):
    organisation = make.organisation(contact_email="office@town.example")
    petition = make.petition(organisation=organisation)
    when = (petition.closes_at + dt.timedelta(minutes=5)).isoformat() + "Z"

    code, output = run_cli(database, "jobs", "run", "close_petitions", "--now", when)
    assert code == 0 and "close_petitions: ok (closed 1, skipped 0)" in output, output
    assert Petition.get_by_id(petition.id).status == "to_process"
    assert {(m.to_address, m.kind) for m in OutboxMessage.select()} == {
        (petition.lead_petitioner.email, "status_changed"), ("office@town.example", "petition_closed")}

    code, output = run_cli(database, "jobs", "list")
    assert code == 0, output
    lines = {line.split()[0]: line for line in output.splitlines() if line and not line.startswith("JOB")}
    assert set(lines) >= {"close_petitions", "chase_handover", "answer_due_reminders", "response_notices",
                          "deliver_mail", "signature_hygiene"}
    assert " ok " in lines["close_petitions"] and "closed 1" in lines["close_petitions"]
    assert "never" in lines["deliver_mail"]

    code, output = run_cli(database, "jobs", "run", "no_such_job")
    assert code != 0 and "There is no job 'no_such_job'" in output
    code, output = run_cli(database, "jobs", "run", "close_petitions", "--now", "next tuesday")
    assert code != 0 and "not an ISO-8601 time" in output
    code, output = run_cli(database, "jobs", "list", PORTAL_JOB_DELIVER_MAIL="every fortnight")
    assert "invalid" in output


def test_cli_job_against_an_unreachable_database_exits_with_a_clear_message(database):
    code, output = run_cli(database, "jobs", "run", "close_petitions",
                           PORTAL_DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/portal")
    assert code == 1 and "close_petitions: failed: database unavailable" in output, output


def test_two_worker_processes_run_their_schedules_and_close_a_petition_once(make, database):
    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    from jobs.scheduler import JOBS

    schedules = {f"PORTAL_JOB_{job.NAME.upper()}": "off" for job in JOBS if job.NAME != "close_petitions"}
    workers = [start_cli(database, "worker", PORTAL_JOB_CLOSE_PETITIONS="every 1s", **schedules) for _ in range(2)]
    try:
        wait_for(lambda: JobRun.select().where(JobRun.outcome == "ok").count() >= 3, what="scheduled runs")
    finally:
        for worker in workers:
            worker.terminate()
        outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert Petition.get_by_id(petition.id).status == "to_process"
    assert OutboxMessage.select().where(OutboxMessage.to_address == petition.lead_petitioner.email).count() == 1
    runs = list(JobRun.select().order_by(JobRun.started_at, JobRun.id))
    assert {r.outcome for r in runs} == {"ok"}
    assert sum(r.counts_dict["closed"] for r in runs) == 1
    for before, after in zip(runs, runs[1:]):  # never two at the same time
        assert before.finished_at <= after.started_at


def test_serve_runs_the_scheduler_inside_its_loop(make, database):
    petition = make.petition()
    Petition.update(closes_at=clock.now() - days(1)).where(Petition.id == petition.id).execute()
    from jobs.scheduler import JOBS

    schedules = {f"PORTAL_JOB_{job.NAME.upper()}": "off" for job in JOBS if job.NAME != "close_petitions"}
    server = start_cli(database, "serve", "--port", str(free_port()), PORTAL_RUN_JOBS="true",
                       PORTAL_JOB_CLOSE_PETITIONS="every 1s", **schedules)
    try:
        wait_for(lambda: Petition.get_by_id(petition.id).status == "to_process" or server.poll() is not None,
                 what="the petition closed by serve's scheduler")
        assert server.poll() is None
    finally:
        server.terminate()
        output = server.communicate(timeout=120)[0]
    assert Petition.get_by_id(petition.id).status == "to_process", output
    assert "scheduler started with 1 jobs" in output
    assert JobRun.get(JobRun.job == "close_petitions").trigger == "schedule"
