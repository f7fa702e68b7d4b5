"""Signature retention: once a petition is final (answered, rejected or withdrawn), its response
notices are sent and it has been closed for PORTAL_SIGNATURE_RETENTION_MONTHS (default 6), the
names, email addresses and places of its signatures are anonymised. Counts, days and the
one-signature-per-address rule stay (the address becomes a keyed hash). Unconfirmed signatures are
deleted earlier by signature_hygiene. Idempotent: an anonymised signature is never touched again."""
from models import clock, config
from models.privacy import anonymise_due

NAME = "signature_retention"
DEFAULT_SCHEDULE = "cron 15 4 * * *"
SETTINGS = {"batch_size": 500}


def run(settings):
    months = config.current().signature_retention_months
    return {"anonymised": anonymise_due(clock.now(), months, batch_size=settings["batch_size"])}
