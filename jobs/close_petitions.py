"""Close live petitions whose closing time has passed: live -> to_process through transition(),
audited as this job; transition() queues the mails to the lead petitioner and the organisation."""
import logging

from models import clock
from models.audit import Actor
from models.errors import TransitionRefused
from models.petition import Petition, transition

NAME = "close_petitions"
DEFAULT_SCHEDULE = "every 1m"
SETTINGS = {}
log = logging.getLogger("portal.jobs.close_petitions")


def run(settings):
    now = clock.now()
    due = [row.id for row in Petition.select(Petition.id)
           .where((Petition.status == "live") & Petition.closes_at.is_null(False) & (Petition.closes_at <= now))
           .order_by(Petition.closes_at, Petition.id)]
    counts = {"closed": 0, "skipped": 0}
    for petition_id in due:
        try:
            transition(Petition.get_by_id(petition_id), "to_process", Actor.job(NAME))
        except TransitionRefused as error:  # moved by someone else meanwhile
            log.info("petition %s not closed: %s", petition_id, error.message)
            counts["skipped"] += 1
        else:
            counts["closed"] += 1
            log.info("closed petition %s", petition_id)
    return counts
