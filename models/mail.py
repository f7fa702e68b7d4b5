"""The mail outbox: domain functions enqueue in their own transaction; delivery sends and marks.

A message is claimed (pending -> sending) by one deliverer before it is sent and marked sent right
after, so two deliverers never send the same row. The file transport names each .eml after the
message id, so a repeat writes the same file rather than a second one.
"""
import datetime as dt
import email.utils
import json
import logging
import os
import smtplib
import socket
from email.message import EmailMessage
from pathlib import Path

import peewee as pw
import tornado.template

from models import clock, config
from models.db import BaseModel, db
from models.sanitize import without_addresses

log = logging.getLogger("portal.mail")
TEMPLATES = tornado.template.Loader(str(Path(__file__).resolve().parent.parent / "templates" / "mail"),
                                    autoescape=None)
MAX_ATTEMPTS = 8
STALE_SENDING = dt.timedelta(minutes=15)


class OutboxMessage(BaseModel):
    to_address = pw.CharField(max_length=255)
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    kind = pw.CharField(max_length=48, index=True)  # template name: confirm_signature, status_changed...
    # the recipient's: subject and body are in it
    language = pw.CharField(max_length=16, default="en", constraints=[pw.SQL("DEFAULT 'en'")])
    # Optional key that makes enqueueing idempotent (e.g. "response-notice:12:3456").
    dedupe_key = pw.CharField(max_length=191, null=True, unique=True)
    status = pw.CharField(max_length=12, default="pending", index=True)  # pending sending sent failed
    attempts = pw.IntegerField(default=0)
    next_attempt_at = pw.DateTimeField(index=True)
    last_error = pw.TextField(null=True)
    created_at = pw.DateTimeField()
    claimed_at = pw.DateTimeField(null=True)
    sent_at = pw.DateTimeField(null=True)
    # Mail queued with enqueue_params(): the template's parameters (JSON), rendered at delivery;
    # subject and body stay empty until then.
    params = pw.TextField(null=True)


# The mail_retention job deletes delivered mail by the time it was sent (migration 0006).
OutboxMessage.add_index(OutboxMessage.status, OutboxMessage.sent_at, name="outboxmessage_status_sent_at")


def render(template, language=None, **context):
    """Render templates/mail/<template>.txt in `language` (the recipient's); its first line is
    'Subject: ...' (the word Subject is not translated, what follows is)."""
    from models import i18n

    locale = i18n.get_locale(i18n.normalise(language) or i18n.default_language())
    context.setdefault("base_url", config.current().base_url)
    context.update(i18n.labels())
    context.update(i18n.template_helpers(locale), _=locale.translate, locale=locale)
    text = TEMPLATES.load(f"{template}.txt").generate(**context).decode("utf-8")
    first, _, body = text.lstrip().partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"mail template {template} must start with 'Subject:'")
    return first[len("Subject:"):].strip(), body.strip() + "\n"


def enqueue(to_address, template, dedupe_key=None, language=None, **context):
    """Queue one mail in the recipient's `language` (a signature's, an account's, an organisation's:
    see language_of). Call inside the transaction of the change it announces."""
    from models import i18n

    language = i18n.normalise(language) or i18n.default_language()
    subject, body = render(template, language=language, **context)
    now = clock.now()
    # Mail queued by a job running "as if it were" a later time (`jobs run --now`) is due now.
    due = min(now, clock.wall_now())
    if dedupe_key is not None:
        query = (OutboxMessage.insert(to_address=to_address, subject=subject[:255], body=body, kind=template,
                                      language=language, dedupe_key=dedupe_key, next_attempt_at=due,
                                      created_at=now)
                 .on_conflict_ignore())
        return query.execute()
    return OutboxMessage.create(to_address=to_address, subject=subject[:255], body=body, kind=template,
                                language=language, next_attempt_at=due, created_at=now)


def language_of(recipient):
    """The language mail to this recipient is written in: a signature's (the page signed on), an
    account's preference, an organisation's setting; the default language otherwise."""
    from models import i18n

    return i18n.normalise(getattr(recipient, "language", None)) or i18n.default_language()


