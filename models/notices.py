"""Response notices: the lead petitioner and every confirmed signer who asked to be told.

Signers are walked in batches by signature id (keyset pagination on `id > notices_cursor`), and
each batch is ONE set-based INSERT ... SELECT into the outbox, committed in the same transaction
that advances the cursor. No signer row is loaded into Python, so a million signers cost the same
memory as ten. Every notice carries the dedupe key notice_key(response, signature), unique in the
outbox, so a crash, a rerun or a second process can never queue one twice.
"""
import logging

import peewee as pw

from models import clock, jobs, mail
from models.db import db, is_postgres
from models.mail import OutboxMessage
from models.petition import Petition
from models.response import NOTICE_KIND, Response, ResponsePetition, notice_key
from models.signature import Signature

log = logging.getLogger("portal.notices")
TEMPLATE = "response_notice"
BATCH_SIZE = 5000
NAME_MARK = "\x00signer-name\x00"


class _SignerPlaceholder:
    """Stands in for a signature while the template is rendered once per petition; the name is
    filled in by the database for each signer."""
    full_name = NAME_MARK
    id = None


def pending_responses():
    """Published responses whose notices are not all queued yet."""
    return (Response.select().where(Response.notices_state.in_(["queued", "running"])
                                    & Response.published_at.is_null(False))
            .order_by(Response.published_at, Response.id))


def _petitions(response):
    return list(Petition.select().join(ResponsePetition, on=(ResponsePetition.petition == Petition.id))
                .where(ResponsePetition.response == response.id).order_by(Petition.id))


def _signers(petition_ids):
    condition = (Signature.confirmed_at.is_null(False) & (Signature.wants_notice == True))  # noqa: E712
    if len(petition_ids) == 1:
        return condition & (Signature.petition == petition_ids[0])
    return condition & Signature.petition.in_(petition_ids)


def queue_lead_notices(response):
    """One notice per lead petitioner (per user, even if they led several of the petitions)."""
    seen = set()
    for petition in _petitions(response):
        lead = petition.lead_petitioner
        if lead.id in seen:
            continue
        seen.add(lead.id)
        mail.enqueue(lead.email, TEMPLATE, dedupe_key=notice_key(response.id, None, lead.id),
                     language=mail.language_of(lead), response=response, petition=petition, signature=None,
                     user=lead)
    return len(seen)


def _render_parts(response, petition, language):
    subject, body = mail.render(TEMPLATE, language=language, response=response, petition=petition,
                                signature=_SignerPlaceholder(), user=None)
    if NAME_MARK in subject:
        raise ValueError("the response notice subject must not contain the signer's name")
    return subject, body.split(NAME_MARK)


def queue_signer_batch(response_id, batch_size=BATCH_SIZE):
    """Queue the next batch of signer notices for a response and advance its cursor, atomically.

    Returns the number of notices added to the outbox, or None when no signer was left (the
    response is then marked done).
    """
    with db.atomic():
        query = Response.select().where(Response.id == response_id)
        if is_postgres():
            query = query.for_update()
        response = query.first()
        if response is None or response.notices_state not in ("queued", "running"):
            return None
        petitions = _petitions(response)
        ids = [p.id for p in petitions]
        cursor = response.notices_cursor
        upper = None
        if ids:
            base = _signers(ids) & (Signature.id > cursor)
            # The batch is (cursor, upper]: the batch_size-th next id, or the last one there is.
            row = (Signature.select(Signature.id).where(base).order_by(Signature.id)
                   .offset(batch_size - 1).limit(1).first())
            upper = row.id if row else Signature.select(pw.fn.MAX(Signature.id)).where(base).scalar()
        if upper is None:
            Response.update(notices_state="done").where(Response.id == response_id).execute()
            log.info("response %s: every signer notice is queued", response_id)
            return None
        now = clock.now()
        added = 0
        # one rendering per petition and language: each signer's notice is in the language they signed in
        languages = sorted({row.language for row in Signature.select(Signature.language).distinct()
                            .where(_signers(ids) & (Signature.id > cursor) & (Signature.id <= upper))})
        for petition, language in ((p, lang) for p in petitions for lang in languages):
            subject, parts = _render_parts(response, petition, language)
            body = pw.Value(parts[0], converter=False)
            for part in parts[1:]:
                body = body.concat(Signature.full_name).concat(pw.Value(part, converter=False))
            select = (Signature.select(
                Signature.email, pw.Value(subject[:255], converter=False), body, pw.Value(NOTICE_KIND),
                pw.Value(f"response-notice:{response_id}:s").concat(pw.Cast(Signature.id, "TEXT")),
                pw.Value("pending"), pw.Value(0), pw.Value(OutboxMessage.created_at.db_value(now)),
                pw.Value(OutboxMessage.created_at.db_value(now)), pw.Value(language, converter=False))
                .where(_signers([petition.id]) & (Signature.id > cursor) & (Signature.id <= upper)
                       & (Signature.language == language)
                       # the lead petitioner who also signed has had the lead's notice
                       & (Signature.email != petition.lead_petitioner.email)))
            added += (OutboxMessage.insert_from(select, [
                OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body, OutboxMessage.kind,
                OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.attempts,
                OutboxMessage.next_attempt_at, OutboxMessage.created_at, OutboxMessage.language])
                .on_conflict_ignore().as_rowcount().execute()) or 0
        jobs.pause_point("notices-uncommitted")  # tests kill the process here, mid-transaction
        changed = (Response.update(notices_cursor=upper, notices_state="running")
                   .where((Response.id == response_id) & (Response.notices_cursor == cursor)).execute())
        if not changed:
            raise RuntimeError(f"response {response_id}: the notices cursor moved under us")
    return added


def queue_signer_notices(response, batch_size=BATCH_SIZE, max_batches=None, between_batches=None):
    """Walk a response's signers to the end (or max_batches). Returns {'lead', 'signers', 'batches'}.

    Safe to call again after a crash or from several processes: it resumes at the cursor.
    """
    response_id = getattr(response, "id", response)
    response = Response.get_by_id(response_id)
    counts = {"lead": 0, "signers": 0, "batches": 0}
    if response.notices_state not in ("queued", "running") or response.published_at is None:
        return counts
    with db.atomic():
        counts["lead"] = queue_lead_notices(response)
        Response.update(notices_state="running").where(
            (Response.id == response_id) & (Response.notices_state == "queued")).execute()
    while max_batches is None or counts["batches"] < max_batches:
        added = queue_signer_batch(response_id, batch_size)
        if added is None:
            break
        counts["signers"] += added
        counts["batches"] += 1
        if between_batches:
            between_batches()
    return counts
