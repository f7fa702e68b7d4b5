"""Accounts: sign-in with throttling, mailed one-time links (password reset, email confirmation),
petitioner sign-up, clerk invitations, and the admin's changes to users and organisations.

Secrets in links are random tokens stored only as SHA-256 hashes, expire and work once.
Sign-in attempts live in the database (not process memory) so every process sees the same count.
"""
import datetime as dt
import secrets

import peewee as pw

from models import clock, config, mail
from models.db import BaseModel, db
from models.errors import DomainError, InvalidInput, NotAllowed, NotFound
from models.organisation import KINDS, ROLES, Organisation
from models.tokens import hash_token
from models.user import (Membership, User, add_membership, check_password_strength, create_user, normalise_email,
                         valid_email)

# Throttling: failed sign-ins counted over a sliding window, per account and per client address.
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
KEEP_ATTEMPTS = dt.timedelta(days=1)

RESET_VALID = dt.timedelta(hours=1)
CONFIRM_VALID = dt.timedelta(days=2)
INVITATION_VALID = dt.timedelta(days=7)
PURPOSES = ("reset", "confirm_email")
RESEND_AFTER = dt.timedelta(minutes=10)  # at most one reset or confirmation mail per account in this time

# Verifying against this keeps a sign-in for an unknown address as slow as one for a known address.
_DUMMY_HASH = None


class TooManyAttempts(DomainError):
    status = 429


class LinkInvalid(DomainError):
    """A mailed link that is unknown, used or expired."""

    status = 410


def _account_key(email: str) -> str:
    # Attempts on addresses that have no account are counted too; a hash keeps those addresses out of the table.
    return hash_token("account:" + normalise_email(email))


class SignInAttempt(BaseModel):
    account_key = pw.CharField(max_length=64, index=True)
    address = pw.CharField(max_length=64, index=True)
    succeeded = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(index=True)


class AccountToken(BaseModel):
    """A one-time link for a user: password reset or email confirmation."""

    user = pw.ForeignKeyField(User, backref="tokens", on_delete="CASCADE")
    purpose = pw.CharField(max_length=16)
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    used_at = pw.DateTimeField(null=True)


class Invitation(BaseModel):
    """An email address invited into an organisation with a role, until accepted or expired."""

    email = pw.CharField(max_length=255, index=True)
    organisation = pw.ForeignKeyField(Organisation, backref="invitations", on_delete="CASCADE")
    role = pw.CharField(max_length=16, default="clerk")
    invited_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    token_hash = pw.CharField(max_length=64, unique=True)
    created_at = pw.DateTimeField()
    expires_at = pw.DateTimeField()
    accepted_at = pw.DateTimeField(null=True)

    @property
    def is_open(self):
        return self.accepted_at is None and self.expires_at > clock.now()


# ---- sign-in ------------------------------------------------------------------------------------

def _failures(condition):
    since = clock.now() - THROTTLE_WINDOW
    return (SignInAttempt.select()
            .where(condition & (SignInAttempt.succeeded == False) & (SignInAttempt.created_at > since))  # noqa: E712
            .count())


def _record_attempt(key, address, succeeded):
    now = clock.now()
    SignInAttempt.create(account_key=key, address=(address or "")[:64], succeeded=succeeded, created_at=now)
    if not succeeded:
        SignInAttempt.delete().where(SignInAttempt.created_at < now - KEEP_ATTEMPTS).execute()


