"""The native v1 API: petitions.eu's read calls, its POST /signature and recipient PUT, and
Forbrukermakt's external signing and count. Thin: parse, call models/, serialise.

Every error is JSON: {"message": cause and fix, "reason": HTTP reason, "error": a stable code,
"fields": {name: message} when fields are wrong, plus details such as "allowed" moves}.
"""
import datetime as dt
import http.client
import json

import tornado.web

from handlers import params
from handlers.base import JsonHandler
from handlers.caching import etag_of, finish_cacheable
from handlers.ratelimit import LimitedApiHandler
from models import api, cache, channels, config, i18n
from models import signature as signatures
from models.audit import Actor
from models.errors import DomainError, InvalidInput, NotFound
from models.i18n import N_
from models.organisation import Organisation
from models.petition import RECIPIENT_FIELDS, Petition, update_recipient_fields

LIST_DEFAULT = ("id", "name")
LIST_OPTIONS = ("description", "initiators", "statement", "request", "signatures_count", "date_projected",
                "created_at", "answer_due_date", "status", "slug", "organisation", "url")
DETAIL_DEFAULT = ("id", "name", "description")
DETAIL_OPTIONS = LIST_OPTIONS + ("signature_timestamps",)
ORGANISATION_DEFAULT = ("id", "name", "kind")
ORGANISATION_OPTIONS = ("slug", "description", "petitions_count", "petitions", "initiators")

ERROR_CODES = {"NotFound": "not_found", "NotAllowed": "forbidden", "InvalidInput": "invalid_fields",
               "TransitionRefused": "transition_refused", "NotSignable": "petition_not_signable",
               "AlreadySigned": "already_signed"}
HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "body_too_large",
              415: "unsupported_media_type", 429: "rate_limited"}
MAX_SKIP = params.MAX_SKIP
MAX_COUNT = params.MAX_COUNT


def iso(value):
    """Naive UTC datetimes as ISO-8601 with Z; dates as YYYY-MM-DD."""
    if value is None:
        return None
    if hasattr(value, "hour"):
        return value.replace(microsecond=0).isoformat() + "Z"
    return value.isoformat()


