"""Signature hygiene: one reminder to signers who have not confirmed after `remind_after_days`,
deletion of unconfirmed signatures older than `delete_after_days`, and a recount of confirmed
signatures that repairs drift in Petition.signature_count and logs what it fixed."""
import datetime as dt
import logging

import peewee as pw

from models import clock, mail, milestones
from models.db import db
from models.petition import Petition
from models.signature import Signature, _new_token, confirm_url, confirmable

NAME = "signature_hygiene"
DEFAULT_SCHEDULE = "cron 0 3 * * *"
SETTINGS = {"remind_after_days": 7, "delete_after_days": 21, "batch_size": 500}
log = logging.getLogger("portal.jobs.signature_hygiene")


def remind(settings, now):
    cutoff = now - dt.timedelta(days=settings["remind_after_days"])
    keep = now - dt.timedelta(days=settings["delete_after_days"])
    reminded = last_id = 0
    while True:
        batch = list(Signature.select(Signature, Petition).join(Petition)
                     .where(Signature.confirmed_at.is_null() & Signature.reminder_sent_at.is_null()
                            & (Signature.created_at <= cutoff) & (Signature.created_at > keep)
                            & (Signature.id > last_id))
                     .order_by(Signature.id).limit(settings["batch_size"]))
        if not batch:
            return reminded
        for signature in batch:
            last_id = signature.id
            if confirmable(signature, signature.petition) is not None:
                continue  # the link could not work any more (closed petition, expired)
            token, token_hash = _new_token()
            with db.atomic():
                # Conditional: a concurrent run or a confirmation in between wins.
                marked = (Signature.update(reminder_sent_at=now, token_hash=token_hash, token_created_at=now)
                          .where((Signature.id == signature.id) & Signature.reminder_sent_at.is_null()
                                 & Signature.confirmed_at.is_null()).execute())
                if marked:
                    mail.enqueue(signature.email, "signature_reminder", petition=signature.petition,
                                 signature=signature, url=confirm_url(token),
                                 delete_after_days=settings["delete_after_days"])
                    reminded += 1


def purge(settings, now):
    cutoff = now - dt.timedelta(days=settings["delete_after_days"])
    deleted = 0
    while True:
        ids = [row.id for row in Signature.select(Signature.id)
               .where(Signature.confirmed_at.is_null() & (Signature.created_at <= cutoff))
               .limit(settings["batch_size"])]
        if not ids:
            return deleted
        deleted += (Signature.delete()
                    .where(Signature.id.in_(ids) & Signature.confirmed_at.is_null()).execute())


def recount():
    """Repair stored counts that differ from the confirmed signatures; returns how many were fixed."""
    actual = (Signature.select(pw.fn.COUNT(Signature.id))
              .where((Signature.petition == Petition.id) & Signature.confirmed_at.is_null(False)))
    drifted = list(Petition.select(Petition.id, Petition.signature_count, actual.alias("actual"))
                   .where(Petition.signature_count != actual).dicts())
    fixed = 0
    for row in drifted:
        fresh = (Signature.select(pw.fn.COUNT(Signature.id))
                 .where((Signature.petition == row["id"]) & Signature.confirmed_at.is_null(False)))
        # One statement, so a confirmation arriving meanwhile is not overwritten by a stale number.
        with db.atomic():
            Petition.update(signature_count=fresh).where(Petition.id == row["id"]).execute()
            milestones.check_threshold(row["id"])  # a repaired count may reach the threshold
        log.warning("petition %s: stored signature count %s was wrong, recounted %s",
                    row["id"], row["signature_count"], row["actual"])
        fixed += 1
    return fixed


def run(settings):
    now = clock.now()
    return {"reminded": remind(settings, now), "deleted": purge(settings, now), "counts_fixed": recount()}
