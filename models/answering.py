"""Answering petitions: drafting and publishing an organisation's response, the response notices,
and the workspace's "needs attention" queries.

Every channel (the workspace, an API, the demo loader, jobs) publishes through publish_response()
and the response_notices job queues signer notices through models/notices.py.

Publishing may answer petitions that are still `to_process`: publishing implies the handover, so
such a petition is first moved to `in_process` (which records today as its handover date unless
one was set) and then to `completed`, two audited moves in the same transaction.
"""
import datetime as dt

from models import audit, clock, mail, webhooks
from models.db import db, is_postgres
from models.errors import InvalidInput, NotAllowed, NotFound, TransitionRefused
from models.numbers import is_number
from models.petition import Petition, transition
from models.response import Response, ResponsePetition, notice_key
from models.sanitize import from_markdown, plain_text

ANSWERABLE = ("to_process", "in_process")
ATTENTION_DAYS = 14
TITLE_MAX = 255
BODY_MAX = 100_000


# ---- who may answer ------------------------------------------------------------------------------

def may_answer(actor: audit.Actor, organisation_id) -> bool:
    """Clerks of the organisation (and its keys with the update scope) write its responses."""
    if actor is None:
        return False
    if actor.kind == "system":
        return True
    if actor.kind == "api_key":
        return actor.api_key is not None and actor.api_key.can_update(organisation_id)
    if actor.kind == "user" and actor.user is not None:
        return actor.user.is_member_of(organisation_id)
    return False


def _require_answerer(actor, organisation):
    if not may_answer(actor, organisation.id):
        raise NotAllowed(f"Only clerks of {organisation.name} may write its responses.")


def answerable_petitions(organisation):
    """The organisation's petitions a response may answer now (closed or handed over, unanswered)."""
    return (Petition.select().where((Petition.organisation == organisation) & Petition.status.in_(ANSWERABLE))
            .order_by(Petition.closed_at.desc(nulls="LAST"), Petition.id.desc()))


def linked_petitions(response):
    return list(Petition.select().join(ResponsePetition, on=(ResponsePetition.petition == Petition.id))
                .where(ResponsePetition.response == response.id).order_by(Petition.id))


# ---- drafts ----------------------------------------------------------------------------------------

def _clean(organisation, title, body, petition_ids):
    errors = {}
    title = (title or "").strip() if isinstance(title, str) or title is None else None
    if title is None:
        errors["title"] = "Give the title as text."
    elif not title:
        errors["title"] = "Give the response a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Use at most {TITLE_MAX} characters for the title (this one has {len(title)})."
    if body is not None and not isinstance(body, str):
        errors["body"] = "Give the text of the response as text."
        body = ""
    if len(body or "") > BODY_MAX:
        errors["body"] = f"Use at most {BODY_MAX} characters for the response."
    clean_body = from_markdown(body or "")  # Markdown (older HTML passes through), then nh3
    if "body" not in errors and not plain_text(clean_body):
        errors["body"] = "Write the text of the response."
    ids = []
    for value in petition_ids or []:
        if isinstance(value, Petition):
            value = value.id
        text = str(value).strip()
        if not is_number(text, 12):
            errors["petitions"] = "Choose petitions from the list."
            break
        if int(text) not in ids:
            ids.append(int(text))
    petitions = []
    if ids and "petitions" not in errors:
        petitions = list(answerable_petitions(organisation).where(Petition.id.in_(ids)))
        if len(petitions) != len(ids):
            errors["petitions"] = (f"A response can answer only {organisation.name}'s petitions that are closed or "
                                   "being answered (to_process or in_process).")
    elif "petitions" not in errors:
        errors["petitions"] = "Choose at least one petition this response answers."
    if errors:
        raise InvalidInput(errors)
    return title, clean_body, petitions


def save_draft(organisation, actor, title, body, petition_ids, response=None):
    """Create (or, given `response`, update) an unpublished response. Body HTML is sanitised."""
    _require_answerer(actor, organisation)
    if response is not None and (response.organisation_id != organisation.id):
        raise NotFound("There is no such response.")
    if response is not None and response.published_at is not None:
        raise InvalidInput({"title": "This response is published already and can no longer be edited."})
    source = body.strip() if isinstance(body, str) else None
    title, body, petitions = _clean(organisation, title, body, petition_ids)
    with db.atomic():
        if response is None:
            response = Response.create(organisation=organisation, title=title, body=body, body_source=source,
                                       created_by=actor.user if actor.user is not None else None,
                                       created_at=clock.now())
        else:
            Response.update(title=title, body=body, body_source=source).where(Response.id == response.id).execute()
            ResponsePetition.delete().where(ResponsePetition.response == response.id).execute()
        for petition in petitions:
            ResponsePetition.create(response=response.id, petition=petition.id)
    return Response.get_by_id(response.id)


def get_response(response_id, organisation=None):
    text = str(response_id)
    response = Response.get_or_none(Response.id == int(text)) if is_number(text, 11) else None
    if response is None or (organisation is not None and response.organisation_id != organisation.id):
        raise NotFound(f"There is no response {text[:20]!r}.")
    return response