class ApiV1Handler(LimitedApiHandler, JsonHandler):

    def initialize(self):
        self.cors_origin = None
        self.key = None

    def set_default_headers(self):
        super().set_default_headers()
        origin = getattr(self, "cors_origin", None)
        if origin:
            self.allow_origin(origin)

    def allow_origin(self, origin):
        """CORS headers for `origin` (one of a petition's allowed domains: no line break can be in it,
        so straight into the headers, as set_default_headers does, on every signing answer)."""
        self.cors_origin = origin
        headers = self._headers
        headers["Access-Control-Allow-Origin"] = origin
        headers["Access-Control-Expose-Headers"] = "Retry-After"
        headers["Vary"] = "Origin"

    # ---- parameters and keys ----
    def arg(self, name):
        return self.get_query_argument(name, None)

    def decode_argument(self, value, name=None):
        """Path parameters may come in petitions.eu's braces too (/api/v1/petitions/{12})."""
        text = super().decode_argument(value, name)
        return params.unbrace(text) if name is None else text

    def request_token(self):
        # ?api_key= is rare: parsed only when the query has one (every API call asks, to be counted)
        query_key = params.unbrace(self.arg("api_key")) if "api_key" in self.request.query_arguments else None
        return api.key_token_from(query_key, self.request.headers.get("Authorization"))

    def authenticate(self, scope=None):
        """The request's key (prepare() counted the call per key, or per address without one)."""
        key = self.resolve_key(self.request_token())
        if scope:
            api.require_key(key, scope)
        self.key = key
        params.parse_language(self.arg("language"))
        return key

    def requested_language(self):
        """petitions.eu's `language` parameter as one of our languages (nl_fr -> nl, {no} -> nb), or None."""
        return i18n.normalise(params.unbrace(self.arg("language")))

    def in_requested_language(self, message):
        """A `message` answer in the requested language (English without one); other error bodies stay English."""
        return i18n.word(i18n.get_locale(self.requested_language() or i18n.SOURCE_LANGUAGE), message)

    def count_arg(self, default, maximum):
        count = params.parse_int("count", self.arg("count"), default, 1, maximum)
        return channels.count_for(self.key, count)

    def skip_arg(self):
        return params.parse_int("skip", self.arg("skip"), 0, 0, MAX_SKIP)

    def total(self, query):
        return channels.TEST_KEY_COUNT if channels.is_test(self.key) else query.count()

    def organisation_filter(self):
        ids = []
        for name in params.parse_list("organisations", self.arg("organisations")):
            try:
                ids.append(api.organisation_by_key(name).id)
            except NotFound:
                raise api.InvalidParameter({"organisations": f"There is no organisation {name[:40]!r}; "
                                                             "give ids or slugs from /api/v1/organisations."})
        return ids

    # ---- errors ----
    def error_message(self, status_code, exc_info):
        error = exc_info[1] if exc_info else None
        if isinstance(error, tornado.web.HTTPError) and not error.reason:
            text = error.log_message or ""
            if text.startswith("Invalid unicode"):
                return "A parameter is not valid UTF-8. Fix: send UTF-8 text, percent-encoded."
            if status_code == 405:
                return f"This address does not accept {self.request.method}. Fix: see /api/v1/docs for its methods."
        return super().error_message(status_code, exc_info)

    def error_body(self, status_code, message, error):
        body = super().error_body(status_code, message, error)
        code = getattr(error, "code", None) if isinstance(error, DomainError) else None
        if code is None and isinstance(error, DomainError):
            code = ERROR_CODES.get(type(error).__name__, "error")
        if code is None and isinstance(error, tornado.web.HTTPError) and status_code == 400 \
                and "JSON" in (error.reason or "") + (error.log_message or ""):
            code = "invalid_json"
        body["error"] = code or HTTP_CODES.get(status_code, "error")
        body["reason"] = http.client.responses.get(status_code, "Error")
        return body

    def write_error(self, status_code, **kwargs):
        if status_code == 401:
            self.set_header("WWW-Authenticate", 'Bearer realm="api"')
        super().write_error(status_code, **kwargs)


# ---- serialisation ------------------------------------------------------------------------------

def petition_json(petition, fields, key, timestamps=None):
    own = key is not None and key.organisation_id == petition.organisation_id
    values = {
        "id": lambda: petition.id,
        "name": lambda: petition.title,
        "slug": lambda: petition.slug,
        "description": lambda: petition.description,
        "statement": lambda: petition.statement,
        "request": lambda: petition.request,
        "status": lambda: petition.status,
        "created_at": lambda: iso(channels.created_time(petition)),
        "date_projected": lambda: iso(petition.date_projected),
        "answer_due_date": lambda: iso(petition.answer_due_date),
        "signatures_count": lambda: channels.count_for(key, petition.signature_count),
        "organisation": lambda: {"id": petition.organisation_id, "name": petition.organisation.name},
        "url": lambda: f"{config.current().base_url}/petitions/{petition.slug}",
        # The lead petitioner's name is not shown on public pages: only the addressed organisation sees it.
        "initiators": lambda: [{"name": petition.lead_petitioner.name}] if own else [],
        "signature_timestamps": lambda: timestamps or [],
    }
    return {name: values[name]() for name in fields}


class PetitionsHandler(ApiV1Handler):
    def get(self):
        key = self.authenticate("read")
        fields = params.parse_fields("fields", self.arg("fields"), LIST_DEFAULT, LIST_OPTIONS)
        count = self.count_arg(10, MAX_COUNT)
        skip = self.skip_arg()
        query = channels.readable(key)
        organisations = self.organisation_filter()
        if organisations:
            query = query.where(Petition.organisation.in_(organisations))
        statuses = params.parse_statuses(self.arg("status"))
        if statuses:
            query = query.where(Petition.status.in_(statuses))
        language = params.parse_language(self.arg("language"))
        if language:
            query = query.where(Petition.language == language)
        rows = list(query.order_by(channels.CREATED_COLUMN.desc(), Petition.id.desc()).offset(skip).limit(count))
        self.write_json({"petitions": [petition_json(p, fields, key) for p in rows], "count": len(rows),
                         "skip": skip, "total": self.total(query)})


