"""Responses of organisations; one response may answer several petitions."""
import peewee as pw

from models import clock
from models.db import BaseModel
from models.organisation import Organisation
from models.petition import Petition
from models.user import User


class Response(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="responses")
    title = pw.CharField(max_length=255)
    body = pw.TextField()  # sanitised HTML
    body_source = pw.TextField(null=True)  # the Markdown it was rendered from (older rows: none)
    created_by = pw.ForeignKeyField(User, null=True, backref="responses", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=clock.now)
    published_at = pw.DateTimeField(null=True, index=True)
    # Response notices to signers are queued by the response_notices job, walking signers by id.
    notices_state = pw.CharField(max_length=12, default="none")  # none, queued, running, done
    notices_cursor = pw.IntegerField(default=0)  # last signature id handled


class ResponsePetition(BaseModel):
    response = pw.ForeignKeyField(Response, backref="answered", on_delete="CASCADE")
    petition = pw.ForeignKeyField(Petition, backref="response_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("response", "petition"), True),)


def response_for(petition):
    """The published response answering a petition, or None."""
    return (Response.select().join(ResponsePetition)
            .where((ResponsePetition.petition == petition) & Response.published_at.is_null(False))
            .order_by(Response.published_at.desc()).first())


# Response notices are outbox messages of kind "response_notice" whose dedupe_key is
# notice_key(response, signature_id) for a signer and notice_key(response, None, user_id) for the
# lead petitioner: the unique key is what makes a notice impossible to queue twice.
NOTICE_KIND = "response_notice"


def notice_key(response_id, signature_id=None, user_id=None):
    who = f"s{signature_id}" if signature_id is not None else f"u{user_id}"
    return f"response-notice:{response_id}:{who}"


def notice_progress(response):
    """{'queued': pending mails, 'sent': …, 'failed': …} for a response's notices."""
    from models.mail import OutboxMessage
    import peewee as pw

    rows = (OutboxMessage.select(OutboxMessage.status, pw.fn.COUNT(OutboxMessage.id).alias("n"))
            .where(OutboxMessage.dedupe_key.startswith(f"response-notice:{response.id}:"))
            .group_by(OutboxMessage.status).dicts())
    counts = {"queued": 0, "sent": 0, "failed": 0}
    for row in rows:
        key = {"pending": "queued", "sending": "queued"}.get(row["status"], row["status"])
        counts[key] = counts.get(key, 0) + row["n"]
    return counts