# template -> function(params) returning render()'s context; registered by the module that
# queues that mail (e.g. models/signature.py for confirm_signature).
_CONTEXTS = {}


def context_for(template):
    """Register the function that turns a queued mail's parameters into its template's context."""
    def register(function):
        _CONTEXTS[template] = function
        return function
    return register


def params_row(to_address, template, params, dedupe_key=None, language=None):
    """The outbox row of a mail rendered at delivery (enqueue_params; the intake writer inserts
    many at once). `params` is JSON-able: ids and tokens; `language` is the recipient's (see
    language_of), stored on the row and used when the mail is rendered at delivery."""
    from models import i18n

    now = clock.now()
    return {"to_address": to_address, "subject": "", "body": "", "kind": template,
            "language": i18n.normalise(language) or i18n.default_language(), "dedupe_key": dedupe_key,
            # the public address of the process that queued it: links point there whoever delivers
            "params": json.dumps({**params, "_base_url": config.current().base_url}, separators=(",", ":")),
            "next_attempt_at": min(now, clock.wall_now()),
            "created_at": now}


def enqueue_params(to_address, template, params, dedupe_key=None, language=None):
    """Queue one mail to be rendered when it is delivered, in the recipient's `language`, from its
    template and `params` (no rendering inside the request). Call inside the transaction of the
    change it announces."""
    return OutboxMessage.insert(**params_row(to_address, template, params, dedupe_key, language)).execute()


class MailObsolete(Exception):
    """What a queued mail was about is gone (e.g. the signature was deleted): it is not sent."""


def content(message):
    """(subject, body) of an outbox row: stored, or rendered now from its template and parameters."""
    if message.params is None:
        return message.subject, message.body
    loader = _CONTEXTS.get(message.kind)
    if loader is None:
        raise MailObsolete(f"no parameters loader for {message.kind}")
    params = json.loads(message.params)
    context = dict(loader(params))
    if params.get("_base_url"):
        context.setdefault("base_url", params["_base_url"])
    # the row's language is the recipient's (params_row); a loader may not override it
    context.pop("language", None)
    return render(message.kind, language=message.language, **context)


class PermanentFailure(Exception):
    pass


