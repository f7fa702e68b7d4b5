"""Signatures: one domain function to submit (every channel) and one to confirm (the mailed link).

One signature per email per petition is a database constraint; a duplicate is detected by the
constraint, not by a check-then-insert. Counts show confirmed signatures only.
"""
import collections
import datetime as dt
import functools
import re
from dataclasses import dataclass

import peewee as pw

from models import clock, config, i18n, mail, metrics, milestones
from models.apikey import ApiKey
from models.db import BaseModel, db, insert_rows
from models.errors import DomainError, InvalidInput, NotFound, NotSignable
from models.i18n import N_
from models.petition import STATUS_LABELS, Petition
from models.sanitize import check_single_line
from models.user import normalise_email, valid_email
from models.tokens import hash_token, token_urlsafe

# petitions.eu: "at least an initial and a name"
NAME_RE = re.compile(r"\A.+( |\.).+\Z", re.S)
SOURCES = ("web", "api_v1", "api_forbrukermakt", "wtp", "osdi", "demo")
CONFIRM_GRACE_AFTER_CLOSING = dt.timedelta(hours=24)
TOKEN_LIFETIME = dt.timedelta(days=30)
COMMENT_MAX = 1000


class Signature(BaseModel):
    petition = pw.ForeignKeyField(Petition, backref="signatures", on_delete="CASCADE")
    full_name = pw.CharField(max_length=255)
    email = pw.CharField(max_length=255)  # normalised (trimmed, lower case)
    city = pw.CharField(max_length=255, null=True)
    postal_code = pw.CharField(max_length=32, null=True)
    state = pw.CharField(max_length=64, null=True)
    country = pw.CharField(max_length=64, null=True)
    show_name = pw.BooleanField(default=False)
    comment = pw.TextField(null=True)
    wants_notice = pw.BooleanField(default=False)  # tell me when the petition is answered
    created_at = pw.DateTimeField(index=True)
    confirmed_at = pw.DateTimeField(null=True, index=True)
    token_hash = pw.CharField(max_length=64, null=True, unique=True)
    token_created_at = pw.DateTimeField(null=True)
    source = pw.CharField(max_length=24, default="web")
    api_key = pw.ForeignKeyField(ApiKey, null=True, backref="signatures", on_delete="SET NULL")
    origin = pw.CharField(max_length=255, null=True)
    reminder_sent_at = pw.DateTimeField(null=True)
    resend_count = pw.IntegerField(default=0, constraints=[pw.SQL("DEFAULT 0")])  # confirmation mails sent again on request
    anonymised_at = pw.DateTimeField(null=True)  # the retention job replaced name, email and place
    # of the page signed on: the signer's mails are in it
    language = pw.CharField(max_length=16, default="en", constraints=[pw.SQL("DEFAULT 'en'")])

    class Meta:
        indexes = (
            (("petition", "email"), True),
            (("petition", "confirmed_at"), False),
        )

    @property
    def public_name(self):
        return self.full_name if self.show_name else None

    @property
    def initials(self):
        return "".join(part[0].upper() + "." for part in self.full_name.split() if part)[:16]


# Response notices walk one petition's signers in id order (migration 0004).
Signature.add_index(Signature.petition, Signature.id, name="signature_petition_walk")


def _new_token():
    token = token_urlsafe(24)
    return token, hash_token(token)


def confirm_url(token, base_url=None):
    return f"{base_url or config.current().base_url}/signatures/confirm/{token}"


def withdraw_url(signature, base_url=None):
    """The link in every confirmation mail that withdraws the signature (models/privacy.py)."""
    from models import privacy

    return privacy.withdraw_url(signature, base_url)


@dataclass
class SubmitResult:
    signature: Signature
    created: bool  # False: this email had signed the petition already


LABELS = {  # (as a sentence starts, within a sentence)
    "full_name": (N_("Your full name"), N_("your full name")),
    "email": (N_("Your email address"), N_("your email address")),
    "city": (N_("The city"), N_("the city")),
    "comment": (N_("The comment"), N_("the comment")),
    "postal_code": (N_("The postal code"), N_("the postal code")),
    "state": (N_("The state"), N_("the state")),
    "country": (N_("The country"), N_("the country")),
}


