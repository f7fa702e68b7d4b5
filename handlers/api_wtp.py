"""We the People's API (/v1/): a thin adapter over models/dialects.py and signature.submit().

Every answer, errors included, is wrapped in the seed's metadata envelope. Any valid key may read
(everything served is public on the site); POST /v1/signatures needs the create scope;
/v1/validations shows a key only the signatures it submitted itself. Status mapping: live -> "open"; to_process, in_process ->
"pending response"; completed -> "responded"; rejected, withdrawn -> "closed".
"""
import json
from pathlib import Path

import tornado.web

from handlers.base import BaseHandler, JsonHandler
from models import api, config, dialects
from models.errors import DomainError, InvalidInput, NotFound, NotSignable
from models.organisation import Organisation
from models.petition import Petition
from models.sanitize import plain_text
from models.signature import Signature, submit

EXAMPLES_PATH = Path(__file__).resolve().parent.parent / "templates" / "apidocs_wtp_examples.json"
MAX_LIMIT = 1000
MAX_RESPONSE_LIMIT = 50
STATUS_OF = {"live": "open", "to_process": "pending response", "in_process": "pending response",
             "completed": "responded", "rejected": "closed", "withdrawn": "closed"}
STATUSES_FOR = {}
for _ours, _theirs in STATUS_OF.items():
    STATUSES_FOR.setdefault(_theirs, []).append(_ours)
SORTS = {"signature_count": Petition.signature_count, "date_reached_public": Petition.opens_at}
PETITION_ARGUMENTS = ("isPublic", "isSignable", "createdBefore", "createdAfter", "createdAt", "limit", "offset",
                      "title", "body", "signatureThresholdCeiling", "signatureThreshold",
                      "signatureThresholdFloor", "signatureCountCeiling", "signatureCount", "signatureCountFloor",
                      "url", "status", "responseID", "responseAssociationTimeBefore", "sortBy", "sortOrder", "mock")


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


class WtpHandler(JsonHandler):
    resource = "petitions"
    anchor = "petitions"  # documentation anchor for moreInfo

    # ---- keys ----
    def api_key(self, token=None):
        """The request's key (401 with code 85 without a valid one). Any valid key may read: what is
        served is public on the site anyway; writing checks the create scope."""
        token = token or self.get_query_argument("api_key", None)
        try:
            key = api.key_for_request(token, self.request.remote_ip)  # rate limited like every dialect
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
        try:
            return dialects.from_unix(name, value)
        except InvalidInput as error:
            raise WtpError(400, "", f"400 Bad Request : {name}: {error.fields[name]}", f"Check the {name} argument.",
                           f"{self.anchor}-error-400") from None

    def paging(self, maximum=MAX_LIMIT, default=MAX_LIMIT):
        limit = self.int_arg("limit", minimum=1)
        offset = self.int_arg("offset") or 0
        return min(limit if limit is not None else default, maximum), offset

    def mock(self):
        return self.get_query_argument("mock", "0").strip() == "1"

    # ---- output ----
    def envelope(self, results, count, limit, offset, request_info=None):
        metadata = {"responseInfo": ok_info()}
        if request_info is not None:
            metadata["requestInfo"] = request_info
        metadata["resultset"] = {"count": count, "limit": limit, "offset": offset}
        self.write_json({"metadata": metadata, "results": results})

    def write_mock(self, name):
        self.write_json(examples()[name])

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

