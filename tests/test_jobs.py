"""The scheduled jobs, each run through the one runner (lock, run record) with the injectable clock."""
import datetime as dt
import logging
import re

import pytest

from jobs.scheduler import run_job
from models import clock
from models.audit import Actor, AuditEvent
from models.i18n import format_date
from models.jobs import ChaseRecord, JobRun, ReminderSent
from models.mail import OutboxMessage, content
from models.petition import Petition, update_recipient_fields
from models.response import Response, notice_key, notice_progress
from models.signature import LinkExpired, Signature, confirm, submit
from tests.support import days
from tests.support_jobs import RefusingSmtp, published_response


def outbox(kind=None):
    query = OutboxMessage.select().order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(query)


def ok(name):
    result = run_job(name)
    assert result["outcome"] == "ok", result
    return result["counts"]


def token_from_outbox(address):
    message = OutboxMessage.select().where(OutboxMessage.to_address == address).order_by(OutboxMessage.id.desc()).first()
    return re.search(r"/signatures/confirm/([A-Za-z0-9_\-]+)", content(message)[1]).group(1)


# ---- close_petitions -------------------------------------------------------------------------------

def test_close_petitions_closes_due_ones_through_the_transition_and_mails_lead_and_organisation(make):
    organisation = make.organisation(contact_email="office@council.example")
    clerk = make.clerk(organisation)
    due = make.petition(organisation=organisation)
    later = make.petition(organisation=organisation, title="Still open petition")
    Petition.update(closes_at=due.closes_at - days(30)).where(Petition.id == due.id).execute()
    clock.set_global(due.closes_at - days(30) + dt.timedelta(minutes=1))

    assert ok("close_petitions") == {"closed": 1, "skipped": 0}

    assert Petition.get_by_id(due.id).status == "to_process"
    assert Petition.get_by_id(later.id).status == "live"
    event = AuditEvent.select().where(AuditEvent.petition_id == due.id).order_by(AuditEvent.id.desc()).first()
    assert (event.old_value, event.new_value, event.actor_kind, event.channel) == ("live", "to_process", "job", "job")
    mails = {(m.to_address, m.kind) for m in outbox()}
    assert mails == {(due.lead_petitioner.email, "status_changed"), ("office@council.example", "petition_closed"),
                     (clerk.email, "petition_closed")}
    # idempotent: a second run does nothing
    assert ok("close_petitions") == {"closed": 0, "skipped": 0}
    assert len(outbox()) == 3
    run = JobRun.select().order_by(JobRun.id.desc()).first()
    assert run.job == "close_petitions" and run.outcome == "ok" and run.finished_at is not None


def test_confirmation_links_keep_working_for_24_hours_after_the_job_closes_the_petition(make):
    petition = make.petition()
    clock.set_global(petition.closes_at - dt.timedelta(hours=1))
    submit(petition, full_name="Late Signer", email="late@example.net")
    submit(petition, full_name="Later Signer", email="later@example.net")
    first, second = token_from_outbox("late@example.net"), token_from_outbox("later@example.net")
    clock.set_global(petition.closes_at + dt.timedelta(seconds=1))
    ok("close_petitions")
    closed_at = Petition.get_by_id(petition.id).closed_at
    clock.set_global(closed_at + dt.timedelta(hours=23))
    assert confirm(first).newly_confirmed
    clock.set_global(closed_at + dt.timedelta(hours=25))
    with pytest.raises(LinkExpired):
        confirm(second)
    assert Petition.get_by_id(petition.id).signature_count == 1


# ---- chase_handover ---------------------------------------------------------------------------------

