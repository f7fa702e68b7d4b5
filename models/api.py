"""Dialect-neutral pieces of the APIs: key resolution, scopes, per-petition API settings, allowed
domains and Origin checks, and the read queries. (Query parameters are read on the handlers' side,
handlers/params.py; the rules every dialect shares are in models/channels.py; rate limits are a
transport concern: handlers/ratelimit.py.)

Nothing here knows about Tornado: a dialect (native v1, We the People, OSDI) passes in what it
read from the request and maps the DomainErrors raised here to its own error shape.
"""
import functools
import ipaddress
import math
import re
from urllib.parse import urlsplit

import peewee as pw

from models import audit, cache, clock
from models.apikey import SCOPES, ApiKey, authenticate, create_key
from models.db import db
from models.errors import DomainError, InvalidInput, InvalidParameter, NotAllowed, NotFound
from models.numbers import is_number
from models.organisation import Organisation
from models.petition import Petition, domains_in, roles_of
from models.tokens import hash_token

# ---- errors every dialect may raise (each says the cause and the fix) ---------------------------


class ApiKeyMissing(DomainError):
    status = 401
    code = "api_key_missing"

    def __init__(self):
        super().__init__("No API key was sent. Fix: send your key as `Authorization: Bearer YOUR_TOKEN` "
                         "or as the `api_key` query parameter (create one at /user/api-tokens).")


class ApiKeyInvalid(DomainError):
    status = 401
    code = "api_key_invalid"

    def __init__(self):
        super().__init__("The API key is unknown or has been revoked. Fix: check that you copied the whole "
                         "token, or create a new key at /user/api-tokens.")


class ScopeMissing(DomainError):
    status = 403
    code = "scope_missing"

    def __init__(self, scope):
        super().__init__(f"This API key does not have the {scope!r} scope. Fix: create a new key with the "
                         f"{scope} permission at /user/api-tokens.", scope=scope)


class TestKeyCannotWrite(DomainError):
    status = 403
    code = "test_key"

    def __init__(self):
        super().__init__("This is a test key: test keys read (with every count fixed at 3) but never write. "
                         "Fix: use a live key for this call.")


class SubmissionsDisabled(DomainError):
    status = 403
    code = "api_submissions_disabled"

    def __init__(self):
        super().__init__("API submissions are disabled for this petition. Fix: enable API submissions in the "
                         "petition's API settings.")


class OriginNotAllowed(DomainError):
    status = 403
    code = "origin_not_allowed"

    def __init__(self, origin):
        if origin:
            text = (f"The request's Origin ({origin[:100]}) is not in this petition's allowed domains. Fix: check "
                    "the Origin header of the request, or add that hostname to the allowed domains in the "
                    "petition's API settings.")
        else:
            text = ("The request has no Origin header. Fix: send `Origin: https://your-allowed-domain` "
                    "with a hostname from the petition's allowed domains.")
        super().__init__(text)


class KeyOrganisationLeft(DomainError):
    status = 403
    code = "key_owner_left_organisation"

    def __init__(self, organisation_name):
        super().__init__(f"This key belongs to {organisation_name}, which its owner no longer works for. Fix: ask "
                         f"a current member of {organisation_name} to create a key.")


class KeyOutOfReach(DomainError):
    status = 403
    code = "key_out_of_reach"

    def __init__(self, why):
        super().__init__(why)


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after, limit, window):
        self.retry_after = retry_after
        super().__init__(f"Too many requests: at most {limit} per {window}. Fix: wait {retry_after} s "
                         "(see Retry-After) and spread your requests out.", retry_after=retry_after)


InvalidParameter.code = "invalid_parameter"


class SignatureExists(DomainError):
    status = 409
    code = "already_signed"

    def __init__(self):
        super().__init__("This email address has already signed this petition. Fix: do not submit the same "
                         "email twice for the same petition.")


# ---- API keys ----------------------------------------------------------------------------------

def key_token_from(query_api_key=None, authorization=None, header_key=None):
    """The token a request carries: `Authorization: Bearer …`, a dialect's own header, or ?api_key=."""
    if authorization:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    if header_key and header_key.strip():
        return header_key.strip()
    if query_api_key and query_api_key.strip():
        return query_api_key.strip()
    return None


def resolve_key(token):
    """The live ApiKey for a token (None when none was sent); ApiKeyInvalid for unknown or revoked."""
    if token is None:
        return None
    if len(token) > 200 or not token.isprintable():
        raise ApiKeyInvalid()
    # Live keys are kept for cache.keys' bound (models/cache.py): a revoked key stops working
    # within it in every process, at once in the one that revoked it.
    key, left = cache.keys.get(hash_token(token), lambda: _live_key(token))
    if key is None:
        raise ApiKeyInvalid()
    if left is not None:
        # A key speaks for its organisation only while its owner works there.
        raise KeyOrganisationLeft(left)
    return key


