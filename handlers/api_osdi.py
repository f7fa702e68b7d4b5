"""OSDI (Action Network style) under /api/osdi/v1/: HAL+JSON over models/dialects.py and models/osdi.py.

Keys come in the OSDI-API-Token header (any capitalisation) or Action Network's api-key header.
A key bound to an organisation sees that organisation's published petitions; a key without one
sees every published petition. No answer carries an email address; a signer's name appears only
when the signer chose to show it.
"""
import datetime as dt
import json
import re
from urllib.parse import urlencode

import tornado.web

from handlers.base import BaseHandler, JsonHandler
from handlers.ratelimit import LimitedApiHandler
from models import api, channels, clock, config, dialects, osdi
from models.errors import DomainError, InvalidInput, NotFound
from models.pagination import Page, paginate
from models.petition import Petition
from models.signature import Signature
from models.user import User
from models.numbers import is_number

MAX_PAGE_SIZE = 100
DEFAULT_PER_PAGE = 25
OSDI_VERSION = "1.1.1"
PREFIX = "/api/osdi/v1"
FILTER_FIELDS = {"modified_date": "modified", "modified_at": "modified", "created_date": "created",
                 "created_at": "created"}
UNSET = ("", "none", "null", "undefined", "nil")
CLAUSE = re.compile(r"^\s*([a-z_]+)\s+(eq|gt|lt|ge|le)\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s*$", re.I)


def base():
    return config.current().base_url + PREFIX


def curies():
    return [{"name": "osdi", "href": f"{base()}/docs#{{rel}}", "templated": True}]


class OsdiError(tornado.web.HTTPError):
    def __init__(self, status, code, description, properties=None):
        super().__init__(status)
        self.code, self.description, self.properties = code, description, list(properties or [])


ERROR_CODES = {400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 413: "TOO_LARGE"}


