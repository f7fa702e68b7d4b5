"""Base handlers: request-scoped database connection, current user, errors, forms, JSON APIs.

Handlers are synchronous on purpose: a handler that never awaits cannot share its peewee
connection or transaction with another request on the IOLoop thread (see ../shared/DESIGN.md).
"""
import http.client
import inspect
import os
import re
import json
import logging
import secrets
import time
from urllib.parse import urlparse

import tornado.httputil
import tornado.log
import tornado.web

from handlers import ratelimit
from models import config, i18n, metrics
from models.db import db, is_postgres
from models.i18n import N_
from models.errors import DomainError, InvalidInput, InvalidParameter, from_database
from models.sanitize import is_single_line, without_addresses

log = logging.getLogger("portal.web")
SESSION_COOKIE = "session"
LANGUAGE_COOKIE = "language"
MAX_JSON_BYTES = 64 * 1024
MAX_FORM_BYTES = 1024 * 1024
# `serve`'s HTTPServer max_body_size: above this Tornado can only reset the connection; between a
# handler's own limit and this one the handler answers 413 with a message in its channel's shape.
TRANSPORT_MAX_BYTES = 16 * 1024 * 1024
PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
                      "payment=(), usb=()")


class FormData:
    """What WTForms wants (getlist) over Tornado's body arguments; invalid UTF-8 is a 400."""

    def __init__(self, arguments):
        self._arguments = arguments

    def __iter__(self):
        return iter(self._arguments)

    def __len__(self):
        return len(self._arguments)

    def __contains__(self, name):
        return name in self._arguments

    def getlist(self, name):
        values = []
        for value in self._arguments.get(name, []):
            try:
                values.append(value.decode("utf-8"))
            except UnicodeDecodeError:
                raise tornado.web.HTTPError(400, reason=N_("The form contained text that is not valid UTF-8."))
        return values


_TAKES_PATH = {}  # (handler class, method, path arguments' shape) -> does the method take them
NUL_MESSAGE = N_("The request contained a NUL character; remove it and try again.")


NO_FRAMING = ("'none'",)
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"  # a JSON answer loads nothing and is framed by nobody

_date = [0, ""]  # [second, its HTTP date]: formatted once a second, not for every answer


def http_date():
    now = int(time.time())
    if now != _date[0]:
        _date[:] = [now, tornado.httputil.format_timestamp(now)]
    return _date[1]