def petition_json(petition, response=None):
    threshold = dialects.threshold(petition)
    count = petition.signature_count
    body = "\n\n".join(part for part in (petition.request, petition.statement, plain_text(petition.description))
                       if part)
    answered = []
    if response is not None:
        answered = {"id": response.id, "url": dialects.public_url(petition),
                    "associationTime": dialects.unix(response.published_at)}
    return {
        "id": str(petition.id), "type": "petition", "title": petition.title, "body": body, "issues": [],
        "signatureThreshold": threshold, "signatureCount": count, "signaturesNeeded": max(0, threshold - count),
        "url": dialects.public_url(petition), "deadline": dialects.unix(petition.closes_at),
        "status": STATUS_OF.get(petition.status, "closed"), "response": answered,
        "created": dialects.unix(petition.created_at), "isSignable": petition.is_signable,
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
    url = dialects.public_url(petitions[0]) if petitions else config.current().base_url
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
    def get(self):
        self.api_key()
        if self.mock():
            return self.write_mock("petitions")
        query = dialects.visible_petitions()
        is_public = self.int_arg("isPublic")
        if is_public == 0:
            query = query.where(Petition.id < 0)  # every petition served here is public
        is_signable = self.int_arg("isSignable")
        if is_signable is not None:
            query = query.where(dialects.signable_condition() if is_signable else ~dialects.signable_condition())
        query = dialects.created_filter(query, Petition.created_at, before=self.time_arg("createdBefore"),
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
        limit, offset = self.paging()
        count, items = dialects.window(query, offset, limit)
        responses = dialects.responses_by_petition(items)
        request_info = {"apiVersion": 1, "resource": "petitions", "query": {
            **{name: self.get_query_argument(name, None) for name in PETITION_ARGUMENTS},
            "mock": 0, "limit": limit, "offset": offset, "sortBy": sort_by.upper(), "sortOrder": sort_order.upper(),
            "petitionsDefaultLimit": MAX_LIMIT, "websiteUrl": config.current().base_url}}
        self.envelope([petition_json(p, responses.get(p.id)) for p in items], count, limit, offset, request_info)


class PetitionHandler(WtpHandler):
    anchor = "petitions-retrieve"

    def get(self, key):
        self.api_key()
        if self.mock():
            return self.write_mock("petition")
        petition = self.find(key)
        response = dialects.responses_by_petition([petition]).get(petition.id)
        self.envelope([petition_json(petition, response)], 1, 1, 0)

    def find(self, key):
        try:
            return dialects.visible_petition(key)
        except NotFound:
            raise WtpError(404, "84", f"404 Not Found : Petition {key[:40]} not found.",
                           "The petition that you requested does not exist.", f"{self.anchor}-error-404") from None


class SignaturesHandler(PetitionHandler):
    resource = "signatures"
    anchor = "petitions-signatures"

    def get(self, key):
        self.api_key()
        if self.mock():
            return self.write_mock("signatures")
        petition = self.find(key)
        query = dialects.place_filter(dialects.public_signatures(petition), city=self.text_arg("city"),
                                      state=self.text_arg("state"), postal_code=self.text_arg("zipcode"),
                                      country=self.text_arg("country"))
        query = dialects.created_filter(query, Signature.created_at, before=self.time_arg("createdBefore"),
                                        after=self.time_arg("createdAfter"), at=self.time_arg("createdAt"))
        limit, offset = self.paging()
        count, items = dialects.window(query, offset, limit)
        self.envelope([signature_json(s) for s in items], count, limit, offset)


class ResponsesHandler(WtpHandler):
    resource = "responses"
    anchor = "responses"

    def get(self):
        self.api_key()
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

    def get(self, response_id):
        self.api_key()
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

    def post(self):
        body = self.body()
        # The seed passes the key as ?api_key=; its error message also names signature_source_api_key.
        key = self.api_key(token=self.get_query_argument("api_key", None) or self.text(body, "api_key")
                           or self.text(body, "signature_source_api_key"))
        missing = [name for name in REQUIRED if not self.text(body, name)]
        if missing:
            fields = "signature_source_api_key, " + ", ".join(REQUIRED)
            raise WtpError(400, "75", f"400 : Missing required fields. These fields are required: {fields}. "
                                      f"Missing: {', '.join(missing)}.",
                           f"Missing required fields. These fields are required: {fields}.", "signatures-create-error-400")
        try:
            api.require_writing_key(key, "create")
        except DomainError as error:
            raise WtpError(403, "", f"403 Forbidden : {error.message}", error.message,
                           "signatures-create-error-403") from None
        petition_key = self.text(body, "petition_id")
        try:
            petition = dialects.visible_petition(petition_key)
        except NotFound:
            raise WtpError(404, "76", f"404 Not Found : No such petition {petition_key[:40]}.",
                           "The petition you are trying to sign doesn't exist.", "signatures-create-error-404") from None
        try:
            # The petition's own API settings decide, as on every key-based channel.
            api.check_submission(petition, key, self.request.headers.get("Origin"), origin_required=False)
        except DomainError as error:
            raise WtpError(403, "74", f"403 Forbidden : {error.message}", error.message,
                           "signatures-create-error-403") from None
        try:
            submit(petition, full_name=f"{self.text(body, 'first_name')} {self.text(body, 'last_name')}",
                   email=self.text(body, "email"), postal_code=self.text(body, "zip"), city=self.text(body, "city"),
                   state=self.text(body, "state"), country=self.text(body, "country"), show_name=False,
                   source="wtp", api_key=key, notify_duplicate=False)
        except NotSignable as error:
            raise WtpError(403, "74", f"Petition {petition.id} cannot accept more signatures. ({error.message})",
                           f"This petition cannot accept more signatures. You can start a new petition on this "
                           f"issue here: {config.current().base_url}/", "signatures-create-error-403") from None
        # The same answer whether or not the address had signed before (no address is confirmed or denied).
        self.write_json({"metadata": {"responseInfo": ok_info()}})

    @staticmethod
    def text(body, name):
        value = body.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return value.strip() if isinstance(value, str) and value.strip() else None

    def body(self):
        """The signature from a JSON or form-encoded body (optionally inside "d", as the seed names it)."""
        content_type = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type in ("application/json", "text/json") or (not content_type and self.request.body.strip()[:1] == b"{"):
            data = self.get_json_body()
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
            raise WtpError(415, "", f"415 Unsupported Media Type : send application/json or "
                                    f"application/x-www-form-urlencoded, not {content_type[:60]}.",
                           "Send the signature as JSON or as a form.", "signatures-create-error-415")
        if isinstance(data.get("d"), dict):
            data = data["d"]
        return data


class ValidationsHandler(WtpHandler):
    resource = "validations"
    anchor = "validations-index"

    def get(self):
        key = self.api_key()
        if self.mock():
            return self.write_mock("validations")
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

    def prepare(self):
        super().prepare()
        raise WtpError(404, "", f"404 Not Found : There is no resource at {self.request.path[:80]}.",
                       "The resource that you requested does not exist.")