def test_chase_handover_reminds_clerks_at_most_n_times_spaced_out(make, monkeypatch):
    monkeypatch.setenv("PORTAL_JOB_CHASE_HANDOVER_MAX_REMINDERS", "2")
    organisation = make.organisation(contact_email="office@ministry.example")
    clerk = make.clerk(organisation)
    petition = make.petition(status="to_process", organisation=organisation)
    handed = make.petition(status="to_process", organisation=organisation, title="Handed over petition")
    Petition.update(date_projected=clock.today()).where(Petition.id == handed.id).execute()
    closed = Petition.get_by_id(petition.id).closed_at

    def at(n_days):
        clock.set_global(closed + days(n_days))
        return ok("chase_handover")

    assert at(13)["reminded"] == 0
    assert at(14) == {"reminded": 1, "mails": 2}
    assert at(14)["reminded"] == 0  # restart / rerun: nothing twice
    assert at(20)["reminded"] == 0  # spaced by 7 days
    assert at(21)["reminded"] == 1
    assert at(40)["reminded"] == 0  # at most 2 (configured)
    chases = outbox("chase_handover")
    assert sorted(m.to_address for m in chases) == sorted([clerk.email, "office@ministry.example"] * 2)
    assert [c.number for c in ChaseRecord.select().order_by(ChaseRecord.number)] == [1, 2]
    assert all(f"/workspace/petitions/{petition.id}" in m.body for m in chases)


# ---- answer_due_reminders ------------------------------------------------------------------------------

def test_answer_due_reminder_and_overdue_notice_once_per_date_and_rearmed_by_a_new_date(make):
    organisation = make.organisation(contact_email="office@parliament.example")
    clerk = make.clerk(organisation)
    petition = make.petition(status="in_process", organisation=organisation)
    due = clock.today() + days(30)
    update_recipient_fields(petition, Actor.for_user(clerk), {"answer_due_date": due.isoformat()})
    OutboxMessage.delete().execute()

    def on(day):
        clock.set_global(dt.datetime.combine(day, dt.time(6, 30)))
        return ok("answer_due_reminders")

    assert on(due - days(8)) == {"due_soon": 0, "overdue": 0}
    assert on(due - days(7)) == {"due_soon": 1, "overdue": 0}
    assert on(due - days(3)) == {"due_soon": 0, "overdue": 0}
    assert on(due) == {"due_soon": 0, "overdue": 0}
    assert on(due + days(1)) == {"due_soon": 0, "overdue": 1}
    assert on(due + days(5)) == {"due_soon": 0, "overdue": 0}
    assert {m.to_address for m in outbox("answer_due")} == {clerk.email, "office@parliament.example"}
    assert len(outbox("answer_overdue")) == 2

    new_due = due + days(20)  # the clerks set a new date: both are armed again
    update_recipient_fields(petition, Actor.for_user(clerk), {"answer_due_date": new_due.isoformat()})
    assert on(new_due - days(7)) == {"due_soon": 1, "overdue": 0}
    assert on(new_due + days(1)) == {"due_soon": 0, "overdue": 1}
    assert ReminderSent.select().count() == 4
    assert "Answer overdue since " + format_date("en", new_due) in outbox("answer_overdue")[-1].subject


# ---- response_notices ------------------------------------------------------------------------------

def test_response_notices_go_to_the_lead_and_each_opted_in_confirmed_signer_once(make, monkeypatch, smtp, use_smtp):
    monkeypatch.setenv("PORTAL_JOB_RESPONSE_NOTICES_BATCH_SIZE", "2")
    petition = make.petition()  # signed while live; the status does not matter to the notices
    other = make.petition()
    wanted = [make.signature(petition, wants_notice=True, full_name=f"Ann Opted{i}") for i in range(5)]
    make.signature(petition, wants_notice=False)
    make.signature(petition, wants_notice=True, confirmed=False)
    make.signature(other, wants_notice=True)
    OutboxMessage.delete().execute()
    response = published_response(petition)

    counts = ok("response_notices")
    assert counts == {"responses": 1, "lead": 1, "signers": 5, "batches": 3}
    notices = outbox("response_notice")
    assert sorted(m.dedupe_key for m in notices) == sorted(
        [notice_key(response.id, s.id) for s in wanted] + [notice_key(response.id, None, petition.lead_petitioner_id)])
    by_address = {m.to_address: m for m in notices}
    assert set(by_address) == {s.email for s in wanted} | {petition.lead_petitioner.email}
    assert by_address[wanted[3].email].body.startswith("Hello Ann Opted3,")
    assert f"/petitions/{petition.slug}#response" in by_address[wanted[3].email].body
    assert Response.get_by_id(response.id).notices_state == "done"

    assert ok("response_notices")["signers"] == 0  # nothing twice
    assert notice_progress(response) == {"queued": 6, "sent": 0, "failed": 0}
    use_smtp(smtp)
    assert ok("deliver_mail")["sent"] == 6
    assert sorted(m["To"] for m in smtp.wait_for(6)) == sorted(by_address)
    assert notice_progress(response) == {"queued": 0, "sent": 6, "failed": 0}