class BaseHandler(tornado.web.RequestHandler):
    # The largest body a page accepts (the transport limit in `serve` is higher, so that a larger
    # body gets this 413 with a message instead of a connection reset). JSON APIs: MAX_JSON_BYTES.
    max_body_bytes = MAX_FORM_BYTES

    def clear(self):
        """Tornado's clear() (RequestHandler.clear, tornado 6), without its Server header (its name
        and version: nothing a client needs, something a scanner wants) and with the Date formatted
        once a second: both cost on every answer, the cached count's included."""
        self._headers = tornado.httputil.HTTPHeaders({"Content-Type": "text/html; charset=UTF-8", "Date": http_date()})
        self.set_default_headers()
        self._write_buffer = []
        self._status_code = 200
        self._reason = http.client.responses[200]

    # ---- browser hardening: on every answer, error pages included (send_error re-applies these) ----
    def set_default_headers(self):
        self.set_security_headers()

    def frame_ancestors(self):
        """Who may show this page in a frame (CSP frame-ancestors sources). Nobody by default;
        a page meant for embedding (a widget) overrides this."""
        return NO_FRAMING

    @property
    def csp_nonce(self):
        """This response's nonce for <script nonce=…> and <style nonce=…> (no inline code without it)."""
        if not hasattr(self, "_csp_nonce"):
            self._csp_nonce = secrets.token_urlsafe(16)
        return self._csp_nonce

    def content_security_policy(self):
        nonce = f"'nonce-{self.csp_nonce}'"
        return "; ".join([
            "default-src 'self'", f"script-src 'self' {nonce}", f"style-src 'self' {nonce}",
            "img-src 'self' data:", "object-src 'none'", "base-uri 'none'", "form-action 'self'",
            "frame-ancestors " + " ".join(self.frame_ancestors()),
        ])

    referrer_policy = "strict-origin-when-cross-origin"
    permissions_policy = PERMISSIONS_POLICY  # for documents; JSON answers have no features to refuse

    def set_security_headers(self):
        # values straight into the headers (built here, no newline can be in them): set_header's
        # checks cost on every answer
        headers = self._headers
        headers["Content-Security-Policy"] = self.content_security_policy()
        if tuple(self.frame_ancestors()) == NO_FRAMING:
            headers["X-Frame-Options"] = "DENY"
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = self.referrer_policy
        if self.permissions_policy:
            headers["Permissions-Policy"] = self.permissions_policy
        if self.settings_.https:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    def prepare(self):
        self.check_body_size()
        # Behind a trusted proxy (PORTAL_TRUSTED_PROXIES) the scheme is the one it forwarded.
        self.request.protocol = ratelimit.forwarded_protocol(self.request)
        # PostgreSQL cannot store text with NUL characters (psycopg2 raises, a 500): refuse them
        # up front for every page and API. An address with one names nothing; an argument with one
        # is a 400 naming the argument.
        for arg in self.path_args:
            if isinstance(arg, str) and "\x00" in arg:
                raise tornado.web.HTTPError(404)
        wrong = self.request.arguments and {
            name[:40]: "Remove the NUL character (\\u0000) from this value."
            for name, values in self.request.arguments.items()
            if "\x00" in name or any(b"\x00" in value for value in values)}
        if wrong:
            raise InvalidParameter(wrong, message=NUL_MESSAGE)
        self._check_method_takes_path()
        # No connection yet: the first query opens one (peewee connects on demand), so reads
        # answered from the caches (models/cache.py) never touch the database.

    def check_xsrf_cookie(self):
        # Tornado checks the XSRF token before prepare(): a body over the limit is a 413 first,
        # whatever else is wrong with it.
        self.check_body_size()
        super().check_xsrf_cookie()

    def check_body_size(self):
        """413 with a message (in the channel's shape: pages render it, APIs answer JSON) for a body
        over this handler's limit."""
        declared = self.request.headers.get("Content-Length", "")
        size = max(len(self.request.body or b""), int(declared) if declared.isdigit() else 0)
        if size > self.max_body_bytes:
            raise tornado.web.HTTPError(
                413, reason=f"What you sent is too large: the request body is larger than {self.max_body_bytes} bytes "
                            f"({self.max_body_bytes // 1024} KiB), the most accepted here. Send less and try again.")

    def decode_argument(self, value, name=None):
        # Tornado's own refusal quotes the first 40 bytes of the value, which then reach the log:
        # a search for an address, a password. Say what is wrong without repeating it.
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            reason = (N_("The address contains text that is not valid UTF-8.") if name is None
                      else N_("A value in the request contains text that is not valid UTF-8."))
            raise tornado.web.HTTPError(400, reason=reason) from None

    def head(self, *args, **kwargs):
        """HEAD is GET without the body (Tornado's flush() drops it): link checkers, monitors and
        proxies ask so. Where there is no GET, a 405 as before."""
        get = getattr(self, "get", None)
        if get is None:
            raise tornado.web.HTTPError(405)
        return get(*args, **kwargs)

    def _check_method_takes_path(self):
        """One handler class may serve several routes (a page and its actions): a method that does
        not take this route's path parameters does not serve this address, a 405, not a TypeError."""
        name = self.request.method.lower()
        if name == "head":  # served by get(): it decides
            name = "get"
        shape = (type(self), name, len(self.path_args), tuple(self.path_kwargs))
        takes = _TAKES_PATH.get(shape)
        if takes is None:
            method = getattr(self, name, None)
            if method is None:
                return
            try:
                inspect.signature(method).bind(*self.path_args, **self.path_kwargs)
                takes = True
            except TypeError:
                takes = False
            _TAKES_PATH[shape] = takes
        if not takes:
            raise tornado.web.HTTPError(405)

    def on_finish(self):
        # PostgreSQL: back to the pool after each request. SQLite: the IOLoop thread keeps its one
        # connection (opening one costs more than most requests); never with a transaction open.
        if not db.is_closed() and (is_postgres() or db.in_transaction()):
            db.close()

    @property
    def client_address(self):
        """The client's address: the peer, or the one a trusted proxy forwarded. Every limit uses it."""
        return ratelimit.client_address(self.request)

    @property
    def settings_(self):
        return config.current()

    # ---- sessions: a signed cookie holding a random token; the session itself is a database row ----
    def get_current_user(self):
        from models import session

        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings_.session_days)
        if not raw:
            return None
        try:
            token = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
        return session.resolve(token)

    def start_session(self, user):
        """Sign `user` in: a new server-side session, and a new XSRF token (the one from before
        sign-in may have been planted by someone else)."""
        from models import session

        token = session.start(user)
        self.set_signed_cookie(SESSION_COOKIE, token, expires_days=self.settings_.session_days, httponly=True,
                               samesite="Lax", secure=self.settings_.https or self.request.protocol == "https")
        self._current_user = user
        self.renew_xsrf_token()

    def end_session(self):
        """Sign out: the session ends on the server, so every copy of the cookie stops working."""
        from models import session

        raw = self.get_signed_cookie(SESSION_COOKIE, max_age_days=self.settings_.session_days)
        if raw:
            session.end(raw.decode("ascii", "replace"))
        self.clear_cookie(SESSION_COOKIE)
        self.renew_xsrf_token()

    def renew_xsrf_token(self):
        """Replace the XSRF cookie with a fresh token (Tornado keeps the raw token in these two
        attributes; forgetting them and reading xsrf_token sets a new cookie)."""
        self._raw_xsrf_token = (None, os.urandom(16), time.time())
        if hasattr(self, "_xsrf_token"):
            del self._xsrf_token
        self.xsrf_token  # noqa: B018 -- sets the new cookie

    # ---- language: the account's choice, the switcher's cookie, Accept-Language, the default ----
    def get_user_locale(self):
        cookie = self.get_cookie(LANGUAGE_COOKIE)
        if cookie == i18n.PSEUDO and self.settings_.pseudo_locale:
            return i18n.get_locale(i18n.PSEUDO)
        user = self.current_user
        code = i18n.choose(self.request.headers.get("Accept-Language"), getattr(user, "language", None), cookie,
                           settings=self.settings_)
        return i18n.get_locale(code)

    def language_next(self):
        """Where the switcher returns to: this page, without the secrets some queries carry."""
        from urllib.parse import parse_qsl, urlencode

        if self.request.method not in ("GET", "HEAD"):
            return "/"
        query = [(k, v) for k, v in parse_qsl(self.request.query, keep_blank_values=True)
                 if k.lower() not in ("api_key", "api-key", "key", "token")]
        return self.request.path + ("?" + urlencode(query) if query else "")

    def set_language_cookie(self, code):
        self.set_cookie(LANGUAGE_COOKIE, code, expires_days=365, httponly=True, samesite="Lax",
                        secure=self.request.protocol == "https")

    def language_headers(self):
        """A page's words depend on the language chosen from these headers (every rendered page:
        render() and the pages the micro-cache keeps, which finish with render_string())."""
        self.set_header("Content-Language", i18n.html_lang(self.locale))
        if "Accept-Language" not in ",".join(self._headers.get_list("Vary")):
            self.add_header("Vary", "Accept-Language, Cookie")

    # ---- access: every page checks through these, the rules themselves are in models/ ----
    @property
    def actor(self):
        """The signed-in user as the actor of domain operations (channel: web)."""
        from models.audit import Actor

        user = self.current_user
        return Actor.for_user(user, channel="web") if user else None

    def require_user(self):
        """The signed-in user; others are sent to the sign-in page (GET) or refused (403)."""
        user = self.current_user
        if user is None:
            if self.request.method in ("GET", "HEAD"):
                from urllib.parse import urlencode

                self.redirect(self.get_login_url() + "?" + urlencode({"next": self.request.uri}))
                raise tornado.web.Finish()
            raise tornado.web.HTTPError(403, reason=N_("Sign in first."))
        return user

    def require_roles(self, petition, roles):
        """The user's roles on a petition when they include one of `roles`; otherwise 404, so
        that another organisation's petitions are not even shown to exist."""
        from models.petition import roles_of

        self.require_user()
        mine = roles_of(self.actor, petition)
        if not mine & set(roles):
            raise tornado.web.HTTPError(404)
        return mine

    def petition_with_role(self, key, roles):
        """A petition (by id or slug) on which the signed-in user has one of `roles`; 404 otherwise."""
        from models.petition import Petition

        self.require_user()
        petition = Petition.by_key(key)  # NotFound becomes the 404 page
        self.require_roles(petition, roles)
        return petition

    def redirect_to_next(self, default="/"):
        """Redirect to ?next= only when it is a local path (never //host or an absolute URL, and
        never with control characters or line breaks, which would split the Location header)."""
        target = self.get_argument("next", "") or default
        if not safe_next(target):
            target = default
        self.redirect(target)

    # ---- forms ----
    def form_data(self):
        return FormData(self.request.body_arguments)

    def get_template_namespace(self):
        namespace = super().get_template_namespace()
        namespace.update(settings_=self.settings_, path=self.request.path, error_summary=[],
                         csp_nonce=self.csp_nonce)
        namespace.update(i18n.template_helpers(self.locale))
        namespace["languages"] = [(code, i18n.LANGUAGES[code]) for code in i18n.available(self.settings_)]
        namespace.update(i18n.labels())
        namespace["status_label"] = self.status_label  # in the reader's language
        return namespace

    def status_label(self, status):
        """A status in words, in the reader's language (one mapping: models.petition.STATUS_LABELS)."""
        from models.petition import STATUS_LABELS

        return self.locale.translate(STATUS_LABELS.get(status, status or ""))

    def render_string(self, template_name, **kwargs):
        """Every page with a form that has errors gets the error summary at the top (base.html):
        "There is a problem", a link to each wrong field, and "Error: " before the page title.
        (render_string, so that pages rendered for the micro-cache get it too.)"""
        if "error_summary" not in kwargs:
            from wtforms import Form

            from handlers.ui import field_errors

            kwargs["error_summary"] = [item for value in kwargs.values() if isinstance(value, Form)
                                       for item in field_errors(value)]
        self.language_headers()
        return super().render_string(template_name, **kwargs)

    # ---- errors ----
    def _handle_request_exception(self, error):
        refusal = from_database(error)
        if refusal is not None:
            # the net under domain validation: logged (without the database's text, which may quote
            # people's values) and answered as the DomainError it means, in each dialect's shape
            log.warning("%s %s: %s answered as %s", self.request.method, redact(self.request.path),
                        type(error).__name__, refusal.status)
            self._handle_request_exception(refusal)
            return
        if isinstance(error, DomainError):
            # Expected refusals keep their own status and message: never a 500.
            self.send_error(error.status, exc_info=(type(error), error, error.__traceback__))
            return
        super()._handle_request_exception(error)

    def log_exception(self, typ, value, tb):
        # Log lines carry neither the secrets some addresses hold (link tokens, ?api_key=) nor the
        # email addresses some messages quote, nor the client's IP address.
        if isinstance(value, DomainError):
            log.info("%s %s refused: %s", self.request.method, redact(self.request.path),
                     without_addresses(value.message))
            return
        if isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)  # a warning with _request_summary() only
            return
        tornado.log.app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))

    def _request_summary(self):
        """What Tornado's own log lines say about a request (it would add the raw URI and the IP)."""
        return f"{self.request.method} {redact(self.request.uri)}"

    def error_message(self, status_code, exc_info):
        error = exc_info[1] if exc_info else None
        if isinstance(error, DomainError):
            return error.message
        if isinstance(error, tornado.web.HTTPError):
            if error.status_code == 403 and "xsrf" in (error.log_message or "").lower():
                return N_("This form has expired or was not sent from this site. Reload the page and try again.")
            if error.reason:
                return error.reason
            if error.status_code == 400 and error.log_message and "argument" in error.log_message:
                return error.log_message % error.args if error.args else error.log_message
        return {404: N_("There is nothing at this address."),
                405: N_("This address does not accept that kind of request."),
                413: N_("What you sent is too large.")}.get(
            status_code, http.client.responses.get(status_code, N_("Something went wrong; please try again.")))

    def write_error(self, status_code, **kwargs):
        exc_info = kwargs.get("exc_info")
        message = self.error_message(status_code, exc_info)
        fields = getattr(exc_info[1], "fields", None) if exc_info else None
        if exc_info and getattr(exc_info[1], "retry_after", None):
            self.set_header("Retry-After", str(exc_info[1].retry_after))
        try:
            self.render("error.html", status_code=status_code, message=message, fields=fields or {})
        except Exception:  # never let the error page itself turn into a 500
            log.exception("error page failed")
            self.finish(f"<h1>{status_code}</h1><p>{tornado.escape.xhtml_escape(message)}</p>")