class OsdiHandler(LimitedApiHandler, JsonHandler):
    resource = "osdi:petition"
    _key = None

    def set_default_headers(self):
        super().set_default_headers()
        self.set_header("Content-Type", "application/hal+json; charset=UTF-8")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Cache-Control", "max-age=0, private, must-revalidate")

    def request_token(self):
        return self.request.headers.get("OSDI-API-Token") or self.request.headers.get("api-key")

    async def prepare(self):
        """Counted by the shared limiter before the database is touched (handlers/ratelimit.py), then
        find the key. Over the per-second limit a request waits for the next window instead of being
        refused at once: clients written for Action Network (Parsons, osdi, py-actionnetworkorg) page
        through collections as fast as they can and stop at the first 429. Every dialect does the same.
        """
        await super().prepare()
        self._key = self.find_key()

    def find_key(self):
        try:
            return self.resolve_key(self.request_token())
        except (api.ApiKeyInvalid, api.KeyOrganisationLeft):
            return None

    def api_key(self):
        """The request's key. Any valid key may read: everything served is public on the site anyway;
        the writes check their own scope (update, create) in the domain functions."""
        if self._key is None:
            raise OsdiError(401, "UNAUTHORIZED", "Send a valid API key in the OSDI-API-Token (or api-key) header.")
        return self._key

    def petitions_for(self, key):
        return dialects.visible_petitions(key.organisation_id if key else None, key=key)

    def petition(self, key, petition_id, signing=False):
        """The petition a path names, among those the key may read (signing: may sign).

        A bare number always means the portal's petition of that number (404 when the key cannot see
        it), so an address never switches petitions. A foreign identifier is named in full
        (`free_petitions:1`; `portal:7` is ours), or by its id alone when no portal petition has
        that id or slug and exactly one visible petition carries it (Action Network style)."""
        text = (petition_id or "").strip()
        scope = dialects.scoped_petitions(key.organisation_id if key else None)
        visible = self.petitions_for(key)
        missing = OsdiError(404, "NOT_FOUND", f"There is no petition {text[:40]!r} for this key.")

        def find(name):
            if signing:
                return channels.petition_to_sign(name, key, query=scope)
            return api.petition_by_key(name, visible)

        system, colon, local = text.partition(":")
        try:
            if colon and system == osdi.NATIVE_SYSTEM and is_number(local, 11):
                return find(local)
            if not colon:
                return find(text)
        except NotFound:
            if not colon and (is_number(text, 11) or Petition.select().where(Petition.slug == text[:100]).exists()):
                raise missing from None
        candidates = scope.select(Petition.id) if signing else visible.select(Petition.id)
        found = (osdi.ids_by_identifier("petition", text, candidates) if colon
                 else osdi.ids_by_local_part("petition", text, candidates))
        if len(found) == 1:
            try:
                return find(str(found[0]))
            except NotFound:
                pass
        raise missing

    def body(self):
        data = self.get_json_body()
        return data

    def write_hal(self, value, status=200):
        self.write_json(value, status)

    # ---- paging and filtering ----
    def int_arg(self, name, default):
        """page / per_page read the way Action Network reads them, so that existing client libraries
        work unchanged: an empty value or a client's unset variable ("None", "null") means the default,
        and a value that starts with a number uses that number (py-actionnetworkorg sends
        `per_page=25filter=None`, having forgotten an "&"). Anything else is a 400."""
        value = self.get_query_argument(name, None)
        if value is None or value.strip().lower() in UNSET:
            return default
        leading = re.match(r"\s*(\d{1,9})", value)
        number = int(leading.group(1)) if leading else 0
        if number < 1:
            raise OsdiError(400, "INVALID_PARAMETER", f"{name} must be a whole number of at least 1, "
                                                      f"not {value[:40]!r}.", [name])
        return number

    def filtered(self, query, columns):
        """Apply an OData-style filter (`modified_date gt '2026-01-01'`, clauses joined by `and`)."""
        text = self.get_query_argument("filter", None)
        if not text or not text.strip():
            return query
        for clause in re.split(r"\s+and\s+", text.strip(), flags=re.I):
            match = CLAUSE.match(clause)
            field = match and FILTER_FIELDS.get(match.group(1).lower())
            if not field:
                raise OsdiError(400, "INVALID_FILTER", f"Cannot filter on {clause[:80]!r}: use modified_date or "
                                                       f"created_date with gt, lt, eq (ge, le), e.g. "
                                                       f"modified_date gt '2026-01-31', joined by 'and'.", ["filter"])
            raw = next(v for v in match.group(3, 4, 5) if v is not None).strip()
            try:
                value = (dt.date.fromisoformat(raw) if len(raw) == 10 else clock.parse_iso(raw))
            except ValueError:
                raise OsdiError(400, "INVALID_FILTER", f"{raw[:40]!r} is not a date or time; use "
                                                       f"'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ'.", ["filter"]) from None
            query = dialects.compare(query, columns[field], match.group(2).lower(), value)
        return query

    def collection(self, rel, path, query, serialise):
        number = self.int_arg("page", 1)
        per_page = min(self.int_arg("per_page", DEFAULT_PER_PAGE), MAX_PAGE_SIZE)
        if query is None:
            page = Page([], number, per_page, 0)
        elif channels.is_test(self._key):
            # A test key reads every count as 3: three records on one page (models/channels.py).
            per_page = channels.TEST_KEY_COUNT
            page = Page(list(query.limit(per_page)) if number == 1 else [], number, per_page, channels.TEST_KEY_COUNT)
        else:
            page = paginate(query, number, per_page)
        items = serialise(page.items)
        total_pages = page.pages

        def href(n):
            args = {"page": n, "per_page": per_page}
            if self.get_query_argument("filter", None):
                args["filter"] = self.get_query_argument("filter")
            return f"{base()}{path}?{urlencode(args)}"

        links = {"self": {"href": href(number)}, rel: [{"href": item["_links"]["self"]["href"]} for item in items],
                 "curies": curies()}
        if number < total_pages:
            links["next"] = {"href": href(number + 1)}
        if number > 1:
            links["previous"] = {"href": href(min(number - 1, total_pages))}
        self.write_hal({"total_pages": total_pages, "per_page": per_page, "page": number,
                        "total_records": page.total, "_links": links, "_embedded": {rel: items}})

    # ---- serialisers ----
    def petitions_json(self, petitions):
        ids = [p.id for p in petitions]
        identifiers = osdi.identifiers_of("petition", ids)
        origins = osdi.origins_of("petition", ids)
        return [self.petition_json(p, identifiers.get(p.id, []), origins.get(p.id)) for p in petitions]

    def petition_json(self, petition, identifiers=None, origin=None):
        if identifiers is None:
            identifiers = osdi.identifiers_of("petition", [petition.id])[petition.id]
            origin = osdi.origins_of("petition", [petition.id]).get(petition.id)
        href = f"{base()}/petitions/{petition.id}"
        creator_href = f"{base()}/people/u{petition.lead_petitioner_id}"
        origin_system = (origin.origin_system if origin else None) or osdi.ORIGIN_SYSTEM
        url = dialects.public_url(petition)
        created = dialects.iso(channels.created_time(petition))
        modified = dialects.iso(channels.modified_time(petition))
        key = self._key
        return {
            "identifiers": [osdi.native(petition.id)] + identifiers,
            "origin_system": origin_system, "originating_system": origin_system,
            "created_date": created, "modified_date": modified, "created_at": created, "modified_at": modified,
            # Seed 001: summary is the title; the statement leads the description; the request is the letter.
            "title": petition.title, "summary": petition.title,
            "description": osdi.description_of(petition), "petition_text": petition.request,
            "browser_url": url, "url": url, "total_signatures": channels.count_for(key, petition.signature_count),
            "target": [{"name": petition.organisation.name}],
            "_embedded": {"osdi:creator": {
                # The creator carries no name or address: the portal does not publish who started a petition.
                "identifiers": [f"{osdi.NATIVE_SYSTEM}:u{petition.lead_petitioner_id}"],
                "origin_system": osdi.ORIGIN_SYSTEM, "_links": {"self": {"href": creator_href}}}},
            "_links": {
                "self": {"href": href}, "osdi:signatures": {"href": f"{href}/signatures"},
                "osdi:record_signature_helper": {"href": f"{href}/record_signature_helper"},
                "osdi:creator": {"href": creator_href}, "curies": curies()},
        }

    def signatures_json(self, signatures, key, petition):
        ids = [s.id for s in signatures]
        identifiers = osdi.identifiers_of("signature", ids)
        origins = osdi.origins_of("signature", ids)
        return [self.signature_json(s, key, petition, identifiers.get(s.id, []), origins.get(s.id))
                for s in signatures]

    def signature_json(self, signature, key, petition, identifiers=None, origin=None):
        """A signature. Its comments go only to the petition's organisation (they are addressed to
        it) and to the key that submitted it; other keys get the signature without them."""
        if identifiers is None:
            identifiers = osdi.identifiers_of("signature", [signature.id])[signature.id]
            origin = osdi.origins_of("signature", [signature.id]).get(signature.id)
        petition_href = f"{base()}/petitions/{signature.petition_id}"
        referrer = (origin.referrer if origin else None) or {"source": signature.source}
        result = {
            "identifiers": [osdi.native(signature.id)] + identifiers,
            "origin_system": (origin.origin_system if origin else None) or osdi.ORIGIN_SYSTEM,
            "created_date": dialects.iso(signature.created_at),
            "modified_date": dialects.iso(signature.confirmed_at or signature.created_at),
            "action_date": dialects.iso(signature.created_at),
            "referrer_data": referrer,
            "_links": {"self": {"href": f"{petition_href}/signatures/{signature.id}"},
                       "osdi:petition": {"href": petition_href},
                       "osdi:person": {"href": f"{base()}/people/s{signature.id}"}, "curies": curies()},
        }
        if key.organisation_id == petition.organisation_id or signature.api_key_id == key.id:
            result["comments"] = signature.comment or ""
        if signature.confirmed_at is None:
            # Only its submitter sees a pending signature: it counts once the signer confirms by mail.
            result["portal:status"] = "pending_verification"
        return result

    async def record_signature(self, petition_id):
        """The record signature helper (also reached by POSTing to a petition's signatures). Refusals
        come in models/channels.py's order: the petition first, the key after, then the abuse limits."""
        key = self._key
        petition = self.petition(key, petition_id, signing=True)
        body = self.body()
        email = osdi.signer_email(body)
        if email:
            channels.check_signing(petition, key)  # its refusals come before the abuse limits
            await self.limit_signing(email)
        result = await osdi.record_signature(key, petition, body)
        await self.signed(result, email)
        if not result.created and result.signature.api_key_id != key.id:
            # The address had signed through another channel: say only that the request was
            # accepted (OSDI's minimal answer), not when or what that signer wrote.
            return self.write_hal({})
        self.write_hal(self.signature_json(result.signature, key, petition))

    # ---- errors ----
    def _handle_request_exception(self, error):
        if isinstance(error, DomainError):
            status = {InvalidInput: 400}.get(type(error), error.status)
            if status not in (400, 401, 403, 404, 409, 429, 503):
                status = 400
            properties = list(error.fields) if isinstance(error, InvalidInput) else []
            translated = OsdiError(status, ERROR_CODES.get(status, "INVALID_REQUEST"), error.message, properties)
            translated.retry_after = getattr(error, "retry_after", None)
            self.send_error(status, exc_info=(OsdiError, translated, None))
            return
        super()._handle_request_exception(error)

    def error_body(self, status_code, message, error):
        if isinstance(error, OsdiError):
            code, message, properties = error.code, error.description, error.properties
        else:
            code, properties = ERROR_CODES.get(status_code, "ERROR"), []
        description = {"error_code": code, "description": message}
        if properties:
            description["properties"] = properties
        # Action Network's {"error": ...} beside OSDI's osdi:error, so clients of either find the message.
        return {"error": message, "osdi:error": {
            "request_type": "atomic", "response_code": status_code,
            "resource_status": [{"resource": self.resource, "response_code": status_code,
                                 "error_descriptions": [description]}]}}

    def write_error(self, status_code, **kwargs):
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        body = self.error_body(status_code, self.error_message(status_code, exc_info), error)
        self.set_retry_after(error)
        self.set_header("Content-Type", "application/hal+json; charset=UTF-8")
        self.finish(json.dumps(body, ensure_ascii=False))


