"""A bounded sweep over EVERY route: bad input is a 4xx with a message, never a 500, never a leak.

Each route in portal.ROUTES is called with valid ids/slugs and hostile path values, with every
method, as each kind of visitor, with odd form and JSON bodies and (for the APIs) with and without
keys. Nothing may answer 5xx; every 4xx says something; no body shows a signer's address or an
API token; no log line at INFO or above holds a password, a link token, a key or a signer's address.
The choices are random but seeded, so a failure repeats.
"""
import json
import logging
import os
import random
import re
import urllib.parse

import pytest

import portal
from models import answering
from models.account import invite, request_password_reset, sign_up
from models.audit import Actor
from models.mail import OutboxMessage
from models.api import update_api_settings
from models.petition import Petition, transition
from tests.support import PASSWORD, deliver_mail, mails_in
from tests.support_api import new_key, sign_in_as

SEED = 20261124
METHODS = ("GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD")
ROLES = ("anonymous", "petitioner", "clerk", "moderator", "admin")

HOSTILE = [
    "99999999999999999999999999", "-1", "0", "2147483648", "9223372036854775808", "1e400", "../", "..%2F..%2Fetc",
    "%2e%2e%2f", "pétition-ünïcødé", "💥🔥", "\u202eevil\u202c", "\u200f\u200e", "%ff%fe", "%c3%28", "%00",
    "x" * 600, "1' OR '1'='1", "1; DROP TABLE petition;--", "<script>alert(1)</script>", "\"><img src=x>",
    "%25%32%65", "NaN", "null", "[]", "{}", " ", "%20", "١٢٣", "²", "①②", "1²", "٣",
]
LONG = "Ab " * 700  # 2100 characters: more than any VARCHAR column
FIELDS = ("title", "request", "description", "email", "name", "full_name", "password", "new_password",
          "current_password", "slug", "kind", "role", "status", "note", "reason", "statement", "comment", "city",
          "postal_code", "country", "closes_on", "date_projected", "answer_due_date", "answer_period_days",
          "signature_threshold", "reference_field", "body", "petitions", "organisation", "scopes", "language",
          "allowed_domains", "contact_email", "is_admin", "is_moderator", "hidden", "show_name", "wants_notice",
          "accept_terms", "api_enabled", "is_test", "page", "next", "q", "sort", "dir", "limit", "offset")
WRONG = {"page": "²", "limit": "-5", "offset": "1e99", "closes_on": "31/02/2026", "date_projected": "2026-13-45",
         "answer_due_date": "99999-01-01", "answer_period_days": "9" * 30, "signature_threshold": "-1.5",
         "petitions": "³", "organisation": "99999999999999999999", "scopes": "root", "is_admin": "maybe",
         "email": "not an address", "status": "exploded", "role": "emperor", "kind": "🙂"}


def _form(pairs, xsrf):
    return urllib.parse.urlencode([("_xsrf", xsrf)] + list(pairs)).encode()


def form_bodies(xsrf, rng):
    """(name, bytes) of odd url-encoded bodies; each carries a valid XSRF token so that it gets past
    the XSRF check into the handler."""
    values = lambda make_value: [(f, make_value(f)) for f in FIELDS]  # noqa: E731
    return [
        ("empty", _form([], xsrf)),
        ("huge", _form([("title", "x" * 200_000), ("body", "y" * 200_000)] + values(lambda f: "z" * 3000), xsrf)),
        ("too long for columns", _form(values(lambda f: LONG), xsrf)),
        ("wrong types", _form([(f, WRONG.get(f, "12345678901234567890")) for f in FIELDS], xsrf)),
        ("duplicated keys", _form(values(lambda f: "first") + values(lambda f: "second") + values(lambda f: "1"),
                                  xsrf)),
        ("invalid utf-8", _form([], xsrf) + b"&title=%ff%fe&email=%c3%28&name=\xff&body=\xc3"),
        ("nul and controls", _form(values(lambda f: "a\x00b\x01c\x1bd\x7f"), xsrf)),
        ("controls", _form(values(lambda f: "Ab\x01c\x1bd\x7f\u2028e\ufeff"), xsrf)),
        ("encoded surrogates", _form([], xsrf) + b"&title=%ED%A0%80&full_name=Jane%ED%B0%80Doe&name=%ED%A0%80"),
        ("hostile", _form(values(lambda f: rng.choice(HOSTILE)), xsrf)),
        ("plausible", _form([("title", "A petition about parks"), ("request", "Please plant trees."),
                             ("description", "<p>Trees</p>"), ("email", "new.person@example.org"),
                             ("name", "New Person"), ("full_name", "New Person"), ("password", "long password 1"),
                             ("accept_terms", "y"), ("closes_on", "2099-01-01"), ("kind", "council"),
                             ("role", "clerk"), ("note", "A note."), ("reason", "A reason."), ("scopes", "read")],
                            xsrf)),
    ]


