"""Petitioners and moderators working on petitions: create and edit drafts, submit, withdraw,
close early, publish, send back, reject, hide and unhide.

Every status change goes through models.petition.transition() (the one transition table, its
audit event and its mails); this module adds the checks that belong to each page's operation.
"""
import datetime as dt
import secrets

import peewee as pw

from models import audit, clock, config
from models.db import db
from models.errors import InvalidInput, NotAllowed, NotFound
from models.organisation import Organisation
from models.petition import Petition, parse_date, roles_of, transition, unique_slug
from models.sanitize import from_markdown, plain_text

LANGUAGES = (("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español"),
             ("it", "Italiano"), ("pl", "Polski"), ("sv", "Svenska"), ("da", "Dansk"), ("no", "Norsk"),
             ("fi", "Suomi"), ("pt", "Português"))
LIMITS = {"title": (10, 255), "request": (10, 2000), "statement": (0, 5000), "description": (0, 20000)}
PETITION_FIELDS = ("title", "request", "statement", "description", "organisation", "language", "closes_on")
# Short fields keep their old and new values in the history; long texts are only named there.
_SHORT = ("title", "organisation", "language", "closes_at")


def closing_time(day: dt.date) -> dt.datetime:
    """A petition closes at the end of its closing day (UTC)."""
    return dt.datetime.combine(day, dt.time(23, 59, 59))


def check_closing_date(day, field="closes_on"):
    """None, or the end of `day` when it lies after today and within PORTAL_PETITION_MAX_DAYS."""
    if day is None:
        return None
    maximum = config.current().petition_max_days
    today = clock.today()
    if day <= today:
        raise InvalidInput({field: "Choose a closing date after today."})
    if day > today + dt.timedelta(days=maximum):
        raise InvalidInput({field: f"A petition can be open for at most {maximum} days: choose a date on or before "
                                   f"{(today + dt.timedelta(days=maximum)).isoformat()}."})
    return closing_time(day)


def validate(values: dict) -> dict:
    """Clean petition fields or raise InvalidInput with a message for each wrong one."""
    errors, clean = {}, {}
    for name, (low, high) in LIMITS.items():
        if name not in values:
            continue
        raw = values[name]
        if raw is not None and not isinstance(raw, str):
            errors[name] = "Give text."
            continue
        text = (raw or "").strip()
        source = text
        if name == "description":
            # written in Markdown (older texts and API clients' HTML pass through), stored as
            # sanitised HTML beside the source it came from
            text = from_markdown(text)
            length = len(plain_text(text))
            clean["description_source"] = source or None
        else:
            length = len(text)
        if length < low:
            errors[name] = f"Write at least {low} characters." if low else "Required."
        elif len(source) > high:
            errors[name] = f"Use at most {high} characters (this has {len(source)})."
        clean[name] = text
    if "organisation" in values:
        key = str(values["organisation"] or "").strip()
        organisation = None
        if key:
            from models.account import find_organisation

            try:
                organisation = find_organisation(key)
            except NotFound:
                pass
        if organisation is None:
            errors["organisation"] = "Choose the organisation your petition is addressed to."
        clean["organisation"] = organisation
    if "language" in values:
        if values["language"] not in dict(LANGUAGES):
            errors["language"] = f"Choose one of: {', '.join(code for code, _ in LANGUAGES)}."
        clean["language"] = values["language"]
    if "closes_on" in values:
        try:
            clean["closes_at"] = check_closing_date(parse_date("closes_on", values["closes_on"]))
        except InvalidInput as error:
            errors.update(error.fields)
    if errors:
        raise InvalidInput(errors)
    return clean


def create_petition(user, values: dict) -> Petition:
    """A new draft (concept) with `user` as lead petitioner."""
    missing = {name: "Required." for name in ("title", "request", "organisation") if name not in values}
    if missing:
        raise InvalidInput(missing)
    clean = validate(values)
    for attempt in range(3):
        slug = unique_slug(clean["title"])
        if attempt:  # someone took the same slug between our check and our insert
            slug = f"{slug[:90]}-{secrets.token_hex(3)}"
        try:
            with db.atomic():
                petition = Petition.create(slug=slug, lead_petitioner=user, status="concept", **clean)
                audit.record(petition.id, audit.Actor.for_user(user), "created", note=clean["title"])
            return petition
        except pw.IntegrityError:
            continue
    raise InvalidInput({"title": "Could not save the petition just now; please try again."})


