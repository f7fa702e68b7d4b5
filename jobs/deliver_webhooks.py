"""Deliver signed webhook events from the outbox (models/webhooks.py): at least once, retried with
backoff, an endpoint disabled (and its owner mailed) after `disable_after` failures in a row."""
from models import webhooks

NAME = "deliver_webhooks"
DEFAULT_SCHEDULE = "every 30s"
SETTINGS = {"batch_size": 100, "disable_after": 10}


def run(settings):
    return webhooks.deliver_pending(batch_size=settings["batch_size"], disable_after=settings["disable_after"])
