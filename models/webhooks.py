"""Signed webhooks (Standard Webhooks, standardwebhooks.com): endpoints an organisation subscribes,
an event outbox written in the same transaction as the change it announces, and the delivery the
deliver_webhooks job runs.

- emit() is called from the one place each change happens (models/petition.transition,
  update_recipient_fields, answering.publish_response, the threshold milestone); it writes the event
  and one delivery row per subscribed, active endpoint, inside the caller's transaction.
- deliver_pending() claims each due delivery (pending -> sending) just before it POSTs it with the headers
  webhook-id, webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>",
  keyed with the base64 part of the endpoint's whsec_ secret), and marks it delivered, or schedules
  a retry with backoff. At least once: a delivery left in 'sending' by a crashed job is offered again
  after STALE_SENDING with the same webhook-id, so receivers de-duplicate on it.
- An endpoint is disabled after `disable_after` consecutive failed attempts, and its owner mailed.
- Plain http:// and private, loopback or link-local addresses are refused unless
  PORTAL_WEBHOOKS_ALLOW_HTTP=true; the address is resolved and checked again at delivery, and the
  connection goes to the address that was checked.
"""
import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from urllib.parse import urlsplit

import peewee as pw

from models import clock, config, mail
from models.db import BaseModel, db
from models.errors import InvalidInput, NotFound
from models.i18n import N_
from models.organisation import Organisation
from models.user import Membership, User

log = logging.getLogger("portal.webhooks")

EVENTS = {
    "petition.published": N_("A petition addressed to the organisation opens for signatures"),
    "petition.closed": N_("A petition closes and awaits handover"),
    "petition.status_changed": N_("Any status change of a petition"),
    "petition.recipient_updated": N_("The handover date, reference or answer-due date changes"),
    "petition.threshold_reached": N_("A petition reaches the organisation's signature threshold"),
    "response.published": N_("A response is published"),
}
MAX_ATTEMPTS = 8
STALE_SENDING = dt.timedelta(minutes=15)
URL_MAX = 2000
TIMEOUT_SECONDS = 15
USER_AGENT = "petition-portal-webhooks/1"


class WebhookEndpoint(BaseModel):
    organisation = pw.ForeignKeyField(Organisation, backref="webhook_endpoints", on_delete="CASCADE", index=True)
    url = pw.CharField(max_length=URL_MAX)
    description = pw.CharField(max_length=255, default="")
    # The signing key has to be used, not only compared, so it is kept (never shown again, never logged).
    secret = pw.CharField(max_length=128)
    events = pw.TextField()  # comma separated event types
    created_by = pw.CharField(max_length=255, default="")  # actor label: "Jane Clerk", "API key abc123 (CRM)"
    owner_user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", column_name="owner_user_id")
    created_at = pw.DateTimeField()
    failure_count = pw.IntegerField(default=0)  # consecutive failed attempts
    last_success_at = pw.DateTimeField(null=True)
    disabled_at = pw.DateTimeField(null=True)
    disabled_reason = pw.TextField(null=True)
    deleted_at = pw.DateTimeField(null=True)

    @property
    def event_list(self):
        return [e for e in self.events.split(",") if e]

    @property
    def state(self):
        return "deleted" if self.deleted_at else "disabled" if self.disabled_at else "active"

    def as_json(self):
        return {"id": self.id, "url": self.url, "description": self.description, "events": self.event_list,
                "state": self.state, "created_at": self.created_at, "failure_count": self.failure_count,
                "last_success_at": self.last_success_at, "disabled_at": self.disabled_at,
                "disabled_reason": self.disabled_reason}


class WebhookEvent(BaseModel):
    message_id = pw.CharField(max_length=64, unique=True)  # the webhook-id header
    organisation = pw.ForeignKeyField(Organisation, on_delete="CASCADE", index=True)
    petition_id = pw.IntegerField(null=True)
    event_type = pw.CharField(max_length=64)
    payload = pw.TextField()  # the exact body that is signed and sent
    created_at = pw.DateTimeField()


