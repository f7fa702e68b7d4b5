"""Signers' and account holders' rights, and the lifetime of signers' data.

- Withdrawal: every confirmation mail and every "what do you hold about me" mail carries a link
  per signature. The link's token is an HMAC of the signature (no table): it works until the
  signature is withdrawn or anonymised. GET shows a button; the POST withdraws (DESIGN.md: mail
  scanners follow links). A withdrawn signature is deleted; a confirmed one lowers the count, and
  the petition's history says that a signer withdrew (without saying who).
- Data requests: a signer enters an address and receives one mail listing the signatures under it.
  The page answers the same whether or not there are any, and one address gets at most one such
  mail per DATA_REQUEST_INTERVAL.
- Accounts: a JSON export of what the portal holds about the account holder; deleting the
  account keeps the petitions they led, attributed to a former user.
- Retention: anonymise_due() replaces the names, addresses and places of a closed petition's
  signatures (see README, "Data retention").
"""
import datetime as dt
import hashlib
import hmac

import peewee as pw

from models import audit, clock, config, mail
from models.audit import Actor
from models.db import db
from models.errors import InvalidInput, NotAllowed, NotFound
from models.i18n import N_
from models.petition import TERMINAL, Petition
from models.response import Response, ResponsePetition
from models.signature import Signature
from models.user import User, normalise_email, valid_email

DATA_REQUEST_INTERVAL = dt.timedelta(hours=1)
FORMER_USER_NAME = "Former user"
ANONYMOUS_PREFIX = "anon-"


def _mac(purpose, text):
    secret = config.current().cookie_secret.encode("utf-8")
    return hmac.new(secret, f"{purpose}:{text}".encode("utf-8"), hashlib.sha256).hexdigest()


# ---- withdrawal ---------------------------------------------------------------------------------

def withdraw_token(signature):
    return f"{signature.id}-{_mac('withdraw', f'{signature.id}:{signature.email}')[:32]}"


def withdraw_url(signature, base_url=None):
    return f"{base_url or config.current().base_url}/signatures/withdraw/{withdraw_token(signature)}"


def signature_for_withdrawal(token):
    """The signature a withdrawal link names, or NotFound (wrong, withdrawn or anonymised)."""
    problem = NotFound(N_("This withdrawal link is not valid, or the signature was withdrawn already."))
    number, _, mac = (token or "").partition("-")
    if not number.isdigit() or len(number) > 12 or len(mac) != 32:
        raise problem
    signature = Signature.get_or_none(Signature.id == int(number))
    if signature is None or signature.anonymised_at is not None \
            or not hmac.compare_digest(withdraw_token(signature), token):
        raise problem
    return signature


def withdrawable(signature, petition):
    """Why this signature can no longer be withdrawn, or None when it can."""
    if signature.confirmed_at is None or petition.status == "live":
        return None
    return N_("This petition has closed and its signatures were handed over, so a signature can no longer be "
              "withdrawn. The signers' names and addresses are anonymised after the retention period.")


def withdraw(token):
    """Withdraw the signature behind a withdrawal link; returns its petition (count updated)."""
    with db.atomic():
        signature = signature_for_withdrawal(token)
        petition = Petition.get_by_id(signature.petition_id)
        problem = withdrawable(signature, petition)
        if problem:
            raise NotAllowed(problem)
        deleted = Signature.delete().where(Signature.id == signature.id).execute()
        if deleted and signature.confirmed_at is not None:
            (Petition.update(signature_count=Petition.signature_count - 1)
             .where((Petition.id == petition.id) & (Petition.signature_count > 0)).execute())
            audit.record(petition.id, Actor("signer", None, "A signer", "web"), "signature_withdrawn")
    return Petition.get_by_id(petition.id)


# ---- "what do you hold about me" -----------------------------------------------------------------

def request_signer_data(email):
    """Mail the address a list of the signatures under it, each with its withdrawal link, in the
    language of the latest signature (the page it was made on). Silent (no mail) when there are
    none, or when one was sent within DATA_REQUEST_INTERVAL; the caller shows the same page either
    way, so the form reveals nothing."""
    address = normalise_email(email)
    if not valid_email(address):
        raise InvalidInput({"email": N_("Give a valid email address, like name@example.org.")})
    signatures = list(Signature.select(Signature, Petition).join(Petition)
                      .where((Signature.email == address) & Signature.anonymised_at.is_null())
                      .order_by(Signature.created_at, Signature.id))
    if not signatures:
        return 0
    now = clock.now()
    slot = int((now - dt.datetime(1970, 1, 1)) / DATA_REQUEST_INTERVAL)
    items = [{"signature": s, "petition": s.petition, "withdraw_url": withdraw_url(s),
              "withdrawable": withdrawable(s, s.petition) is None} for s in signatures]
    return mail.enqueue(address, "signer_data", dedupe_key=f"signer-data:{_mac('data', address)[:40]}:{slot}",
                        items=items, periods=periods(), language=mail.language_of(signatures[-1]))


# ---- accounts -------------------------------------------------------------------------------------