def _clean(value, limit, field, errors, required=False, label=None):
    if value is None and not required:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value and len(value) <= limit:  # the usual case, without building a message
            return value
    start, within = LABELS.get(field, (field.capitalize(), field))
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = N_("Give %(field)s as text.", field=within)
        return None
    if required and not value:
        errors[field] = N_("%(field)s is required.", field=start)
    elif len(value) > limit:
        errors[field] = N_("Use at most %(limit)s characters for %(field)s.", limit=limit, field=within)
    return value or None


def validate(full_name, email, city=None, comment=None, postal_code=None, state=None, country=None):
    """Check a signer's fields; raise InvalidInput naming each wrong one. Returns the cleaned values."""
    fields = (full_name, email, city, comment, postal_code, state, country)
    if all(value is None or type(value) is str for value in fields):
        # a channel checks its body with this (to answer in its own field names) and prepare()
        # checks again: the second time is a lookup (errors raise, and are not kept)
        return dict(_validated(*fields))
    return _validated.__wrapped__(*fields)


@functools.lru_cache(maxsize=256)
def _validated(full_name, email, city, comment, postal_code, state, country):
    errors = {}
    full_name = _clean(full_name, 255, "full_name", errors, required=True, label="your full name")
    if full_name and "full_name" not in errors and not NAME_RE.match(full_name):
        errors["full_name"] = N_("Give at least an initial and a surname, like 'J. Smith' or 'Jane Smith'.")
    email_raw = _clean(email, 255, "email", errors, required=True, label="your email address")
    email = normalise_email(email_raw or "")
    if email and "email" not in errors and not valid_email(email):
        errors["email"] = N_("Give a valid email address, like name@example.org.")
    values = {
        "full_name": full_name, "email": email,
        "city": _clean(city, 255, "city", errors, label="the city"),
        "comment": _clean(comment, COMMENT_MAX, "comment", errors, label="the comment"),
        "postal_code": _clean(postal_code, 32, "postal_code", errors, label="the postal code"),
        "state": _clean(state, 64, "state", errors, label="the state"),
        "country": _clean(country, 64, "country", errors, label="the country"),
    }
    check_single_line(errors, **{name: values[name] for name in ("full_name", "email", "city", "postal_code", "state",
                                                                 "country")})
    if errors:
        raise InvalidInput(errors)
    return values


def check_signable(petition):
    if not petition.is_signable:
        if petition.status == "live":
            raise NotSignable(N_("This petition has passed its closing date and no longer takes signatures."))
        raise NotSignable(N_("This petition is not open for signatures; its status is: %(status)s.",
                             status=STATUS_LABELS.get(petition.status, petition.status)))


def prepare(petition, *, full_name, email, city=None, show_name=False, comment=None, wants_notice=False,
            postal_code=None, state=None, country=None, source="web", api_key=None, origin=None,
            notify_duplicate=True, after_insert=None, language=None):
    """Validate a submission and build what store() writes; raises InvalidInput or NotSignable.

    `language` is that of the page signed on (API: the call's); the signature's mails are in it.

    `after_insert(signature)`, when given, runs in the same transaction right after a new
    signature is inserted (a channel's own records, e.g. OSDI identifiers)."""
    check_signable(petition)  # "not open for signatures" comes before "fields" (models/channels.py)
    values = validate(full_name, email, city=city, comment=comment, postal_code=postal_code,
                      state=state, country=country)
    # the signer's mails are in the language of the page signed on (API: the call's, else the petition's)
    language = i18n.normalise(language)
    signature_language = language or i18n.normalise(petition.language) or i18n.default_language()
    token, token_hash = _new_token()
    now = clock.now()
    row = dict(petition=petition.id, show_name=bool(show_name), wants_notice=bool(wants_notice), created_at=now,
               token_hash=token_hash, token_created_at=now, source=source,
               api_key=api_key.id if api_key is not None else None,
               origin=(origin or None) and origin[:255], language=signature_language, **values)
    return _Pending(row, token, petition, notify_duplicate, after_insert, language)


@dataclass
class _Pending:
    row: dict
    token: str
    petition: Petition
    notify_duplicate: bool
    after_insert: object = None
    language: str = None  # the submission's own (None: not given); row["language"] is the signature's


def _confirmation_params(signature_id, token):
    return {"signature": signature_id, "token": token}


@mail.context_for("confirm_signature")
def _confirmation_context(params):
    signature = Signature.get_or_none(Signature.id == params["signature"])
    if signature is None or signature.token_hash != hash_token(params["token"]):
        raise mail.MailObsolete("the signature is gone or has a newer link")
    base_url = params.get("_base_url")  # where the signer signed (models/mail.params_row)
    return {"petition": signature.petition, "signature": signature, "url": confirm_url(params["token"], base_url),
            "withdraw_url": withdraw_url(signature, base_url)}