class JsonHandler(BaseHandler):
    """Base of the JSON APIs: no cookies, no XSRF (keys authenticate), errors as JSON.

    A dialect overrides error_body() to answer in its own error shape.
    """

    max_body_bytes = MAX_JSON_BYTES

    def check_xsrf_cookie(self):
        pass

    def get_current_user(self):
        return None

    def content_security_policy(self):
        ancestors = tuple(self.frame_ancestors())
        if ancestors == NO_FRAMING:
            return JSON_CSP
        return "default-src 'none'; frame-ancestors " + " ".join(ancestors)

    referrer_policy = "no-referrer"
    permissions_policy = None

    def set_default_headers(self):
        self.set_security_headers()
        self._headers["Content-Type"] = "application/json; charset=UTF-8"
        self._headers["Cache-Control"] = "no-store"

    def get_json_body(self):
        """The request body as a JSON object, or a 400 saying what is wrong with it."""
        body = self.request.body or b""
        if len(body) > MAX_JSON_BYTES:
            raise tornado.web.HTTPError(413, reason=f"The request body is larger than {MAX_JSON_BYTES} bytes.")
        if not body.strip():
            return {}
        try:
            value = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise tornado.web.HTTPError(400, reason="The request body is not valid UTF-8.")
        except RecursionError:  # json.loads gives up on deeply nested input: a 400, not a 500
            raise tornado.web.HTTPError(400, reason="Invalid JSON in body of request: nested too deeply.") from None
        except ValueError as error:
            raise tornado.web.HTTPError(400, reason=f"Invalid JSON in body of request: {error}")
        if not isinstance(value, dict):
            raise tornado.web.HTTPError(400, reason="The request body must be a JSON object.")
        # PostgreSQL cannot store NUL, no field needs control characters, and half a UTF-16 pair
        # ("\\ud800", which JSON may escape) cannot even be encoded: refuse them by name.
        wrong = {str(name).encode("utf-8", "backslashreplace").decode()[:40]: "Remove the control characters (like \\u0000) and broken characters (half of a "
                                 "UTF-16 pair, like \\ud800) from this value."
                 for name, item in value.items() if _has_control(name) or _has_control(item)}
        if wrong:
            raise InvalidInput(wrong)
        return value

    def write_json(self, value, status=200):
        self.set_status(status)
        self.finish(json.dumps(value, default=_json_default, ensure_ascii=False))

    def error_body(self, status_code, message, error):
        body = {"message": message, "reason": http.client.responses.get(status_code, "Error")}
        if isinstance(error, InvalidInput):
            body["fields"] = error.fields
        elif isinstance(error, DomainError) and error.details:
            body.update({k: v for k, v in error.details.items() if k != "fields"})
        return body

    def set_retry_after(self, error):
        """A 429 from the rate limiter says when to come back (dialects keep the attribute when they
        translate the error into their own shape)."""
        seconds = getattr(error, "retry_after", None)
        if seconds:
            self.set_header("Retry-After", str(seconds))

    def write_error(self, status_code, **kwargs):
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        message = self.error_message(status_code, exc_info)
        self.set_retry_after(error)
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(self.error_body(status_code, message, error), default=_json_default,
                               ensure_ascii=False))


