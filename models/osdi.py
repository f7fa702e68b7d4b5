"""OSDI's additions to the domain: foreign identifiers, origin systems, and the two writes the
OSDI dialect offers (a petition saved by an organisation's key, a signature recorded by the helper).

Both writes go through the shared domain functions: petitions move through transition(),
signatures are stored by signature.submit_async() like on every other channel.
"""
import html
import json

import peewee as pw

from models import audit, channels, clock
from models.db import BaseModel, db
from models.errors import InvalidInput, NotAllowed
from models.petition import Petition, transition, unique_slug
from models.sanitize import plain_text, rich_text
from models.signature import Signature, submit_async
from models.numbers import is_number

NATIVE_SYSTEM = "portal"  # our own identifiers are "portal:<id>"
ORIGIN_SYSTEM = "Petition portal"
KINDS = ("petition", "signature")
TEXT_FIELDS = {"title": 255, "summary": 5000, "description": 50000, "petition_text": 5000}


class OsdiIdentifier(BaseModel):
    """A foreign identifier ("system:id") of a petition or signature.

    Unique within its scope (the organisation for petitions, the petition for signatures), which is
    what lets a repeated POST find the record it created before. object_id is a plain id, like the
    audit trail's, so that the table never blocks a write elsewhere.
    """

    kind = pw.CharField(max_length=16)
    scope_id = pw.IntegerField()
    object_id = pw.IntegerField()
    identifier = pw.CharField(max_length=255)
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "osdi_identifier"
        indexes = ((("kind", "scope_id", "identifier"), True), (("kind", "object_id"), False))


class OsdiOrigin(BaseModel):
    """Where a petition or signature recorded through OSDI came from."""

    kind = pw.CharField(max_length=16)
    object_id = pw.IntegerField()
    origin_system = pw.CharField(max_length=255, null=True)
    referrer_data = pw.TextField(null=True)  # JSON object: source, referrer, website, url
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        table_name = "osdi_origin"
        indexes = ((("kind", "object_id"), True),)

    @property
    def referrer(self):
        return json.loads(self.referrer_data) if self.referrer_data else None


# ---- identifiers ----------------------------------------------------------------------------------

def native(object_id):
    return f"{NATIVE_SYSTEM}:{object_id}"


def parse_identifiers(values, field="identifiers", native_too=False):
    """The foreign identifiers in a request ("system:id" strings), without our own "portal:" ones;
    with native_too, also the ids those name: (foreign, [ids])."""
    foreign, native_ids = [], []
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        raise InvalidInput({field: 'Give identifiers as a list of strings like "my_system:123".'})
    for value in values or []:
        value = value.strip()
        system, colon, local = value.partition(":")
        if not colon or not system.strip() or not local.strip() or len(value) > 255:
            raise InvalidInput({field: f'{value[:60]!r} is not an identifier; use "system_name:id" '
                                       f"(at most 255 characters)."})
        if system == NATIVE_SYSTEM:
            if is_number(local, 11):
                native_ids.append(int(local))
        elif value not in foreign:
            foreign.append(value)
    return (foreign, native_ids) if native_too else foreign


def identifiers_of(kind, object_ids):
    """{object id: [foreign identifiers, oldest first]} for many objects in one query."""
    result = {object_id: [] for object_id in object_ids}
    if object_ids:
        for row in (OsdiIdentifier.select().where((OsdiIdentifier.kind == kind)
                                                  & OsdiIdentifier.object_id.in_(list(object_ids)))
                    .order_by(OsdiIdentifier.id)):
            result.setdefault(row.object_id, []).append(row.identifier)
    return result


def find_by_identifiers(kind, scope_id, identifiers):
    """The id of the object in scope that carries one of the identifiers, or None."""
    if not identifiers:
        return None
    row = (OsdiIdentifier.select().where((OsdiIdentifier.kind == kind) & (OsdiIdentifier.scope_id == scope_id)
                                         & OsdiIdentifier.identifier.in_(identifiers)).first())
    return row.object_id if row else None


def ids_by_local_part(kind, local, object_ids_query):
    """Ids (among object_ids_query's) carrying a foreign identifier "<any system>:<local>".

    Action Network tells clients to address a resource by its identifier without the system prefix,
    and some (the `osdi` package) build URLs that way from the first identifier naming "action".
    """
    local = (local or "").strip()
    if not local or len(local) > 200 or ":" in local:
        return []
    rows = (OsdiIdentifier.select(OsdiIdentifier.object_id, OsdiIdentifier.identifier)
            .where((OsdiIdentifier.kind == kind) & OsdiIdentifier.identifier.endswith(":" + local)
                   & OsdiIdentifier.object_id.in_(object_ids_query)).limit(50))
    # endswith() is a LIKE: keep only exact matches of the part after the first colon.
    return sorted({row.object_id for row in rows if row.identifier.partition(":")[2] == local})