def _insert(pending):
    signature = Signature.create(**pending.row)
    mail.enqueue_params(signature.email, "confirm_signature", _confirmation_params(signature.id, pending.token),
                        language=signature.language)
    if pending.after_insert is not None:
        pending.after_insert(signature)
    return SubmitResult(signature, True)


def _as_stored(model, row):
    """A model instance holding a row just inserted, as peewee builds one read from the database
    (its data set directly: Model(**row) sets each field through its descriptor, and marks it
    changed, which cost the intake writer a tenth of its time per row)."""
    instance = model(__no_default__=True)
    instance.__data__ = {**model._meta.get_default_dict(), **row}
    return instance


def store_batch(pendings):
    """Write new signatures and their confirmation mails in one transaction (the intake writer):
    one COPY (PostgreSQL) or multi-row INSERT per table. Any failure (a duplicate) raises, and the
    writer retries row by row with store()."""
    with db.atomic():
        inserted = insert_rows(Signature, [pending.row for pending in pendings], returning=("id", "token_hash"))
        ids = {token_hash: signature_id for signature_id, token_hash in inserted}
        signatures = [_as_stored(Signature, {**pending.row, "id": ids[pending.row["token_hash"]]}) for pending in pendings]
        insert_rows(mail.OutboxMessage, [
            mail.params_row(signature.email, "confirm_signature", _confirmation_params(signature.id, pending.token),
                            language=signature.language)
            for signature, pending in zip(signatures, pendings)])
        for signature, pending in zip(signatures, pendings):
            if pending.after_insert is not None:
                pending.after_insert(signature)
    for source, count in collections.Counter(pending.row["source"] for pending in pendings).items():
        metrics.signature_accepted(source, count)
    return [SubmitResult(signature, True) for signature in signatures]


def store(pending) -> SubmitResult:
    """Write one prepared submission in its own transaction; a duplicate email is not stored (see submit)."""
    try:
        with db.atomic():
            result = _insert(pending)
        metrics.signature_accepted(pending.row["source"])
        return result
    except pw.IntegrityError as error:
        refusal = error
    petition, values = pending.petition, pending.row
    existing = Signature.get_or_none((Signature.petition == petition.id) & (Signature.email == values["email"]))
    if existing is None:  # not a duplicate signature: another record refused a value
        raise refusal
    if pending.notify_duplicate:
        petition = Petition.get_by_id(petition.id)  # the whole row for the mail (the checks read a few columns)
        now = clock.now()
        # in the language of this submission's page if given, else the one first signed in
        language = pending.language or existing.language
        with db.atomic():
            if existing.confirmed_at is None:
                # Give a fresh link; the old one stops working.
                (Signature.update(token_hash=values["token_hash"], token_created_at=now)
                 .where(Signature.id == existing.id).execute())
                mail.enqueue_params(existing.email, "confirm_signature", _confirmation_params(existing.id, pending.token),
                                    language=language)
            else:
                mail.enqueue(existing.email, "already_signed", petition=petition, signature=existing,
                             withdraw_url=withdraw_url(existing), language=language)
    return SubmitResult(existing, False)


RESEND_MAX = 3  # confirmation mails sent again on request, per signature
RESEND_INTERVAL = dt.timedelta(minutes=5)  # at least this long after the last one


class TooManyResends(DomainError):
    status = 429