# control characters but tab, LF and CR; DEL; half of a UTF-16 pair (one search, not a loop per character)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def _has_control(value):
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_has_control(k) or _has_control(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_control(v) for v in value)
    return False


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def safe_next(target):
    """Is `target` a local path that is safe to redirect to after sign-in?"""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if not is_single_line(target) or len(target) > 2000:
        return False
    try:
        parsed = urlparse(target)
    except ValueError:
        return False
    return not parsed.scheme and not parsed.netloc


class StaticHandler(tornado.web.StaticFileHandler):
    """Static files (the stylesheet) are never sniffed into something else, nor framed."""

    def set_default_headers(self):
        self.clear_header("Server")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")


class NotFoundHandler(BaseHandler):
    def prepare(self):
        super().prepare()
        raise tornado.web.HTTPError(404)


_SECRET_PATH = re.compile(r"(/signatures/confirm/|/signatures/withdraw/|/reset/|/invitations/|/confirm-email/)[^/?]+")
_SECRET_QUERY = re.compile(r"((?:api_key|token|key)=)[^&]+", re.I)
_ADDRESS_QUERY = re.compile(r"([?&;][^=&;]*=)[^&;]*(?:@|%40)[^&;]*", re.I)
# what every secret or address above needs in a URI: most URIs hold none (a check of substrings)
_SECRET_MARKS = re.compile(r"=|/(?:signatures|reset|invitations|confirm-email)/")  # where a secret may be


