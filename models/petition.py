"""Petitions, the one status transition table, and the domain functions that change a petition.

Every channel (web forms, every API dialect, jobs, the CLI) changes a petition's status through
transition() and its recipient fields through update_recipient_fields().
"""
import datetime as dt
import functools
from dataclasses import dataclass

import peewee as pw

from models import audit, clock, mail, webhooks
from models.db import BaseModel, db, is_postgres
from models.errors import DomainError, InvalidInput, NotAllowed, NotFound, TransitionRefused
from models.i18n import N_
from models.numbers import is_number
from models.organisation import Organisation, slugify
from models.sanitize import check_single_line
from models.user import Membership, User

STATUSES = ("concept", "staging", "live", "to_process", "in_process", "completed", "rejected", "withdrawn")
TERMINAL = frozenset({"completed", "rejected", "withdrawn"})
RECIPIENT_STATUSES = frozenset({"live", "to_process", "in_process"})  # when recipient fields may change
RECIPIENT_FIELDS = ("status", "date_projected", "reference_field", "answer_due_date")
STATUS_LABELS = {  # the one mapping from status codes to words (translated where shown)
    "concept": N_("Draft"), "staging": N_("Awaiting moderation"), "live": N_("Open for signatures"),
    "to_process": N_("Closed, awaiting handover"), "in_process": N_("Handed over, being answered"),
    "completed": N_("Answered"), "rejected": N_("Rejected"), "withdrawn": N_("Withdrawn"),
}


@dataclass(frozen=True)
class Move:
    who: frozenset  # roles: petitioner, moderator, clerk, job, admin
    label: str
    note_required: bool = False
    needs_response: bool = False  # in_process -> completed happens by publishing a response


# The transition table (../shared/DESIGN.md). Clerks may also moderate petitions addressed to them.
TRANSITIONS = {
    ("concept", "staging"): Move(frozenset({"petitioner"}), N_("submit for moderation")),
    ("staging", "live"): Move(frozenset({"moderator", "clerk"}), N_("publish")),
    ("staging", "concept"): Move(frozenset({"moderator", "clerk"}), N_("send back"), note_required=True),
    ("staging", "rejected"): Move(frozenset({"moderator", "clerk"}), N_("reject"), note_required=True),
    ("live", "to_process"): Move(frozenset({"job", "petitioner"}), N_("close")),
    ("concept", "withdrawn"): Move(frozenset({"petitioner", "moderator"}), N_("withdraw")),
    ("staging", "withdrawn"): Move(frozenset({"petitioner", "moderator"}), N_("withdraw")),
    ("live", "withdrawn"): Move(frozenset({"petitioner", "moderator"}), N_("withdraw")),
    ("to_process", "in_process"): Move(frozenset({"clerk"}), N_("record handover")),
    ("to_process", "rejected"): Move(frozenset({"clerk"}), N_("reject"), note_required=True),
    ("in_process", "rejected"): Move(frozenset({"clerk"}), N_("reject"), note_required=True),
    ("in_process", "completed"): Move(frozenset({"clerk"}), N_("publish a response"), needs_response=True),
}


@functools.lru_cache(maxsize=1024)  # every signing request reads its petition's domains; sites are few
def domains_in(allowed_domains):
    """The entries of a petition's allowed domains (one per line), lower case, blank lines dropped."""
    return tuple(line.strip().lower() for line in (allowed_domains or "").splitlines() if line.strip())