def edit_petition(petition, actor: audit.Actor, values: dict) -> Petition:
    """Change a draft. Only its lead petitioner, only while it is a concept."""
    if "petitioner" not in roles_of(actor, petition):
        raise NotFound(f"There is no petition {petition.id}.")
    clean = validate({k: v for k, v in values.items() if k in PETITION_FIELDS})
    with db.atomic():
        current = Petition.select().where(Petition.id == petition.id).first()
        if current.status != "concept":
            raise NotAllowed(f"A petition can be edited while it is a draft; this one is {current.status_label.lower()}.")
        changed = {}
        for name, value in clean.items():
            if name == "description_source":
                continue  # goes with the description
            old = getattr(current, name)
            if name == "organisation":
                if old.id != value.id:
                    changed[name] = (old.name, value.name)
            elif old != value:
                changed[name] = (old, value)
        if changed:
            if "description" in changed:
                changed_values = {k: clean[k] for k in changed} | {"description_source": clean["description_source"]}
            else:
                changed_values = {k: clean[k] for k in changed}
            Petition.update(updated_at=clock.now(), **changed_values).where(
                Petition.id == petition.id).execute()
            for name, (old, new) in changed.items():
                if name in _SHORT:
                    audit.record(petition.id, actor, "edited", field=name, old=old, new=new)
                else:
                    audit.record(petition.id, actor, "edited", field=name)
    return Petition.get_by_id(petition.id)


# ---- the petitioner's moves --------------------------------------------------------------------

def submit(petition, actor):
    return transition(petition, "staging", actor)


def withdraw(petition, actor, note=None):
    return transition(petition, "withdrawn", actor, note=note)


def close_early(petition, actor):
    return transition(petition, "to_process", actor)


# ---- moderation ----------------------------------------------------------------------------------

def moderation_queue(user):
    """Staging petitions this user may moderate: all for moderators, the organisation's own for clerks."""
    query = Petition.select(Petition, Organisation).join(Organisation).where(Petition.status == "staging")
    if not user.can_moderate:
        query = query.where(Petition.organisation.in_(list(user.organisation_ids()) or [0]))
    return query.order_by(Petition.submitted_at, Petition.id)


def may_moderate(user, petition) -> bool:
    return bool(roles_of(audit.Actor.for_user(user), petition) & {"moderator", "clerk"})


def publish(petition, actor, closes_on=None):
    """staging -> live; closes at the end of closes_on (validated) or as the petitioner asked, or the default."""
    closes_at = check_closing_date(parse_date("closes_on", closes_on)) if closes_on not in (None, "") else None
    if closes_at is None and petition.closes_at is not None:
        limit = clock.now() + dt.timedelta(days=config.current().petition_max_days)
        if petition.closes_at > limit:  # asked for long ago: cap it at the maximum duration from now
            closes_at = closing_time(limit.date())
    return transition(petition, "live", actor, closes_at=closes_at)


def send_back(petition, actor, note):
    return transition(petition, "concept", actor, note=note)


def reject(petition, actor, note):
    return transition(petition, "rejected", actor, note=note)


def reopen(petition, actor, note=None):
    """A site admin takes back a final status (completed, rejected, withdrawn): back to the one before."""
    from models.errors import TransitionRefused
    from models.petition import TERMINAL, allowed_moves, previous_status

    previous = previous_status(petition) if petition.status in TERMINAL else None
    if previous is None:
        raise TransitionRefused(petition.status, "an earlier status", allowed_moves(petition, actor),
                                reason=f"Only a completed, rejected or withdrawn petition can be reopened; "
                                       f"this one is {petition.status}.")
    return transition(petition, previous, actor, note=note)


# ---- hiding (site admins) -----------------------------------------------------------------------

def _require_admin(actor):
    if not (actor.user is not None and actor.user.is_admin) and actor.kind != "system":
        raise NotAllowed("Only site admins may hide or show petitions.")


def hide(petition, actor, reason):
    """Take a petition off every public page, with a reason kept in its history."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "Say why the petition is hidden."})
    if len(reason) > 2000:
        raise InvalidInput({"reason": "Use at most 2000 characters."})
    with db.atomic():
        Petition.update(hidden=True, hidden_reason=reason, updated_at=clock.now()).where(
            Petition.id == petition.id).execute()
        audit.record(petition.id, actor, "hidden", field="hidden", old=petition.hidden, new=True, note=reason)
    return Petition.get_by_id(petition.id)


def unhide(petition, actor, reason=None):
    _require_admin(actor)
    reason = (reason or "").strip() or None
    with db.atomic():
        Petition.update(hidden=False, hidden_reason=None, updated_at=clock.now()).where(
            Petition.id == petition.id).execute()
        audit.record(petition.id, actor, "unhidden", field="hidden", old=petition.hidden, new=False, note=reason)
    return Petition.get_by_id(petition.id)


def hidden_petitions():
    return Petition.select().where(Petition.hidden == True).order_by(Petition.updated_at.desc())  # noqa: E712


def hidden_event(petition):
    """The audit event that hid the petition (who, when, why), or None."""
    return (audit.AuditEvent.select()
            .where((audit.AuditEvent.petition_id == petition.id) & (audit.AuditEvent.action == "hidden"))
            .order_by(audit.AuditEvent.id.desc()).first())


def my_petitions(user):
    return (Petition.select(Petition, Organisation).join(Organisation)
            .where(Petition.lead_petitioner == user)
            .order_by(pw.Case(None, [(Petition.status == "concept", 0)], 1), Petition.updated_at.desc(),
                      Petition.id.desc()))