def account_export(user):
    """Everything the portal holds about an account holder, as JSON-ready data."""
    from models.apikey import ApiKey
    from models.session import open_sessions

    def when(value):
        return value.isoformat() if value else None

    return {
        "account": {"id": user.id, "email": user.email, "name": user.name, "created_at": when(user.created_at),
                    "email_confirmed_at": when(user.email_confirmed_at), "is_admin": user.is_admin,
                    "is_moderator": user.is_moderator},
        "memberships": [{"organisation": m.organisation.name, "role": m.role, "since": when(m.created_at)}
                        for m in user.memberships],
        "petitions": [{"id": p.id, "title": p.title, "status": p.status, "created_at": when(p.created_at),
                       "url": f"{config.current().base_url}/petitions/{p.slug}"}
                      for p in Petition.select().where(Petition.lead_petitioner == user.id).order_by(Petition.id)],
        "signatures": [{"petition": s.petition.title, "name": s.full_name, "email": s.email, "city": s.city,
                        "signed_at": when(s.created_at), "confirmed_at": when(s.confirmed_at)}
                       for s in Signature.select(Signature, Petition).join(Petition)
                       .where((Signature.email == user.email) & Signature.anonymised_at.is_null())],
        "api_keys": [{"prefix": k.prefix, "name": k.name, "scopes": k.scopes, "created_at": when(k.created_at),
                      "last_used_at": when(k.last_used_at), "revoked_at": when(k.revoked_at)}
                     for k in ApiKey.select().where(ApiKey.user == user.id)],
        "sessions": [{"started_at": when(s.created_at), "last_seen_at": when(s.last_seen_at)}
                     for s in open_sessions(user)],
    }


def delete_account(user, password):
    """Delete an account: name, address and password go; the petitions they led stay, attributed
    to a former user; memberships, keys and sessions end. Asks for the password."""
    from models.apikey import ApiKey
    from models.session import end_all
    from models.user import Membership

    if not user.check_password(password or ""):
        raise InvalidInput({"password": N_("The password is not right.")})
    now = clock.now()
    with db.atomic():
        end_all(user)
        ApiKey.update(revoked_at=now).where((ApiKey.user == user.id) & ApiKey.revoked_at.is_null()).execute()
        Membership.delete().where(Membership.user == user.id).execute()
        # The history keeps what they did, no longer under their name.
        (audit.AuditEvent.update(actor_label=FORMER_USER_NAME)
         .where((audit.AuditEvent.actor_kind == "user") & (audit.AuditEvent.actor_id == user.id)).execute())
        (User.update(email=f"deleted-{user.id}@former-user.invalid", name=FORMER_USER_NAME, password_hash=None,
                     is_admin=False, is_moderator=False, deleted_at=now,
                     session_generation=User.session_generation + 1)
         .where(User.id == user.id).execute())


# ---- retention -------------------------------------------------------------------------------------

def periods(env=None):
    """How long personal data is kept, from the settings the jobs use (for the privacy notice and
    the pages that state them): months after closing for signers' data, days for unconfirmed
    signatures and for delivered and failed mail, and the session limits."""
    import os

    from jobs import mail_retention, signature_hygiene
    from jobs.scheduler import job_settings

    env = os.environ if env is None else env
    hygiene, mails = job_settings(signature_hygiene, env), job_settings(mail_retention, env)
    settings = config.current()
    return {"signature_retention_months": settings.signature_retention_months,
            "unconfirmed_signature_days": hygiene["delete_after_days"],
            "sent_mail_days": mails["keep_sent_days"], "failed_mail_days": mails["keep_failed_days"],
            "session_days": settings.session_days, "session_idle_minutes": settings.session_idle_minutes}


def months_before(moment, months):
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    import calendar

    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def anonymous_email(email):
    """A keyed hash in place of an address: the uniqueness rule keeps working, the address is gone."""
    return ANONYMOUS_PREFIX + _mac("signature-email", email)


def due_for_anonymising(now, months):
    """Petitions whose signers' data has reached the end of its life: final (answered, rejected or
    withdrawn), closed at least `months` ago, and with every response's notices sent."""
    cutoff = months_before(now, months)
    closed = pw.fn.COALESCE(Petition.closed_at, Petition.updated_at)
    notices_pending = (ResponsePetition.select(ResponsePetition.petition).join(Response)
                       .where(Response.notices_state != "done"))
    return (Petition.select(Petition.id)
            .where(Petition.status.in_(sorted(TERMINAL)) & (closed <= cutoff)
                   & Petition.id.not_in(notices_pending)))


def anonymise_due(now, months, batch_size=500):
    """Anonymise the signatures of every petition due_for_anonymising; idempotent. Returns the
    number of signatures anonymised."""
    done = 0
    while True:
        batch = list(Signature.select(Signature.id, Signature.email)
                     .where(Signature.petition.in_(due_for_anonymising(now, months))
                            & Signature.anonymised_at.is_null())
                     .order_by(Signature.id).limit(batch_size))
        if not batch:
            return done
        with db.atomic():
            for signature in batch:
                done += (Signature.update(full_name="", email=anonymous_email(signature.email), city=None,
                                          postal_code=None, state=None, show_name=False, token_hash=None,
                                          origin=None, anonymised_at=now)
                         .where((Signature.id == signature.id) & Signature.anonymised_at.is_null()).execute())