def _live_key(token):
    """(key or None, name of the organisation its owner left or None)."""
    key = authenticate(token)
    if key is None:
        return None, None
    if key.organisation_id is not None and not key.user.is_admin and not key.user.is_member_of(key.organisation_id):
        return key, key.organisation.name
    return key, None


def require_key(key, scope):
    """Refuse a missing key or a key without `scope`."""
    if key is None:
        raise ApiKeyMissing()
    if not key.has_scope(scope):
        raise ScopeMissing(scope)
    return key


def require_writing_key(key, scope):
    require_key(key, scope)
    if key.is_test:
        raise TestKeyCannotWrite()
    return key


def issue_key(owner, name, scopes, organisation=None, is_test=False, is_partner=False):
    """Create a key for `owner`. A key with the update scope is for an organisation its owner works
    for (site admins: any organisation). Returns (key, token); the token is shown once."""
    if organisation is not None and not owner.is_admin and not owner.is_member_of(organisation.id):
        raise InvalidInput({"organisation": f"You can only create keys for organisations you work for; "
                                            f"you are not a member of {organisation.name}."})
    return create_key(owner, name, scopes, organisation=organisation, is_test=is_test, is_partner=is_partner)


def keys_of(user):
    return (ApiKey.select(ApiKey, Organisation).join(Organisation, pw.JOIN.LEFT_OUTER)
            .where(ApiKey.user == user).order_by(ApiKey.revoked_at.is_null(False), ApiKey.created_at.desc(),
                                                 ApiKey.id.desc()))


def key_by_prefix(prefix, user=None):
    query = ApiKey.select().where(ApiKey.prefix == (prefix or "")[:16])
    if user is not None:
        query = query.where(ApiKey.user == user)
    key = query.first()
    if key is None:
        raise NotFound(f"There is no API key {str(prefix)[:20]!r}.")
    return key


# ---- allowed domains and Origin ---------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_domain_line(line):
    """None when `line` is a valid 'hostname' or 'hostname:port', else a message saying the fix."""
    text = line.strip()
    shown = text[:60]
    if "://" in text or text.lower().startswith(("http:", "https:")):
        return f"{shown!r}: leave out the scheme (https://); give the hostname only, like forms.example.org."
    if "/" in text or "?" in text or "#" in text:
        return f"{shown!r}: leave out the path; give the hostname only, like forms.example.org."
    if any(c.isspace() for c in text):
        return f"{shown!r}: one hostname per line, without spaces."
    host, port = text, None
    if text.count(":") == 1:
        host, port = text.split(":")
        if not is_number(port, 5) or not 0 < int(port) < 65536:
            return f"{shown!r}: the port must be a number from 1 to 65535, like localhost:8000."
    elif text.count(":") > 1:
        return f"{shown!r}: give a hostname with an optional port, like 127.0.0.1:8000."
    host = host.lower().rstrip(".")
    if len(host) > 253 or not host:
        return f"{shown!r}: not a hostname."
    try:
        ipaddress.IPv4Address(host)
        return None
    except ValueError:
        pass
    if not all(_LABEL.match(label) for label in host.split(".")):
        return f"{shown!r}: not a hostname; use letters, digits, dots and hyphens, like forms.example.org."
    return None


def normalise_domains(text):
    """(cleaned lines, [(line number, message)]) for the allowed-domains text."""
    lines, problems = [], []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        problem = check_domain_line(line)
        if problem:
            problems.append((number, problem))
        else:
            value = line.strip().lower()
            if value not in lines:
                lines.append(value)
    return lines, problems


class DomainLinesInvalid(InvalidInput):
    """InvalidInput whose `lines` holds one message per wrong line (forms show each one)."""

    def __init__(self, problems):
        self.lines = [f"Line {number}: {message}" for number, message in problems]
        super().__init__({"allowed_domains": " ".join(self.lines)})


