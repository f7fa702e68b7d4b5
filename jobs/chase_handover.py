"""Remind an organisation's clerks of closed petitions (to_process) without a handover date:
first after `after_days` days, then every `spacing_days`, at most `max_reminders` times.
Each reminder is a ChaseRecord written in the same transaction as its mails, so a restart or a
second process never resends one."""
import datetime as dt
import logging

import peewee as pw

from models import clock, mail
from models.db import db
from models.jobs import ChaseRecord
from models.petition import Petition, recipients_with_languages

NAME = "chase_handover"
DEFAULT_SCHEDULE = "cron 15 6 * * *"
SETTINGS = {"after_days": 14, "max_reminders": 3, "spacing_days": 7}
log = logging.getLogger("portal.jobs.chase_handover")


def run(settings):
    now = clock.now()
    maximum = settings["max_reminders"]
    candidates = (Petition.select(Petition.id)
                  .where((Petition.status == "to_process") & Petition.date_projected.is_null()
                         & Petition.closed_at.is_null(False)
                         & (Petition.closed_at <= now - dt.timedelta(days=settings["after_days"])))
                  .order_by(Petition.id))
    counts = {"reminded": 0, "mails": 0}
    for row in candidates:
        records = list(ChaseRecord.select().where(ChaseRecord.petition_id == row.id).order_by(ChaseRecord.number))
        if len(records) >= maximum:
            continue
        if records and records[-1].sent_at > now - dt.timedelta(days=settings["spacing_days"]):
            continue
        number = len(records) + 1
        try:
            with db.atomic():
                petition = Petition.get_by_id(row.id)
                if petition.status != "to_process" or petition.date_projected is not None:
                    continue
                addresses = recipients_with_languages(petition)
                ChaseRecord.create(petition_id=petition.id, number=number, sent_at=now, recipients=len(addresses))
                for address, language in addresses:
                    mail.enqueue(address, "chase_handover", petition=petition, number=number, maximum=maximum,
                                 language=language)
        except pw.IntegrityError:  # another process sent this reminder a moment ago
            continue
        counts["reminded"] += 1
        counts["mails"] += len(addresses)
        log.info("petition %s: handover reminder %s sent to %s addresses", row.id, number, len(addresses))
    return counts
