"""The OpenAPI 3.1 document of the native v1 API (built here as a dict) and its documentation page.

The document states what handlers/api_v1.py does; tests/test_api_openapi.py runs schemathesis
against it, so a change to one without the other fails the suite.
"""
import copy
import json

from handlers.base import BaseHandler, JsonHandler
from handlers import api_v1, params
from models.petition import STATUSES


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description):
    return _json(_ref("Error"), description)


NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
ID_OR_SLUG = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$", "maxLength": 100}

PARAMETERS = {
    **{name: params.openapi_parameter(name) for name in params.QUERY},
    "petition": {"name": "id", "in": "path", "required": True,
                 "description": "The petition's numeric id or its slug.", "schema": ID_OR_SLUG,
                 "example": "1"},
    "organisation": {"name": "id", "in": "path", "required": True,
                     "description": "The organisation's numeric id or its slug.", "schema": ID_OR_SLUG,
                     "example": "1"},
    "origin": {"name": "Origin", "in": "header", "required": False,
               "description": "The page's origin, e.g. https://forms.example.org: its hostname must be in the "
                              "petition's allowed domains.",
               "schema": {"type": "string", "maxLength": 255}},
}


def _p(*names):
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


COMMON_ERRORS = {
    "400": _error("A parameter or the body is wrong (`fields` names which, `message` says the fix)."),
    "401": {**_error("No key was sent, or it is unknown or revoked."),
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    "403": _error("The key lacks the scope, is a test key for a write, or belongs to another organisation."),
    "404": _error("No such petition or organisation (or hidden from this key)."),
    "429": {**_error("Too many requests for this key (or address)."),
            "headers": {"Retry-After": {"required": True, "description": "Seconds to wait.",
                                        "schema": {"type": "string", "pattern": "^[0-9]+$"}}}},
    "default": _error("Any other error, in the same shape."),
}


def _responses(ok_status, ok, *extra):
    responses = {ok_status: ok}
    for status in ("400", "401", "403", "404", "429") + extra:
        responses[status] = COMMON_ERRORS.get(status) or _error({
            "409": "The change is not possible now: a refused status move (`allowed` lists the moves) or a "
                   "signature this email address already gave.",
            "413": "The body is larger than 64 KiB.",
            "422": "Fields are missing or invalid: `fields` maps each to what to fix.",
        }[status])
    responses["default"] = COMMON_ERRORS["default"]
    return responses


SECURED = [{"bearer": []}, {"api_key": []}]

SCHEMAS = {
    "PetitionsEuFieldsError": {
        "type": "object", "required": ["error", "fields", "message"],
        "properties": {
            "error": {"type": "string", "enum": ["Required fields missing", "Invalid fields"]},
            "fields": {"type": "array", "items": {"type": "string"}, "description": "The names of the wrong fields."},
            "messages": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "Each wrong field and what to fix."},
            "missing": {"type": "array", "items": {"type": "string"}},
            "code": {"type": "string", "enum": ["required_fields_missing", "invalid_fields"]},
            "message": {"type": "string"}, "reason": {"type": "string"},
        },
    },
    "Error": {
        "type": "object", "required": ["message", "reason", "error"],
        "properties": {
            "message": {"type": "string", "description": "The cause and the fix."},
            "reason": {"type": "string", "description": "The HTTP reason phrase."},
            "error": {"type": "string", "description": "A stable code, e.g. origin_not_allowed, scope_missing, "
                                                       "api_submissions_disabled, already_signed, invalid_fields."},
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Each wrong field and what to fix."},
            "allowed": {"type": "array", "items": {"type": "string"},
                        "description": "The status moves allowed now (409 transition_refused)."},
            "current": {"type": "string"}, "requested": {"type": "string"}, "scope": {"type": "string"},
            "retry_after": {"type": "integer"},
        },
    },
    "OrganisationRef": {"type": "object", "required": ["id", "name"],
                        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "PetitionRef": {"type": "object", "required": ["id", "name"],
                    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}},
    "Petition": {
        "type": "object", "required": ["id", "name"],
        "properties": {
            "id": {"type": "integer"}, "name": {"type": "string", "description": "The title."},
            "slug": {"type": "string"}, "description": {"type": "string", "description": "Sanitised HTML."},
            "statement": {"type": "string"}, "request": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "created_at": {"type": "string", "format": "date-time"},
            "date_projected": NULLABLE_DATE, "answer_due_date": NULLABLE_DATE,
            "signatures_count": {"type": "integer", "minimum": 0, "description": "Confirmed signatures (3 for test keys)."},
            "organisation": _ref("OrganisationRef"), "url": {"type": "string"},
            "initiators": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                           "description": "The lead petitioner; only for keys of the addressed organisation."},
            "signature_timestamps": {"type": "array", "items": {"type": "string", "format": "date-time"},
                                     "description": "Confirmation times, newest first (one petition only)."},
        },
    },
    "PetitionList": {
        "type": "object", "required": ["petitions", "count", "skip", "total"],
        "properties": {"petitions": {"type": "array", "items": _ref("Petition")}, "count": {"type": "integer"},
                       "skip": {"type": "integer"}, "total": {"type": "integer"}},
    },
    "SignatureList": {
        "type": "object", "required": ["signatures", "count", "skip", "total"],
        "properties": {
            "signatures": {"type": "array", "items": {
                "type": "object", "required": ["timestamp", "petition", "organisation"], "additionalProperties": False,
                "properties": {"timestamp": {"type": "string", "format": "date-time"},
                               "petition": _ref("PetitionRef"), "organisation": _ref("OrganisationRef")}}},
            "count": {"type": "integer"}, "skip": {"type": "integer"}, "total": {"type": "integer"}},
    },
    "Organisation": {
        "type": "object", "required": ["id", "name"],
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
                       "slug": {"type": "string"}, "description": {"type": "string"},
                       "petitions_count": {"type": "integer"},
                       "petitions": {"type": "array", "items": _ref("PetitionRef")},
                       "initiators": {"type": "array", "items": {"type": "object",
                                                                 "properties": {"name": {"type": "string"}}},
                                      "description": "Lead petitioners; only for keys of this organisation."}},
    },
    "OrganisationList": {"type": "object", "required": ["organisations"],
                         "properties": {"organisations": {"type": "array", "items": _ref("Organisation")}}},
    "RecipientUpdate": {
        "type": "object", "additionalProperties": False, "minProperties": 1,
        "properties": {"status": {"type": "string", "enum": list(STATUSES)},
                       "date_projected": {**NULLABLE_DATE, "description": "Handover date, YYYY-MM-DD."},
                       "reference_field": {"type": ["string", "null"], "maxLength": 256,
                                           "description": "The organisation's own reference."},
                       "answer_due_date": {**NULLABLE_DATE, "description": "When an answer is due, YYYY-MM-DD."}},
    },
    "RecipientUpdateResult": {
        "type": "object", "required": ["message", "fields"],
        "properties": {"message": {"type": "string"},
                       "fields": {"type": "object", "description": "What changed, with the new values."}},
    },
    "ExternalSignature": {
        "type": "object", "required": ["full_name", "email", "accept_terms"], "additionalProperties": False,
        "properties": {"full_name": {"type": "string", "maxLength": 255, "description": "At least an initial and a surname."},
                       "email": {"type": "string", "format": "email", "maxLength": 255},
                       "accept_terms": {"type": "boolean", "const": True},
                       "show_name_public": {"type": "boolean"},
                       "comment": {"type": "string", "maxLength": 1000}},
        "example": {"full_name": "Jane Doe", "email": "jane@example.org", "accept_terms": True,
                    "show_name_public": False, "comment": "I support this campaign."},
    },
    "PetitionsEuSignature": {
        "type": "object", "required": ["name", "email"], "additionalProperties": False,
        "properties": {"name": {"type": "string", "maxLength": 255}, "email": {"type": "string", "format": "email",
                                                                            "maxLength": 255},
                       "city": {"type": "string", "maxLength": 255},
                       "visible": {"type": "integer", "enum": [0, 1], "description": "Show the name publicly."},
                       "visibility": {"type": "integer", "enum": [0, 1],
                                      "description": "The name the seed's prose uses for `visible` (either is read)."}},
        "example": {"name": "Firstname Lastname", "email": "user@provider.tld", "city": "Place", "visible": 1},
    },
    "Message": {"type": "object", "required": ["message"],
                "properties": {"message": {"type": "string"}, "status": {"type": "string"}}},
    "SignatureCount": {"type": "object", "required": ["id", "slug", "signature_count"],
                       "properties": {"id": {"type": "integer"}, "slug": {"type": "string"},
                                      "signature_count": {"type": "integer", "minimum": 0}}},
}

