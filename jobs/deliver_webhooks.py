"""Deliver signed webhook events from the outbox (models/webhooks.py): at least once, retried with
backoff, an endpoint disabled (and its owner mailed) after `disable_after` failures in a row. Events
whose deliveries all finished more than `keep_days` ago are deleted with their delivery log."""
import datetime as dt

from models import clock, webhooks

NAME = "deliver_webhooks"
DEFAULT_SCHEDULE = "every 30s"
SETTINGS = {"batch_size": 100, "disable_after": 10, "keep_days": 30}


def run(settings):
    counts = webhooks.deliver_pending(batch_size=settings["batch_size"], disable_after=settings["disable_after"])
    counts["purged"] = webhooks.purge_finished(clock.now() - dt.timedelta(days=settings["keep_days"]))
    return counts