def multipart_bodies(xsrf):
    """Multipart forms: a file where text is expected, a broken one, one without a boundary."""
    good = (f'--b\r\nContent-Disposition: form-data; name="_xsrf"\r\n\r\n{xsrf}\r\n'
            '--b\r\nContent-Disposition: form-data; name="title"; filename="../../etc/passwd"\r\n'
            'Content-Type: application/octet-stream\r\n\r\n\xff\xfe\x00binary\r\n'
            '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\n\xe9t\xe9@example.org\r\n--b--\r\n')
    return {"multipart with a file": ("multipart/form-data; boundary=b", good.encode("latin-1")),
            "multipart broken": ("multipart/form-data; boundary=b", b"--b\r\nno headers here\r\n--b"),
            "multipart without boundary": ("multipart/form-data", b"title=x"),
            "unknown content type": ("text/x-unknown; charset=ebcdic", b"\x00\x01title=x")}


def json_bodies():
    deep = '{"a": ' * 5000 + "{}" + "}" * 5000
    fields = ("title", "request", "description", "email", "full_name", "name", "city", "postal_code", "country",
              "comment", "status", "answer_due_date", "date_projected", "accept_terms", "show_name", "person",
              "identifiers", "email_addresses", "postal_addresses", "signature", "petition", "triggers", "d")
    return [
        ("array", b'[1, 2, {"email": "x@example.org"}]'),
        ("deep", deep.encode()),
        ("nested", json.dumps({f: {"a": [{"b": [1, {"c": None}]}]} for f in fields}).encode()),
        ("huge numbers", json.dumps({f: 10 ** 40 for f in fields}).encode().replace(b"1" + b"0" * 40, b"1e400", 3)),
        ("wrong types", json.dumps({f: [True, 1.5] if i % 2 else 12345 for i, f in enumerate(fields)}).encode()),
        ("nulls", json.dumps({f: None for f in fields}).encode()),
        ("strings too long", json.dumps({f: LONG for f in fields}).encode()),
        ("long email", json.dumps({"full_name": "Jane Doe", "email": "a" * 300 + "@example.org",
                                   "accept_terms": True, "city": "c" * 300, "postal_code": "9" * 100,
                                   "country": "NL" * 50}).encode()),
        ("controls", json.dumps({f: "a\u0000b\u001b" for f in fields}).encode()),
        ("lone surrogates", b'{"full_name": "Jane \\ud800 Doe", "email": "jane\\udfff@example.org", "city": "\\udc00", '
                            b'"accept_terms": true, "title": "\\ud83d", "person": {"given_name": "\\ud800", '
                            b'"family_name": "Lee", "email_addresses": [{"address": "ann\\ud800@example.org"}]}}'),
        ("not json", b"{'title': oops"),
        ("invalid utf-8", b'{"title": "\xff\xfe"}'),
        ("big", json.dumps({"title": "t" * 70_000}).encode()),
    ]