class Petition(BaseModel):
    slug = pw.CharField(max_length=100, unique=True)
    title = pw.CharField(max_length=255)
    description = pw.TextField(default="")  # sanitised HTML (models/sanitize.py)
    description_source = pw.TextField(null=True)  # the Markdown it was rendered from (older rows: none)
    statement = pw.TextField(default="")  # why: the petitioners' considerations
    request = pw.TextField(default="")  # what the organisation is asked to do
    organisation = pw.ForeignKeyField(Organisation, backref="petitions", index=True)
    lead_petitioner = pw.ForeignKeyField(User, backref="petitions", index=True)
    status = pw.CharField(max_length=16, default="concept", index=True)
    language = pw.CharField(max_length=8, default="en")
    created_at = pw.DateTimeField(default=clock.now, index=True)
    updated_at = pw.DateTimeField(default=clock.now)
    submitted_at = pw.DateTimeField(null=True)
    opens_at = pw.DateTimeField(null=True)
    closes_at = pw.DateTimeField(null=True, index=True)
    closed_at = pw.DateTimeField(null=True)
    date_projected = pw.DateField(null=True)  # handover date
    reference_field = pw.CharField(max_length=256, null=True)  # the recipient's own reference
    answer_due_date = pw.DateField(null=True)
    hidden = pw.BooleanField(default=False, index=True)
    hidden_reason = pw.TextField(null=True)
    api_enabled = pw.BooleanField(default=False)
    allowed_domains = pw.TextField(default="")  # one hostname[:port] per line
    signature_count = pw.IntegerField(default=0)  # verified signatures only
    moderation_note = pw.TextField(null=True)  # last note from moderation (send back / reject)
    threshold_reached_at = pw.DateTimeField(null=True)  # set once, when the verified count first reached it

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_signable(self):
        return self.status == "live" and (self.closes_at is None or self.closes_at > clock.now())

    @property
    def is_public(self):
        """Shown on public pages: was published once, or was rejected (with its reason, as the UK
        petitions site does), and is not hidden. The same rule as the public() scope."""
        return (self.opens_at is not None or self.status == "rejected") and not self.hidden

    @property
    def rejection_reason(self):
        """Why it was rejected (the moderator's or clerk's note), shown on its public page."""
        return self.moderation_note if self.status == "rejected" else None

    @property
    def threshold(self):
        """The signature count at which the organisation has promised to respond (None: no promise)."""
        value = self.organisation.signature_threshold
        return value if value and value > 0 else None

    @property
    def threshold_percent(self):
        threshold = self.threshold
        return min(100, int(self.signature_count * 100 / threshold)) if threshold else None

    @property
    def answer_overdue(self):
        return (self.answer_due_date is not None and self.answer_due_date < clock.today()
                and self.status in ("to_process", "in_process"))

    @property
    def domain_list(self):
        return list(domains_in(self.allowed_domains))

    # ---- query scopes ----
    @classmethod
    def public(cls):
        return cls.select().where((cls.opens_at.is_null(False) | (cls.status == "rejected"))
                                  & (cls.hidden == False))  # noqa: E712

    @classmethod
    def search(cls, query, text):
        text = (text or "").strip()
        if not text:
            return query
        for word in text.split()[:8]:
            query = query.where(cls.title.contains(word) | cls.description.contains(word)
                                | cls.request.contains(word))
        return query

    @classmethod
    def by_key(cls, key, query=None):
        """A petition named by numeric id or slug (every API accepts both)."""
        query = query if query is not None else cls.select()
        key = str(key).strip()
        if is_number(key, 11):
            query = query.where((cls.id == int(key)) | (cls.slug == key))
        else:
            query = query.where(cls.slug == key[:100])
        petition = query.first()
        if petition is None:
            raise NotFound(N_("There is no petition %(id)s.", id=repr(key)))
        return petition