class WebhookDelivery(BaseModel):
    event = pw.ForeignKeyField(WebhookEvent, backref="deliveries", on_delete="CASCADE")
    endpoint = pw.ForeignKeyField(WebhookEndpoint, backref="deliveries", on_delete="CASCADE", index=True)
    status = pw.CharField(max_length=12, default="pending")  # pending sending delivered failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField()
    claimed_at = pw.DateTimeField(null=True)
    delivered_at = pw.DateTimeField(null=True)
    last_status_code = pw.IntegerField(null=True)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField()

    class Meta:
        indexes = ((("event", "endpoint"), True), (("status", "next_attempt_at"), False))


class WebhookAttempt(BaseModel):
    """The delivery log shown in the workspace: one row per HTTP attempt."""
    delivery = pw.ForeignKeyField(WebhookDelivery, backref="attempt_log", on_delete="CASCADE", index=True)
    attempted_at = pw.DateTimeField()
    status_code = pw.IntegerField(null=True)
    error = pw.TextField(null=True)
    duration_ms = pw.IntegerField(default=0)


WEBHOOK_MODELS = [WebhookEndpoint, WebhookEvent, WebhookDelivery, WebhookAttempt]


# ---- the signature (Standard Webhooks) ---------------------------------------------------------------

def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def sign(secret, message_id, timestamp, body: bytes) -> str:
    """The webhook-signature header value: "v1,<base64 HMAC-SHA256 of 'id.timestamp.body'>"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{int(timestamp)}.".encode("utf-8") + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")


# ---- addresses ---------------------------------------------------------------------------------------

class UnsafeAddress(Exception):
    pass


def allow_http():
    return config.current().webhooks_allow_http


def check_url(url):
    """The endpoint URL, cleaned; InvalidInput saying what to fix otherwise."""
    url = (url or "").strip() if isinstance(url, str) else None
    if not url:
        raise InvalidInput({"url": N_("Give the address (URL) that should receive the events.")})
    if len(url) > URL_MAX:
        raise InvalidInput({"url": f"Use an address of at most {URL_MAX} characters."})
    if any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidInput({"url": "The address must not contain spaces or control characters."})
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http() else ("https",)
    if parts.scheme not in schemes:
        raise InvalidInput({"url": "Use an https:// address." if not allow_http()
                            else "Use an https:// or http:// address."})
    try:
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number in range)
    except ValueError:
        raise InvalidInput({"url": "The port in the address is not a number between 1 and 65535."}) from None
    if not host:
        raise InvalidInput({"url": "The address has no host name."})
    if parts.username or parts.password:
        raise InvalidInput({"url": "Leave user names and passwords out of the address."})
    if parts.fragment:
        raise InvalidInput({"url": "Leave the #fragment out of the address."})
    if not allow_http():
        try:
            _check_ip(ipaddress.ip_address(host))
        except ValueError:
            if host.lower() == "localhost" or host.lower().endswith((".localhost", ".local", ".internal")):
                raise InvalidInput({"url": "Use a public address, not a local one."}) from None
        except UnsafeAddress as error:
            raise InvalidInput({"url": str(error)}) from None
    return url


def _check_ip(address):
    mapped = getattr(address, "ipv4_mapped", None)
    if not address.is_global or address.is_multicast or (mapped is not None and not mapped.is_global):
        raise UnsafeAddress(f"{address} is a private, loopback or reserved address; use a public one.")


def resolve(host, port):
    """The addresses to connect to, each checked (unless PORTAL_WEBHOOKS_ALLOW_HTTP=true)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise UnsafeAddress(f"cannot resolve the host name: {error.strerror or error}") from None
    addresses = []
    for info in infos:
        address = info[4][0]
        if not allow_http():
            _check_ip(ipaddress.ip_address(address.split("%")[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url, body: bytes, headers: dict, timeout=TIMEOUT_SECONDS):
    """POST to the checked address; returns the status code (redirects are not followed)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = resolve(parts.hostname, port)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kind = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    last_error = None
    for address in addresses:
        connection = kind(parts.hostname, port, address, timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(64 * 1024)
            return response.status
        except (OSError, http.client.HTTPException) as error:
            last_error = error
        finally:
            connection.close()
    raise last_error or OSError("no address to connect to")


# ---- subscriptions -----------------------------------------------------------------------------------

def parse_events(events):
    """A list of event types from a list or a comma separated text; InvalidInput names unknown ones."""
    if isinstance(events, str):
        events = events.split(",")
    if not isinstance(events, (list, tuple)) or not all(isinstance(e, str) for e in events):
        raise InvalidInput({"events": "Give the events as a list of names."})
    chosen = [e.strip() for e in events if e.strip()]
    unknown = [e for e in chosen if e not in EVENTS]
    if unknown or not chosen:
        raise InvalidInput({"events": f"Choose one or more of: {', '.join(EVENTS)}"
                                      + (f" ({', '.join(u[:40] for u in unknown[:3])} is not one)." if unknown
                                         else ".")})
    return [e for e in EVENTS if e in chosen]


def may_manage(actor, organisation) -> bool:
    """Managers of the organisation, site admins, the command line, and the organisation's update keys."""
    if actor.kind == "system":
        return True
    if actor.kind == "api_key":
        key = actor.api_key
        return key is not None and key.can_update(organisation.id)
    user = actor.user
    return user is not None and (user.is_admin or user.is_member_of(organisation.id, roles=("manager",)))


def _require_manager(actor, organisation):
    from models.errors import NotAllowed

    if not may_manage(actor, organisation):
        raise NotAllowed(f"Only managers of {organisation.name} (or its keys with the update scope) may "
                         "manage its webhooks.")


def create_endpoint(organisation, actor, url, events, description=""):
    """Subscribe an endpoint. Returns (endpoint, secret); the secret is shown only now."""
    _require_manager(actor, organisation)
    errors = {}
    try:
        url = check_url(url)
    except InvalidInput as error:
        errors.update(error.fields)
    try:
        events = parse_events(events)
    except InvalidInput as error:
        errors.update(error.fields)
    description = (description or "").strip() if isinstance(description, str) else ""
    if len(description) > 255:
        errors["description"] = "Use at most 255 characters."
    if errors:
        raise InvalidInput(errors)
    secret = new_secret()
    endpoint = WebhookEndpoint.create(organisation=organisation, url=url, description=description, secret=secret,
                                      events=",".join(events), created_by=actor.label[:255],
                                      owner_user=actor.user.id if actor.user is not None else None,
                                      created_at=clock.now())
    return endpoint, secret


def endpoints_of(organisation):
    return (WebhookEndpoint.select().where((WebhookEndpoint.organisation == organisation)
                                           & WebhookEndpoint.deleted_at.is_null())
            .order_by(WebhookEndpoint.id))


def get_endpoint(endpoint_id, organisation=None):
    try:
        number = int(str(endpoint_id))
    except ValueError:
        number = None
    query = WebhookEndpoint.select().where((WebhookEndpoint.id == number) & WebhookEndpoint.deleted_at.is_null())
    if organisation is not None:
        query = query.where(WebhookEndpoint.organisation == organisation)
    endpoint = query.first() if number is not None and 0 < number < 2 ** 31 else None
    if endpoint is None:
        raise NotFound(f"There is no webhook endpoint {str(endpoint_id)[:20]!r}.")
    return endpoint


def delete_endpoint(endpoint, actor):
    """Unsubscribe: nothing more is sent to it; its delivery log stays for the record."""
    _require_manager(actor, endpoint.organisation)
    with db.atomic():
        WebhookEndpoint.update(deleted_at=clock.now()).where(WebhookEndpoint.id == endpoint.id).execute()
        (WebhookDelivery.update(status="failed", last_error="endpoint deleted")
         .where((WebhookDelivery.endpoint == endpoint.id) & (WebhookDelivery.status == "pending")).execute())


def enable_endpoint(endpoint, actor):
    """Turn a disabled endpoint back on; what waited for it is sent again."""
    _require_manager(actor, endpoint.organisation)
    (WebhookEndpoint.update(disabled_at=None, disabled_reason=None, failure_count=0)
     .where(WebhookEndpoint.id == endpoint.id).execute())


def deliveries_of(endpoint, limit=100):
    return (WebhookDelivery.select(WebhookDelivery, WebhookEvent).join(WebhookEvent)
            .where(WebhookDelivery.endpoint == endpoint).order_by(WebhookDelivery.id.desc()).limit(limit))


def attempts_of(delivery_ids):
    rows = {}
    for attempt in (WebhookAttempt.select().where(WebhookAttempt.delivery.in_(list(delivery_ids)))
                    .order_by(WebhookAttempt.id)):
        rows.setdefault(attempt.delivery_id, []).append(attempt)
    return rows


# ---- events ------------------------------------------------------------------------------------------

def petition_data(petition):
    """What an event says about a petition: ids, status, dates and links; nobody's personal data."""
    base = config.current().base_url
    organisation = Organisation.get_by_id(petition.organisation_id)
    return {
        "id": petition.id, "slug": petition.slug, "title": petition.title, "status": petition.status,
        "signature_count": petition.signature_count,
        "organisation": {"id": organisation.id, "slug": organisation.slug, "name": organisation.name},
        "closes_at": _iso(petition.closes_at), "date_projected": _iso(petition.date_projected),
        "answer_due_date": _iso(petition.answer_due_date), "reference_field": petition.reference_field,
        "links": {"html": f"{base}/petitions/{petition.slug}", "api": f"{base}/api/v1/petitions/{petition.id}",
                  "open_data": f"{base}/petitions/{petition.slug}.json"},
    }


def _iso(value):
    return value.isoformat() if value is not None else None


def emit(event_type, organisation_id, data, petition_id=None):
    """Queue an event for every active endpoint of the organisation subscribed to it. Call inside the
    transaction of the change it announces. Returns the event, or None when nobody listens."""
    assert event_type in EVENTS, event_type
    endpoints = [e for e in WebhookEndpoint.select().where(
        (WebhookEndpoint.organisation == organisation_id) & WebhookEndpoint.deleted_at.is_null())
        if event_type in e.event_list]
    if not endpoints:
        return None
    now = clock.now()
    message_id = "msg_" + secrets.token_urlsafe(18)
    body = json.dumps({"type": event_type, "timestamp": now.replace(tzinfo=dt.timezone.utc).isoformat(),
                       "data": data}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    event = WebhookEvent.create(message_id=message_id, organisation=organisation_id, petition_id=petition_id,
                                event_type=event_type, payload=body, created_at=now)
    due = min(now, clock.wall_now())
    for endpoint in endpoints:
        WebhookDelivery.create(event=event, endpoint=endpoint, next_attempt_at=due, created_at=now)
    return event


def petition_event(event_type, petition, **extra):
    data = petition_data(petition)
    data.update(extra)
    return emit(event_type, petition.organisation_id, data, petition_id=petition.id)


def status_changed(petition, old, new, actor, reopening=False):
    """The events of one status move (called by transition())."""
    extra = {"previous_status": old, "changed_by": actor.kind, "channel": actor.channel}
    petition_event("petition.status_changed", petition, **extra)
    if new == "live" and not reopening:
        petition_event("petition.published", petition, **extra)
    if new == "to_process":
        petition_event("petition.closed", petition, **extra)


def response_published(response, petitions):
    base = config.current().base_url
    organisation = Organisation.get_by_id(response.organisation_id)
    data = {"id": response.id, "title": response.title,
            "published_at": _iso(response.published_at),
            "organisation": {"id": organisation.id, "slug": organisation.slug, "name": organisation.name},
            "petitions": [{"id": p.id, "slug": p.slug, "title": p.title,
                           "links": {"html": f"{base}/petitions/{p.slug}"}} for p in petitions],
            "links": {"html": f"{base}/responses/{response.id}"}}
    return emit("response.published", response.organisation_id, data)


# ---- delivery ----------------------------------------------------------------------------------------

def backoff(attempts: int) -> dt.timedelta:
    """After the 1st failure 1 minute, then 5, 30 minutes, 2, 5, 10, 14 hours (as in the specification)."""
    steps = [1, 5, 30, 120, 300, 600, 840]
    return dt.timedelta(minutes=steps[min(max(attempts, 1), len(steps)) - 1])


def _due(batch_size):
    """Ids of deliveries due now to active endpoints (a claim left by a crashed job is offered again)."""
    now = clock.now()
    (WebhookDelivery.update(status="pending")
     .where((WebhookDelivery.status == "sending") & (WebhookDelivery.claimed_at < now - STALE_SENDING)).execute())
    return [row.id for row in WebhookDelivery.select(WebhookDelivery.id).join(WebhookEndpoint)
            .where((WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= now)
                   & WebhookEndpoint.disabled_at.is_null() & WebhookEndpoint.deleted_at.is_null())
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(batch_size)]


def _claim(delivery_id):
    """Take one delivery (pending -> sending) just before sending it; False when another job took it."""
    return bool(WebhookDelivery.update(status="sending", claimed_at=clock.now())
                .where((WebhookDelivery.id == delivery_id) & (WebhookDelivery.status == "pending")).execute())


def headers_for(event, secret, timestamp=None):
    timestamp = int(timestamp if timestamp is not None else
                    clock.wall_now().replace(tzinfo=dt.timezone.utc).timestamp())
    body = event.payload.encode("utf-8")
    return body, {"webhook-id": event.message_id, "webhook-timestamp": str(timestamp),
                  "webhook-signature": sign(secret, event.message_id, timestamp, body),
                  "Content-Type": "application/json", "User-Agent": USER_AGENT}


def deliver_pending(batch_size=100, disable_after=10):
    """Send what is due. Returns counts: delivered, retry, failed, disabled. Needs a connection."""
    from models.jobs import heartbeat

    counts = {"delivered": 0, "retry": 0, "failed": 0, "disabled": 0}
    failing = set()  # endpoints that failed in this run: the rest of their deliveries wait for the next
    for delivery_id in _due(batch_size):
        delivery = (WebhookDelivery.select(WebhookDelivery, WebhookEvent, WebhookEndpoint)
                    .join(WebhookEvent).switch(WebhookDelivery).join(WebhookEndpoint)
                    .where(WebhookDelivery.id == delivery_id).first())
        endpoint = delivery.endpoint
        if (endpoint.id in failing or endpoint.disabled_at or endpoint.deleted_at or delivery.status != "pending"
                or not _claim(delivery_id)):
            continue
        heartbeat()  # a slow endpoint must not let this job's lease run out
        body, headers = headers_for(delivery.event, endpoint.secret)
        started = time.monotonic()
        code, error = None, None
        try:
            try:
                check_url(endpoint.url)
            except InvalidInput as refusal:
                raise UnsafeAddress("; ".join(refusal.fields.values())) from None
            code = post(endpoint.url, body, headers)
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except UnsafeAddress as refusal:
            error = f"refused: {refusal}"
        except (OSError, http.client.HTTPException) as failure:
            error = f"{type(failure).__name__}: {failure}"[:500]
        duration = int((time.monotonic() - started) * 1000)
        now = clock.now()
        with db.atomic():
            WebhookAttempt.create(delivery=delivery.id, attempted_at=now, status_code=code, error=error,
                                  duration_ms=duration)
            attempts = delivery.attempts + 1
            if error is None:
                _update(delivery, status="delivered", delivered_at=now, attempts=attempts, last_status_code=code,
                        last_error=None)
                (WebhookEndpoint.update(failure_count=0, last_success_at=now)
                 .where(WebhookEndpoint.id == endpoint.id).execute())
                counts["delivered"] += 1
            else:
                if attempts >= MAX_ATTEMPTS:
                    _update(delivery, status="failed", attempts=attempts, last_status_code=code,
                            last_error=f"gave up after {attempts} attempts: {error}"[:1000])
                    counts["failed"] += 1
                else:
                    _update(delivery, status="pending", attempts=attempts, last_status_code=code,
                            last_error=error[:1000], next_attempt_at=now + backoff(attempts))
                    counts["retry"] += 1
                (WebhookEndpoint.update(failure_count=WebhookEndpoint.failure_count + 1)
                 .where(WebhookEndpoint.id == endpoint.id).execute())
                failing.add(endpoint.id)
                if _disable_if_failing(endpoint.id, disable_after, error):
                    counts["disabled"] += 1
        log.info("webhook %s to endpoint %s: %s", delivery.event.message_id, endpoint.id,
                 "delivered" if error is None else error[:200])
    return counts


def _update(delivery, **values):
    WebhookDelivery.update(**values).where(WebhookDelivery.id == delivery.id).execute()


def _disable_if_failing(endpoint_id, disable_after, error):
    reason = f"disabled after {disable_after} failed attempts in a row; the last: {error}"[:1000]
    disabled = (WebhookEndpoint.update(disabled_at=clock.now(), disabled_reason=reason)
                .where((WebhookEndpoint.id == endpoint_id) & WebhookEndpoint.disabled_at.is_null()
                       & (WebhookEndpoint.failure_count >= disable_after)).execute())
    if disabled:
        endpoint = WebhookEndpoint.get_by_id(endpoint_id)
        for address in owners(endpoint):
            mail.enqueue(address, "webhook_disabled", endpoint=endpoint, organisation=endpoint.organisation,
                         dedupe_key=f"webhook-disabled:{endpoint.id}:{endpoint.disabled_at.isoformat()}:{address}"[:191])
        log.warning("webhook endpoint %s disabled after %s failures", endpoint_id, disable_after)
    return bool(disabled)


def owners(endpoint):
    """Who hears that an endpoint was disabled: whoever subscribed it, else the organisation's managers
    (else its contact address)."""
    if endpoint.owner_user_id:
        owner = User.get_or_none(User.id == endpoint.owner_user_id)
        if owner is not None:
            return [owner.email]
    managers = sorted(m.user.email for m in Membership.select(Membership, User).join(User)
                      .where((Membership.organisation == endpoint.organisation_id) & (Membership.role == "manager")))
    if managers:
        return managers
    contact = endpoint.organisation.contact_email
    return [contact] if contact else []


def purge_finished(before, batch_size=1000):
    """Delete events created before `before` whose deliveries are all finished (delivered or failed),
    with their deliveries and attempt log (the database cascades). Returns how many events went."""
    unfinished = (WebhookDelivery.select(WebhookDelivery.event)
                  .where(WebhookDelivery.status.in_(["pending", "sending"])))
    deleted = 0
    while True:
        ids = [row.id for row in WebhookEvent.select(WebhookEvent.id)
               .where((WebhookEvent.created_at < before) & WebhookEvent.id.not_in(unfinished)).limit(batch_size)]
        if not ids:
            return deleted
        with db.atomic():
            WebhookAttempt.delete().where(WebhookAttempt.delivery.in_(
                WebhookDelivery.select(WebhookDelivery.id).where(WebhookDelivery.event.in_(ids)))).execute()
            WebhookDelivery.delete().where(WebhookDelivery.event.in_(ids)).execute()
            deleted += WebhookEvent.delete().where(WebhookEvent.id.in_(ids)).execute()