class PetitionHandler(ApiV1Handler):
    def get(self, name):
        key = self.authenticate("read")
        fields = params.parse_fields("fields", self.arg("fields"), DETAIL_DEFAULT, DETAIL_OPTIONS)
        count = self.count_arg(100, MAX_COUNT)
        skip = self.skip_arg()
        petition = api.petition_by_key(name, channels.readable(key))
        timestamps = None
        if "signature_timestamps" in fields:
            rows = (signatures.confirmed_signers(petition).select(signatures.Signature.confirmed_at)
                    .order_by(signatures.Signature.confirmed_at.desc(), signatures.Signature.id.desc())
                    .offset(skip).limit(count))
            timestamps = [iso(row.confirmed_at) for row in rows]
        self.write_json(petition_json(petition, fields, key, timestamps))

    def put(self, name):
        key = self.authenticate("update")
        api.require_writing_key(key, "update")
        petition = api.petition_by_key(name)
        changes = self.get_json_body()
        if not changes:
            raise api.InvalidParameter({"body": f"Send any of: {', '.join(RECIPIENT_FIELDS)}."},
                                       message=f"The body names nothing to change. Fix: send any of "
                                               f"{', '.join(RECIPIENT_FIELDS)}.")
        changed = update_recipient_fields(petition, Actor.for_api_key(key), changes)
        message = (N_("Update request received.") if changed
                   else N_("Nothing changed: the petition already has these values."))
        self.write_json({"message": self.in_requested_language(message), "fields": changed})


class SignaturesHandler(ApiV1Handler):
    """Timestamps of confirmed signatures only: never a name, never an email."""

    def get(self):
        key = self.authenticate("read")
        count = self.count_arg(100, MAX_COUNT)
        skip = self.skip_arg()
        Signature = signatures.Signature
        visible = channels.readable(key).select(Petition.id)
        query = api.confirmed_signatures().where(Signature.petition.in_(visible))
        petition_ids = []
        for name in params.parse_list("petitions", self.arg("petitions")):
            try:
                petition_ids.append(api.petition_by_key(name, channels.readable(key)).id)
            except NotFound:
                raise api.InvalidParameter({"petitions": f"There is no petition {name[:40]!r} you may read; "
                                                         "give ids or slugs from /api/v1/petitions."})
        if petition_ids:
            query = query.where(Signature.petition.in_(petition_ids))
        organisations = self.organisation_filter()
        if organisations:
            query = query.where(Petition.organisation.in_(organisations))
        language = params.parse_language(self.arg("language"))
        if language:
            query = query.where(Petition.language == language)
        start, end = params.parse_time("from", self.arg("from")), params.parse_time("to", self.arg("to"))
        if start:
            query = query.where(Signature.confirmed_at >= start)
        if end:
            if params.is_whole_day(self.arg("to")):  # a whole day: up to its end
                end = end + dt.timedelta(days=1)
                query = query.where(Signature.confirmed_at < end)
            else:
                query = query.where(Signature.confirmed_at <= end)
        rows = (query.order_by(Signature.confirmed_at.desc(), Signature.id.desc()).offset(skip).limit(count)
                .dicts())
        items = [{"timestamp": iso(row["confirmed_at"]),
                  "petition": {"id": row["petition_id"], "name": row["petition_name"]},
                  "organisation": {"id": row["organisation_id"], "name": row["organisation_name"]}}
                 for row in rows]
        self.write_json({"signatures": items, "count": len(items), "skip": skip, "total": self.total(query)})


class OrganisationsHandler(ApiV1Handler):
    def get(self):
        self.authenticate("read")
        rows = Organisation.select().order_by(Organisation.name, Organisation.id)
        self.write_json({"organisations": [{"id": o.id, "name": o.name, "kind": o.kind, "slug": o.slug}
                                           for o in rows]})


