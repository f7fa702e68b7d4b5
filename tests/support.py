"""Test helpers that talk to real things: HTTP, SMTP, the database through the domain functions."""
import asyncio
import datetime as dt
import email
import email.policy
import re
import socket
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie

from models import clock, config
from models.audit import Actor
from models.db import db
from models.organisation import create_organisation
from models.petition import Petition, transition, unique_slug
from models.signature import Signature, submit
from models.user import add_membership, create_user

PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _discard_mail_since(last_id):
    from models.mail import OutboxMessage

    OutboxMessage.delete().where(OutboxMessage.id > last_id).execute()


def _last_mail_id():
    from models.mail import OutboxMessage

    row = OutboxMessage.select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).first()
    return row.id if row else 0


class Factory:
    """Builds data through the domain functions (so rules and audit apply as in real use).

    The mails that setting up causes are discarded: a test sees only the mail it causes itself.
    """

    def __init__(self):
        self.n = 0

    def _next(self):
        self.n += 1
        return self.n

    def organisation(self, name=None, kind="council", **extra):
        n = self._next()
        return create_organisation(name or f"Organisation {n}", kind, slug=extra.pop("slug", None),
                                   contact_email=extra.pop("contact_email", f"org{n}@example.org"), **extra)

    def user(self, email=None, name=None, organisation=None, role="clerk", password=PASSWORD, **flags):
        n = self._next()
        user = create_user(email or f"user{n}@example.org", name or f"User Number{n}", password, **flags)
        if organisation is not None:
            add_membership(user, organisation, role)
        return user

    def clerk(self, organisation, role="clerk", **kw):
        return self.user(organisation=organisation, role=role, **kw)

    def moderator(self):
        return self.user(is_moderator=True)

    def admin(self):
        return self.user(is_admin=True)

    def petition(self, status="live", organisation=None, lead=None, title=None, **fields):
        """A petition moved to `status` through the transition table (as a real one would be)."""
        organisation = organisation or self.organisation()
        lead = lead or self.user()
        last_mail = _last_mail_id()
        title = title or f"Petition number {self._next()} about parks"
        petition = Petition.create(slug=fields.pop("slug", None) or unique_slug(title), title=title,
                                   request=fields.pop("request", "Please do the thing."), organisation=organisation,
                                   lead_petitioner=lead, description=fields.pop("description", "<p>Text</p>"),
                                   **fields)
        system = Actor.system("test")
        path = {
            "concept": [], "staging": ["staging"], "live": ["staging", "live"],
            "to_process": ["staging", "live", "to_process"],
            "in_process": ["staging", "live", "to_process", "in_process"],
            "rejected": ["staging", "rejected"], "withdrawn": ["staging", "live", "withdrawn"],
        }
        if status == "completed":
            raise ValueError("make a completed petition by publishing a response")
        for step in path[status]:
            note = "test reason" if step == "rejected" else None
            petition = transition(petition, step, system, note=note)
        _discard_mail_since(last_mail)
        return Petition.get_by_id(petition.id)

    def signature(self, petition, email=None, confirmed=True, **fields):
        n = self._next()
        last_mail = _last_mail_id()
        result = submit(petition, full_name=fields.pop("full_name", f"Signer Number{n}"),
                        email=email or f"signer{n}@example.net", **fields)
        signature = result.signature
        if confirmed:
            now = clock.now()
            Signature.update(confirmed_at=now).where(Signature.id == signature.id).execute()
            Petition.update(signature_count=Petition.signature_count + 1).where(Petition.id == petition.id).execute()
            _discard_mail_since(last_mail)
        return Signature.get_by_id(signature.id)


# ---- HTTP ----------------------------------------------------------------------------------------

class Reply:
    def __init__(self, response):
        self.raw = response
        self.code = response.code
        self.headers = response.headers
        self.body = response.body or b""
        self.text = self.body.decode("utf-8", "replace")

    def json(self):
        import json

        return json.loads(self.body)

    @property
    def location(self):
        return self.headers.get("Location")


