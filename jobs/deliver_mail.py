"""Deliver the mail outbox: a batch at a time over one SMTP connection (models/mail.py), until
nothing is due; transient failures wait for their backoff, permanent ones are marked failed."""
from models import jobs, mail

NAME = "deliver_mail"
DEFAULT_SCHEDULE = "every 15s"
SETTINGS = {"batch_size": 200}


def run(settings):
    size = max(1, settings["batch_size"])
    total = {"sent": 0, "retry": 0, "failed": 0}
    while True:
        counts = mail.deliver_pending(batch_size=size)
        for key in total:
            total[key] += counts[key]
        jobs.heartbeat()
        if counts["sent"] + counts["failed"] < size or counts["retry"]:
            return total