def ids_by_identifier(kind, identifier, object_ids_query):
    """Ids (among object_ids_query's) carrying exactly this foreign identifier ("system:id")."""
    identifier = (identifier or "").strip()
    if not identifier or len(identifier) > 255:
        return []
    rows = (OsdiIdentifier.select(OsdiIdentifier.object_id)
            .where((OsdiIdentifier.kind == kind) & (OsdiIdentifier.identifier == identifier)
                   & OsdiIdentifier.object_id.in_(object_ids_query)).limit(50))
    return sorted({row.object_id for row in rows})


def description_of(petition):
    """OSDI's description (seed 001: summary is the title): the statement as a first paragraph, then
    the petition's own (sanitised) description."""
    statement = plain_text(petition.statement or "")
    lead = f"<p>{html.escape(statement)}</p>" if statement else ""
    return lead + (petition.description or "")


def add_identifiers(kind, scope_id, object_id, identifiers):
    """Attach identifiers; one already carried by another object in scope is refused."""
    for identifier in identifiers:
        owner = find_by_identifiers(kind, scope_id, [identifier])
        if owner == object_id:
            continue
        if owner is None:
            try:
                with db.atomic():
                    OsdiIdentifier.create(kind=kind, scope_id=scope_id, object_id=object_id, identifier=identifier)
                continue
            except pw.IntegrityError:  # a concurrent request took it between our look-up and insert
                pass
        raise InvalidInput({"identifiers": f"{identifier!r} already identifies another {kind}."})


def origins_of(kind, object_ids):
    if not object_ids:
        return {}
    return {row.object_id: row for row in OsdiOrigin.select().where(
        (OsdiOrigin.kind == kind) & OsdiOrigin.object_id.in_(list(object_ids)))}


def _origin_text(data):
    value = data.get("origin_system", data.get("originating_system"))
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > 255:
        raise InvalidInput({"origin_system": "Give the origin system as text of at most 255 characters."})
    return value.strip() or None


# ---- petitions --------------------------------------------------------------------------------------

def _petition_values(data, creating):
    """Our columns from the editable OSDI fields present in data (system fields are ignored)."""
    errors, values = {}, {}
    for name, limit in TEXT_FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if value is not None and not isinstance(value, str):
            errors[name] = f"Give {name} as text."
            continue
        value = (value or "").strip()
        if len(value) > limit:
            errors[name] = f"Use at most {limit} characters for {name}."
        values[name] = value
    if errors:
        raise InvalidInput(errors)
    columns = {}
    # Seed 001: "summary — the petition's title". OSDI's own "title" is read too (it wins when both come).
    title = values.get("title") or values.get("summary") or None
    if title is not None:
        columns["title"] = title
    elif creating or "title" in data or "summary" in data:
        raise InvalidInput({"summary": "A petition needs a title: send it as summary (or title)."})
    if "description" in values:
        columns["description"] = rich_text(values["description"])
    if "petition_text" in values:
        columns["request"] = plain_text(values["petition_text"])
    return columns


def editable(petition):
    """Why this petition's texts cannot change through OSDI, or None when they can.

    Only petitions the organisation created through OSDI, and only until someone has signed: the
    text people signed never changes, and a citizen's petition is never rewritten by its recipient.
    """
    if not origins_of("petition", [petition.id]):
        return "Only petitions created through this API can be edited through it; this one was started on the portal."
    if Signature.select().where(Signature.petition == petition).exists():
        return "This petition has signatures, so its texts can no longer change."
    return None


def save_petition(key, data, petition=None):
    """Create a petition for the key's organisation, or update one (PUT, or a POST whose foreign
    identifier matches). Returns (petition, created)."""
    if not isinstance(data, dict):
        raise InvalidInput({"body": "Send the petition as a JSON object."})
    if key.is_test:
        raise NotAllowed("Test keys never write.")
    organisation_id = key.organisation_id
    if not key.can_update(petition.organisation_id if petition is not None else organisation_id):
        raise NotAllowed("Creating and changing petitions needs a key with the update scope of the "
                         "petition's organisation.")
    identifiers, native_ids = parse_identifiers(data.get("identifiers"), native_too=True)
    if petition is None:
        # De-duplication: a POST naming a petition of this organisation (by a foreign identifier or
        # our own "portal:<id>") updates it instead of creating another.
        found = find_by_identifiers("petition", organisation_id, identifiers)
        if found is None and native_ids:
            mine = Petition.get_or_none((Petition.id.in_(native_ids)) & (Petition.organisation == organisation_id))
            found = mine.id if mine else None
        if found is not None:
            petition = Petition.get_by_id(found)
    origin = _origin_text(data)
    with db.atomic():
        if petition is None:
            columns = _petition_values(data, creating=True)
            user = key.user
            petition = Petition.create(slug=unique_slug(columns["title"]), organisation=organisation_id,
                                       lead_petitioner=user, **columns)
            # Through the one transition table: the key's user submits as lead petitioner, the
            # organisation's key publishes (a clerk may publish petitions addressed to it).
            petition = transition(petition, "staging", audit.Actor.for_user(user, channel="api"))
            petition = transition(petition, "live", audit.Actor.for_api_key(key))
            OsdiOrigin.create(kind="petition", object_id=petition.id, origin_system=origin or ORIGIN_SYSTEM)
            add_identifiers("petition", organisation_id, petition.id, identifiers)
            return Petition.get_by_id(petition.id), True
        columns = _petition_values(data, creating=False)
        changed = {k: v for k, v in columns.items() if getattr(petition, k) != v}
        if changed:
            problem = editable(petition)
            if problem:
                raise NotAllowed(problem)
            Petition.update(updated_at=clock.now(), **changed).where(Petition.id == petition.id).execute()
            actor = audit.Actor.for_api_key(key)
            for name, value in changed.items():
                audit.record(petition.id, actor, "field", field=name, old=getattr(petition, name), new=value)
        add_identifiers("petition", petition.organisation_id, petition.id, identifiers)
    return Petition.get_by_id(petition.id), False


