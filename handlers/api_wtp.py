"""We the People's API (/v1/): a thin adapter over models/dialects.py and signature.submit_async().

Every answer, errors included, is wrapped in the seed's metadata envelope. As on
api.whitehouse.gov, reading needs no key (everything served is public on the site; clients
written for We the People send none) and answers JSONP under a .jsonp suffix; POST /v1/signatures
and /v1/validations need a key (create scope for signing); /v1/validations shows a key only the
signatures it submitted itself. Status mapping: live -> "open"; to_process, in_process ->
"pending response"; completed -> "responded"; rejected, withdrawn -> "closed".
"""
import json
import re
from pathlib import Path

import tornado.web

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_et

from handlers import phpserial
from handlers.base import BaseHandler, JsonHandler, MAX_JSON_BYTES, _has_control
from handlers.ratelimit import LimitedApiHandler
from models import api, channels, config, dialects
from models.errors import DomainError, InvalidInput, NotFound, NotSignable
from models.organisation import Organisation
from models.petition import Petition
from models.sanitize import plain_text
from models.signature import Signature, submit_async

EXAMPLES_PATH = Path(__file__).resolve().parent.parent / "templates" / "apidocs_wtp_examples.json"
MAX_LIMIT = 1000
MAX_XML_BYTES = MAX_JSON_BYTES
MAX_RESPONSE_LIMIT = 50
STATUS_OF = {"live": "open", "to_process": "pending response", "in_process": "pending response",
             "completed": "responded", "rejected": "closed", "withdrawn": "closed"}
STATUSES_FOR = {}
for _ours, _theirs in STATUS_OF.items():
    STATUSES_FOR.setdefault(_theirs, []).append(_ours)
SORTS = {"signature_count": Petition.signature_count, "date_reached_public": Petition.opens_at}
# requestInfo.query of GET /v1/petitions: the seed's keys (sorted, as We the People sent them) with the
# argument that fills each one; an argument that was given is echoed as sent (text), as in the seed.
QUERY_ECHO = {"body": "body", "createdAfter": "createdAfter", "createdAt": "createdAt",
              "createdBefore": "createdBefore", "isPublic": "isPublic", "isSignable": "isSignable", "limit": "limit",
              "mock": "mock", "offset": "offset", "responseAssociationTimeBefore": "responseAssociationTimeBefore",
              "responseId": "responseID", "signatureCount": "signatureCount",
              "signatureCountCeiling": "signatureCountCeiling", "signatureCountFloor": "signatureCountFloor",
              "signatureThreshold": "signatureThreshold", "signatureThresholdCeiling": "signatureThresholdCeiling",
              "signatureThresholdFloor": "signatureThresholdFloor", "status": "status", "title": "title", "url": "url"}
FRACTIONAL_SECONDS = re.compile(r"^-?\d+\.\d*$")
FLAGS = {"1": 1, "true": 1, "yes": 1, "0": 0, "false": 0, "no": 0}
CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$", re.ASCII)


def examples():
    """The example documents of /v1/docs; mock=1 answers with the same ones."""
    return json.loads(EXAMPLES_PATH.read_text(encoding="utf-8"))


class WtpError(tornado.web.HTTPError):
    """An error in We the People's shape: HTTP status, their errorCode and two messages."""

    def __init__(self, status, code, developer, user="", anchor=""):
        super().__init__(status)
        self.code, self.developer, self.user, self.anchor = code, developer, user, anchor


def ok_info():
    return {"status": 200, "developerMessage": "OK", "userMessage": "", "errorCode": "", "moreInfo": ""}


