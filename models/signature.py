"""Signatures: one domain function to submit (every channel) and one to confirm (the mailed link).

One signature per email per petition is a database constraint; a duplicate is detected by the
constraint, not by a check-then-insert. Counts show confirmed signatures only.
"""
import datetime as dt
import re
import secrets
from dataclasses import dataclass

import peewee as pw

from models import clock, config, mail, metrics, milestones
from models.apikey import ApiKey
from models.db import BaseModel, db
from models.errors import DomainError, InvalidInput, NotFound, NotSignable
from models.i18n import N_
from models.petition import Petition
from models.user import normalise_email, valid_email
from models.tokens import hash_token

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
    token = secrets.token_urlsafe(24)
    return token, hash_token(token)


def confirm_url(token):
    return f"{config.current().base_url}/signatures/confirm/{token}"


@dataclass
class SubmitResult:
    signature: Signature
    created: bool  # False: this email had signed the petition already


def _clean(value, limit, field, errors, required=False, label=None):
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = f"Give {label or field} as text."
        return None
    value = value.strip()
    if required and not value:
        errors[field] = f"{(label or field).capitalize()} is required."
    elif len(value) > limit:
        errors[field] = f"Use at most {limit} characters for {label or field}."
    return value or None


def validate(full_name, email, city=None, comment=None, postal_code=None, state=None, country=None):
    """Check a signer's fields; raise InvalidInput naming each wrong one. Returns the cleaned values."""
    errors = {}
    full_name = _clean(full_name, 255, "full_name", errors, required=True, label="your full name")
    if full_name and "full_name" not in errors and not NAME_RE.match(full_name):
        errors["full_name"] = "Give at least an initial and a surname, like 'J. Smith' or 'Jane Smith'."
    email_raw = _clean(email, 255, "email", errors, required=True, label="your email address")
    email = normalise_email(email_raw or "")
    if email and "email" not in errors and not valid_email(email):
        errors["email"] = "Give a valid email address, like name@example.org."
    values = {
        "full_name": full_name, "email": email,
        "city": _clean(city, 255, "city", errors, label="the city"),
        "comment": _clean(comment, COMMENT_MAX, "comment", errors, label="the comment"),
        "postal_code": _clean(postal_code, 32, "postal_code", errors, label="the postal code"),
        "state": _clean(state, 64, "state", errors, label="the state"),
        "country": _clean(country, 64, "country", errors, label="the country"),
    }
    if errors:
        raise InvalidInput(errors)
    return values


def check_signable(petition):
    if not petition.is_signable:
        if petition.status == "live":
            raise NotSignable("This petition has passed its closing date and no longer takes signatures.")
        raise NotSignable(f"This petition is not open for signatures: it is {petition.status_label.lower()}.")


def submit(petition, *, full_name, email, city=None, show_name=False, comment=None, wants_notice=False,
           postal_code=None, state=None, country=None, source="web", api_key=None, origin=None,
           notify_duplicate=True) -> SubmitResult:
    """Store a signature and queue its confirmation mail; every signing channel calls this.

    A second signature with the same email is not stored: if notify_duplicate, the signer is mailed
    ("you have already signed", or a fresh confirmation link while unconfirmed).
    """
    check_signable(petition)  # "not open for signatures" comes before "fields" (models/channels.py)
    values = validate(full_name, email, city=city, comment=comment, postal_code=postal_code,
                      state=state, country=country)
    token, token_hash = _new_token()
    now = clock.now()
    try:
        with db.atomic():
            signature = Signature.create(
                petition=petition, show_name=bool(show_name), wants_notice=bool(wants_notice), created_at=now,
                token_hash=token_hash, token_created_at=now, source=source, api_key=api_key,
                origin=(origin or None) and origin[:255], **values)
            mail.enqueue(signature.email, "confirm_signature", petition=petition, signature=signature,
                         url=confirm_url(token))
        metrics.signature_accepted(source)
        return SubmitResult(signature, True)
    except pw.IntegrityError:
        pass
    existing = Signature.get((Signature.petition == petition) & (Signature.email == values["email"]))
    if notify_duplicate:
        with db.atomic():
            if existing.confirmed_at is None:
                # Give a fresh link; the old one stops working.
                (Signature.update(token_hash=token_hash, token_created_at=now)
                 .where(Signature.id == existing.id).execute())
                mail.enqueue(existing.email, "confirm_signature", petition=petition, signature=existing,
                             url=confirm_url(token))
            else:
                mail.enqueue(existing.email, "already_signed", petition=petition, signature=existing)
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
                                    "your spam folder, or sign again later.") % {"count": RESEND_MAX})
        if signature.token_created_at and now < signature.token_created_at + RESEND_INTERVAL:
            wait = signature.token_created_at + RESEND_INTERVAL - now
            raise TooManyResends(N_("The mail was sent less than %(minutes)s minutes ago; mails can take a few "
                                    "minutes. Try again in %(left)s minutes.")
                                 % {"minutes": int(RESEND_INTERVAL.total_seconds() // 60),
                                    "left": max(1, -(-int(wait.total_seconds()) // 60))})
        token, token_hash = _new_token()
        # Conditional on the count read: two simultaneous requests cannot both send.
        updated = (Signature.update(token_hash=token_hash, token_created_at=now,
                                    resend_count=Signature.resend_count + 1)
                   .where((Signature.id == signature.id) & (Signature.resend_count == signature.resend_count)
                          & Signature.confirmed_at.is_null()).execute())
        if not updated:
            raise TooManyResends(N_("The mail is being sent again already."))
        mail.enqueue(signature.email, "confirm_signature", petition=petition, signature=signature,
                     url=confirm_url(token))
    return Signature.get_by_id(signature.id)


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
        raise NotFound("This confirmation link is not valid. Check that you copied the whole link.")
    signature = Signature.get_or_none(Signature.token_hash == hash_token(token))
    if signature is None:
        raise NotFound("This confirmation link is not valid, or it was replaced by a newer one. "
                       "Use the link in the most recent mail.")
    return signature


def confirmable(signature, petition):
    """Why a link no longer works, or None when it does."""
    if signature.confirmed_at is not None:
        return None
    now = clock.now()
    if signature.token_created_at and signature.token_created_at + TOKEN_LIFETIME < now:
        return "This confirmation link has expired. Sign the petition again to get a new one."
    if petition.status == "live":
        return None
    if petition.closed_at and petition.closed_at + CONFIRM_GRACE_AFTER_CLOSING > now \
            and signature.created_at <= petition.closed_at:
        return None
    return "This petition has closed, so signatures can no longer be confirmed."


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