class World:
    """A small data set: organisations, staff, petitions in several statuses, signatures, a
    response, invitations, keys, link tokens. Secrets it knows must never leak."""

    def __init__(self, make, database):
        self.org = make.organisation(name="Sweep Council")
        self.other_org = make.organisation(name="Other Ministry", kind="ministry")
        self.clerk = make.clerk(self.org, role="manager")
        self.moderator = make.moderator()
        self.admin = make.admin()
        self.petitioner = make.user(name="Pat Petitioner")
        self.petitions = [make.petition(status=s, organisation=self.org, lead=self.petitioner)
                          for s in ("concept", "staging", "live", "rejected", "withdrawn")]
        self.petitions.append(make.petition(status="live", organisation=self.other_org))
        live = self.petitions[2]
        # its signing APIs are open, so odd bodies get past the checks before the body
        update_api_settings(live, Actor.for_user(self.petitioner), api_enabled=True,
                            allowed_domains="forms.example.org\nlocalhost", hidden=False)
        self.live = live = Petition.get_by_id(live.id)
        self.signatures = [make.signature(live, email=f"secret.signer{i}@example.net", show_name=bool(i % 2))
                           for i in range(3)]
        self.unconfirmed = make.signature(live, email="unconfirmed.signer@example.net", confirmed=False)
        deliver_mail()
        self.signature_token = _token_in(database, "/signatures/confirm/")
        done = make.petition(status="live", organisation=self.org)
        make.signature(done, email="answered.signer@example.net", wants_notice=True)
        done = transition(transition(done, "to_process", Actor.job("close_petitions")), "in_process",
                          Actor.system("test"))
        self.petitions.append(done)
        draft = answering.save_draft(self.org, Actor.for_user(self.clerk), "Our answer", "<p>Yes</p>", [done.id])
        self.response = answering.publish_response(draft, Actor.for_user(self.clerk))
        pending = transition(make.petition(status="live", organisation=self.org), "to_process",
                             Actor.job("close_petitions"))
        self.petitions.append(pending)
        self.draft = answering.save_draft(self.org, Actor.for_user(self.clerk), "A draft", "<p>Soon</p>",
                                          [pending.id])
        self.invitation = invite(self.clerk, self.org, "invited.person@example.net")
        deliver_mail()
        self.invitation_token = _token_in(database, "/invitations/")
        request_password_reset(self.petitioner.email)
        deliver_mail()
        self.reset_token = _token_in(database, "/reset/")
        sign_up("new.account@example.net", "New Account", "a long enough password")
        deliver_mail()
        self.email_token = _token_in(database, "/confirm-email/")
        self.key, self.token = new_key(make, scopes=("read", "create", "update"), organisation=self.org,
                                       user=self.clerk)
        self.read_key, self.read_token = new_key(make, scopes=("read",), user=self.petitioner)
        OutboxMessage.delete().execute()
        self.signer_emails = [s.email for s in self.signatures] + ["unconfirmed.signer@example.net",
                                                                   "answered.signer@example.net"]
        self.secrets = [self.token, self.read_token, self.signature_token, self.invitation_token, self.reset_token,
                        self.email_token, PASSWORD, "a long enough password"]
        self.users = {"petitioner": self.petitioner, "clerk": self.clerk, "moderator": self.moderator,
                      "admin": self.admin}

    def restore(self):
        """Undo what earlier calls of the sweep changed that later ones rely on (keys revoked, the
        clerk removed, flags dropped, someone signed out everywhere), so every route is swept with
        the same visitors and keys."""
        from models.apikey import ApiKey
        from models.user import User, add_membership

        ApiKey.update(revoked_at=None).where(ApiKey.id.in_([self.key.id, self.read_key.id])).execute()
        add_membership(self.clerk, self.org, "manager")
        User.update(is_admin=True).where(User.id == self.admin.id).execute()
        User.update(is_moderator=True).where(User.id == self.moderator.id).execute()
        User.update(is_admin=False, is_moderator=False).where(
            User.id.in_([self.clerk.id, self.petitioner.id])).execute()
        Petition.update(status="live", closes_at=self.live.closes_at, hidden=False, api_enabled=True,
                        allowed_domains=self.live.allowed_domains).where(Petition.id == self.live.id).execute()

    def valid(self, kind):
        """Valid values for a path parameter of `kind`."""
        p = self.petitions
        return {
            "petition": [str(x.id) for x in p] + [x.slug for x in p],
            "organisation": [self.org.slug, str(self.org.id), self.other_org.slug],
            "user": [str(self.clerk.id), str(self.petitioner.id), str(self.admin.id)],
            "invitation": [str(self.invitation.id)],
            "response": [str(self.response.id), str(self.draft.id)],
            "key": [str(self.key.id), str(self.read_key.id)],
            "signature": [str(s.id) for s in self.signatures],
            "token": [self.signature_token, self.invitation_token, self.reset_token, self.email_token,
                      "nonexistent-token"],
            "job": ["close_petitions", "mail_retention", "no_such_job"],
        }[kind]