class OrganisationHandler(ApiV1Handler):
    def get(self, name):
        key = self.authenticate("read")
        fields = params.parse_fields("fields", self.arg("fields"), ORGANISATION_DEFAULT, ORGANISATION_OPTIONS)
        count = self.count_arg(10, MAX_COUNT)
        organisation = api.organisation_by_key(name)
        petitions = (channels.readable(key).where(Petition.organisation == organisation)
                     .order_by(channels.CREATED_COLUMN.desc(), Petition.id.desc()))
        own = key.organisation_id == organisation.id
        values = {
            "id": lambda: organisation.id, "name": lambda: organisation.name, "kind": lambda: organisation.kind,
            "slug": lambda: organisation.slug, "description": lambda: organisation.description,
            "petitions_count": lambda: self.total(petitions),
            "petitions": lambda: [{"id": p.id, "name": p.title} for p in petitions.limit(count)],
            "initiators": lambda: [{"name": name} for name in sorted({p.lead_petitioner.name for p in petitions})]
            if own else [],
        }
        self.write_json({name: values[name]() for name in fields})


# ---- external signing (Forbrukermakt and petitions.eu) --------------------------------------------

class SigningHandler(ApiV1Handler):
    """External signing. Refusals come in models/channels.py's REFUSAL_ORDER (the true cause first),
    and every answer, errors included, carries CORS headers for the petition's allowed domains."""

    origin_required = True
    source = "api_v1"

    def options(self, name):
        """CORS preflight: answered for the petition's allowed domains (whatever the petition's state,
        so that the POST that follows can read its true answer)."""
        origin = self.request.headers.get("Origin")
        allowed = channels.cors_origin(name, origin)
        if allowed is None:
            api.petition_by_key(name)  # an unknown petition is a 404
            raise api.OriginNotAllowed(origin)
        self.allow_origin(allowed)
        self.set_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
        self.set_header("Access-Control-Max-Age", "600")
        self.set_status(204)
        self.finish()

    def signing_key(self):
        """(key, error): the request's key (prepare() counted the call); an unknown or revoked key
        is kept as an error for its place in the refusal order."""
        try:
            self.key = self.resolve_key(self.request_token())
            return self.key, None
        except (api.ApiKeyInvalid, api.KeyOrganisationLeft) as error:
            return None, error

    async def prepare(self):
        try:
            await super().prepare()
        finally:  # errors found while preparing (a NUL in a parameter, the rate limiter) carry CORS too
            origin = self.request.headers.get("Origin")
            allowed = channels.cors_origin(self.path_args[0], origin) if origin and self.path_args else None
            if allowed:
                self.allow_origin(allowed)

    async def post(self, name):
        origin = self.request.headers.get("Origin")
        key, key_error = self.signing_key()
        petition = channels.petition_to_sign(name, key, origin, self.origin_required)
        channels.check_signing(petition, key, key_error, origin, self.origin_required)
        params.parse_language(self.arg("language"))
        fields = self.signer_fields(self.get_json_body())
        await self.limit_signing(fields["email"])
        result = await signatures.submit_async(petition, **fields, source=self.source, api_key=key, origin=origin,
                                               notify_duplicate=False, language=self.requested_language())
        await self.signed(result, fields["email"])
        if not result.created:
            raise api.SignatureExists()
        self.accepted()

    def check_fields(self, body, allowed, errors):
        for name in sorted(set(body) - set(allowed)):
            errors[name[:40]] = f"Unknown field; send only: {', '.join(allowed)}."

    def bool_field(self, body, name, errors, default=False):
        value = body.get(name, default)
        if value in (True, False, 0, 1) and not isinstance(value, float):
            return bool(value)
        errors[name] = "Give true or false (or 1 or 0)."
        return default

    FIELD_NAMES = {}  # the domain's field name -> this body's name

    def validate_signer(self, errors, **fields):
        """Our own errors together with the domain's field messages, in this body's names; stores nothing."""
        try:
            signatures.validate(**fields)
        except InvalidInput as error:
            errors = {**{self.FIELD_NAMES.get(k, k): v for k, v in error.fields.items()}, **errors}
        if errors:
            raise InvalidInput(errors, message=f"Missing or invalid fields: {', '.join(errors)}. Fix: "
                                               + "; ".join(f"{k}: {v}" for k, v in errors.items()))


