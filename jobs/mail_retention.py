"""Mail retention: sent mail older than `keep_sent_days` and permanently failed mail older than
`keep_failed_days` leave the outbox (addresses and texts are personal data we no longer need)."""
import datetime as dt

from models import clock, mail

NAME = "mail_retention"
DEFAULT_SCHEDULE = "cron 45 3 * * *"
SETTINGS = {"keep_sent_days": 30, "keep_failed_days": 90, "batch_size": 1000}


def run(settings):
    now = clock.now()
    deleted = mail.purge_delivered(sent_before=now - dt.timedelta(days=settings["keep_sent_days"]),
                                   failed_before=now - dt.timedelta(days=settings["keep_failed_days"]),
                                   batch_size=settings["batch_size"])
    return {"deleted": deleted}
