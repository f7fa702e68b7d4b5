"""Read queries the foreign API dialects share (We the People's /v1/ and OSDI).

Only what is visible to the public is here: petitions that were published and are not hidden,
confirmed signatures, published responses. Each dialect parses its own parameters, calls these
and serialises its own shape; no dialect adds a rule of its own about what may be seen.
"""
import calendar
import datetime as dt

import peewee as pw

from models import channels, clock, config
from models.errors import InvalidInput, NotFound
from models.organisation import Organisation
from models.petition import Petition
from models.response import Response, ResponsePetition
from models.signature import Signature


# ---- time -------------------------------------------------------------------------------------

def unix(value):
    """Seconds since the epoch of a naive UTC datetime (None stays None)."""
    return calendar.timegm(value.timetuple()) if value is not None else None


def from_unix(field, value):
    """A naive UTC datetime from a Unix timestamp given as text, or InvalidInput naming the field."""
    try:
        seconds = int(str(value).strip())
        return dt.datetime(1970, 1, 1) + dt.timedelta(seconds=seconds)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput({field: f"Give a Unix timestamp (whole seconds), not {str(value)[:40]!r}."}) from None


def iso(value):
    """ISO 8601 in UTC with a Z, as OSDI writes times."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def created_filter(query, column, before=None, after=None, at=None):
    """Restrict `column` (a datetime) to before / after / exactly at the given whole-second times,
    strictly, as the times are shown: createdAfter=T leaves out what was created within second T."""
    if before is not None:
        query = query.where(column < before)
    if after is not None:
        query = query.where(column >= after + dt.timedelta(seconds=1))
    if at is not None:
        query = query.where((column >= at) & (column < at + dt.timedelta(seconds=1)))
    return query


def compare(query, column, op, value):
    """column <op> value for op in eq, gt, lt, ge, le; a date (no time) compares whole days."""
    whole_day = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if whole_day:
        start = dt.datetime.combine(value, dt.time())
        end = start + dt.timedelta(days=1)
        conditions = {"eq": (column >= start) & (column < end), "gt": column >= end, "ge": column >= start,
                      "lt": column < start, "le": column < end}
    else:
        conditions = {"eq": column == value, "gt": column > value, "ge": column >= value, "lt": column < value,
                      "le": column <= value}
    return query.where(conditions[op])


def window(query, offset, limit):
    """(total count, the items from offset, at most limit of them)."""
    return query.count(), list(query.offset(offset).limit(limit))


# ---- petitions --------------------------------------------------------------------------------

def scoped_petitions(organisation_id=None):
    """Every petition (with its organisation); optionally of one organisation."""
    query = Petition.select(Petition, Organisation).join(Organisation)
    if organisation_id is not None:
        query = query.where(Petition.organisation == organisation_id)
    return query


def visible_petitions(organisation_id=None, key=None):
    """Petitions `key` may read (models/channels.py: published, not hidden, or hidden and addressed
    to the key's organisation), with their organisation; optionally of one organisation."""
    return channels.readable(key, scoped_petitions(organisation_id))


def visible_petition(name, organisation_id=None, key=None):
    """One petition `key` may read by numeric id or slug, or NotFound."""
    return Petition.by_key(name, visible_petitions(organisation_id, key))


def signable_condition():
    """SQL for Petition.is_signable."""
    now = clock.now()
    return (Petition.status == "live") & (Petition.closes_at.is_null() | (Petition.closes_at > now))


def text_filter(query, columns, text):
    """Each word of text must occur in one of columns (case-insensitive)."""
    for word in (text or "").split()[:8]:
        condition = None
        for column in columns:
            condition = column.contains(word) if condition is None else condition | column.contains(word)
        query = query.where(condition)
    return query


def threshold(petition):
    """The signature count at which the petition's organisation promises a response."""
    return petition.organisation.signature_threshold


def public_url(petition):
    return f"{config.current().base_url}/petitions/{petition.slug}"


def slug_from_url(url):
    """The petition slug (or id) that a public petition URL names."""
    path = (url or "").split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return path.rsplit("/", 1)[-1] if path else ""


def response_links():
    """Published responses joined to the petitions they answer."""
    return (ResponsePetition.select(ResponsePetition, Response)
            .join(Response).where(Response.published_at.is_null(False)))


def with_response(query, response_id=None, associated_before=None):
    """Petitions answered by the published response response_id / by one published before a time."""
    links = response_links()
    if response_id is not None:
        links = links.where(Response.id == response_id)
    if associated_before is not None:
        links = links.where(Response.published_at < associated_before)
    return query.where(Petition.id.in_(links.select(ResponsePetition.petition)))


def responses_by_petition(petitions):
    """{petition id: the newest published response} for the given petitions (one query)."""
    ids = [p.id for p in petitions]
    found = {}
    if not ids:
        return found
    for link in (response_links().where(ResponsePetition.petition.in_(ids))
                 .order_by(Response.published_at.asc(), Response.id.asc())):
        found[link.petition_id] = link.response
    return found


# ---- responses --------------------------------------------------------------------------------

def published_responses():
    """Published responses that answer at least one visible petition."""
    return (Response.select(Response, Organisation).join(Organisation)
            .where(Response.published_at.is_null(False)
                   & Response.id.in_(ResponsePetition.select(ResponsePetition.response)
                                     .where(ResponsePetition.petition.in_(
                                         visible_petitions().select(Petition.id))))))


def published_response(response_id):
    try:
        number = int(str(response_id))
    except ValueError:
        raise NotFound(f"There is no response {str(response_id)[:40]!r}.") from None
    response = published_responses().where(Response.id == number).first()
    if response is None:
        raise NotFound(f"There is no response {number}.")
    return response


def petitions_answered_by(response):
    return list(visible_petitions().where(Petition.id.in_(
        ResponsePetition.select(ResponsePetition.petition).where(ResponsePetition.response == response)))
        .order_by(Petition.id))


# ---- signatures -------------------------------------------------------------------------------

def public_signatures(petition):
    """Confirmed signatures of a petition, oldest first. Callers show no email, and a name only
    when the signer chose to show it."""
    return (Signature.select().where((Signature.petition == petition) & Signature.confirmed_at.is_null(False))
            .order_by(Signature.created_at, Signature.id))


def place_filter(query, city=None, state=None, postal_code=None, country=None):
    """Exact (case-insensitive) matches on a signer's place."""
    for column, value in ((Signature.city, city), (Signature.state, state),
                          (Signature.postal_code, postal_code), (Signature.country, country)):
        if value is not None and str(value).strip():
            query = query.where(pw.fn.LOWER(column) == str(value).strip().lower())
    return query


def submissions_confirmed(api_key, petition_key=None):
    """Signatures this key submitted that their signers have confirmed (its own data: with emails)."""
    query = (Signature.select().where((Signature.api_key == api_key) & Signature.confirmed_at.is_null(False))
             .order_by(Signature.confirmed_at, Signature.id))
    if petition_key is not None and str(petition_key).strip():
        try:
            petition_id = Petition.by_key(petition_key).id
        except NotFound:
            petition_id = -1
        query = query.where(Signature.petition == petition_id)
    return query
