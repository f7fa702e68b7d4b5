"""The promises every API dialect keeps alike, written once: which petitions a caller may read,
which it may sign or count, what a test key sees, and the order in which a signature is refused.

Each dialect (native v1 with petitions.eu's and Forbrukermakt's bodies, We the People, OSDI) parses
its own request, calls these, and words the refusal in its own error shape.

Hidden petitions ("Hide this petition from public pages"): the addressed organisation's keys read
them; signing and the verified count work while API submissions are on and the request's Origin
(when it sends one) is an allowed domain; everyone else gets 404, as if there were no petition.

Order of refusal causes for every signing channel, the true one first: REFUSAL_ORDER.
"""
import peewee as pw

from models import api
from models.errors import NotFound
from models.petition import Petition
from models.signature import check_signable

# The causes a signature is refused for, in the order they are checked: the first that applies is
# the answer. "key reach" is where a rule about which petitions a key may sign slots in
# (KEY_REACH_RULES); "fields" is checked by the dialect's body parser and signature.validate();
# "already signed" by the database's unique constraint in signature.submit().
REFUSAL_ORDER = ("unknown petition", "not open for signatures", "submissions disabled", "origin", "key",
                 "scope", "key reach", "fields", "already signed")

# Callables (key, petition) -> None that raise a DomainError when `key` may not sign `petition`;
# checked in order at the "key reach" step, after the scope.
KEY_REACH_RULES = [api.check_key_reach]

TEST_KEY_COUNT = api.TEST_KEY_COUNT  # petitions.eu: "test-key 1234 gives a fixed count: 3"


# ---- test keys ------------------------------------------------------------------------------------

def is_test(key):
    return key is not None and key.is_test


def count_for(key, real_count):
    """A count as `key` reads it: test keys read every count (and every total) as 3."""
    return TEST_KEY_COUNT if is_test(key) else real_count


def page_size_for(key, size):
    """How many items a list answers `key` with: at most 3 for a test key."""
    return min(size, TEST_KEY_COUNT) if is_test(key) else size


# ---- reading ----------------------------------------------------------------------------------------

def readable_condition(key=None):
    """SQL: published petitions that are not hidden, plus the hidden ones addressed to the key's
    organisation."""
    visible = Petition.hidden == False  # noqa: E712
    if key is not None and key.organisation_id is not None:
        visible = visible | (Petition.organisation == key.organisation_id)
    return Petition.opens_at.is_null(False) & visible


def readable(key=None, query=None):
    """Petitions `key` may read (query: a Petition query to narrow, e.g. with joins)."""
    query = query if query is not None else Petition.select()
    return query.where(readable_condition(key))


# ---- signing and counting -----------------------------------------------------------------------------

def _reachable_when_hidden(petition, key, origin, origin_required):
    if key is not None and key.organisation_id is not None and key.organisation_id == petition.organisation_id:
        return True
    if not petition.api_enabled:
        return False
    if origin or origin_required:
        return api.origin_allowed(petition, origin)
    return True


def petition_to_sign(name, key=None, origin=None, origin_required=False, query=None):
    """Step 1 ("unknown petition"): the published petition `name` (id or slug) names. A hidden one
    only while API submissions are on and the Origin rules pass (or for its organisation's keys);
    NotFound otherwise."""
    if query is None:
        petition = api.signing_petition(name)  # the columns the checks read, briefly cached (models/cache.py)
        if petition.opens_at is None:
            raise api.petition_not_found(name)
    else:
        petition = api.petition_by_key(name, query)
    if petition.hidden and not _reachable_when_hidden(petition, key, origin, origin_required):
        raise api.petition_not_found(name)
    return petition


def petition_to_count(name, origin=None):
    """The petition whose verified count may be read without a key: the same rule as signing."""
    return petition_to_sign(name, origin=origin, query=Petition.select(*api.SIGNING_COLUMNS, Petition.signature_count)
                            .where(Petition.opens_at.is_null(False)))


def check_signing(petition, key, key_error=None, origin=None, origin_required=False):
    """Steps 2-7 of REFUSAL_ORDER for a key-based channel; raises the first cause that applies.

    key_error: the error resolving the request's key raised (unknown or revoked key), kept until
    the "key" step so that a truer cause earlier in the order is answered first.
    """
    check_signable(petition)  # not open for signatures
    if not petition.api_enabled:
        raise api.SubmissionsDisabled()
    if origin or origin_required:
        if not api.origin_allowed(petition, origin):
            raise api.OriginNotAllowed(origin)
    if key_error is not None:
        raise key_error
    if key is None:
        raise api.ApiKeyMissing()
    if key.is_test:
        raise api.TestKeyCannotWrite()
    if not key.has_scope("create"):
        raise api.ScopeMissing("create")
    for rule in KEY_REACH_RULES:
        rule(key, petition)
    return petition


def cors_origin(name, origin):
    """The Origin to allow on every answer of a signing route (errors included), or None: an origin
    that is one of the named petition's allowed domains."""
    if not origin:
        return None
    try:
        petition = api.signing_petition(name)  # cached, like the signing checks that follow (models/cache.py)
    except NotFound:  # an unknown petition has no allowed domains
        return None
    return origin if api.origin_allowed(petition, origin) else None


# ---- one creation time ----------------------------------------------------------------------------

CREATED_COLUMN = Petition.opens_at  # what "created" filters and sorts on in every dialect
# modified_time() in SQL: what "modified" filters on (the same value the dialects show).
MODIFIED_EXPRESSION = pw.Case(None, [(Petition.updated_at < Petition.opens_at, Petition.opens_at)],
                              Petition.updated_at)


def created_time(petition):
    """A petition's creation time in every dialect: its publication (what the public first saw)."""
    return petition.opens_at or petition.created_at


def modified_time(petition):
    """Its last change, never before its creation time."""
    created = created_time(petition)
    return max(created, petition.updated_at) if petition.updated_at else created
