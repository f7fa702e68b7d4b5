"""People with accounts: site admins and moderators, clerks, lead petitioners."""
import re

import peewee as pw
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models import clock
from models.db import BaseModel, db
from models.errors import InvalidInput, NotFound
from models.i18n import N_
from models.organisation import ROLES, Organisation
from models.sanitize import check_single_line

# Argon2id: memory-hard. Tests may lower the cost through set_password_cost().
_hasher = PasswordHasher()
EMAIL_RE = re.compile(r"^[^@\s<>()\[\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def set_password_cost(time_cost=3, memory_cost=65536):
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost)


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def valid_email(email: str) -> bool:
    return len(email) <= 255 and bool(EMAIL_RE.match(email))


class User(BaseModel):
    email = pw.CharField(max_length=255, unique=True)
    name = pw.CharField(max_length=255)
    password_hash = pw.CharField(max_length=255, null=True)  # null: invited, not yet set
    is_admin = pw.BooleanField(default=False)
    is_moderator = pw.BooleanField(default=False)
    email_confirmed_at = pw.DateTimeField(null=True)
    # Raising this signs the user out everywhere (it is part of the session cookie).
    session_generation = pw.IntegerField(default=0)
    language = pw.CharField(max_length=16, null=True)  # interface and mail language (BCP 47); null: not chosen
    created_at = pw.DateTimeField(default=clock.now)
    deleted_at = pw.DateTimeField(null=True)  # the account was deleted; kept as "former user"

    @property
    def can_moderate(self):
        return self.is_admin or self.is_moderator

    def set_password(self, password):
        self.password_hash = _hasher.hash(password)

    def check_password(self, password) -> bool:
        if not self.password_hash:
            return False
        try:
            return _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def organisation_ids(self, roles=ROLES):
        return {m.organisation_id for m in self.memberships if m.role in roles}

    def is_member_of(self, organisation_id, roles=ROLES) -> bool:
        return (Membership.select()
                .where((Membership.user == self.id) & (Membership.organisation == organisation_id)
                       & Membership.role.in_(list(roles)))
                .exists())


class Membership(BaseModel):
    user = pw.ForeignKeyField(User, backref="memberships", on_delete="CASCADE")
    organisation = pw.ForeignKeyField(Organisation, backref="memberships", on_delete="CASCADE")
    role = pw.CharField(max_length=16, default="clerk")
    created_at = pw.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("user", "organisation"), True),)


def check_password_strength(password):
    if len(password or "") < 8:
        return N_("Use at least 8 characters.")
    if len(password) > 1024:
        return N_("Use at most 1024 characters.")
    return None


def create_user(email, name, password=None, is_admin=False, is_moderator=False, confirmed=True, language=None):
    email = normalise_email(email)
    errors = {}
    if not valid_email(email):
        errors["email"] = N_("Give a valid email address, like name@example.org.")
    elif User.select().where(User.email == email).exists():
        errors["email"] = N_("An account with this email address exists already.")
    name = (name or "").strip()
    if not name or len(name) > 255:
        errors["name"] = N_("Give a name of 1 to 255 characters.")
    check_single_line(errors, name=name)
    if password is not None and (problem := check_password_strength(password)):
        errors["password"] = problem
    if errors:
        raise InvalidInput(errors)
    from models.i18n import normalise

    user = User(email=email, name=name, is_admin=is_admin, is_moderator=is_moderator,
                email_confirmed_at=clock.now() if confirmed else None, language=normalise(language))
    if password is not None:
        user.set_password(password)
    try:
        with db.atomic():  # a savepoint: a caller's transaction stays usable
            user.save()
    except pw.IntegrityError:  # the same address was signed up between our check and this insert
        raise InvalidInput({"email": N_("An account with this email address exists already.")}) from None
    return user


def add_membership(user, organisation, role="clerk"):
    if role not in ROLES:
        raise InvalidInput({"role": N_("Choose one of: %(choices)s.", choices=", ".join(ROLES))})
    membership, created = Membership.get_or_create(user=user, organisation=organisation,
                                                   defaults={"role": role})
    if not created and membership.role != role:
        membership.role = role
        membership.save()
    return membership


def get_user_by_email(email):
    user = User.get_or_none(User.email == normalise_email(email))
    if user is None:
        raise NotFound(N_("There is no user with the email address %(email)s.", email=repr(email)))
    return user