class ForbrukermaktSignaturesHandler(SigningHandler):
    """POST /api/v1/petitions/{slug}/signatures: Forbrukermakt's body, 202 Accepted."""

    source = "api_forbrukermakt"
    ALLOWED = ("full_name", "email", "accept_terms", "show_name_public", "comment")

    def signer_fields(self, body):
        errors = {}
        self.check_fields(body, self.ALLOWED, errors)
        if body.get("accept_terms") is not True:
            errors["accept_terms"] = "The signer must accept the terms: send accept_terms=true."
        show_name = self.bool_field(body, "show_name_public", errors)
        fields = {"full_name": body.get("full_name"), "email": body.get("email"), "comment": body.get("comment")}
        self.validate_signer(errors, **fields)
        return {**fields, "show_name": show_name}

    ACCEPTED = json.dumps({"message": "Signature received. We sent a verification mail to the signer; the "
                                      "signature counts once they confirm it.", "status": "pending_verification"})

    def accepted(self):
        self.set_status(202)
        self.finish(self.ACCEPTED)  # the same words every time: serialised once


class PetitionsEuSignatureHandler(SigningHandler):
    """POST /api/v1/petitions/{id}/signature: petitions.eu's body (name, email, city, visible; the
    seed's prose calls the last one visibility, so both names are read).

    Wrong fields answer 400 in the seed's shape: {"error": "Required fields missing", "fields":
    [names]} ("Invalid fields" when none is missing), with "messages" {name: what to fix},
    "code" and "message" beside it.
    """

    origin_required = False  # server-to-server callers send no Origin; browsers must be on an allowed domain
    ALLOWED = ("name", "email", "city", "visible", "visibility")
    REQUIRED = ("name", "email")
    FIELD_NAMES = {"full_name": "name"}

    def signer_fields(self, body):
        errors = {}
        self.check_fields(body, self.ALLOWED, errors)
        missing = [name for name in self.REQUIRED if body.get(name) in (None, "")]
        visible = self.bool_field(body, "visible" if "visible" in body else "visibility", errors)
        fields = {"full_name": body.get("name"), "email": body.get("email"), "city": body.get("city")}
        try:
            self.validate_signer(errors, **fields)
        except InvalidInput as error:
            refusal = api.InvalidParameter(
                error.fields, message=(f"Required fields missing: {', '.join(missing)}. Fix: send name and email "
                                       "(city and visible are optional)." if missing else error.message))
            refusal.missing = missing
            raise refusal from None
        return {**fields, "show_name": visible}

    def error_body(self, status_code, message, error):
        body = super().error_body(status_code, message, error)
        if isinstance(error, api.InvalidParameter) and isinstance(getattr(error, "missing", None), list):
            body["error"] = "Required fields missing" if error.missing else "Invalid fields"
            body["code"] = "required_fields_missing" if error.missing else "invalid_fields"
            body["fields"] = list(error.fields)
            body["messages"] = error.fields
            body["missing"] = error.missing
        return body

    def accepted(self):
        self.write_json({"message": self.in_requested_language(N_("Thank you, confirmation e-mail will be sent"))})


class SignatureCountHandler(ApiV1Handler):
    """GET /api/v1/petitions/{slug}/signature-count: verified signatures only; no key needed."""

    def set_default_headers(self):
        super().set_default_headers()
        self._headers["Access-Control-Allow-Origin"] = "*"  # every answer, errors included

    def get(self, name):
        origin = self.request.headers.get("Origin")
        body, etag = cache.pages.get(("signature-count", name, origin), lambda: self.count_body(name, origin))
        finish_cacheable(self, body, etag)  # public, short max-age, ETag, 304

    @staticmethod
    def count_body(name, origin):
        petition = channels.petition_to_count(name, origin)
        body = json.dumps({"id": petition.id, "slug": petition.slug,
                           "signature_count": petition.signature_count}).encode()
        return body, etag_of(body)


class ApiNotFoundHandler(ApiV1Handler):
    async def prepare(self):
        await super().prepare()
        raise NotFound("There is no API call at this address. Fix: see /api/v1/docs for the calls.")
