"""Deliver the mail outbox: a batch at a time over one connection (see models/mail.py)."""
from models import mail

NAME = "deliver_mail"
DEFAULT_SCHEDULE = {"seconds": 15}


def run():
    total = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = mail.deliver_pending(batch_size=200)
        for key in total:
            total[key] += counts[key]
        if counts["sent"] + counts["failed"] < 200 or counts["retry"]:
            return total
