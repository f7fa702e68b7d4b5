"""API keys: shown once, stored as a SHA-256 hash, scoped, revocable, with last use recorded."""
import hmac
import secrets

import peewee as pw

from models import clock
from models.db import BaseModel
from models.errors import InvalidInput
from models.i18n import N_
from models.organisation import Organisation
from models.sanitize import check_single_line
from models.user import User
from models.tokens import hash_token

SCOPES = ("read", "create", "update")
TOKEN_PREFIX = "pp_"


class ApiKey(BaseModel):
    user = pw.ForeignKeyField(User, backref="api_keys", on_delete="CASCADE")
    name = pw.CharField(max_length=100)
    prefix = pw.CharField(max_length=16, index=True)  # shown in lists, e.g. pp_3fa9c1
    secret_hash = pw.CharField(max_length=64, unique=True)
    scopes = pw.CharField(max_length=64)  # comma separated, from SCOPES
    organisation = pw.ForeignKeyField(Organisation, null=True, backref="api_keys", on_delete="CASCADE")
    is_test = pw.BooleanField(default=False)  # never writes; counts read as 3 (petitions.eu test key)
    created_at = pw.DateTimeField(default=clock.now)
    last_used_at = pw.DateTimeField(null=True)
    revoked_at = pw.DateTimeField(null=True)
    is_partner = pw.BooleanField(default=False)  # set by a site admin: signs every API-enabled petition

    @property
    def scope_set(self):
        return {s for s in self.scopes.split(",") if s}

    def has_scope(self, scope):
        return self.revoked_at is None and scope in self.scope_set

    def can_update(self, organisation_id):
        return (self.has_scope("update") and not self.is_test
                and self.organisation_id is not None and self.organisation_id == organisation_id)


def reaches(key, petition):
    """May this key sign `petition`? A partner key (marked by a site admin): every petition. An
    organisation key: that organisation's petitions. Any other key: the petitions its owner leads.
    Returns None when it may, else why not (the refusal's message)."""
    if key.is_partner:
        return None
    if key.organisation_id is not None:
        if petition.organisation_id == key.organisation_id:
            return None
        return N_("This key belongs to an organisation and signs only petitions addressed to that organisation. "
                  "Fix: use a key of the addressed organisation, or ask the site's administrators for a partner key.")
    if petition.lead_petitioner_id == key.user_id:
        return None
    return N_("This key signs only petitions its owner leads. Fix: use the lead petitioner's key, or ask the "
              "site's administrators to make your key a partner key.")


def set_partner(key, is_partner, actor=None):
    """A site admin marks (or unmarks) a key as a partner key, which signs every API-enabled petition.
    With an actor, the change is an audit event (like other changes to users and keys)."""
    from models import audit

    is_partner = bool(is_partner)
    changed = (ApiKey.update(is_partner=is_partner)
               .where((ApiKey.id == key.id) & (ApiKey.is_partner != is_partner)).execute())
    if changed and actor is not None:
        audit.record(None, actor, "api_key_partner", field=key.prefix, old=not is_partner, new=is_partner)
    key.is_partner = is_partner
    return key


def create_key(user, name, scopes, organisation=None, is_test=False, is_partner=False):
    """Create a key; returns (key, token). The token is never stored and cannot be shown again."""
    scopes = sorted({s.strip() for s in scopes if s and s.strip()})
    errors = {}
    if not scopes or any(s not in SCOPES for s in scopes):
        errors["scopes"] = N_("Choose one or more of: %(choices)s.", choices=", ".join(SCOPES))
    if "update" in scopes and organisation is None:
        errors["organisation"] = N_("A key with the update scope belongs to exactly one organisation.")
    name = (name or "").strip() or "API key"
    if len(name) > 100:
        errors["name"] = N_("Use at most 100 characters.")
    check_single_line(errors, name=name)
    if errors:
        raise InvalidInput(errors)
    prefix = TOKEN_PREFIX + secrets.token_hex(4)
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.create(user=user, name=name, prefix=prefix, secret_hash=hash_token(token),
                        scopes=",".join(scopes), organisation=organisation, is_test=is_test,
                        is_partner=bool(is_partner))
    return key, token


def authenticate(token):
    """The live key for a token, or None. Looks up by hash and compares in constant time."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token.strip())
    key = ApiKey.get_or_none(ApiKey.secret_hash == digest)
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    now = clock.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.update(last_used_at=now).where(ApiKey.id == key.id).execute()
        key.last_used_at = now
    return key


def revoke(key):
    from models import cache

    ApiKey.update(revoked_at=clock.now()).where((ApiKey.id == key.id) & ApiKey.revoked_at.is_null()).execute()
    cache.keys.clear()  # this process at once; others within cache.keys' bound