class EntryPointHandler(OsdiHandler):
    resource = "osdi:aep"

    def get(self):
        self.api_key()
        b = base()
        self.write_hal({
            "motd": "Welcome to the petition portal's OSDI API. Petitions, signatures and the record "
                    "signature helper are available.",
            "max_page_size": MAX_PAGE_SIZE, "max_pagesize": MAX_PAGE_SIZE,
            "vendor_name": "Petition recipient portal", "product_name": "Petition portal",
            "osdi_version": OSDI_VERSION, "namespace": osdi.NATIVE_SYSTEM,
            "_links": {
                "curies": curies(),
                "self": {"href": f"{b}/", "title": "This API entry point"},
                "osdi:petitions": {"href": f"{b}/petitions", "title": "The collection of petitions in the system"},
                "osdi:tags": {"href": f"{b}/tags", "title": "The collection of tags in the system (always empty)"},
                "docs": {"href": f"{b}/docs", "title": "Documentation", "name": "Docs", "index": "index"},
            }})


class PetitionsHandler(OsdiHandler):
    def get(self):
        key = self.api_key()
        query = self.filtered(self.petitions_for(key),
                              {"modified": channels.MODIFIED_EXPRESSION, "created": channels.CREATED_COLUMN})
        query = query.order_by(channels.CREATED_COLUMN.desc(), Petition.id.desc())
        self.collection("osdi:petitions", "/petitions", query, self.petitions_json)

    def post(self):
        key = self.api_key()
        petition, _created = osdi.save_petition(key, self.body())
        self.write_hal(self.petition_json(petition))