def _token_in(database, marker):
    for message in mails_in(database.mail_dir):
        match = re.search(re.escape(marker) + r"([A-Za-z0-9_\-]+)", message.get_body(("plain",)).get_content())
        if match:
            return match.group(1)
    raise AssertionError(f"no mail with {marker}")


# ---- the route table as concrete paths -----------------------------------------------------------

_KIND_AFTER = {"petitions": "petition", "moderation": "petition", "organisations": "organisation",
               "workspace": "organisation", "members": "user", "users": "user", "responses": "response",
               "api-tokens": "key", "signatures": "signature", "people": "signature", "confirm": "token",
               "confirm-email": "token", "reset": "token", "invitations": "token", "jobs": "job"}


def route_template(pattern):
    """`pattern` as a list of literal strings and parameter slots (kind, alternatives or None)."""
    pattern = re.sub(r"\(\?:/\.\*\)\?|\(\?:\\\.json\)\?|/\?$", "", pattern)
    pattern = pattern.replace(r"/.*", "/anything").replace("\\", "")
    parts, i = [], 0
    while i < len(pattern):
        if pattern[i] == "(":
            end = pattern.index(")", i)
            body = pattern[i + 1:end]
            before = "".join(p for p in parts if isinstance(p, str)).rstrip("/").rsplit("/", 1)[-1]
            if re.fullmatch(r"[a-z\-]+(\|[a-z\-]+)*", body):
                parts.append(("choice", body.split("|")))
            else:
                kind = _KIND_AFTER.get(before, "petition")
                if before == "invitations" and "admin" in "".join(p for p in parts if isinstance(p, str)):
                    kind = "invitation"
                if body.startswith("[a-z_]"):
                    kind = "job"
                parts.append((kind, None))
            i = end + 1
        else:
            parts.append(pattern[i])
            i += 1
    return parts


def fill(template, pick):
    out = []
    for part in template:
        if isinstance(part, str):
            out.append(part)
        elif part[0] == "choice":
            out.append(pick(part, part[1]))
        else:
            out.append(pick(part, None))
    return "".join(out)


def paths_for(pattern, world, rng, hostile_count=3):
    template = route_template(pattern)
    if not any(isinstance(p, tuple) for p in template):
        return [fill(template, None)], []
    valid = []
    for _ in range(4):
        valid.append(fill(template, lambda part, choices: rng.choice(choices or world.valid(part[0]))))
    hostile = []
    for _ in range(hostile_count):
        def pick(part, choices):
            if choices:
                return rng.choice(choices)
            value = rng.choice(HOSTILE)
            return value if "%" in value else urllib.parse.quote(value, safe="")
        hostile.append(fill(template, pick))
    return list(dict.fromkeys(valid)), hostile


def is_api(path):
    return path.startswith(("/api/", "/v1/"))


# ---- calling and checking ------------------------------------------------------------------------