@functools.lru_cache(maxsize=1024)  # a signing request asks two or three times; sites are few
def origin_host(origin):
    """'hostname[:port]' of an Origin header (lower case; default ports dropped), or None."""
    if not origin or origin == "null" or len(origin) > 255:
        return None
    try:
        parts = urlsplit(origin.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        return f"{host}:{port}"
    return host


def origin_allowed(petition, origin):
    """Is the Origin one of the petition's allowed domains? An entry without a port allows that
    hostname on any port; an entry with a port allows that port only."""
    return _origin_in(domains_in(petition.allowed_domains), origin)


@functools.lru_cache(maxsize=1024)  # asked two or three times per signing request; sites are few
def _origin_in(domains, origin):
    host = origin_host(origin)
    if host is None:
        return False
    bare = host.rsplit(":", 1)[0] if ":" in host else host
    for entry in domains:
        if entry == host or (":" not in entry and entry == bare):
            return True
    return False


def check_key_reach(key, petition):
    """A key signs only the petitions within its reach (models.apikey.reaches): its owner's, its
    organisation's, or every one for a partner key. The same rule for every dialect
    (models/channels.py checks it at the "key reach" step)."""
    from models.apikey import reaches

    why = reaches(key, petition)
    if why:
        raise KeyOutOfReach(why)


# ---- per-petition API settings ----------------------------------------------------------------

SETTINGS_ROLES = frozenset({"petitioner", "clerk", "admin"})


def may_edit_api_settings(actor, petition):
    return bool(roles_of(actor, petition) & SETTINGS_ROLES)


def update_api_settings(petition, actor, *, api_enabled, allowed_domains, hidden):
    """Save 'Enable API submissions', 'Allowed domains' and 'Hide from public pages'.

    Editable by the lead petitioner, the addressed organisation's clerks and site admins. Returns
    {field: new value} of what changed; every change is audited.
    """
    roles = roles_of(actor, petition)
    if not roles & SETTINGS_ROLES:
        raise NotAllowed("Only the lead petitioner, the organisation's clerks and site admins may change "
                         "this petition's API settings.")
    lines, problems = normalise_domains(allowed_domains)
    if problems:
        raise DomainLinesInvalid(problems)
    if len(lines) > 50:
        raise InvalidInput({"allowed_domains": "List at most 50 domains."})
    hidden = bool(hidden)
    with db.atomic():
        current = Petition.get_by_id(petition.id)
        if (current.hidden and not hidden and current.hidden_reason
                and not roles & {"admin", "moderator"}):
            raise NotAllowed("Moderation hid this petition; only a site admin or moderation can show it again.")
        values = {"api_enabled": bool(api_enabled), "allowed_domains": "\n".join(lines), "hidden": hidden}
        changed = {k: v for k, v in values.items() if getattr(current, k) != v}
        if changed:
            Petition.update(updated_at=clock.now(), **changed).where(Petition.id == petition.id).execute()
            for name, value in changed.items():
                audit.record(petition.id, actor, "hidden" if name == "hidden" else "api_settings", field=name,
                             old=getattr(current, name), new=value)
    return changed


# ---- petitions and organisations named in a request ---------------------------------------------------------------------------------

_SLUG_OR_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")


def petition_not_found(key):
    return NotFound(f"There is no petition {(key or '').strip()[:40]!r} here. Fix: name the petition by its numeric "
                    "id or its slug (as in its address /petitions/<slug>).")


def petition_by_key(key, query=None):
    """Petition.by_key for untrusted input: anything that is not an id or a slug is simply unknown."""
    key = (key or "").strip()
    problem = petition_not_found(key)
    if not _SLUG_OR_ID.match(key) or (key.isdigit() and len(key) > 11):
        raise problem
    try:
        return Petition.by_key(key.lower() if not key.isdigit() else key, query)
    except NotFound:
        raise problem from None


def organisation_by_key(key):
    key = (key or "").strip()
    problem = NotFound(f"There is no organisation {key[:40]!r}. Fix: name it by its numeric id or its slug "
                       "(see /api/v1/organisations).")
    if not _SLUG_OR_ID.match(key) or (key.isdigit() and len(key) > 11):
        raise problem
    try:
        return Organisation.by_slug_or_id(key.lower() if not key.isdigit() else key)
    except NotFound:
        raise problem from None


# ---- the read side: what a key may see ----------------------------------------------------------

TEST_KEY_COUNT = 3  # petitions.eu: a test key reads every count as 3 (see models/channels.py)


# What the signing checks read of a petition (models/channels.py, check_signable, the duplicate's mail).
SIGNING_COLUMNS = (Petition.id, Petition.slug, Petition.title, Petition.organisation, Petition.lead_petitioner,
                   Petition.status, Petition.opens_at, Petition.closes_at, Petition.closed_at, Petition.hidden, Petition.api_enabled,
                   Petition.allowed_domains, Petition.language)


def signing_petition(name):
    """petition_by_key() for the signing channels: the columns their checks need, kept for
    cache.petitions' bound (models/cache.py)."""
    return cache.petitions.get(("signing", name), lambda: petition_by_key(name, Petition.select(*SIGNING_COLUMNS)))


def confirmed_signatures(petition_query=None):
    from models.signature import Signature

    return (Signature.select(Signature.confirmed_at, Petition.id.alias("petition_id"),
                             Petition.title.alias("petition_name"), Organisation.id.alias("organisation_id"),
                             Organisation.name.alias("organisation_name"))
            .join(Petition).join(Organisation)
            .where(Signature.confirmed_at.is_null(False)))


def total_pages(total, per_page):
    return max(1, math.ceil(total / per_page)) if per_page else 1


__all__ = ["ApiKeyMissing", "ApiKeyInvalid", "ScopeMissing", "TestKeyCannotWrite", "SubmissionsDisabled",
           "OriginNotAllowed", "RateLimited", "InvalidParameter", "SignatureExists", "key_token_from",
           "resolve_key", "require_key", "require_writing_key", "issue_key", "check_domain_line",
           "normalise_domains", "origin_allowed", "update_api_settings", "SCOPES"]