# ---- signatures -------------------------------------------------------------------------------------

def _primary(items, field):
    if items is None:
        return {}
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidInput({field: f"Give {field} as a list of objects."})
    for item in items:
        if item.get("primary"):
            return item
    return items[0] if items else {}


def _text(value, field):
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidInput({field: f"Give {field} as text."})
    return value.strip() or None


def signer_email(data):
    """The address a record-signature body names (for the abuse limits), or None when it names none
    or is malformed (record_signature() then says what is wrong)."""
    try:
        person = data.get("person") if isinstance(data, dict) else None
        if not isinstance(person, dict):
            return None
        return _text(_primary(person.get("email_addresses"), "person.email_addresses").get("address"), "email")
    except (InvalidInput, AttributeError):
        return None


def signatures_seen_by(key):
    """Signatures a key may read one by one: confirmed ones, and the pending ones it submitted itself."""
    return Signature.select().where(Signature.confirmed_at.is_null(False) | (Signature.api_key == key.id))


async def record_signature(key, petition, data):
    """The record signature helper: person, comments, identifiers, referrer data -> submit_async().

    Returns signature.submit_async()'s result. The confirmation mail is always sent (it is what makes a
    signature count), so triggers.autoresponse cannot switch it off; add_tags is accepted and ignored.
    """
    # The same refusal order as every key-based channel (models/channels.py).
    channels.check_signing(petition, key)
    if not isinstance(data, dict):
        raise InvalidInput({"body": "Send the signature as a JSON object."})
    person = data.get("person")
    if not isinstance(person, dict):
        raise InvalidInput({"person": "Give the signer as a person object with email_addresses and names."})
    email = _primary(person.get("email_addresses"), "person.email_addresses")
    address = _primary(person.get("postal_addresses"), "person.postal_addresses")
    names = [_text(person.get(part), f"person.{part}") for part in ("given_name", "additional_name", "family_name")]
    full_name = " ".join(n for n in names if n)
    if not full_name and person.get("name") is not None:
        full_name = _text(person.get("name"), "person.name") or ""
    for name in ("add_tags", "add_lists"):
        if data.get(name) is not None and not isinstance(data.get(name), list):
            raise InvalidInput({name: f"Give {name} as a list of names."})
    triggers = data.get("triggers")
    if triggers is not None and not isinstance(triggers, dict):
        raise InvalidInput({"triggers": "Give triggers as an object."})
    referrer = data.get("referrer_data")
    if referrer is not None and (not isinstance(referrer, dict)
                                 or not all(isinstance(v, str) and len(v) <= 500 for v in referrer.values())):
        raise InvalidInput({"referrer_data": "Give referrer_data as an object of short texts "
                                             "(source, referrer, website, url)."})
    identifiers = parse_identifiers(data.get("identifiers"))
    origin = _origin_text(data)
    show_name = person.get("portal:show_name", data.get("portal:show_name", False)) is True
    region = address.get("region") if isinstance(address, dict) else None

    def records(signature):  # in the signature's own transaction (the intake writer's batch)
        OsdiOrigin.create(kind="signature", object_id=signature.id, origin_system=origin,
                          referrer_data=json.dumps(referrer) if referrer else None)
        add_identifiers("signature", petition.id, signature.id, identifiers)

    result = await submit_async(
        petition, full_name=full_name, email=_text(email.get("address"), "person.email_addresses"),
        city=_text(address.get("locality"), "person.postal_addresses.locality"),
        postal_code=_text(address.get("postal_code"), "person.postal_addresses.postal_code"),
        state=_text(region, "person.postal_addresses.region"),
        country=_text(address.get("country"), "person.postal_addresses.country"),
        comment=_text(data.get("comments"), "comments"), show_name=show_name,
        source="osdi", api_key=key, notify_duplicate=False, after_insert=records)
    return result
