"""Log lines at INFO and above hold no email address, even when an SMTP server quotes one."""
import logging

from models import mail
from tests.support import SmtpServer, deliver_mail


class QuotingSmtp(SmtpServer):
    """Refuses every message with a reply that quotes the recipient, as many servers do."""

    async def handle_DATA(self, server, session, envelope):
        return f"554 5.7.1 <{envelope.rcpt_tos[0]}>: message refused"


def test_a_refusal_quoting_the_recipient_is_logged_without_the_address(make, use_smtp, caplog):
    server = QuotingSmtp()
    server.start()
    try:
        use_smtp(server)
        caplog.set_level(logging.INFO)
        mail.enqueue("private.person@example.net", "account_exists", user=make.user(), url="http://x/reset")
        assert deliver_mail()["failed"] == 1
    finally:
        server.stop()
    logged = "\n".join(r.getMessage() for r in caplog.records  # (the test server logs its own side)
                       if r.levelno >= logging.INFO and r.name.startswith("portal"))
    assert "failed permanently" in logged and "[address]" in logged
    assert "private.person@example.net" not in logged