class Sweep:
    def __init__(self, web, world, rng):
        self.web, self.world, self.rng = web, world, rng
        self.calls = 0
        self.failures = []
        self.known = []

    async def call(self, role, method, path, body=None, headers=None, note=""):
        web = self.web
        web.cookies.pop("session", None)
        if role != "anonymous":
            from models.user import User

            sign_in_as(web, User.get_by_id(self.world.users[role].id))
        xsrf = await web.xsrf()
        if body is None and method in ("POST", "PUT"):
            body = b""
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Xsrftoken": xsrf}
        all_headers.update(headers or {})
        reply = await web.fetch(path, method=method, body=body if method not in ("GET", "HEAD", "DELETE",
                                                                                  "OPTIONS") else None,
                                headers=all_headers)
        web.cookies["_xsrf"] = xsrf
        self.calls += 1
        if os.environ.get("SWEEP_TRACE"):
            print(reply.code, role, method, path[:100], note, reply.text[:100].replace("\n", " ") if reply.code >= 400
                  else "")
        self.check(reply, f"{role} {method} {path[:160]} {note}", public=role == "anonymous")
        return reply

    def check(self, reply, what, public=False):
        problems = []
        if public:  # what anybody may see shows no account's address either
            # The reset page greets the holder of a valid reset link with the account's own address
            # (tests/test_accounts.py asserts it): whoever holds that link owns the account.
            owner = self.world.petitioner.email if f"/reset/{self.world.reset_token}" in what else None
            for user in self.world.users.values():
                if user.email in reply.text and user.email != owner:
                    problems.append(f"public body shows {user.email[:12]}…")
        if reply.code >= 500 or reply.code == 599:
            if _known_osdi_digits_500(reply):
                self.known.append(what)  # see OSDI_DIGITS_NOTE and test_osdi_ids_in_other_scripts_digits
            else:
                problems.append(f"{reply.code}")
        if 400 <= reply.code < 500 and reply.code != 405 or reply.code == 405:
            if not _message_of(reply):
                problems.append(f"{reply.code} without a message")
        for secret in self.world.signer_emails + [self.world.token, self.world.read_token]:
            if secret in reply.text:
                problems.append(f"body shows {secret[:12]}…")
        if problems:
            self.failures.append(f"{what}: {', '.join(problems)}: {reply.text[:200]!r}")


def _known_osdi_digits_500(reply):
    request = reply.raw.request
    path = urllib.parse.unquote(urllib.parse.urlparse(request.url).path)
    body = (request.body or b"").decode("utf-8", "replace")
    odd_digits = any(c.isdigit() and not c.isascii() for c in path + body)
    return path.startswith("/api/osdi/") and odd_digits