class WtpHandler(LimitedApiHandler, JsonHandler):
    resource = "petitions"
    anchor = "petitions"  # documentation anchor for moreInfo
    public_read = False  # public data: any site may read it (CORS) and JSONP is offered

    def set_default_headers(self):
        super().set_default_headers()
        if self.public_read:
            # Public data, no cookies: browser clients on any site read it, as they did We the People's.
            self.set_header("Access-Control-Allow-Origin", "*")

    # ---- keys ----
    def query_token(self):
        # ?api_key= as documented; ?key= as the write API's beta testers (and the we_the_people gem) sent it.
        return self.text_arg("api_key") or self.text_arg("key")

    def request_token(self):
        return self.query_token()

    def reader(self):
        """Reading needs no key, as on api.whitehouse.gov (its clients send none; the calls count
        against the client address). A key that is sent must be valid, as on every dialect: a
        revoked key, or one whose owner left its organisation, reads nothing."""
        token = self.query_token()
        if token is None:
            return None
        return self.api_key(token)

    def api_key(self, token=None):
        """The request's key (401 with code 85 without a valid one); writing checks the create scope."""
        token = token or self.query_token()
        try:
            key = self.resolve_key(token)  # prepare() counted the call, as in every dialect
        except (api.ApiKeyInvalid, api.KeyOrganisationLeft):
            key = None
        if key is None:
            raise WtpError(401, "85", "401 Unauthorized : Invalid key.", "The key provided is not valid.",
                           f"{self.anchor}-error-401")
        return key

    # ---- arguments ----
    def text_arg(self, name):
        value = self.get_query_argument(name, None)
        return value.strip() if value is not None and value.strip() != "" else None

    def flag_arg(self, name):
        """1 or 0 (also from true/false, as JavaScript clients send them), None when not given."""
        value = self.text_arg(name)
        if value is None:
            return None
        if value.lower() not in FLAGS:
            raise WtpError(400, "", f"400 Bad Request : {name} must be 1 or 0, not {value[:40]!r}.",
                           f"Check the {name} argument.", f"{self.anchor}-error-400")
        return FLAGS[value.lower()]

    def int_arg(self, name, minimum=0):
        value = self.text_arg(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            raise WtpError(400, "", f"400 Bad Request : {name} must be a whole number of at least {minimum}, "
                                    f"not {value[:40]!r}.", f"Check the {name} argument.", f"{self.anchor}-error-400")
        return number

    def time_arg(self, name):
        value = self.text_arg(name)
        if value is None:
            return None
        if FRACTIONAL_SECONDS.match(value):
            value = value.split(".")[0]  # JavaScript's Date.now() / 1000: whole seconds, as PHP's intval() gave
        try:
            return dialects.from_unix(name, value)
        except InvalidInput as error:
            raise WtpError(400, "", f"400 Bad Request : {name}: {error.fields[name]}", f"Check the {name} argument.",
                           f"{self.anchor}-error-400") from None

    def paging(self, maximum=MAX_LIMIT, default=MAX_LIMIT, key=None):
        """(limit, offset); a test key reads at most 3 items (its counts are all 3)."""
        limit = self.int_arg("limit", minimum=1)
        offset = self.int_arg("offset") or 0
        return channels.page_size_for(key, min(limit if limit is not None else default, maximum)), offset

    def mock(self):
        return FLAGS.get((self.get_query_argument("mock", "0") or "0").strip().lower()) == 1

    # ---- output ----
    def jsonp_callback(self):
        """The JSONP function name of a GET to a .jsonp address (None: plain JSON)."""
        # Public reads only: validations carry the submitting key's addresses and stay plain JSON.
        if not self.public_read or self.request.method != "GET" or not self.request.path.endswith(".jsonp"):
            return None
        name = self.get_query_argument("callback", "") or "callback"
        # Only a plain (dotted) JavaScript name: the answer is executed as a script on the caller's page.
        return name if len(name) <= 128 and CALLBACK.match(name) else None

    def write_json(self, value, status=200):
        callback = self.jsonp_callback()
        if callback is None:
            return super().write_json(value, status)
        self.set_status(status)
        self.set_header("Content-Type", "application/javascript; charset=UTF-8")
        # /**/ keeps a callback name from being read as the start of a file type signature.
        self.finish(f"/**/{callback}(" + json.dumps(value, default=str, ensure_ascii=False)
                    .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + ");")

    async def prepare(self):
        await super().prepare()
        if (self.public_read and self.request.method == "GET" and self.request.path.endswith(".jsonp")
                and self.get_query_argument("callback", "") and self.jsonp_callback() is None):
            raise WtpError(400, "", "400 Bad Request : callback must be a JavaScript function name (letters, digits, "
                                    "_ and $, dotted), at most 128 characters.", "Check the callback argument.",
                           f"{self.anchor}-error-400")

    def envelope(self, results, count, limit, offset, request_info=None):
        metadata = {"responseInfo": ok_info()}
        if request_info is not None:
            metadata["requestInfo"] = request_info
        metadata["resultset"] = {"count": count, "limit": limit, "offset": offset}
        self.write_json({"metadata": metadata, "results": results})

    def write_mock(self, name):
        self.write_json(examples()[name])

    def write_error(self, status_code, **kwargs):
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        self.set_retry_after(error)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.write_json(self.error_body(status_code, self.error_message(status_code, exc_info), error), status_code)

    def _handle_request_exception(self, error):
        if isinstance(error, DomainError):
            translated = self.translate(error)
            translated.retry_after = getattr(error, "retry_after", None)
            self.send_error(translated.status_code, exc_info=(WtpError, translated, None))
            return
        super()._handle_request_exception(error)

    def translate(self, error):
        """A domain refusal in We the People's terms."""
        if isinstance(error, NotFound):
            return WtpError(404, "84", f"404 Not Found : {error.message}",
                            f"The {self.resource.rstrip('s')} that you requested does not exist.",
                            f"{self.anchor}-error-404")
        if isinstance(error, InvalidInput):
            return WtpError(400, "", f"400 Bad Request : {error.message}", error.message, f"{self.anchor}-error-400")
        return WtpError(error.status, "", f"{error.status} : {error.message}", error.message,
                        f"{self.anchor}-error-{error.status}")

    def error_body(self, status_code, message, error):
        if isinstance(error, WtpError):
            code, developer, user, anchor = error.code, error.developer, error.user, error.anchor
        else:
            code, developer, user, anchor = "", f"{status_code} : {message}", message, ""
        more = f"See the documentation: {config.current().base_url}/v1/docs" + (f"#{anchor}" if anchor else "")
        # As in the seed's error examples: status as a string; "developerMessage:" (sic) too, so
        # that clients written against either spelling find the message.
        return {"metadata": {"responseInfo": {
            "status": str(status_code), "developerMessage": developer, "developerMessage:": developer,
            "userMessage": user, "errorCode": code, "moreInfo": more}}}


# ---- serialisers ----------------------------------------------------------------------------------

def response_url(response):
    """The response's public page."""
    return f"{config.current().base_url}/responses/{response.id}"


def petition_json(petition, response=None, key=None):
    threshold = dialects.threshold(petition)
    count = channels.count_for(key, petition.signature_count)
    body = "\n\n".join(part for part in (petition.request, petition.statement, plain_text(petition.description))
                       if part)
    answered = []  # as in the seed: an empty list until answered, then one object
    if response is not None:
        answered = {"id": response.id, "url": response_url(response),
                    "associationTime": dialects.unix(response.published_at)}
    return {
        "id": str(petition.id), "type": "petition", "title": petition.title, "body": body, "issues": [],
        "signatureThreshold": threshold, "signatureCount": count, "signaturesNeeded": max(0, threshold - count),
        "url": dialects.public_url(petition), "deadline": dialects.unix(petition.closes_at),
        "status": STATUS_OF.get(petition.status, "closed"), "response": answered,
        "created": dialects.unix(channels.created_time(petition)), "isSignable": petition.is_signable,
        "isPublic": petition.is_public, "reachedPublic": dialects.unix(petition.opens_at),
    }


def wtp_initials(signature):
    """'J. D.' (We the People's style) from the shared initials rule; letters are kept as they are."""
    letters = [part for part in signature.initials.split(".") if part]
    return " ".join(letter + "." for letter in letters)


def signature_json(signature):
    return {
        "id": str(signature.id), "type": "signature", "petitionId": str(signature.petition_id),
        "name": wtp_initials(signature) if signature.show_name else "",
        "city": signature.city or "", "state": signature.state or "", "zip": signature.postal_code or "",
        "created": str(dialects.unix(signature.created_at)),
    }


def response_json(response):
    petitions = dialects.petitions_answered_by(response)
    url = response_url(response)
    return {
        "id": response.id, "title": response.title, "body": response.body,
        "petitions": [{
            "id": str(p.id), "url": dialects.public_url(p), "relative_url": f"/petitions/{p.slug}",
            "short_url": dialects.public_url(p), "title": p.title, "signature_count": str(p.signature_count),
            "timestamp_reached_ready": str(dialects.unix(p.closed_at)) if p.closed_at else "",
        } for p in petitions],
        "url": url, "relative_url": url[len(config.current().base_url):] or "/",
        "agency": response.organisation.name, "issues": [], "created": dialects.unix(response.published_at),
    }


# ---- handlers ---------------------------------------------------------------------------------------

class PetitionsHandler(WtpHandler):
    public_read = True

    def get(self):
        key = self.reader()
        if self.mock():
            return self.write_mock("petitions")
        query = dialects.visible_petitions(key=key)
        is_public = self.flag_arg("isPublic")
        if is_public == 0:
            query = query.where(Petition.id < 0)  # every petition served here is public
        is_signable = self.flag_arg("isSignable")
        if is_signable is not None:
            query = query.where(dialects.signable_condition() if is_signable else ~dialects.signable_condition())
        query = dialects.created_filter(query, channels.CREATED_COLUMN, before=self.time_arg("createdBefore"),
                                        after=self.time_arg("createdAfter"), at=self.time_arg("createdAt"))
        query = dialects.text_filter(query, [Petition.title], self.text_arg("title"))
        query = dialects.text_filter(query, [Petition.request, Petition.statement, Petition.description],
                                     self.text_arg("body"))
        for column, base in ((Organisation.signature_threshold, "signatureThreshold"),
                             (Petition.signature_count, "signatureCount")):
            exact, ceiling, floor = (self.int_arg(base), self.int_arg(base + "Ceiling"), self.int_arg(base + "Floor"))
            if exact is not None:
                query = query.where(column == exact)
            if ceiling is not None:
                query = query.where(column <= ceiling)
            if floor is not None:
                query = query.where(column >= floor)
        url = self.text_arg("url")
        if url is not None:
            query = query.where(Petition.slug == dialects.slug_from_url(url)[:100])
        status = self.text_arg("status")
        if status is not None:
            if status.lower() not in STATUSES_FOR:
                raise WtpError(400, "", f"400 Bad Request : status must be one of "
                                        f"{', '.join(repr(s) for s in STATUSES_FOR)}, not {status[:40]!r}.",
                               "Check the status argument.", "petitions-error-400")
            query = query.where(Petition.status.in_(STATUSES_FOR[status.lower()]))
        response_id = self.int_arg("responseID")
        before = self.time_arg("responseAssociationTimeBefore")
        if response_id is not None or before is not None:
            query = dialects.with_response(query, response_id, before)
        sort_by = (self.text_arg("sortBy") or "date_reached_public").lower()
        sort_order = (self.text_arg("sortOrder") or "desc").lower()
        if sort_by not in SORTS or sort_order not in ("asc", "desc"):
            raise WtpError(400, "", "400 Bad Request : sortBy must be signature_count or date_reached_public and "
                                    "sortOrder asc or desc.", "Check the sortBy and sortOrder arguments.",
                           "petitions-error-400")
        column = SORTS[sort_by]
        query = query.order_by(*((column.asc(), Petition.id.asc()) if sort_order == "asc"
                                 else (column.desc(), Petition.id.desc())))
        limit, offset = self.paging(key=key)
        count, items = dialects.window(query, offset, limit)
        count = channels.count_for(key, count)
        responses = dialects.responses_by_petition(items)
        given = {key: self.text_arg(name) for key, name in QUERY_ECHO.items()}
        defaults = {"isPublic": 1, "limit": limit, "mock": 0, "offset": offset, "signatureCountFloor": 0}
        request_info = {"apiVersion": 1, "resource": "petitions", "query": dict(sorted({
            **{key: value if value is not None else defaults.get(key) for key, value in given.items()},
            "petitionsDefaultLimit": MAX_LIMIT, "publicThreshold": 0, "sortBy": sort_by.upper(),
            "sortOrder": sort_order.upper(), "websiteUrl": config.current().base_url}.items()))}
        self.envelope([petition_json(p, responses.get(p.id), key) for p in items], count, limit, offset, request_info)


class PetitionHandler(WtpHandler):
    anchor = "petitions-retrieve"
    public_read = True

    def get(self, name):
        key = self.reader()
        if self.mock():
            return self.write_mock("petition")
        petition = self.find(name, key)
        response = dialects.responses_by_petition([petition]).get(petition.id)
        self.envelope([petition_json(petition, response, key)], 1, 1, 0)

    def find(self, name, key=None):
        try:
            return dialects.visible_petition(name, key=key)
        except NotFound:
            raise WtpError(404, "84", f"404 Not Found : Petition {name[:40]} not found.",
                           "The petition that you requested does not exist.", f"{self.anchor}-error-404") from None


class SignaturesHandler(PetitionHandler):
    resource = "signatures"
    anchor = "petitions-signatures"

    def get(self, name):
        key = self.reader()
        if self.mock():
            return self.write_mock("signatures")
        petition = self.find(name, key)
        query = dialects.place_filter(dialects.public_signatures(petition), city=self.text_arg("city"),
                                      state=self.text_arg("state"), postal_code=self.text_arg("zipcode"),
                                      country=self.text_arg("country"))
        query = dialects.created_filter(query, Signature.created_at, before=self.time_arg("createdBefore"),
                                        after=self.time_arg("createdAfter"), at=self.time_arg("createdAt"))
        limit, offset = self.paging(key=key)
        count, items = dialects.window(query, offset, limit)
        self.envelope([signature_json(s) for s in items], channels.count_for(key, count), limit, offset)


class ResponsesHandler(WtpHandler):
    resource = "responses"
    anchor = "responses"
    public_read = True

    def get(self):
        self.reader()
        if self.mock():
            return self.write_mock("responses")
        from models.response import Response, ResponsePetition

        query = dialects.published_responses()
        petition_key = self.text_arg("petitionId")
        if petition_key is not None:
            try:
                petition = dialects.visible_petition(petition_key)
                query = query.where(Response.id.in_(ResponsePetition.select(ResponsePetition.response)
                                                    .where(ResponsePetition.petition == petition)))
            except NotFound:
                query = query.where(Response.id < 0)
        sort_by = (self.text_arg("sortBy") or "age").lower()
        sort_order = (self.text_arg("sortOrder") or "desc").lower()
        if sort_by != "age" or sort_order not in ("asc", "desc"):
            raise WtpError(400, "", "400 Bad Request : sortBy must be age and sortOrder asc or desc.",
                           "Check the sortBy and sortOrder arguments.", "responses-error-400")
        # age: newest first when descending (We the People listed the latest responses first).
        query = query.order_by(*((Response.published_at.desc(), Response.id.desc()) if sort_order == "desc"
                                 else (Response.published_at.asc(), Response.id.asc())))
        limit, offset = self.paging(maximum=MAX_RESPONSE_LIMIT, default=MAX_RESPONSE_LIMIT)
        count, items = dialects.window(query, offset, limit)
        self.envelope([response_json(r) for r in items], count, limit, offset)


class ResponseHandler(WtpHandler):
    resource = "responses"
    anchor = "responses-retrieve"
    public_read = True

    def get(self, response_id):
        self.reader()
        if self.mock():
            return self.write_mock("response")
        try:
            response = dialects.published_response(response_id)
        except NotFound:
            raise WtpError(404, "84", f"404 Not Found : Response {response_id[:40]} not found.",
                           "The response that you requested does not exist.", f"{self.anchor}-error-404") from None
        self.envelope([response_json(response)], 1, 1, 0)


REQUIRED = ("petition_id", "email", "first_name", "last_name")


class SignatureCreateHandler(WtpHandler):
    resource = "signatures"
    anchor = "signatures-create"

    def request_token(self):
        """The seed's POST may carry its key in the body: counted per key from the first call."""
        try:
            body = self.body()
        except Exception:  # noqa: BLE001 — post() answers a malformed body in the envelope
            body = {}
        return (self.query_token() or self.text(body, "api_key") or self.text(body, "signature_source_api_key"))

    async def prepare(self):
        try:
            await super().prepare()
        finally:  # a refusal while preparing (the rate limit's 429) is readable by an allowed site too
            self.allow_petition_origin()

    allowed_origin = None

    def set_default_headers(self):
        super().set_default_headers()
        if self.allowed_origin:  # again after an error answer clears the headers
            self.set_header("Access-Control-Allow-Origin", self.allowed_origin)
            self.set_header("Access-Control-Expose-Headers", "Retry-After")
            self.set_header("Vary", "Origin")

    def allow_petition_origin(self):
        """A browser form on one of the named petition's allowed domains reads every answer."""
        origin = self.request.headers.get("Origin")
        try:
            petition_key = self.text(self.body(), "petition_id") if origin else None
        except Exception:  # noqa: BLE001 — post() answers a malformed body in the envelope
            petition_key = None
        self.allowed_origin = channels.cors_origin(petition_key, origin) if petition_key else None
        self.set_default_headers()

    async def post(self):
        """Refusals in models/channels.py's order, each with We the People's errorCode: no or unknown
        petition (75 / 76), not open for signatures or submissions disabled (74), origin (403), key
        (85), scope (403), fields (75); a repeated address gets the same 200 (nothing is revealed).
        (CORS for the petition's allowed domains was set in prepare.)"""
        body = self.body()
        origin = self.request.headers.get("Origin")
        petition_key = self.text(body, "petition_id")
        # The seed passes the key as ?api_key=; its error message also names signature_source_api_key.
        token = self.query_token() or self.text(body, "api_key") or self.text(body, "signature_source_api_key")
        try:
            key, key_error = self.resolve_key(token), None  # prepare() counted the call, as in every dialect
        except (api.ApiKeyInvalid, api.KeyOrganisationLeft) as error:
            key, key_error = None, error
        required = "signature_source_api_key, " + ", ".join(REQUIRED)
        if petition_key is None:  # no petition named: the key's problems first, then the missing field
            if key_error is not None or key is None:
                raise self.invalid_key()
            raise self.missing(["petition_id"], required)
        try:
            petition = channels.petition_to_sign(petition_key, key, origin, query=dialects.scoped_petitions())
        except NotFound:
            raise WtpError(404, "76", f"404 Not Found : No such petition {petition_key[:40]}.",
                           "The petition you are trying to sign doesn't exist.", "signatures-create-error-404") from None
        try:
            channels.check_signing(petition, key, key_error, origin)
        except (NotSignable, api.SubmissionsDisabled) as error:
            raise self.not_accepting(petition, error) from None
        except (api.ApiKeyMissing, api.ApiKeyInvalid, api.KeyOrganisationLeft):
            raise self.invalid_key() from None
        except DomainError as error:
            raise WtpError(403, "", f"403 Forbidden : {error.message}", error.message,
                           "signatures-create-error-403") from None
        missing = [name for name in REQUIRED if not self.text(body, name)]
        if missing:
            raise self.missing(missing, required)
        email = self.text(body, "email")
        await self.limit_signing(email)
        try:
            result = await submit_async(petition, full_name=f"{self.text(body, 'first_name')} {self.text(body, 'last_name')}",
                                        email=email, postal_code=self.text(body, "zip"), city=self.text(body, "city"),
                                        state=self.text(body, "state"), country=self.text(body, "country"),
                                        show_name=False, source="wtp", api_key=key, notify_duplicate=False)
            await self.signed(result, email)
        except NotSignable as error:
            raise self.not_accepting(petition, error) from None
        # The same answer whether or not the address had signed before (no address is confirmed or denied).
        self.write_json({"metadata": {"responseInfo": ok_info()}})

    @staticmethod
    def invalid_key():
        return WtpError(401, "85", "401 Unauthorized : Invalid key.", "The key provided is not valid.",
                        "signatures-create-error-401")

    @staticmethod
    def missing(names, required):
        return WtpError(400, "75", f"400 : Missing required fields. These fields are required: {required}. "
                                   f"Missing: {', '.join(names)}.",
                        f"Missing required fields. These fields are required: {required}.",
                        "signatures-create-error-400")

    @staticmethod
    def not_accepting(petition, error):
        user = (error.message if isinstance(error, api.SubmissionsDisabled)
                else f"This petition cannot accept more signatures. You can open a new petition on this issue "
                     f"here: {config.current().base_url}/.")
        return WtpError(403, "74", f"Petition {petition.id} cannot accept more signatures. ({error.message})", user,
                        "signatures-create-error-403")

    @staticmethod
    def text(body, name):
        value = body.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return value.strip() if isinstance(value, str) and value.strip() else None

    ACCEPTED_TYPES = ("application/json", "application/xml", "text/xml", "application/x-www-form-urlencoded",
                      "multipart/form-data", "application/vnd.php.serialized")

    def body(self):
        """The signature from a JSON, XML or form-encoded body (optionally inside "d", as the seed names it)."""
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in ("application/json", "text/json") or (not content_type and self.request.body.strip()[:1] == b"{"):
            data = self.get_json_body()
        elif content_type in ("application/xml", "text/xml") or (not content_type
                                                                 and self.request.body.strip()[:1] == b"<"):
            data = self.xml_body()
        elif content_type == "application/vnd.php.serialized":
            data = self.php_body()
        elif content_type == "application/x-www-form-urlencoded" and self.request.body.lstrip()[:1] == b"{":
            data = self.get_json_body()  # JSON sent with a form's content type (curl -d '{...}' does this)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
            data = {}
            for name, values in self.request.body_arguments.items():
                try:
                    data[name] = values[-1].decode("utf-8")
                except UnicodeDecodeError:
                    raise WtpError(400, "", "400 Bad Request : The form contained text that is not valid UTF-8.",
                                   "The form contained text that is not valid UTF-8.", "signatures-create-error-400")
            if not data:
                data = {name: values[-1].decode("utf-8", "replace")
                        for name, values in self.request.query_arguments.items() if name != "api_key"}
        else:
            accepted = ", ".join(self.ACCEPTED_TYPES)
            raise WtpError(415, "", f"415 Unsupported Media Type : send one of {accepted}, not {content_type[:60]}.",
                           f"Send the signature as one of: {accepted}.", "signatures-create-error-415")
        if isinstance(data.get("d"), dict):
            data = data["d"]
        return data

    def php_body(self):
        """A PHP-serialized array (a:4:{s:11:"petition_id";s:1:"4";…}), the seed's last accepted type;
        read by handlers/phpserial.py, which knows data only (no objects, no references)."""
        if len(self.request.body) > MAX_XML_BYTES:
            raise tornado.web.HTTPError(413, reason=f"The request body is larger than {MAX_XML_BYTES} bytes.")
        try:
            data = phpserial.loads(self.request.body.strip())
        except phpserial.PhpSerialError as error:
            raise WtpError(400, "", f"400 Bad Request : The PHP-serialized body cannot be read: {error}. Send an "
                                    'array like a:1:{s:11:"petition_id";s:1:"4";}.',
                           "Send the signature as a PHP-serialized array.", "signatures-create-error-400") from None
        if not isinstance(data, dict):
            raise WtpError(400, "", "400 Bad Request : The PHP-serialized body must be an array of fields.",
                           "Send the signature as a PHP-serialized array.", "signatures-create-error-400")
        if any(isinstance(value, str) and _has_control(value) for value in data.values()):
            raise InvalidInput({"body": "Remove the control characters from the values."})
        return data

    def xml_body(self):
        """An XML signature: <d><petition_id>…</petition_id><email>…</email>…</d> (any root element;
        its child elements are the fields). Parsed with defusedxml: no entities, no external references."""
        problem = WtpError(400, "", "400 Bad Request : The XML body is not well-formed, or uses entities or a DTD. "
                                    "Send <d><petition_id>…</petition_id><email>…</email><first_name>…</first_name>"
                                    "<last_name>…</last_name></d>.",
                           "Send the signature as simple XML elements.", "signatures-create-error-400")
        if len(self.request.body) > MAX_XML_BYTES:
            raise tornado.web.HTTPError(413, reason=f"The request body is larger than {MAX_XML_BYTES} bytes.")
        try:
            root = defused_et.fromstring(self.request.body)
        except (defused_et.ParseError, DefusedXmlException, ValueError):
            raise problem from None
        children = list(root)
        if len(children) == 1 and children[0].tag == "d" and len(children[0]):
            children = list(children[0])
        data = {}
        for child in children:
            if len(child) or not isinstance(child.tag, str):
                raise problem
            data[child.tag[:60]] = (child.text or "").strip()
        if any(_has_control(value) for value in data.values()):
            raise InvalidInput({"body": "Remove the control characters from the XML values."})
        return data


class ValidationsHandler(WtpHandler):
    resource = "validations"
    anchor = "validations-index"

    def get(self):
        if self.mock():  # example documents only: no key needed, as on We the People
            return self.write_mock("validations")
        key = self.api_key()
        limit, offset = self.paging()
        count, items = dialects.window(dialects.submissions_confirmed(key, self.text_arg("petition_id")),
                                       offset, limit)
        # The submitting key's own data: the addresses it sent us, now confirmed by their owners.
        self.envelope([{"vid": str(s.id), "email": s.email, "signature_id": str(s.id),
                        "petition_id": str(s.petition_id)} for s in items], count, limit, offset)


class DocsHandler(BaseHandler):
    def get(self):
        self.render("apidocs_wtp.html", examples=examples(), statuses=STATUS_OF, json=json)


class UnknownHandler(WtpHandler):
    """Any other address under /v1/: a 404 in the envelope, never the HTML error page."""

    async def prepare(self):
        await super().prepare()
        raise WtpError(404, "", f"404 Not Found : There is no resource at {self.request.path[:80]}.",
                       "The resource that you requested does not exist.")
