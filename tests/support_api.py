"""Helpers for the API tests: signed-in sessions without the sign-in page, keys, JSON calls."""
import json

import tornado.web

from models import config
from models.api import issue_key


def sign_in_as(web, user):
    """Put a valid signed session cookie for `user` into the client (what /signin would set)."""
    from models import session

    value = tornado.web.create_signed_value(config.current().cookie_secret, "session", session.start(user))
    web.cookies["session"] = value.decode()
    return user


def new_key(make, scopes=("read",), organisation=None, is_test=False, user=None, name="test key", partner=None):
    """(key, token) for a new user's key; a key for an organisation belongs to one of its clerks.

    A key with the create scope is a partner key unless `partner=False` (a key reaches only its
    owner's or its organisation's petitions otherwise; tests of other rules sign any petition)."""
    from models.apikey import set_partner

    if user is None:
        user = make.clerk(organisation) if organisation is not None else make.user()
    key, token = issue_key(user, name, list(scopes), organisation=organisation, is_test=is_test)
    if partner if partner is not None else "create" in scopes:
        set_partner(key, True)
    return key, token


async def call(web, method, path, body=None, token=None, headers=None, raw=None, query_key=False):
    """A JSON API call. `token` goes in the Authorization header (or ?api_key= with query_key)."""
    all_headers = dict(headers or {})
    if token and not query_key:
        all_headers["Authorization"] = f"Bearer {token}"
    if token and query_key:
        path += ("&" if "?" in path else "?") + "api_key=" + token
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        all_headers.setdefault("Content-Type", "application/json")
    if method in ("POST", "PUT") and data is None:
        data = b""
    return await web.fetch(path, method=method, body=data, headers=all_headers)