def _message_of(reply):
    if reply.raw.request.method == "HEAD":
        return True  # HEAD has no body by definition
    text = reply.text.strip()
    if not text:
        return False
    if "json" in (reply.headers.get("Content-Type") or ""):
        try:
            value = json.loads(text)
        except ValueError:
            return False
        flat = json.dumps(value)
        return bool(re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", flat))
    return bool(re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", re.sub(r"<[^>]+>", " ", text)))


API_QUERY_NAMES = ("limit", "offset", "count", "skip", "page", "per_page", "sortBy", "sortOrder", "createdBefore",
                   "createdAfter", "status", "isPublic", "isSignable", "title", "body", "signatureCountFloor",
                   "signatureCountCeiling", "filter", "fields", "language", "organisation", "updated_since", "q",
                   "mock", "callback")
API_QUERY_VALUES = ("-1", "0", "1e3", "99999999999999999999", "2026-13-01", "1700000000", "9" * 40, "true",
                    "modified_date gt '2026-01-01'", "title eq 'x' or 1 eq 1", "id,email", "desc", "<x>", "NaN",
                    "inf", "2026-02-30T25:61:00Z")
ORIGINS = ("https://forms.example.org", "null", "http://" + "a" * 300 + ".example", "https://localhost:99999",
           "https://[::1", "file://", "https://forms.example.org/../x?y#z", "\xe9\xff", "https://x:1:2", "")
KEY_VARIANTS = ("none", "query", "bearer", "osdi", "wrong")


def key_headers(variant, token, path):
    if variant == "query":
        return path + ("&" if "?" in path else "?") + "api_key=" + token, {}
    if variant == "bearer":
        return path, {"Authorization": f"Bearer {token}"}
    if variant == "osdi":
        return path, {"OSDI-API-Token": token}
    if variant == "wrong":
        return path, {"Authorization": "Bearer pp_" + "0" * 40, "OSDI-API-Token": "\xe9\xff%00 x"}
    return path, {}


def _routes(part, parts):
    """Every `parts`-th route, from `part`: the sweep is split into tests of a similar size."""
    return [r for i, r in enumerate(portal.ROUTES) if i % parts == part]


PARTS = 3


@pytest.fixture
def swept(web, make, database, caplog, relaxed_rate_limits):
    caplog.set_level(logging.INFO)
    world = World(make, database)
    yield web, world
    records = caplog.get_records("setup") + caplog.get_records("call")  # caplog.records: this phase only
    logged = "\n".join(f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.INFO)
    assert "tornado.access" in logged  # the capture works
    leaked = [s[:10] for s in world.secrets + world.signer_emails
              if s in logged or urllib.parse.quote(s, safe="") in logged]
    assert not leaked, f"log lines at INFO or above hold secrets or signers' addresses: {leaked}"


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.gen_test
async def test_every_route_method_and_visitor(swept, part):
    web, world = swept
    rng = random.Random(SEED + part)
    sweep = Sweep(web, world, rng)
    for pattern, _handler in _routes(part, PARTS):
        world.restore()
        valid, hostile = paths_for(pattern, world, rng)
        # one valid path with every method for every visitor; the rest with a sample
        for role in ROLES:
            for method in METHODS:
                await sweep.call(role, method, valid[0])
        for path in valid[1:] + hostile:
            for method in rng.sample(METHODS, 3):
                await sweep.call(rng.choice(ROLES), method, path)
        # hostile query strings
        query = urllib.parse.urlencode({k: rng.choice(HOSTILE) for k in ("page", "q", "sort", "dir", "status",
                                                                          "organisation", "limit", "offset",
                                                                          "next", "show", "published")})
        await sweep.call(rng.choice(ROLES), "GET", valid[0] + "?" + query + "&page=%ff&q=%00x")
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.calls} calls failed:\n" + "\n".join(
        sweep.failures[:60])


def _accepts(handler, method):
    import tornado.web

    return getattr(handler, method.lower()) is not getattr(tornado.web.RequestHandler, method.lower())


@pytest.mark.parametrize("part", range(PARTS))
@pytest.mark.gen_test
async def test_odd_bodies_to_every_route_that_takes_one(swept, part):
    web, world = swept
    rng = random.Random(SEED + 100 + part)
    sweep = Sweep(web, world, rng)
    xsrf = await web.xsrf()
    forms, jsons = form_bodies(xsrf, rng), json_bodies()
    for pattern, handler in _routes(part, PARTS):
        methods = [m for m in ("POST", "PUT", "DELETE") if _accepts(handler, m)]
        if not methods:
            continue
        world.restore()
        valid, _ = paths_for(pattern, world, rng, hostile_count=0)
        path = valid[0]
        if is_api(path):
            # on the open live petition where the route names one, so the body is what is tested
            live = fill(route_template(pattern), lambda part, choices: choices[0] if choices else (
                str(world.live.id) if part[0] == "petition" else rng.choice(world.valid(part[0]))))
            native = "osdi" if path.startswith("/api/osdi/") else "query" if path.startswith("/v1/") else "bearer"
            for name, body in jsons + forms[:1]:
                variant = native if rng.random() < 0.75 else rng.choice(KEY_VARIANTS[:4])
                token = world.token if rng.random() < 0.8 else world.read_token
                url, headers = key_headers(variant, token, rng.choice([path, live]))
                headers["Origin"] = "https://forms.example.org"
                await sweep.call("anonymous", rng.choice(methods), url, body,
                                 headers={"Content-Type": "application/json", **headers}, note=name + " " + variant)
        else:
            for name, body in forms:
                for role in ROLES:
                    await sweep.call(role, rng.choice(methods), rng.choice(valid), body, note=name)
            await sweep.call("admin", methods[0], path, json_bodies()[0][1],
                             headers={"Content-Type": "application/json"}, note="json to a form")
            for name, (content_type, body) in multipart_bodies(xsrf).items():
                await sweep.call(rng.choice(ROLES), methods[0], path, body, headers={"Content-Type": content_type},
                                 note=name)
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.calls} calls failed:\n" + "\n".join(
        sweep.failures[:60])