def build_message(message: OutboxMessage, settings) -> EmailMessage:
    subject, body = content(message)
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to_address
    mail["Subject"] = subject[:255]
    mail["Date"] = email.utils.format_datetime(message.created_at.replace(tzinfo=dt.timezone.utc))
    # Stable per outbox row, so a receiving system can recognise a repeat.
    domain = settings.base_url.split("//")[-1].split("/")[0].split(":")[0] or "portal.localhost"
    mail["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(body)
    mail["Content-Language"] = message.language or "en"  # after set_content, which resets Content-* headers
    return mail


class FileTransport:
    def __init__(self, settings):
        self.directory = settings.mail_dir
        self.directory.mkdir(parents=True, exist_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send(self, mail: EmailMessage, message: OutboxMessage):
        stamp = message.created_at.strftime("%Y%m%d-%H%M%S")
        path = self.directory / f"{stamp}-{message.id:08d}-{message.kind}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(bytes(mail))
        os.replace(temporary, path)


class SmtpTransport:
    """One SMTP connection for a whole batch."""

    def __init__(self, settings):
        self.settings = settings
        self.connection = None

    def __enter__(self):
        s = self.settings
        self.connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
        if s.smtp_starttls:
            self.connection.starttls()
        if s.smtp_user:
            self.connection.login(s.smtp_user, s.smtp_password)
        return self

    def __exit__(self, *exc):
        try:
            self.connection.quit()
        except (smtplib.SMTPException, OSError):
            pass
        return False

    def send(self, mail: EmailMessage, message: OutboxMessage):
        try:
            self.connection.send_message(mail)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"recipient refused: {codes[0]}") from error
            raise
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise PermanentFailure(f"{error.smtp_code} {error.smtp_error!r}") from error
            raise


def transport_for(settings):
    if settings.mail_transport == "smtp":
        return SmtpTransport(settings)
    if settings.mail_transport == "file":
        return FileTransport(settings)
    raise ValueError("PORTAL_MAIL_TRANSPORT must be 'file' or 'smtp'")


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 ... minutes, capped at 6 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _claim(batch_size):
    now = clock.now()
    # Rows left in 'sending' by a process that died are offered again after a while.
    (OutboxMessage.update(status="pending")
     .where((OutboxMessage.status == "sending") & (OutboxMessage.claimed_at < now - STALE_SENDING))
     .execute())
    candidates = list(OutboxMessage.select(OutboxMessage.id)
                      .where((OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now))
                      .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(batch_size))
    claimed = []
    for row in candidates:
        taken = (OutboxMessage.update(status="sending", claimed_at=now)
                 .where((OutboxMessage.id == row.id) & (OutboxMessage.status == "pending")).execute())
        if taken:
            claimed.append(row.id)
    return claimed


def deliver_pending(batch_size=200, settings=None):
    """Send what is due. Returns a dict of counts: sent, retry, failed."""
    settings = settings or config.current()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    with db.connection_context():
        ids = _claim(batch_size)
        if not ids:
            return counts
        messages = list(OutboxMessage.select().where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id))
        try:
            transport = transport_for(settings).__enter__()
        except (OSError, smtplib.SMTPException) as error:
            log.warning("mail transport unavailable: %s", without_addresses(error))
            for message in messages:
                _retry(message, f"transport unavailable: {error}")
                counts["retry"] += 1
            return counts
        try:
            for message in messages:
                try:
                    transport.send(build_message(message, settings), message)
                except MailObsolete as error:
                    _mark(message, status="failed", last_error=f"not sent: {error}"[:1000])
                    counts["failed"] += 1
                except PermanentFailure as error:
                    _mark(message, status="failed", last_error=str(error)[:1000])
                    counts["failed"] += 1
                    # an SMTP server's reply may quote the recipient's address
                    log.warning("mail %s failed permanently: %s", message.id, without_addresses(error))
                except (OSError, smtplib.SMTPException, socket.timeout) as error:
                    _retry(message, str(error))
                    counts["retry"] += 1
                else:
                    _mark(message, status="sent", sent_at=clock.now(), attempts=message.attempts + 1,
                          last_error=None)
                    counts["sent"] += 1
        finally:
            transport.__exit__(None, None, None)
    if any(counts.values()):
        log.info("mail delivery: %(sent)s sent, %(retry)s to retry, %(failed)s failed", counts)
    return counts


def _mark(message, **values):
    OutboxMessage.update(**values).where(OutboxMessage.id == message.id).execute()


def _retry(message, error):
    attempts = message.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        _mark(message, status="failed", attempts=attempts, last_error=f"gave up after {attempts} tries: {error}"[:1000])
    else:
        _mark(message, status="pending", attempts=attempts, last_error=str(error)[:1000],
              next_attempt_at=clock.now() + backoff(attempts))


def purge_delivered(sent_before, failed_before, batch_size=1000):
    """Delete mail delivered before `sent_before` and mail that failed for good before
    `failed_before` (they hold addresses and texts we need no longer). Returns how many went.

    Dedupe keys go with them, which is safe: what they guarded (a response's notices, a
    reminder) is recorded elsewhere as done by then."""
    deleted = 0
    for status, stamp, cutoff in (("sent", OutboxMessage.sent_at, sent_before),
                                  ("failed", OutboxMessage.created_at, failed_before)):
        while True:
            ids = [row.id for row in OutboxMessage.select(OutboxMessage.id)
                   .where((OutboxMessage.status == status) & (stamp < cutoff)).limit(batch_size)]
            if not ids:
                break
            deleted += OutboxMessage.delete().where(OutboxMessage.id.in_(ids)).execute()
    return deleted
