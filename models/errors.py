"""Domain errors. Every channel (web, each API dialect, jobs) maps these to its own shape."""
from models.i18n import N_


class DomainError(Exception):
    status = 400

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    status = 404


class NotAllowed(DomainError):
    """The actor may not do this (wrong organisation, role or scope)."""

    status = 403


class InvalidInput(DomainError):
    """One or more fields are wrong. `fields` maps field name -> message saying what to fix."""

    status = 422

    def __init__(self, fields: dict, message=None):
        self.fields = dict(fields)
        summary = "; ".join(f"{name}: {text}" for name, text in self.fields.items())
        super().__init__(message or f"Please correct: {summary}", fields=self.fields)


class InvalidParameter(InvalidInput):
    """A query or path parameter is wrong (400), naming the parameter and what to send instead."""

    status = 400


class TransitionRefused(DomainError):
    """A status move the transition table does not allow; names the moves that are allowed."""

    status = 409

    def __init__(self, current, requested, allowed, reason=None):
        self.current, self.requested, self.allowed = current, requested, list(allowed)
        moves = ", ".join(self.allowed) if self.allowed else N_("none")
        text = reason or N_("A petition that is %(current)s cannot move to %(requested)s.", current=current,
                            requested=requested)
        # the page words it in the reader's language (models.i18n.word); as text it is English
        super().__init__(N_("%(reason)s Allowed moves from %(current)s: %(moves)s.", reason=text, current=current,
                            moves=moves),
                         current=current, requested=requested, allowed=self.allowed)


class NotSignable(DomainError):
    status = 403


class AlreadySigned(DomainError):
    status = 409


class Conflict(DomainError):
    """Something saved at the same moment conflicts with this request (a unique value was taken)."""

    status = 409


class ServiceUnavailable(DomainError):
    """The database cannot be reached (or stayed locked) just now: a 503 with Retry-After, so
    clients retry instead of seeing a 500; the portal recovers by itself when it is back."""

    status = 503
    retry_after = 5

    def __init__(self):
        super().__init__(N_("The service is briefly unavailable. Try again in a few seconds (see Retry-After)."),
                         retry_after=self.retry_after)


def unavailable(error):
    """Is this database error the database being unreachable or busy (rather than a bug)?"""
    import peewee as pw

    if isinstance(error, pw.InterfaceError):
        return True
    if isinstance(error, pw.OperationalError):
        from models.db import is_postgres

        if is_postgres():
            return True  # connection refused, terminated, server closed the connection...
        text = str(error).lower()  # SQLite: only a lock held too long (its other errors are bugs)
        return "locked" in text or "busy" in text
    return False


def from_database(error):
    """The DomainError a database refusal means for the person who sent the request, or None.

    Domain functions check first and name the field; this is the net for what slips past (a race
    between check and insert, a row deleted meanwhile, a value out of the column's range), so that
    the answer is a 4xx saying what to do rather than a 500. The database's own text is not shown:
    it may quote other people's values.
    """
    import peewee as pw

    if isinstance(error, pw.DoesNotExist):
        return NotFound(N_("What this request refers to does not exist (any more)."))
    if isinstance(error, pw.IntegrityError):
        return Conflict(N_("This conflicts with something saved at the same moment (a name, address or link that "
                           "must be unique is taken). Reload the page and try again."))
    if isinstance(error, (pw.DataError, OverflowError)):
        return InvalidInput({}, message=N_("A value is too long, too large or not of the right kind; correct it "
                                           "and try again."))
    if unavailable(error):
        return ServiceUnavailable()
    return None