class PetitionHandler(OsdiHandler):
    def get(self, petition_id):
        key = self.api_key()
        self.write_hal(self.petition_json(self.petition(key, petition_id)))

    def put(self, petition_id):
        key = self.api_key()
        petition = self.petition(key, petition_id)
        data = self.body()
        petition, _ = osdi.save_petition(key, data, petition)
        self.write_hal(self.petition_json(petition))

    def delete(self, petition_id):
        self.api_key()
        raise OsdiError(403, "DELETE_NOT_ALLOWED", "Deleting petitions is not allowed through the API.")


class SignaturesHandler(OsdiHandler):
    resource = "osdi:signature"

    async def post(self, petition_id):
        """Action Network records signatures by POSTing the helper's body to the collection."""
        await self.record_signature(petition_id)

    def get(self, petition_id):
        key = self.api_key()
        petition = self.petition(key, petition_id)
        query = self.filtered(dialects.public_signatures(petition),
                              {"modified": Signature.confirmed_at, "created": Signature.created_at})
        self.collection("osdi:signatures", f"/petitions/{petition.id}/signatures", query,
                        lambda items: self.signatures_json(items, key, petition))


class SignatureHandler(OsdiHandler):
    resource = "osdi:signature"

    def get(self, petition_id, signature_id):
        """A confirmed signature; or, for the key that submitted it, its own pending one (the helper's
        `self` link answers at once, shown as pending, never counted, visible to no other key)."""
        key = self.api_key()
        seen = osdi.signatures_seen_by(key)
        try:
            petition = self.petition(key, petition_id)
        except OsdiError:
            # A hidden petition the key signs through the API but may not read: its own signatures only.
            petition = self.petition(key, petition_id, signing=True)
            seen = Signature.select().where(Signature.api_key == key.id)
        signature = None
        if is_number(signature_id, 11):
            signature = seen.where((Signature.petition == petition) & (Signature.id == int(signature_id))).first()
        if signature is None:
            raise OsdiError(404, "NOT_FOUND", f"There is no signature {signature_id[:40]!r} on this petition "
                                              "for this key.")
        self.write_hal(self.signature_json(signature, key, petition))

    def delete(self, petition_id, signature_id):
        self.api_key()
        raise OsdiError(403, "DELETE_NOT_ALLOWED", "Deleting signatures is not allowed through the API.")

    def put(self, petition_id, signature_id):
        """Action Network lets a signature's comments change; here what was signed stays as signed."""
        self.api_key()
        raise OsdiError(403, "UPDATE_NOT_ALLOWED", "Signatures cannot be changed through the API: what was "
                                                   "signed stays as it was signed.")