def redact(uri: str) -> str:
    """A request URI without the secrets some URIs carry (confirmation tokens, API keys) and without
    the email addresses a search (?q=) or a form sent by GET may hold."""
    if not _SECRET_MARKS.search(uri):
        return uri
    uri = _SECRET_QUERY.sub(r"\1[redacted]", _SECRET_PATH.sub(r"\1[redacted]", uri))
    return _ADDRESS_QUERY.sub(r"\1[address]", uri)


access_log = logging.getLogger("tornado.access")
_direct_access_log = None  # see write_access_log_to()


def write_access_log_to(handler):
    """Write the access log's info lines straight to `handler` (its write_line()), past logging's
    per-record machinery, which cost about a tenth of a cached read. `serve` does this when the
    access log goes to its one log handler and nowhere else; None restores the logging path."""
    global _direct_access_log
    _direct_access_log = handler


def log_request(handler):
    """Tornado's access log line, minus secrets and client addresses' personal data."""
    status = handler.get_status()
    level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
    if status < 400 and getattr(handler, "quiet_access_log", False):
        level = logging.DEBUG  # /healthz and /metrics are called every few seconds
    seconds = handler.request.request_time()
    if access_log.isEnabledFor(level):
        line = "%d %s %s %.2fms" % (status, handler.request.method, redact(handler.request.uri), 1000.0 * seconds)
        if level == logging.INFO and _direct_access_log is not None:
            _direct_access_log.write_line("INFO", access_log.name, line)
        else:
            access_log.log(level, line)
    metrics.request_finished(route_of(handler), handler.request.method, status, seconds)


def route_of(handler):
    """The route pattern (from ROUTES) that served a request, never its raw path (whose ids and
    tokens would make a metric label per petition); "unmatched" for the 404 of no route."""
    routes = getattr(handler.application, "_routes_by_class", None)
    if routes is None:
        routes = {}
        for rule in handler.application.wildcard_router.rules:
            regex = getattr(rule.matcher, "regex", None)
            if regex is not None:
                pattern = regex.pattern[:-1] if regex.pattern.endswith("$") else regex.pattern
                routes.setdefault(rule.target, []).append((regex, pattern))
        handler.application._routes_by_class = routes
    candidates = routes.get(type(handler))
    if not candidates:
        return "unmatched"
    if len(candidates) == 1:
        return candidates[0][1]
    for regex, pattern in candidates:
        if regex.match(handler.request.path):
            return pattern
    return candidates[0][1]