# ---- publishing ------------------------------------------------------------------------------------

def publish_response(response, actor, petitions=None):
    """Publish a response: in one transaction set published_at, link the petitions, move each to
    completed (a to_process one through in_process: publishing implies the handover), queue the
    lead petitioners' mails and mark the signer notices as queued for the response_notices job.

    `petitions` (optional) replaces the response's linked petitions. Returns the response.
    """
    organisation = response.organisation
    _require_answerer(actor, organisation)
    with db.atomic():
        query = Response.select().where(Response.id == response.id)
        if is_postgres():
            query = query.for_update()
        response = query.first()
        if response is None:
            raise NotFound("There is no such response.")
        if response.published_at is not None:
            raise TransitionRefused("published", "published", [], reason="This response is published already.")
        _, _, chosen = _clean(organisation, response.title, response.body,
                              petitions if petitions is not None else [p.id for p in linked_petitions(response)])
        now = clock.now()
        ResponsePetition.delete().where(ResponsePetition.response == response.id).execute()
        Response.update(published_at=now, notices_state="queued", notices_cursor=0).where(
            Response.id == response.id).execute()
        response = Response.get_by_id(response.id)
        leads = {}
        for petition in chosen:
            ResponsePetition.create(response=response.id, petition=petition.id)
            if petition.status == "to_process":
                petition = transition(petition, "in_process", actor)
            petition = transition(petition, "completed", actor, response=response)
            audit.record(petition.id, actor, "response", field="response", new=f"#{response.id} {response.title}")
            leads.setdefault(petition.lead_petitioner_id, []).append(petition)
        webhooks.response_published(response, [p for group in leads.values() for p in group])
        for user_id, answered in leads.items():
            lead = answered[0].lead_petitioner
            mail.enqueue(lead.email, "response_published", dedupe_key=notice_key(response.id, None, user_id),
                         response=response, petitions=answered, user=lead)
    return response


# ---- response notices to signers ----------------------------------------------------------------

def opted_in_signers(response) -> int:
    """How many confirmed signers of the answered petitions asked to be told."""
    from models import notices
    from models.signature import Signature

    ids = [p.id for p in notices._petitions(response)]
    return Signature.select().where(notices._signers(ids)).count() if ids else 0


# ---- the workspace's view of an organisation's petitions --------------------------------------------

def workspace_petitions(organisation):
    """The petitions an organisation works on: everything addressed to it except drafts."""
    return Petition.select().where((Petition.organisation == organisation) & (Petition.status != "concept"))


def needs_attention(organisation, today=None):
    """{name: query} of what needs a clerk: closed petitions not handed over (no handover date, or
    a planned one that has come without the move to in_process), answers due
    within ATTENTION_DAYS days, and overdue answers (answer-due date passed, not answered)."""
    today = today or clock.today()
    base = workspace_petitions(organisation)
    open_work = Petition.status.in_(ANSWERABLE)  # completed means a response was published
    return {
        "no_handover": base.where((Petition.status == "to_process")
                                  & (Petition.date_projected.is_null() | (Petition.date_projected <= today))),
        "due_soon": base.where(open_work & (Petition.answer_due_date >= today)
                               & (Petition.answer_due_date <= today + dt.timedelta(days=ATTENTION_DAYS))),
        "overdue": base.where(open_work & (Petition.answer_due_date < today)),
    }


ATTENTION_LABELS = {
    "overdue": "Overdue answers",
    "due_soon": f"Answers due within {ATTENTION_DAYS} days",
    "no_handover": "Closed, no handover date yet",
}


def attention_of(petition, today=None):
    """The attention flags of one petition (for highlighting rows)."""
    today = today or clock.today()
    flags = set()
    if petition.status == "to_process" and (petition.date_projected is None or petition.date_projected <= today):
        flags.add("no_handover")
    if petition.status in ANSWERABLE and petition.answer_due_date is not None:
        if petition.answer_due_date < today:
            flags.add("overdue")
        elif petition.answer_due_date <= today + dt.timedelta(days=ATTENTION_DAYS):
            flags.add("due_soon")
    return flags


def responses_of(organisation):
    return Response.select().where(Response.organisation == organisation).order_by(
        Response.published_at.is_null(False), Response.published_at.desc(), Response.id.desc())


def published_responses():
    """Published responses that answer at least one public petition (a hidden petition's answer
    stays as hidden as the petition)."""
    public = (ResponsePetition.select(ResponsePetition.response)
              .join(Petition, on=(ResponsePetition.petition == Petition.id))
              .where(Petition.opens_at.is_null(False) & (Petition.hidden == False)))  # noqa: E712
    return Response.select().where(Response.published_at.is_null(False) & Response.id.in_(public)).order_by(
        Response.published_at.desc(), Response.id.desc())


__all__ = ["publish_response", "save_draft", "needs_attention"]