def unique_slug(title):
    base = slugify(title, max_length=80)
    slug, n = base, 1
    while Petition.select().where(Petition.slug == slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


# ---- who may do what --------------------------------------------------------------------------

def roles_of(actor: audit.Actor, petition: Petition) -> set:
    roles = set()
    if actor.kind == "job":
        roles.add("job")
    elif actor.kind == "system":  # the command line is run by the operator
        roles |= {"job", "moderator", "admin", "clerk", "petitioner"}
    elif actor.kind == "api_key":
        key = actor.api_key
        if key is not None and key.can_update(petition.organisation_id):
            roles.add("clerk")
    elif actor.kind == "user" and actor.user is not None:
        user = actor.user
        if user.id == petition.lead_petitioner_id:
            roles.add("petitioner")
        if user.can_moderate:
            roles.add("moderator")
        if user.is_admin:
            roles.add("admin")
        if user.is_member_of(petition.organisation_id):
            roles.add("clerk")
    return roles


def allowed_moves(petition: Petition, actor: audit.Actor) -> list:
    """The statuses this actor may move the petition to now, in table order."""
    roles = roles_of(actor, petition)
    moves = [to for (frm, to), move in TRANSITIONS.items() if frm == petition.status and roles & move.who]
    if "admin" in roles and petition.status in TERMINAL:
        previous = previous_status(petition)
        if previous and previous not in moves:
            moves.append(previous)
    return moves


def previous_status(petition):
    event = (audit.AuditEvent.select()
             .where((audit.AuditEvent.petition_id == petition.id) & (audit.AuditEvent.action == "status")
                    & (audit.AuditEvent.new_value == petition.status))
             .order_by(audit.AuditEvent.id.desc()).first())
    return event.old_value if event else None


def _locked(petition_id):
    query = Petition.select().where(Petition.id == petition_id)
    if is_postgres():
        query = query.for_update()
    petition = query.first()
    if petition is None:
        raise NotFound(N_("There is no petition %(id)s.", id=petition_id))
    return petition


def _recipients_of_organisation(petition):
    return [address for address, _language in recipients_with_languages(petition)]


def recipients_with_languages(petition):
    """(address, language) of everyone mail to the organisation goes to: its members in their own
    language (the organisation's when they chose none), its contact address in the organisation's."""
    organisation_language = petition.organisation.language
    found = {m.user.email: m.user.language or organisation_language
             for m in Membership.select(Membership, User).join(User)
             .where(Membership.organisation == petition.organisation_id)}
    if petition.organisation.contact_email:
        found.setdefault(petition.organisation.contact_email, organisation_language)
    return sorted(found.items())


def _notify(petition, to_status, note):
    """The mails a status change causes (queued in the same transaction)."""
    lead = petition.lead_petitioner
    mail.enqueue(lead.email, "status_changed", petition=petition, user=lead, note=note,
                 label=STATUS_LABELS[to_status], language=mail.language_of(lead))
    if to_status == "staging":
        for moderator in User.select().where(User.is_moderator | User.is_admin):
            mail.enqueue(moderator.email, "petition_submitted", petition=petition, user=moderator,
                         language=mail.language_of(moderator))
    if to_status == "to_process":
        for address, language in recipients_with_languages(petition):
            mail.enqueue(address, "petition_closed", petition=petition, language=language)


def transition(petition, to_status, actor: audit.Actor, note=None, closes_at=None, response=None):
    """Move a petition to another status, or raise TransitionRefused naming the allowed moves.

    Writes the audit event and queues the mails in the same transaction. Returns the petition.
    """
    if to_status not in STATUSES:
        raise InvalidInput({"status": N_("Unknown status %(status)s; use one of: %(statuses)s.",
                                         status=repr(str(to_status)[:40]), statuses=", ".join(STATUSES))})
    note = (note or "").strip() or None
    with db.atomic():
        petition = _locked(petition.id)
        current = petition.status
        allowed = allowed_moves(petition, actor)
        move = TRANSITIONS.get((current, to_status))
        reopening = current in TERMINAL and to_status == previous_status(petition) and to_status in allowed
        if to_status not in allowed:
            reason = None
            if move and not (roles_of(actor, petition) & move.who):
                reason = N_("Moving a petition from %(current)s to %(requested)s (%(move)s) is not yours to do.",
                            current=current, requested=to_status, move=move.label)
            raise TransitionRefused(current, to_status, allowed, reason=reason)
        if move and move.note_required and not note:
            raise InvalidInput({"note": N_("Say why (%(move)s): a note is required.", move=move.label)})
        if move and move.needs_response and response is None:
            raise TransitionRefused(current, to_status, [m for m in allowed if m != "completed"],
                                    reason=N_("A petition is completed by publishing a response to it."))
        now = clock.now()
        values = {"status": to_status, "updated_at": now}
        if to_status == "staging":
            values["submitted_at"] = now
        if to_status == "live" and not reopening:
            opens = now
            values["opens_at"] = opens
            if closes_at is None and (petition.closes_at is None or petition.closes_at <= opens):
                from models import config

                closes_at = opens + dt.timedelta(days=config.current().petition_default_days)
            if closes_at is not None:
                if closes_at <= opens:
                    raise InvalidInput({"closes_at": N_("The closing date must be in the future.")})
                values["closes_at"] = closes_at
        if to_status == "to_process":
            values["closed_at"] = now
        if to_status == "in_process" and petition.date_projected is None:
            values["date_projected"] = clock.today()  # moving to in_process records the handover
        if note and to_status in ("concept", "rejected"):
            values["moderation_note"] = note
        changed = (Petition.update(**values)
                   .where((Petition.id == petition.id) & (Petition.status == current)).execute())
        if not changed:  # someone else moved it between our read and write
            raise TransitionRefused(current, to_status, [], reason=N_("The petition was changed meanwhile; reload it."))
        audit.record(petition.id, actor, "reopen" if reopening else "status", field="status",
                     old=current, new=to_status, note=note)
        if "date_projected" in values:
            audit.record(petition.id, actor, "field", field="date_projected", old=None, new=values["date_projected"])
        petition = Petition.get_by_id(petition.id)
        _notify(petition, to_status, note)
        webhooks.status_changed(petition, current, to_status, actor, reopening=reopening)
    return petition


# ---- recipient fields ---------------------------------------------------------------------------

def parse_date(field, value):
    """A date from a date, an ISO 'YYYY-MM-DD' string (a time part is ignored), or None/'' to clear."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise InvalidInput({field: N_("Give the date as text in the form YYYY-MM-DD.")})
    text = value.strip()
    try:
        parsed = dt.date.fromisoformat(text[:10])
    except ValueError:
        raise InvalidInput({field: N_("%(value)s is not a date; use the form YYYY-MM-DD.",
                                      value=repr(text[:40]))}) from None
    if len(text) > 10 and text[10] not in "T ":
        raise InvalidInput({field: N_("%(value)s is not a date; use the form YYYY-MM-DD.", value=repr(text[:40]))})
    if not 1990 <= parsed.year <= 2200:
        raise InvalidInput({field: N_("Give a date between 1990 and 2200.")})
    return parsed


def update_recipient_fields(petition, actor: audit.Actor, changes: dict, note=None):
    """The recipient's update (web form and PUT /api/v1/petitions/{id} alike).

    `changes` may hold status, date_projected, reference_field and answer_due_date; a key that is
    absent is left alone, None or '' clears a field. `note` goes with a status move (a reject needs
    one). Returns {field: new value} of what changed.
    """
    unknown = sorted(set(changes) - set(RECIPIENT_FIELDS))
    if unknown:
        raise InvalidInput({name: N_("Unknown field; use any of: %(fields)s.", fields=", ".join(RECIPIENT_FIELDS))
                            for name in unknown})
    roles = roles_of(actor, petition)
    if "clerk" not in roles:
        raise NotAllowed(N_("Only clerks of %(organisation)s (or its keys with the update scope) may update this "
                            "petition.", organisation=petition.organisation.name))
    values, errors = {}, {}
    for name in ("date_projected", "answer_due_date"):
        if name in changes:
            try:
                values[name] = parse_date(name, changes[name])
            except InvalidInput as error:
                errors.update(error.fields)
    if "reference_field" in changes:
        reference = changes["reference_field"]
        if reference is not None and not isinstance(reference, str):
            errors["reference_field"] = N_("Give the reference as text.")
        else:
            reference = (reference or "").strip() or None
            if reference is not None and len(reference) > 256:
                errors["reference_field"] = N_("Use at most %(count)s characters (this has %(length)s).", count=256,
                                               length=len(reference))
            check_single_line(errors, reference_field=reference)
            values["reference_field"] = reference
    status = changes.get("status")
    if "status" in changes and (status is None or not isinstance(status, str) or status not in STATUSES):
        errors["status"] = N_("Unknown status; use one of: %(statuses)s.", statuses=", ".join(STATUSES))
    if errors:
        raise InvalidInput(errors)

    changed = {}
    with db.atomic():
        petition = _locked(petition.id)
        # Fields first while the current status allows them, so a handover date given with the move
        # to in_process is recorded once (the move would otherwise stamp today first).
        if status and status != petition.status and petition.status not in RECIPIENT_STATUSES:
            petition = transition(petition, status, actor, note=note)
            changed["status"] = status
        field_values = {k: v for k, v in values.items() if getattr(petition, k) != v}
        if field_values and petition.status not in RECIPIENT_STATUSES:
            raise TransitionRefused(petition.status, petition.status, [],
                                    reason=N_("The handover date, reference and answer-due date can be set while a "
                                              "petition is live, to_process or in_process; this one is %(status)s.",
                                              status=petition.status))
        _check_dates(petition, field_values, values, status)
        projected = field_values.get("date_projected", petition.date_projected)
        if (field_values.get("date_projected") and "answer_due_date" not in values
                and petition.answer_due_date is None):
            # The organisation's default answer period starts at the handover.
            field_values["answer_due_date"] = projected + dt.timedelta(days=petition.organisation.answer_period_days)
        due = field_values.get("answer_due_date", petition.answer_due_date)
        if projected and due and due < projected:
            raise InvalidInput({"answer_due_date": N_("The answer-due date (%(due)s) cannot be before the handover "
                                                      "date (%(handover)s).", due=due.isoformat(),
                                                      handover=projected.isoformat())})
        if field_values:
            Petition.update(updated_at=clock.now(), **field_values).where(Petition.id == petition.id).execute()
            for name, value in field_values.items():
                audit.record(petition.id, actor, "field", field=name, old=getattr(petition, name), new=value)
                changed[name] = value.isoformat() if hasattr(value, "isoformat") else value
            petition = Petition.get_by_id(petition.id)
        if status and status != petition.status:
            petition = transition(petition, status, actor, note=note)
            changed["status"] = status
        elif handover_made(petition, field_values, status):
            petition = transition(petition, "in_process", actor, note=note)
            changed["status"] = "in_process"
        if field_values:
            lead = petition.lead_petitioner
            mail.enqueue(lead.email, "recipient_update", petition=petition, user=lead, language=mail.language_of(lead),
                         changed={k: v for k, v in changed.items() if k != "status"})
            webhooks.petition_event("petition.recipient_updated", petition,
                                    changed=sorted(k for k in changed if k != "status"),
                                    changed_by=actor.kind, channel=actor.channel)
    return changed


def _check_dates(petition, field_values, values, status):
    """The clerk's date rules (web form and API alike), on what actually changes."""
    errors = {}
    target = status if status and status != petition.status else petition.status
    if "date_projected" in field_values:
        handover = field_values["date_projected"]
        if handover is None and "in_process" in (petition.status, target):
            errors["date_projected"] = N_("The handover date cannot be removed once the petition has been "
                                          "handed over; correct it instead.")
        opened = petition.opens_at.date() if petition.opens_at else None
        if handover is not None and opened and handover < opened:
            errors["date_projected"] = N_("The handover date cannot be before the petition opened "
                                          "(%(date)s).", date=opened.isoformat())
    if "answer_due_date" in values and "answer_due_date" in field_values:
        due = field_values["answer_due_date"]
        if due is not None and due < clock.today():
            errors["answer_due_date"] = N_("The answer-due date cannot be in the past; give today "
                                           "(%(date)s) or a later day.", date=clock.today().isoformat())
    if errors:
        raise InvalidInput(errors)


def handover_made(petition, field_values, status):
    """Recording a handover date of today or earlier on a closed petition is the handover itself: the
    petition moves to in_process with it (so it never drops silently out of "needs attention").
    A handover date in the future keeps it closed until then."""
    handover = field_values.get("date_projected")
    return (petition.status == "to_process" and handover is not None and handover <= clock.today()
            and (not status or status == petition.status))


def get_for_actor(key, actor: audit.Actor):
    """A petition the actor may see in the workspace: clerks of its organisation, moderators."""
    petition = Petition.by_key(key)
    if not roles_of(actor, petition) & {"clerk", "moderator", "admin", "petitioner"}:
        raise NotFound(N_("There is no petition %(id)s.", id=repr(key)))
    return petition


def status_counts(query):
    rows = (query.select(Petition.status, pw.fn.COUNT(Petition.id).alias("n")).group_by(Petition.status).dicts())
    counts = {status: 0 for status in STATUSES}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


__all__ = ["Petition", "TRANSITIONS", "STATUSES", "transition", "update_recipient_fields", "DomainError"]
