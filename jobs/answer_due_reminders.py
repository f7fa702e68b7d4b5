"""Tell the organisation's clerks `days_before` days before a petition's answer_due_date, and once
more when it has passed without a response. Each is sent once per value of the date (a
ReminderSent row keyed on it), so changing the date re-arms both."""
import datetime as dt
import logging

import peewee as pw

from models import clock, mail
from models.db import db
from models.jobs import ReminderSent
from models.petition import Petition, recipients_with_languages
from models.response import response_for

NAME = "answer_due_reminders"
DEFAULT_SCHEDULE = "cron 30 6 * * *"
SETTINGS = {"days_before": 7}
OPEN = ("to_process", "in_process")  # a published response moves the petition to completed
log = logging.getLogger("portal.jobs.answer_due_reminders")


def _not_sent(kind):
    return ~pw.fn.EXISTS(ReminderSent.select(ReminderSent.id).where(
        (ReminderSent.petition_id == Petition.id) & (ReminderSent.kind == kind)
        & (ReminderSent.due_date == Petition.answer_due_date)))


def _send(petition_id, kind, template, **context):
    with db.atomic():
        petition = Petition.get_by_id(petition_id)
        if petition.status not in OPEN or petition.answer_due_date is None or response_for(petition) is not None:
            return 0
        try:
            with db.atomic():
                ReminderSent.create(petition_id=petition.id, kind=kind, due_date=petition.answer_due_date,
                                    sent_at=clock.now())
        except pw.IntegrityError:  # sent already (by another process)
            return 0
        addresses = recipients_with_languages(petition)
        for address, language in addresses:
            mail.enqueue(address, template, petition=petition, language=language, **context)
    log.info("petition %s: %s sent to %s addresses", petition_id, kind, len(addresses))
    return 1


def run(settings):
    today = clock.today()
    counts = {"due_soon": 0, "overdue": 0}
    soon = (Petition.select(Petition.id, Petition.answer_due_date)
            .where(Petition.status.in_(OPEN) & Petition.answer_due_date.is_null(False)
                   & (Petition.answer_due_date >= today)
                   & (Petition.answer_due_date <= today + dt.timedelta(days=settings["days_before"]))
                   & _not_sent("answer_due")))
    for row in soon:
        counts["due_soon"] += _send(row.id, "answer_due", "answer_due", days_left=(row.answer_due_date - today).days)
    overdue = (Petition.select(Petition.id)
               .where(Petition.status.in_(OPEN) & Petition.answer_due_date.is_null(False)
                      & (Petition.answer_due_date < today) & _not_sent("answer_overdue")))
    for row in overdue:
        counts["overdue"] += _send(row.id, "answer_overdue", "answer_overdue")
    return counts