@pytest.mark.gen_test
async def test_every_api_route_with_and_without_keys(swept):
    web, world = swept
    rng = random.Random(SEED + 200)
    sweep = Sweep(web, world, rng)
    for pattern, _handler in portal.ROUTES:
        world.restore()
        valid, hostile = paths_for(pattern, world, rng)
        if not is_api(valid[0]):
            continue
        for variant in KEY_VARIANTS:
            for token in (world.token, world.read_token):
                for method in ("GET", "POST", "OPTIONS"):
                    path = rng.choice(valid + hostile)
                    if method == "GET" and rng.random() < 0.6:
                        path += "?" + urllib.parse.urlencode({name: rng.choice(HOSTILE + list(API_QUERY_VALUES)) for name in
                                                              rng.sample(API_QUERY_NAMES, 4)})
                    url, headers = key_headers(variant, token, path)
                    headers["Origin"] = rng.choice(ORIGINS)
                    body = json.dumps({"full_name": "Jane Doe", "email": "jane.doe@example.org",
                                       "accept_terms": True, "title": "A title", "status": "in_process"}).encode()
                    await sweep.call("anonymous", method, url, body,
                                     headers={"Content-Type": "application/json", **headers}, note=variant)
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.calls} calls failed:\n" + "\n".join(
        sweep.failures[:60])


@pytest.mark.gen_test
async def test_tornados_own_log_lines_hold_no_secrets_or_addresses(swept):
    """Refusals Tornado logs itself (XSRF, missing arguments, bad methods) and our refusal lines
    would quote the request URI with its ?api_key= or link token, the client's IP address, or an
    address from a message; the swept fixture checks every INFO+ line afterwards."""
    web, world = swept
    sweep = Sweep(web, world, random.Random(SEED + 300))
    signer = world.signer_emails[0]
    for path in (f"/user/api-tokens?api_key={world.token}", f"/signatures/confirm/{world.signature_token}",
                 f"/invitations/{world.invitation_token}?token={world.read_token}",
                 f"/petitions/{world.petitions[2].slug}/sign?key={world.token}"):
        reply = await web.fetch(path, method="POST", body=b"email=" + signer.encode(),
                                headers={"Content-Type": "application/x-www-form-urlencoded"})  # no XSRF token
        sweep.check(reply, f"POST {path} without XSRF")
        await sweep.call("admin", "DELETE", path)
    await sweep.call("admin", "GET", "/admin/users?" + urllib.parse.urlencode({"q": world.clerk.email}))
    reply = await sweep.call("admin", "GET", "/admin/users?q=" + urllib.parse.quote(world.clerk.email) + "%ff")
    assert reply.code == 400 and "not valid UTF-8" in reply.text
    await web.post("/signin", {"email": world.clerk.email, "password": PASSWORD})
    await web.post("/signin", {"email": signer, "password": PASSWORD + "wrong"})
    await web.post("/reset", {"email": signer})
    await web.post("/signup", {"name": "Secret Signer", "email": signer, "password": PASSWORD})
    await sweep.call("clerk", "POST", f"/admin/organisations/{world.org.slug}/members/invite",
                     _form([("email", world.clerk.email), ("role", "clerk")], await web.xsrf()))
    await sweep.call("anonymous", "POST", f"/petitions/{world.petitions[2].slug}/sign",
                     _form([("full_name", "Secret Signer"), ("email", signer), ("accept_terms", "y")], await web.xsrf()))
    world.secrets.append(world.clerk.email)
    assert not sweep.failures, "\n".join(sweep.failures)


