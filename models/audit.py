"""The audit trail: who changed what on a petition, when and through which channel."""
from dataclasses import dataclass

import peewee as pw

from models import clock
from models.db import BaseModel
from models.i18n import N_

CHANNELS = ("web", "api", "job", "cli")
CHANNEL_LABELS = {"web": N_("web"), "api": N_("API"), "job": N_("scheduled job"), "cli": N_("command line")}
# the fields a history shows by name
FIELD_LABELS = {"date_projected": N_("handover date"), "reference_field": N_("reference"),
                "answer_due_date": N_("answer-due date"), "title": N_("title"), "request": N_("request"),
                "statement": N_("statement"), "description": N_("description"), "organisation": N_("organisation"),
                "language": N_("language"), "closes_at": N_("closing date"), "status": N_("status"),
                "response": N_("response"), "role": N_("role"), "user": N_("user"), "membership": N_("membership"),
                "invitation": N_("invitation"), "created": N_("created"), "name": N_("name"), "kind": N_("kind"),
                "contact_email": N_("contact address"), "answer_period_days": N_("answer period"),
                "signature_threshold": N_("signature threshold"), "is_admin": N_("site admin"),
                "is_moderator": N_("moderator")}


@dataclass(frozen=True)
class Actor:
    """Who is acting. `kind` is user, api_key, job or system; `channel` is web, api, job or cli."""

    kind: str
    id: object
    label: str
    channel: str
    user: object = None  # the User behind a user or an API key
    api_key: object = None

    @classmethod
    def for_user(cls, user, channel="web"):
        return cls("user", user.id, user.name, channel, user=user)

    @classmethod
    def for_api_key(cls, key, channel="api"):
        return cls("api_key", key.id, f"API key {key.prefix} ({key.name})", channel,
                   user=key.user, api_key=key)

    @classmethod
    def job(cls, name):
        return cls("job", None, f"job {name}", "job")

    @classmethod
    def system(cls, label="command line"):
        return cls("system", None, label, "cli")


class AuditEvent(BaseModel):
    # A plain id rather than a foreign key: the trail outlives nothing but must never block a write.
    petition_id = pw.IntegerField(null=True, index=True)
    created_at = pw.DateTimeField(index=True)
    actor_kind = pw.CharField(max_length=16)
    actor_id = pw.IntegerField(null=True)
    actor_label = pw.CharField(max_length=255)
    channel = pw.CharField(max_length=8)
    action = pw.CharField(max_length=32)  # status, field, hidden, api_settings, response, ...
    field = pw.CharField(max_length=64, null=True)
    old_value = pw.TextField(null=True)
    new_value = pw.TextField(null=True)
    note = pw.TextField(null=True)

    class Meta:
        indexes = ((("petition_id", "created_at"), False),)


def _text(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def record(petition_id, actor: Actor, action, field=None, old=None, new=None, note=None):
    return AuditEvent.create(
        petition_id=petition_id, created_at=clock.now(), actor_kind=actor.kind,
        actor_id=actor.id if isinstance(actor.id, int) else None, actor_label=actor.label[:255],
        channel=actor.channel, action=action, field=field, old_value=_text(old), new_value=_text(new),
        note=note,
    )


def history(petition_id):
    """Every audit event of a petition, oldest first."""
    return (AuditEvent.select().where(AuditEvent.petition_id == petition_id)
            .order_by(AuditEvent.created_at, AuditEvent.id))
