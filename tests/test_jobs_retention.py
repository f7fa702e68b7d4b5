"""mail_retention: old delivered and failed mail leaves the outbox; what is pending or recent stays."""
import datetime as dt

from jobs.scheduler import run_job
from models import clock
from models.mail import OutboxMessage

NOW = dt.datetime(2026, 6, 1, 12, 0, 0)


def _message(status, age_days, n):
    at = NOW - dt.timedelta(days=age_days)
    return OutboxMessage.create(to_address=f"person{n}@example.org", subject="s", body="b", kind="test",
                                status=status, next_attempt_at=at, created_at=at,
                                sent_at=at if status == "sent" else None)


def test_old_sent_and_failed_mail_is_deleted_and_the_rest_kept(database):
    kept = [_message("sent", 10, 1), _message("failed", 50, 2), _message("pending", 100, 3),
            _message("sending", 100, 4)]
    gone = [_message("sent", 40, 5), _message("failed", 100, 6)]
    clock.set_global(NOW)
    result = run_job("mail_retention", trigger="cli")
    assert result["outcome"] == "ok" and result["counts"] == {"deleted": 2}
    remaining = {m.id for m in OutboxMessage.select()}
    assert remaining == {m.id for m in kept}
    assert not remaining & {m.id for m in gone}
    assert run_job("mail_retention", trigger="cli")["counts"] == {"deleted": 0}