def resend(signature_id, petition):
    """Send the confirmation mail of an unconfirmed signature again, with a fresh link (the old one
    stops working): at most RESEND_MAX times, at least RESEND_INTERVAL apart. Returns the signature;
    raises TooManyResends (429) or NotSignable when the link could not work any more."""
    with db.atomic():
        signature = Signature.get_or_none((Signature.id == signature_id) & (Signature.petition == petition))
        if signature is None:
            raise NotFound(N_("We could not find your signature; sign the petition again."))
        if signature.confirmed_at is not None:
            return signature
        problem = confirmable(signature, petition)
        if problem:
            raise NotSignable(problem)
        now = clock.now()
        if signature.resend_count >= RESEND_MAX:
            raise TooManyResends(N_("The confirmation mail has been sent again %(count)s times already; look in "
                                    "your spam folder, or sign again later.", count=RESEND_MAX))
        if signature.token_created_at and now < signature.token_created_at + RESEND_INTERVAL:
            wait = signature.token_created_at + RESEND_INTERVAL - now
            raise TooManyResends(N_("The mail was sent less than %(minutes)s minutes ago; mails can take a few "
                                    "minutes. Try again in %(left)s minutes.",
                                    minutes=int(RESEND_INTERVAL.total_seconds() // 60),
                                    left=max(1, -(-int(wait.total_seconds()) // 60))))
        token, token_hash = _new_token()
        # Conditional on the count read: two simultaneous requests cannot both send.
        updated = (Signature.update(token_hash=token_hash, token_created_at=now,
                                    resend_count=Signature.resend_count + 1)
                   .where((Signature.id == signature.id) & (Signature.resend_count == signature.resend_count)
                          & Signature.confirmed_at.is_null()).execute())
        if not updated:
            raise TooManyResends(N_("The mail is being sent again already."))
        mail.enqueue_params(signature.email, "confirm_signature", _confirmation_params(signature.id, token),
                            language=signature.language)
    return Signature.get_by_id(signature.id)


def submit(petition, **fields) -> SubmitResult:
    """Store a signature and queue its confirmation mail, in the calling thread (jobs, demo data,
    the command line). Requests use submit_async(), which goes through the intake writer.

    A second signature with the same email is not stored: if notify_duplicate, the signer is mailed
    ("you have already signed", or a fresh confirmation link while unconfirmed).
    """
    return store(prepare(petition, **fields))


async def submit_async(petition, **fields) -> SubmitResult:
    """submit() for request handlers, every signing channel: validates and checks the petition
    here, then hands the row to this process's intake writer (group commit, models/intake.py) and
    waits for its transaction to commit, holding no database connection meanwhile."""
    from models import intake

    pending = prepare(petition, **fields)
    return await intake.writer("signatures", store_batch, store).submit(pending)


@dataclass
class ConfirmResult:
    signature: Signature
    petition: Petition
    newly_confirmed: bool


class LinkExpired(DomainError):
    status = 410


def find_by_token(token):
    """The signature behind a confirmation link, or NotFound / LinkExpired."""
    if not token or len(token) > 128:
        raise NotFound(N_("This confirmation link is not valid. Check that you copied the whole link."))
    signature = Signature.get_or_none(Signature.token_hash == hash_token(token))
    if signature is None:
        raise NotFound(N_("This confirmation link is not valid, or it was replaced by a newer one. "
                       "Use the link in the most recent mail."))
    return signature


def confirmable(signature, petition):
    """Why a link no longer works, or None when it does."""
    if signature.confirmed_at is not None:
        return None
    now = clock.now()
    if signature.token_created_at and signature.token_created_at + TOKEN_LIFETIME < now:
        return N_("This confirmation link has expired. Sign the petition again to get a new one.")
    if petition.status == "live":
        return None
    if petition.closed_at and petition.closed_at + CONFIRM_GRACE_AFTER_CLOSING > now \
            and signature.created_at <= petition.closed_at:
        return None
    return N_("This petition has closed, so signatures can no longer be confirmed.")


def confirm(token) -> ConfirmResult:
    """Confirm the signature behind a token: counts it once, however often it is called."""
    with db.atomic():
        signature = find_by_token(token)
        petition = Petition.get_by_id(signature.petition_id)
        if signature.confirmed_at is not None:
            return ConfirmResult(signature, petition, False)
        problem = confirmable(signature, petition)
        if problem:
            raise LinkExpired(problem)
        now = clock.now()
        updated = (Signature.update(confirmed_at=now)
                   .where((Signature.id == signature.id) & Signature.confirmed_at.is_null()).execute())
        if updated:
            (Petition.update(signature_count=Petition.signature_count + 1)
             .where(Petition.id == petition.id).execute())
            milestones.check_threshold(petition.id)
        signature = Signature.get_by_id(signature.id)
        petition = Petition.get_by_id(petition.id)
    return ConfirmResult(signature, petition, bool(updated))


def verified_count(petition) -> int:
    """Recount confirmed signatures (the stored count is what pages show; jobs repair drift)."""
    return (Signature.select().where((Signature.petition == petition) & Signature.confirmed_at.is_null(False))
            .count())


def confirmed_signers(petition):
    return Signature.select().where((Signature.petition == petition) & Signature.confirmed_at.is_null(False))
