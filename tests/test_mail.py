"""The outbox: each message delivered once; transient failures retried with backoff; files once."""
import datetime as dt

from models import clock, mail
from models.mail import OutboxMessage
from tests.support import mails_in


def _queue(n):
    for i in range(n):
        mail.enqueue(f"person{i}@example.org", "petition_submitted",
                     petition=type("P", (), {"title": f"T{i}", "organisation": type("O", (), {"name": "Org"})})(),
                     user=type("U", (), {"name": f"Person {i}"})())


def test_file_transport_writes_one_eml_per_message_once(database):
    _queue(3)
    assert mail.deliver_pending()["sent"] == 3
    assert mail.deliver_pending()["sent"] == 0
    files = mails_in(database.mail_dir)
    assert len(files) == 3 and {m["To"] for m in files} == {f"person{i}@example.org" for i in range(3)}
    assert OutboxMessage.select().where(OutboxMessage.status == "sent").count() == 3


def test_smtp_down_then_up_delivers_everything_exactly_once(database, smtp, use_smtp):
    use_smtp(smtp)
    _queue(5)
    smtp.stop()
    start = clock.now()
    counts = mail.deliver_pending()
    assert counts == {"sent": 0, "retry": 5, "failed": 0}
    retry_at = OutboxMessage.select().first().next_attempt_at
    assert retry_at > start
    smtp.start()
    assert mail.deliver_pending()["sent"] == 0  # not due yet: backoff
    clock.set_global(retry_at + dt.timedelta(seconds=1))
    assert mail.deliver_pending()["sent"] == 5
    assert mail.deliver_pending()["sent"] == 0
    assert sorted(m["To"] for m in smtp.wait_for(5)) == sorted(f"person{i}@example.org" for i in range(5))
    assert len(smtp.messages) == 5


def test_enqueue_with_a_dedupe_key_is_idempotent(database):
    for _ in range(3):
        mail.enqueue("a@example.org", "petition_submitted", dedupe_key="notice:1:1",
                     petition=type("P", (), {"title": "T", "organisation": type("O", (), {"name": "O"})})(),
                     user=type("U", (), {"name": "A"})())
    assert OutboxMessage.select().count() == 1


def test_backoff_grows_and_is_capped():
    assert [mail.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert mail.backoff(50) == dt.timedelta(hours=6)


def test_mail_queued_as_if_it_were_later_is_due_now(database, make):
    """`jobs run --now <future>` closes petitions as of then, but its mails go out now."""
    from models.audit import Actor
    from models.petition import transition

    petition = make.petition()
    clock.set_global(clock.wall_now() + dt.timedelta(days=30))
    transition(petition, "to_process", Actor.job("close_petitions"))
    clock.set_global(None)
    assert mail.deliver_pending()["sent"] >= 2  # the lead petitioner and the organisation
    assert OutboxMessage.select().where(OutboxMessage.status != "sent").count() == 0