def _check_throttle(key, address):
    minutes = int(THROTTLE_WINDOW.total_seconds() // 60)
    if _failures(SignInAttempt.account_key == key) >= MAX_FAILURES_PER_ACCOUNT:
        raise TooManyAttempts(f"Too many failed sign-ins for this account. Wait {minutes} minutes and try again, "
                              "or reset your password.")
    if _failures(SignInAttempt.address == (address or "")[:64]) >= MAX_FAILURES_PER_ADDRESS:
        raise TooManyAttempts(f"Too many failed sign-ins from your network. Wait {minutes} minutes and try again.")


def authenticate(email, password, address):
    """The user with this email and password, or InvalidInput / TooManyAttempts / NotAllowed.

    Every failure is recorded for throttling; a correct password while throttled is refused too,
    otherwise throttling would not slow down guessing.
    """
    global _DUMMY_HASH
    email = normalise_email(email)
    if not email or not password:
        raise InvalidInput({**({"email": "Give your email address."} if not email else {}),
                            **({"password": "Give your password."} if not password else {})})
    key = _account_key(email)
    _check_throttle(key, address)
    user = User.get_or_none(User.email == email)
    if user is not None:
        ok = user.check_password(password)
    else:
        if _DUMMY_HASH is None:
            probe = User(email="x@example.org", name="x")
            probe.set_password(secrets.token_hex(8))
            _DUMMY_HASH = probe
        _DUMMY_HASH.check_password(password)
        ok = False
    _record_attempt(key, address, ok)
    if not ok:
        raise InvalidInput({"password": "The email address or the password is not right."})
    if user.email_confirmed_at is None:
        send_confirmation(user, only_if_none_recent=True)
        raise NotAllowed("Confirm your email address first: we have sent you a mail with a link.")
    return user


# ---- one-time links -----------------------------------------------------------------------------

def _new_token(user, purpose, valid_for):
    token = secrets.token_urlsafe(32)
    now = clock.now()
    AccountToken.create(user=user, purpose=purpose, token_hash=hash_token(token), created_at=now,
                        expires_at=now + valid_for)
    return token


def _find_token(token, purpose):
    row = (AccountToken.select(AccountToken, User).join(User)
           .where((AccountToken.token_hash == hash_token(token or "")) & (AccountToken.purpose == purpose))
           .first())
    if row is None:
        raise LinkInvalid("This link is not valid. Check that you copied all of it, or ask for a new one.")
    if row.used_at is not None:
        raise LinkInvalid("This link has been used already. Ask for a new one if you need it.")
    if row.expires_at <= clock.now():
        raise LinkInvalid("This link has expired. Ask for a new one.")
    return row


def _use(row):
    """Mark a token used; False when another request used it first."""
    return bool(AccountToken.update(used_at=clock.now())
                .where((AccountToken.id == row.id) & AccountToken.used_at.is_null()).execute())


def request_password_reset(email):
    """Mail a reset link when an account exists. Says nothing either way (no account probing)."""
    email = normalise_email(email)
    if not valid_email(email):
        raise InvalidInput({"email": "Give a valid email address, like name@example.org."})
    user = User.get_or_none(User.email == email)
    if user is None:
        return None
    if _recent_token(user, "reset", RESEND_AFTER):
        return user  # one link per few minutes: the form cannot be used to flood someone's mailbox
    with db.atomic():
        token = _new_token(user, "reset", RESET_VALID)
        mail.enqueue(user.email, "password_reset", user=user,
                     url=f"{config.current().base_url}/reset/{token}", hours=int(RESET_VALID.total_seconds() // 3600))
    return user


def check_reset_token(token):
    return _find_token(token, "reset").user


def _set_password(user, password, field="password"):
    problem = check_password_strength(password)
    if problem:
        raise InvalidInput({field: problem})
    user.set_password(password)
    # A new password signs the user out everywhere else (the session cookie holds the generation).
    user.session_generation += 1
    if user.email_confirmed_at is None:
        user.email_confirmed_at = clock.now()  # the link proved the address
    user.save()


def reset_password(token, password):
    """Set a new password through a reset link; the link and every other open reset link stop working."""
    with db.atomic():
        row = _find_token(token, "reset")
        user = row.user
        _set_password(user, password)
        if not _use(row):
            raise LinkInvalid("This link has been used already. Ask for a new one if you need it.")
        (AccountToken.update(used_at=clock.now())
         .where((AccountToken.user == user) & (AccountToken.purpose == "reset") & AccountToken.used_at.is_null())
         .execute())
    return user


def change_password(user, current_password, new_password):
    if not user.check_password(current_password):
        raise InvalidInput({"current_password": "This is not your current password."})
    with db.atomic():
        _set_password(user, new_password, field="new_password")
    return user


# ---- sign-up and email confirmation -------------------------------------------------------------

def sign_up(email, name, password):
    """Create an unconfirmed petitioner account and mail the confirmation link.

    When the address has an account already, that account's owner gets a mail saying so and the
    visitor sees the same page as for a new account: sign-up does not reveal who has an account.
    """
    email = normalise_email(email)
    existing = User.get_or_none(User.email == email) if valid_email(email) else None
    if existing is not None and not check_password_strength(password):
        User(email=email, name="-").set_password(password)  # as slow as creating an account: timing tells nothing
    if existing is not None and existing.email_confirmed_at is None:
        send_confirmation(existing, only_if_none_recent=True)  # they lost the first link: send another
        return None
    if existing is not None:
        problem = check_password_strength(password)
        if problem or not (name or "").strip():
            raise InvalidInput({**({"password": problem} if problem else {}),
                                **({"name": "Give a name of 1 to 255 characters."} if not (name or "").strip() else {})})
        mail.enqueue(existing.email, "account_exists", user=existing, url=f"{config.current().base_url}/reset")
        return None
    with db.atomic():
        user = create_user(email, name, password, confirmed=False)
        send_confirmation(user)
    return user


def _recent_token(user, purpose, within):
    return (AccountToken.select()
            .where((AccountToken.user == user) & (AccountToken.purpose == purpose)
                   & (AccountToken.created_at > clock.now() - within))
            .exists())


def send_confirmation(user, only_if_none_recent=False):
    if only_if_none_recent and _recent_token(user, "confirm_email", RESEND_AFTER):
        return
    token = _new_token(user, "confirm_email", CONFIRM_VALID)
    mail.enqueue(user.email, "confirm_email", user=user, url=f"{config.current().base_url}/confirm-email/{token}")


def check_confirmation_token(token):
    return _find_token(token, "confirm_email").user


def confirm_email(token):
    with db.atomic():
        row = _find_token(token, "confirm_email")
        if not _use(row):
            raise LinkInvalid("This link has been used already.")
        user = row.user
        if user.email_confirmed_at is None:
            user.email_confirmed_at = clock.now()
            user.save()
    return user


# ---- invitations --------------------------------------------------------------------------------

def find_organisation(key):
    """An organisation by slug or id, or NotFound (also for ids too large for the database)."""
    return Organisation.by_slug_or_id(key)


def can_manage_members(user, organisation) -> bool:
    """Admins, and the organisation's managers, invite and manage its members."""
    return bool(user) and (user.is_admin or user.is_member_of(organisation.id, roles=("manager",)))


def require_member_manager(user, organisation):
    if not can_manage_members(user, organisation):
        raise NotFound(f"There is no organisation {organisation.slug!r}.")


def invite(inviter, organisation, email, role="clerk"):
    """Invite an email address into an organisation with a role; mails a link valid for 7 days."""
    require_member_manager(inviter, organisation)
    email = normalise_email(email)
    errors = {}
    if not valid_email(email):
        errors["email"] = "Give a valid email address, like name@example.org."
    if role not in ROLES:
        errors["role"] = f"Choose one of: {', '.join(ROLES)}."
    if role == "manager" and not (inviter.is_admin or inviter.is_member_of(organisation.id, roles=("manager",))):
        errors["role"] = "Only managers and admins may invite managers."
    if not errors:
        existing = User.get_or_none(User.email == email)
        if existing is not None and existing.is_member_of(organisation.id):
            errors["email"] = f"{email} is a member of {organisation.name} already."
    if errors:
        raise InvalidInput(errors)
    token = secrets.token_urlsafe(32)
    now = clock.now()
    with db.atomic():
        invitation = Invitation.create(email=email, organisation=organisation, role=role, invited_by=inviter,
                                       token_hash=hash_token(token), created_at=now,
                                       expires_at=now + INVITATION_VALID)
        _audit(inviter, "invitation", field="role", new=role, note=f"invitation {invitation.id} to {organisation.slug}")
        mail.enqueue(email, "invitation", invitation=invitation, organisation=organisation, inviter=inviter,
                     url=f"{config.current().base_url}/invitations/{token}", days=INVITATION_VALID.days)
    return invitation


def find_invitation(token):
    invitation = (Invitation.select(Invitation, Organisation).join(Organisation)
                  .where(Invitation.token_hash == hash_token(token or "")).first())
    if invitation is None:
        raise LinkInvalid("This invitation link is not valid. Check that you copied all of it.")
    if invitation.accepted_at is not None:
        raise LinkInvalid("This invitation has been accepted already. Sign in to continue.")
    if invitation.expires_at <= clock.now():
        raise LinkInvalid("This invitation has expired. Ask the person who invited you for a new one.")
    return invitation


def accept_invitation(token, name=None, password=None):
    """Join the organisation. A new address sets a name and password; an existing account just joins
    (the link proves the address is theirs). Returns the user."""
    with db.atomic():
        invitation = find_invitation(token)
        user = User.get_or_none(User.email == invitation.email)
        if user is None or not user.password_hash:
            errors = {}
            name = (name or "").strip()
            if not name or len(name) > 255:
                errors["name"] = "Give a name of 1 to 255 characters."
            problem = check_password_strength(password)
            if problem:
                errors["password"] = problem
            if errors:
                raise InvalidInput(errors)
            if user is None:
                user = create_user(invitation.email, name, password, confirmed=True)
            else:
                user.name = name
                _set_password(user, password)
        elif user.email_confirmed_at is None:
            user.email_confirmed_at = clock.now()
            user.save()
        taken = (Invitation.update(accepted_at=clock.now())
                 .where((Invitation.id == invitation.id) & Invitation.accepted_at.is_null()).execute())
        if not taken:
            raise LinkInvalid("This invitation has been accepted already. Sign in to continue.")
        add_membership(user, invitation.organisation, invitation.role)
    return user


def open_invitations(organisation):
    return (Invitation.select()
            .where((Invitation.organisation == organisation) & Invitation.accepted_at.is_null()
                   & (Invitation.expires_at > clock.now()))
            .order_by(Invitation.created_at.desc()))


def cancel_invitation(manager, organisation, invitation_id):
    require_member_manager(manager, organisation)
    deleted = (Invitation.delete()
               .where((Invitation.id == invitation_id) & (Invitation.organisation == organisation)
                      & Invitation.accepted_at.is_null()).execute())
    if not deleted:
        raise NotFound("There is no such open invitation.")


# ---- members, users, organisations (admin and managers) ---------------------------------------
# These changes are not about one petition; their audit events have no petition id and name the
# user or organisation by id or slug (never by email address).

def _audit(actor_user, action, field=None, old=None, new=None, note=None):
    from models import audit

    audit.record(None, audit.Actor.for_user(actor_user), action, field=field, old=old, new=new, note=note)


def change_member_role(manager, organisation, user_id, role):
    require_member_manager(manager, organisation)
    if role not in ROLES:
        raise InvalidInput({"role": f"Choose one of: {', '.join(ROLES)}."})
    membership = Membership.get_or_none((Membership.user == user_id) & (Membership.organisation == organisation))
    if membership is None:
        raise NotFound("This person is not a member of the organisation.")
    with db.atomic():
        if membership.role == "manager" and role != "manager":
            _keep_a_manager(manager, organisation, user_id)
        _audit(manager, "membership", field="role", old=membership.role, new=role,
               note=f"user {user_id} in {organisation.slug}")
        membership.role = role
        membership.save()
    return membership


def remove_member(manager, organisation, user_id):
    require_member_manager(manager, organisation)
    membership = Membership.get_or_none((Membership.user == user_id) & (Membership.organisation == organisation))
    if membership is None:
        raise NotFound("This person is not a member of the organisation.")
    with db.atomic():
        if membership.role == "manager":
            _keep_a_manager(manager, organisation, user_id)
        _audit(manager, "membership", field="role", old=membership.role, new=None,
               note=f"user {user_id} removed from {organisation.slug}")
        membership.delete_instance()


def _keep_a_manager(actor, organisation, user_id):
    """A manager may not leave the organisation without a manager (an admin may)."""
    if actor.is_admin:
        return
    others = (Membership.select()
              .where((Membership.organisation == organisation) & (Membership.role == "manager")
                     & (Membership.user != user_id)).count())
    if not others:
        raise InvalidInput({"role": "The organisation needs at least one manager; make someone else manager first."})


def set_user_flags(admin, user, is_admin=None, is_moderator=None):
    if not admin.is_admin:
        raise NotAllowed("Only site admins may change who is admin or moderator.")
    if admin.id == user.id and is_admin is False:
        raise InvalidInput({"is_admin": "You cannot take away your own admin rights."})
    with db.atomic():
        for name, value in (("is_admin", is_admin), ("is_moderator", is_moderator)):
            if value is not None and bool(value) != getattr(user, name):
                _audit(admin, "user", field=name, old=getattr(user, name), new=bool(value), note=f"user {user.id}")
                setattr(user, name, bool(value))
        user.save()
    return user


ORGANISATION_FIELDS = ("name", "kind", "contact_email", "description", "answer_period_days", "signature_threshold")


def validate_organisation(values):
    """Clean organisation fields (any subset of ORGANISATION_FIELDS) or raise InvalidInput."""
    errors, clean = {}, {}
    if "name" in values:
        name = (values["name"] or "").strip()
        if not name or len(name) > 255:
            errors["name"] = "Give a name of 1 to 255 characters."
        clean["name"] = name
    if "kind" in values:
        if values["kind"] not in KINDS:
            errors["kind"] = f"Choose one of: {', '.join(KINDS)}."
        clean["kind"] = values["kind"]
    if "contact_email" in values:
        address = normalise_email(values["contact_email"]) or None
        if address and not valid_email(address):
            errors["contact_email"] = "Give a valid email address, or leave it empty."
        clean["contact_email"] = address
    if "description" in values:
        from models.sanitize import rich_text

        clean["description"] = rich_text(values["description"] or "")
    for name, low, high, label in (("answer_period_days", 1, 3650, "days"),
                                   ("signature_threshold", 0, 100_000_000, "signatures")):
        if name in values:
            value = values[name]
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[name] = f"Give a whole number of {label}."
                continue
            if not low <= number <= high:
                errors[name] = f"Give a number from {low} to {high}."
            clean[name] = number
    if errors:
        raise InvalidInput(errors)
    return clean


def create_organisation_for(admin, values, slug=None):
    from models.organisation import create_organisation

    if not admin.is_admin:
        raise NotAllowed("Only site admins may create organisations.")
    clean = validate_organisation({k: values.get(k) for k in ORGANISATION_FIELDS if k in values})
    from models.organisation import slugify

    if slugify(slug or clean.get("name") or "") == "new":  # /admin/organisations/new is the create form
        raise InvalidInput({"slug": "The slug 'new' is reserved; choose another."})
    name, kind = clean.pop("name", ""), clean.pop("kind", "other")
    contact = clean.pop("contact_email", None)
    with db.atomic():
        organisation = create_organisation(name, kind, slug=slug or None, contact_email=contact, **clean)
        _audit(admin, "organisation", field="created", new=organisation.slug)
    return organisation


def update_organisation(admin, organisation, values):
    if not admin.is_admin:
        raise NotAllowed("Only site admins may change organisations.")
    clean = validate_organisation({k: values[k] for k in ORGANISATION_FIELDS if k in values})
    changed = {k: v for k, v in clean.items() if getattr(organisation, k) != v}
    with db.atomic():
        for name, value in changed.items():
            short = name not in ("description", "contact_email")  # long text, or an address: name the field only
            _audit(admin, "organisation", field=name, old=getattr(organisation, name) if short else None,
                   new=value if short else None, note=organisation.slug)
        if changed:
            Organisation.update(**changed).where(Organisation.id == organisation.id).execute()
    return Organisation.get_by_id(organisation.id)