class WebClient:
    """Cookie- and XSRF-aware client over pytest-tornado's http_client (real HTTP)."""

    def __init__(self, http_client, base_url):
        self.http = http_client
        self.base_url = base_url
        self.cookies = {}

    def _headers(self, headers=None):
        out = dict(headers or {})
        if self.cookies:
            out["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return out

    def _remember(self, response):
        for header in response.headers.get_list("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel.value == "":
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = morsel.value

    async def fetch(self, path, method="GET", body=None, headers=None, follow=False):
        url = path if path.startswith("http") else self.base_url + path
        response = await self.http.fetch(url, method=method, body=body, headers=self._headers(headers),
                                         follow_redirects=False, raise_error=False, request_timeout=60)
        self._remember(response)
        reply = Reply(response)
        if follow and reply.code in (301, 302, 303, 307) and reply.location:
            return await self.fetch(reply.location, follow=True)
        return reply

    async def get(self, path, **kw):
        return await self.fetch(path, **kw)

    async def xsrf(self):
        """The _xsrf cookie a browser would hold after loading a page with a form (Tornado
        accepts any token whose cookie and form value match)."""
        if "_xsrf" not in self.cookies:
            import secrets

            self.cookies["_xsrf"] = secrets.token_hex(16)
        return self.cookies["_xsrf"]

    async def post(self, path, data=None, xsrf=True, follow=False, headers=None):
        fields = dict(data or {})
        if xsrf:
            fields.setdefault("_xsrf", await self.xsrf())
        body = urllib.parse.urlencode(fields, doseq=True)
        return await self.fetch(path, method="POST", body=body, follow=follow,
                                headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})

    async def sign_in(self, user_or_email, password=PASSWORD):
        address = getattr(user_or_email, "email", user_or_email)
        reply = await self.post("/signin", {"email": address, "password": password})
        assert reply.code in (302, 303), f"sign-in failed: {reply.code} {reply.text[:300]}"
        return reply


def mails_in(folder):
    """The .eml files the file transport wrote, parsed, oldest first."""
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*.eml"))]


def link_in(message, pattern=r"https?://\S+/signatures/confirm/[A-Za-z0-9_\-]+"):
    body = message.get_body(("plain",)).get_content() if hasattr(message, "get_body") else str(message)
    found = re.search(pattern, body)
    assert found, f"no link matching {pattern} in:\n{body}"
    return found.group(0)


def deliver_mail():
    from models import mail

    return mail.deliver_pending(batch_size=1000)


# ---- SMTP ----------------------------------------------------------------------------------------

class SmtpServer:
    """A real SMTP server (aiosmtpd) on localhost that keeps every message it receives."""

    def __init__(self):
        self.messages = []
        self.port = free_port()
        self.controller = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 OK"

    def start(self):
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address):
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    def wait_for(self, count, timeout=120.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails, got {len(self.messages)}")


# ---- the app in a thread of its own ----------------------------------------------------------------

class LiveServer:
    """Runs the portal on a free port in a background thread (for Chromium and subprocess tests)."""

    def __init__(self, settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = config.configure(settings.with_(base_url=self.url))
        self._ready = threading.Event()
        self._thread = None
        self._loop = None

    def start(self):
        import portal

        def run():
            asyncio.set_event_loop(asyncio.new_event_loop())
            self._loop = asyncio.get_event_loop()
            app = portal.make_app(self.settings)
            self._server = app.listen(self.port, address="127.0.0.1")
            self._ready.set()
            self._loop.run_forever()
            self._server.stop()
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="live-server")
        self._thread.start()
        assert self._ready.wait(120), "live server did not start"

    def stop(self):
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def days(n):
    return dt.timedelta(days=n)


__all__ = ["Factory", "WebClient", "SmtpServer", "LiveServer", "mails_in", "link_in", "deliver_mail", "db", "days"]