@pytest.mark.gen_test
@pytest.mark.parametrize("digits", ["²", "1²", "①", "٣"])
async def test_ids_and_pages_in_other_scripts_digits_are_unknown_not_500(web, make, digits):
    """str.isdigit() is true for '²' and '①' but int() refuses them; and int('٣') is 3. Ids and
    page numbers are ASCII digits (models/numbers.py): anything else names nothing."""
    petition = make.petition()
    admin = make.admin()
    sign_in_as(web, admin)
    quoted = urllib.parse.quote(digits)
    for path in (f"/petitions/{quoted}", f"/organisations/{quoted}", f"/admin/organisations/{quoted}/members"):
        reply = await web.get(path)
        assert reply.code == 404, (path, reply.code)
    for path in ("/", "/responses", "/moderation", "/admin/users", "/my/petitions", "/answered"):
        reply = await web.get(f"{path}?page={quoted}")
        assert reply.code == 200, (path, reply.code)
    assert (await web.get(f"/petitions/{petition.id}")).code == 200


@pytest.mark.gen_test
@pytest.mark.usefixtures("relaxed_rate_limits")
@pytest.mark.parametrize("case", ["signature", "person", "identifier"])
async def test_osdi_ids_in_other_scripts_digits(web, make, case):
    from tests.support_dialects import osdi_headers, token

    organisation = make.organisation()
    petition = make.petition(organisation=organisation, api_enabled=True)
    secret = token(make, scopes=("read", "create"), organisation=organisation)
    headers = {"Content-Type": "application/json", **osdi_headers(secret)}
    if case == "signature":
        reply = await web.fetch(f"/api/osdi/v1/petitions/{petition.id}/signatures/%C2%B2", headers=headers)
    elif case == "person":
        reply = await web.fetch("/api/osdi/v1/people/s%C2%B2", headers=headers)
    else:
        body = {"person": {"given_name": "Ann", "family_name": "Lee",
                           "email_addresses": [{"address": "ann@example.org"}]}, "identifiers": ["portal:²"]}
        reply = await web.fetch(f"/api/osdi/v1/petitions/{petition.id}/record_signature_helper", method="POST",
                                body=json.dumps(body), headers=headers)
    assert 200 <= reply.code < 500, reply.text


@pytest.mark.gen_test
async def test_odd_cookies_are_ignored_or_refused(swept):
    """Forged, truncated or foreign session and XSRF cookies: signed out or 403, never a 500."""
    web, world = swept
    sweep = Sweep(web, world, random.Random(SEED + 400))
    xsrf_values = ["2|zz|yy|xx", "2|00000000|" + "0" * 64 + "|1", "|", "2|", "x" * 4000, "%ff%00", "1"]
    session_values = ["garbage", "2|1:0|10:1|7:session|4:MTox|", "2|1:0|10:99999999999|7:session|4:MTox|" + "0" * 64,
                      "\"quoted\"", "a" * 4000]
    for xsrf in xsrf_values:
        for session in session_values[:3]:
            for method, path in (("POST", "/signout"), ("POST", f"/petitions/{world.live.slug}/sign"),
                                 ("GET", "/workspace"), ("POST", "/user/api-tokens")):
                body = b"_xsrf=" + urllib.parse.quote(xsrf).encode() + b"&full_name=A+B" if method == "POST" else None
                web.cookies.clear()  # the client would replace the Cookie header with its own
                reply = await web.fetch(path, method=method, body=body,
                                        headers={"Cookie": f"_xsrf={xsrf}; session={session}",
                                                 "Content-Type": "application/x-www-form-urlencoded"})
                sweep.check(reply, f"{method} {path} with cookies {xsrf[:20]!r} {session[:20]!r}")
    for session in session_values:
        web.cookies.clear()
        reply = await web.fetch("/my/petitions", headers={"Cookie": f"session={session}"})
        sweep.check(reply, f"GET /my/petitions with session {session[:20]!r}")
        assert reply.code in (302, 303), reply.code  # simply signed out
    assert not sweep.failures, "\n".join(sweep.failures[:20])