def test_a_response_answering_two_petitions_walks_both(make):
    organisation = make.organisation()
    lead = make.user()
    one = make.petition(organisation=organisation, lead=lead)
    two = make.petition(organisation=organisation, lead=lead)
    signers = [make.signature(p, wants_notice=True) for p in (one, two, one, two)]
    OutboxMessage.delete().execute()
    published_response([one, two])
    assert ok("response_notices")["signers"] == 4
    assert len(outbox("response_notice")) == 5  # one lead (the same user for both) + 4 signers
    assert {m.to_address for m in outbox("response_notice")} == {s.email for s in signers} | {lead.email}


# ---- deliver_mail -----------------------------------------------------------------------------------

def test_deliver_mail_job_smtp_down_then_back_delivers_each_message_exactly_once(make, smtp, use_smtp):
    use_smtp(smtp)
    petition = make.petition()
    for i in range(7):
        submit(petition, full_name=f"Some Body{i}", email=f"body{i}@example.net")
    smtp.stop()
    assert ok("deliver_mail") == {"sent": 0, "retry": 7, "failed": 0}
    assert ok("deliver_mail") == {"sent": 0, "retry": 0, "failed": 0}  # backing off
    smtp.start()
    clock.set_global(clock.now() + dt.timedelta(minutes=2))
    assert ok("deliver_mail") == {"sent": 7, "retry": 0, "failed": 0}
    assert ok("deliver_mail") == {"sent": 0, "retry": 0, "failed": 0}
    received = smtp.wait_for(7)
    assert sorted(m["To"] for m in received) == sorted(f"body{i}@example.net" for i in range(7))
    assert len({m["Message-ID"] for m in received}) == 7


def test_permanent_failures_are_marked_with_their_reason(make, use_smtp):
    server = RefusingSmtp(refuse="nobody@example.net")
    server.start()
    try:
        use_smtp(server)
        petition = make.petition()
        submit(petition, full_name="No Body", email="nobody@example.net")
        submit(petition, full_name="Some Body", email="somebody@example.net")
        assert ok("deliver_mail") == {"sent": 1, "retry": 0, "failed": 1}
        failed = OutboxMessage.get(OutboxMessage.status == "failed")
        assert failed.to_address == "nobody@example.net" and "550" in failed.last_error
    finally:
        server.stop()


# ---- signature_hygiene ------------------------------------------------------------------------------

def test_hygiene_reminds_once_then_deletes_and_repairs_count_drift(make, caplog):
    petition = make.petition()
    start = clock.now()
    fresh = make.signature(petition, confirmed=False, email="fresh@example.net")
    confirmed = make.signature(petition, email="done@example.net")
    clock.set_global(start - days(8))
    week_old = make.signature(petition, confirmed=False, email="week@example.net")
    clock.set_global(start - days(22))
    old = make.signature(petition, confirmed=False, email="old@example.net")
    Petition.update(signature_count=40).where(Petition.id == petition.id).execute()
    OutboxMessage.delete().execute()
    clock.set_global(start)

    with caplog.at_level(logging.WARNING, logger="portal.jobs"):
        assert ok("signature_hygiene") == {"reminded": 1, "deleted": 1, "counts_fixed": 1}
    assert f"petition {petition.id}: stored signature count 40 was wrong, recounted 1" in caplog.text
    assert Petition.get_by_id(petition.id).signature_count == 1
    assert [m.to_address for m in outbox()] == ["week@example.net"]
    assert Signature.get_or_none(Signature.id == old.id) is None
    assert {s.id for s in Signature.select()} == {fresh.id, confirmed.id, week_old.id}
    # the reminder's link confirms
    assert confirm(token_from_outbox("week@example.net")).newly_confirmed
    assert ok("signature_hygiene") == {"reminded": 0, "deleted": 0, "counts_fixed": 0}
    assert len(outbox()) == 1