class RecordSignatureHandler(OsdiHandler):
    resource = "osdi:signature"

    async def post(self, petition_id):
        await self.record_signature(petition_id)


class PersonHandler(OsdiHandler):
    """People only as far as they are public: a signer's name when they chose to show it, nothing else."""

    resource = "osdi:person"

    def person(self, key, person_id):
        """The signature of a visible person "s<signature id>" (None for "u<user id>"), or a 404.
        A signer is known only by their one confirmed signature on a petition this key can see; a
        lead petitioner only as the creator of such a petition."""
        kind, number = person_id[:1], person_id[1:]
        if kind not in ("s", "u") or not is_number(number, 11):
            raise OsdiError(404, "NOT_FOUND", f"There is no person {person_id[:40]!r}.")
        visible = self.petitions_for(key)
        if kind == "s":
            # A confirmed signer on a petition this key reads, or a signer this key submitted (pending too).
            signature = (osdi.signatures_seen_by(key).where(
                (Signature.id == int(number)) & (Signature.petition.in_(visible.select(Petition.id))
                                                 | (Signature.api_key == key.id))).first())
            if signature is None:
                raise OsdiError(404, "NOT_FOUND", f"There is no person {person_id!r}.")
            return signature
        found = visible.where(Petition.lead_petitioner == int(number)).exists()
        if not found or User.get_or_none(User.id == int(number)) is None:
            raise OsdiError(404, "NOT_FOUND", f"There is no person {person_id!r}.")
        return None

    def get(self, person_id):
        key = self.api_key()
        signature = self.person(key, person_id)
        href = f"{base()}/people/{person_id}"
        person = {"identifiers": [f"{osdi.NATIVE_SYSTEM}:{person_id}"], "origin_system": osdi.ORIGIN_SYSTEM,
                  "_links": {"self": {"href": href}, "osdi:signatures": {"href": f"{href}/signatures"},
                             "curies": curies()}}
        if signature is not None and signature.show_name:
            given, _, family = signature.full_name.partition(" ")
            person.update(given_name=given, family_name=family)
        self.write_hal(person)


class PersonSignaturesHandler(PersonHandler):
    """A person's signatures (Action Network's people/{id}/signatures, which Parsons and
    py-actionnetworkorg read): a signer's one signature; a lead petitioner's signatures stay private."""

    resource = "osdi:signature"

    def get(self, person_id):
        key = self.api_key()
        signature = self.person(key, person_id)
        query = None
        if signature is not None:
            query = self.filtered(Signature.select().where(Signature.id == signature.id),
                                  {"modified": Signature.confirmed_at, "created": Signature.created_at})
        self.collection("osdi:signatures", f"/people/{person_id}/signatures", query,
                        lambda items: [self.signature_json(s, key, s.petition) for s in items])


class TagsHandler(OsdiHandler):
    """The portal has no tags (the helper's add_tags is accepted and ignored), but OSDI clients such
    as the `osdi` package's ActionNetworkService read the tags collection when they start: an empty
    collection lets them work."""

    resource = "osdi:tag"

    def get(self):
        self.api_key()
        self.collection("osdi:tags", "/tags", None, lambda items: [])


class DocsHandler(BaseHandler):
    def get(self):
        self.render("apidocs_osdi.html", max_page_size=MAX_PAGE_SIZE, per_page=DEFAULT_PER_PAGE, base=base())


class UnknownHandler(OsdiHandler):
    """Any other address under /api/osdi/v1/: an OSDI 404, never the HTML error page."""

    resource = "osdi:aep"

    async def prepare(self):
        await super().prepare()
        raise OsdiError(404, "NOT_FOUND", f"There is no resource at {self.request.path[:80]}; start at {PREFIX}/.")
