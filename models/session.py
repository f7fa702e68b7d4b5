"""Server-side sessions: the cookie holds a random token, the database a row per sign-in.

Signing out deletes the row, so every copy of the cookie stops working at once. A session ends
when it is older than PORTAL_SESSION_DAYS (absolute) or unused for PORTAL_SESSION_IDLE_MINUTES
(idle); "sign out everywhere" deletes every row of the account, and a password change or reset
raises User.session_generation (recorded in each row), which ends the others. Only the token's
SHA-256 is stored. Rows of ended sessions are deleted: when they are next presented, and at every
sign-in for every session idle longer than the limit (an index on last_seen_at).

Checking a session is one indexed query per request; `last_seen_at` is written at most once a
minute, so the idle limit is honoured to within a minute.
"""
import datetime as dt
import secrets

import peewee as pw

from models import clock, config
from models.db import BaseModel
from models.tokens import hash_token
from models.user import User

TOUCH_EVERY = dt.timedelta(seconds=60)
NO_IDLE_LIMIT = dt.timedelta(days=3650)  # PORTAL_SESSION_IDLE_MINUTES=0


class UserSession(BaseModel):
    user = pw.ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    secret_hash = pw.CharField(max_length=64, unique=True)
    generation = pw.IntegerField()  # User.session_generation when it started
    created_at = pw.DateTimeField()
    last_seen_at = pw.DateTimeField(index=True)

    class Meta:
        table_name = "user_session"


def _limits(settings=None):
    settings = settings or config.current()
    minutes = settings.session_idle_minutes
    idle = dt.timedelta(minutes=minutes) if minutes > 0 else NO_IDLE_LIMIT
    return dt.timedelta(days=settings.session_days), idle


def start(user):
    """A new session for `user`; returns the token for the cookie (shown to the browser only)."""
    now = clock.now()
    _, idle = _limits()
    # Forget every session that has been idle too long (keeps the table small).
    UserSession.delete().where(UserSession.last_seen_at < now - idle).execute()
    token = secrets.token_urlsafe(32)
    UserSession.create(user=user.id, secret_hash=hash_token(token), generation=user.session_generation,
                       created_at=now, last_seen_at=now)
    return token


def resolve(token):
    """The user of a live session token, or None (unknown, ended, expired, idle, or signed out by a
    password change)."""
    if not token or len(token) > 100:
        return None
    row = (UserSession.select(UserSession, User).join(User)
           .where(UserSession.secret_hash == hash_token(token))
           .first())
    if row is None:
        return None
    now = clock.now()
    absolute, idle = _limits()
    user = row.user
    if (row.generation != user.session_generation or user.deleted_at is not None
            or row.created_at + absolute <= now or row.last_seen_at + idle <= now):
        UserSession.delete().where(UserSession.id == row.id).execute()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
    return user


def end(token):
    """Sign out: this session stops working, wherever its cookie is."""
    if token and len(token) <= 100:
        UserSession.delete().where(UserSession.secret_hash == hash_token(token)).execute()


def end_all(user):
    """Sign out everywhere: every session of the account ends (returns how many were open)."""
    return UserSession.delete().where(UserSession.user == user.id).execute()


def open_sessions(user):
    """The account's sessions that still work (for the account page and the data export)."""
    now = clock.now()
    absolute, idle = _limits()
    return list(UserSession.select()
                .where((UserSession.user == user.id) & (UserSession.created_at > now - absolute)
                       & (UserSession.last_seen_at > now - idle) & (UserSession.generation == user.session_generation))
                .order_by(UserSession.created_at.desc()))