PREFLIGHT = {
    "summary": "CORS preflight for browsers on the petition's allowed domains",
    "security": [],
    "parameters": _p("petition") + [{**PARAMETERS["origin"], "required": True}],
    "responses": {"204": {"description": "The origin is allowed: Access-Control-Allow-* headers follow."},
                  "403": _error("API submissions are disabled, or the origin is not an allowed domain."),
                  "404": COMMON_ERRORS["404"], "429": COMMON_ERRORS["429"], "default": COMMON_ERRORS["default"]},
}


def document(base_url):
    """The OpenAPI 3.1 document, with `base_url` as the server."""
    paths = {
        "/api/v1/petitions": {"get": {
            "summary": "List petitions, newest first", "operationId": "listPetitions", "security": SECURED,
            "description": "Published petitions; hidden ones only for keys of the addressed organisation.",
            "parameters": _p("language", "count", "skip", "organisations", "status")
            + [params.fields_parameter(api_v1.LIST_DEFAULT, api_v1.LIST_OPTIONS)],
            "responses": _responses("200", _json(_ref("PetitionList"), "The petitions.")),
        }},
        "/api/v1/petitions/{id}": {
            "get": {
                "summary": "One petition", "operationId": "getPetition", "security": SECURED,
                "parameters": _p("petition", "language", "count", "skip")
                + [params.fields_parameter(api_v1.DETAIL_DEFAULT, api_v1.DETAIL_OPTIONS)],
                "responses": _responses("200", _json(_ref("Petition"), "The petition.")),
            },
            "put": {
                "summary": "Recipient update: status, handover date, reference, answer-due date",
                "operationId": "updatePetition", "security": SECURED,
                "description": "Needs a live key with the `update` scope for the petition's organisation. Calls "
                               "the same domain function as the recipient workspace; every change is audited "
                               "with the key as actor.",
                "parameters": _p("petition", "language"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("RecipientUpdate"),
                    "example": {"status": "in_process", "date_projected": "2026-05-01",
                                "reference_field": "2026/INT/0042", "answer_due_date": "2026-08-01"}}}},
                "responses": _responses("200", _json(_ref("RecipientUpdateResult"), "What changed."),
                                        "409", "413", "422"),
            },
        },
        "/api/v1/petitions/{id}/signatures": {
            "post": {
                "summary": "Submit a signature from an external website (Forbrukermakt style)",
                "operationId": "submitExternalSignature", "security": [{"bearer": []}, {"api_key": []}],
                "description": "Needs a live key with `create`, API submissions enabled on the petition and an "
                               "Origin in its allowed domains. The signer gets a verification mail; the count "
                               "rises once they confirm.",
                "parameters": _p("petition") + [PARAMETERS["origin"]],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ExternalSignature")}}},
                "responses": _responses("202", _json(_ref("Message"), "Stored; a verification mail is on its way."),
                                        "409", "413", "422"),
            },
            "options": {**PREFLIGHT, "operationId": "preflightExternalSignature"},
        },
        "/api/v1/petitions/{id}/signature": {
            "post": {
                "summary": "Submit a signature (petitions.eu body)", "operationId": "submitSignature",
                "security": SECURED,
                "description": "Same rules as the Forbrukermakt call; an Origin, when sent, must be allowed.",
                "parameters": _p("petition", "language") + [PARAMETERS["origin"]],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("PetitionsEuSignature")}}},
                "responses": {**_responses("200", _json(_ref("Message"), "Stored; a confirmation mail is on its way."),
                                           "409", "413"),
                              "400": _json({"anyOf": [_ref("PetitionsEuFieldsError"), _ref("Error")]},
                                           "Fields missing or invalid, in petitions.eu's shape (`error`: \"Required "
                                           "fields missing\" or \"Invalid fields\", `fields`: their names), or a "
                                           "wrong parameter or body.")},
            },
            "options": {**PREFLIGHT, "operationId": "preflightSignature"},
        },
        "/api/v1/petitions/{id}/signature-count": {"get": {
            "summary": "Verified signature count (no key needed)", "operationId": "getSignatureCount", "security": [],
            "description": "Public petitions, and hidden ones with API submissions enabled.",
            "parameters": _p("petition"),
            "responses": {"200": _json(_ref("SignatureCount"), "The count of confirmed signatures."),
                          "404": COMMON_ERRORS["404"], "429": COMMON_ERRORS["429"],
                          "default": COMMON_ERRORS["default"]},
        }},
        "/api/v1/signatures": {"get": {
            "summary": "Signature timestamps, newest first (never names or emails)", "operationId": "listSignatures",
            "security": SECURED,
            "parameters": _p("language", "count", "skip", "petitions", "organisations", "from", "to"),
            "responses": _responses("200", _json(_ref("SignatureList"), "Confirmed signatures' timestamps.")),
        }},
        "/api/v1/organisations": {"get": {
            "summary": "All organisations", "operationId": "listOrganisations", "security": SECURED,
            "parameters": _p("language"),
            "responses": _responses("200", _json(_ref("OrganisationList"), "The organisations.")),
        }},
        "/api/v1/organisations/{id}": {"get": {
            "summary": "One organisation", "operationId": "getOrganisation", "security": SECURED,
            "parameters": _p("organisation", "language", "count")
            + [params.fields_parameter(api_v1.ORGANISATION_DEFAULT, api_v1.ORGANISATION_OPTIONS)],
            "responses": _responses("200", _json(_ref("Organisation"), "The organisation.")),
        }},
    }
    return copy.deepcopy({
        "openapi": "3.1.0",
        "info": {
            "title": "Petitions portal API (v1)", "version": "1.0.0",
            "description": "petitions.eu's v1 calls (read, sign, recipient PUT) and Forbrukermakt's external "
                           "signing and count. Keys: /user/api-tokens. Errors are JSON with `message` (cause "
                           "and fix), `reason` and a stable `error` code. Rate limits per key: over the per-second "
                           "burst a call waits for the next second (up to 3 s); over the per-minute limit, 429 "
                           "with Retry-After. Signing is also limited per target address (429 `too_many_mails`) "
                           "and, for calls from a browser, per client address.",
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "parameters": PARAMETERS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer YOUR_TOKEN"},
                "api_key": {"type": "apiKey", "in": "query", "name": "api_key", "description": "?api_key=YOUR_TOKEN"},
            },
        },
    })



class OpenApiHandler(JsonHandler):
    def get(self):
        self.set_header("Access-Control-Allow-Origin", "*")
        self.set_header("Cache-Control", "public, max-age=300")
        self.write_json(document(self.settings_.base_url))


class DocsHandler(BaseHandler):
    def get(self):
        spec = document(self.settings_.base_url)
        self.render("api/docs.html", spec=spec, json=json, base_url=self.settings_.base_url)
