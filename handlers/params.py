"""Reading the native v1 API's query parameters (petitions.eu's), on the handlers' side.

petitions.eu's documentation writes every value in braces: `count={10}`, `from={date}`,
`fields={description,signatures_count}`, `organisations={org1,org2}`. Braces around any value are
read as the seed writes them (`{a,b}` a list, `{10}` a scalar), on every parameter, and so is the
seed's Markdown escape `signatures\\_count` and its `...`. A value that is still wrong names the
parameter and shows the expected form. models/ keeps the domain rules; nothing here touches the
database.
"""
import datetime as dt

from models import clock
from models.errors import InvalidParameter
from models.petition import STATUSES

LANGUAGES = ("en", "nl", "de", "fr", "nl_fr", "nl_gr", "no", "da", "sv", "fi", "es", "it", "pl", "pt")
LIST_LIMIT = 50
MAX_COUNT = 1000
MAX_SKIP = 10_000_000
BRACES = " petitions.eu's braces work too, as its examples write them: {name}={{{example}}}."

# The query parameters, declared once: the handlers read them with the functions below and
# handlers/openapi_v1.py publishes these declarations (openapi_parameter, fields_parameter).
QUERY = {
    "language": ("Only petitions in this language (lists); accepted and ignored elsewhere.",
                 {"type": "string", "enum": list(LANGUAGES)}, "nl"),
    "count": (f"How many results (petitions: default 10; signatures and timestamps: default 100; at most "
              f"{MAX_COUNT}). Test keys always get 3.", {"type": "integer", "minimum": 1, "maximum": MAX_COUNT}, "10"),
    "skip": ("Skip this many results (paging).", {"type": "integer", "minimum": 0, "maximum": MAX_SKIP}, "0"),
    "organisations": ("Comma-separated ids or slugs of organisations.", {"type": "string", "maxLength": 2000},
                      "1,riverton"),
    "status": (f"Comma-separated statuses: {', '.join(STATUSES)}.", {"type": "string", "maxLength": 200},
               "live,completed"),
    "petitions": ("Comma-separated ids or slugs of petitions.", {"type": "string", "maxLength": 2000}, "1,2"),
    "from": ("Signatures confirmed from this date (YYYY-MM-DD) or ISO-8601 time.",
             {"type": "string", "maxLength": 40}, "2026-01-01"),
    "to": ("Signatures confirmed until this date (the whole day) or ISO-8601 time.",
           {"type": "string", "maxLength": 40}, "2026-12-31"),
}


def openapi_parameter(name):
    """The OpenAPI parameter object of a declared query parameter."""
    description, schema, example = QUERY[name]
    return {"name": name, "in": "query", "required": False,
            "description": description + BRACES.format(name=name, example=example), "schema": dict(schema)}


def fields_parameter(default, options):
    """The OpenAPI parameter object of a `fields` parameter with these defaults and options."""
    return {"name": "fields", "in": "query", "required": False,
            "description": f"Comma-separated extra fields. Always: {', '.join(default)}. Options: "
                           f"{', '.join(options)}." + BRACES.format(name="fields", example=",".join(options[:2])),
            "schema": {"type": "string", "maxLength": 500}}


def unbrace(value):
    """The value without petitions.eu's braces: '{10}' -> '10', '{a,b}' -> 'a,b' (None stays None)."""
    if value is None:
        return None
    text = value.strip()
    if len(text) >= 2 and text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    return text


def _wrong(name, value, expected):
    shown = (value or "").strip()[:40]
    return InvalidParameter({name: f"{shown!r} is not valid for {name}; {expected}"},
                            message=f"The parameter {name} is not valid ({shown!r}). Fix: {expected}")


def parse_list(name, value, limit=LIST_LIMIT):
    """A comma-separated parameter ('a,b' or petitions.eu's '{a,b}') as a list of clean strings."""
    text = unbrace(value)
    if text is None:
        return []
    expected = f"give up to {limit} comma-separated values, like {name}=a,b or {name}={{a,b}}."
    items = [item.strip().replace("\\_", "_") for item in text.split(",")]
    # The seed's own examples list "..." ("and so on"); it names nothing.
    items = [item for item in items if item and item not in ("...", "\u2026")]
    if len(items) > limit:
        raise _wrong(name, value, expected)
    for item in items:
        if len(item) > 100 or not item.isprintable() or "{" in item or "}" in item:
            raise _wrong(name, item, expected)
    return items


def parse_int(name, value, default, minimum, maximum):
    text = unbrace(value)
    if text is None:
        return default
    expected = f"give a whole number from {minimum} to {maximum}, like {name}={minimum} or {name}={{{minimum}}}."
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise _wrong(name, value, expected)
    number = int(text)
    if not minimum <= number <= maximum:
        raise _wrong(name, value, expected)
    return number


def parse_fields(name, value, default, options):
    """The requested `fields` (always including the defaults), refusing unknown ones by name."""
    wanted = parse_list(name, value)
    unknown = [item for item in wanted if item not in options and item not in default]
    if unknown:
        choices = ", ".join(sorted(set(options) | set(default)))
        raise InvalidParameter({name: f"Unknown field {unknown[0][:40]!r}; choose from: {choices}."},
                               message=f"The parameter {name} names an unknown field {unknown[0][:40]!r}. Fix: "
                                       f"choose from {choices}, like {name}={{{','.join(default)}}}.")
    return list(default) + [item for item in wanted if item not in default]


def parse_language(value):
    text = unbrace(value)
    if text is None:
        return None
    if text not in LANGUAGES:
        raise _wrong("language", value, f"use one of: {', '.join(LANGUAGES)}, like language=en or language={{en}}.")
    return text


def parse_statuses(value):
    statuses = parse_list("status", value)
    for status in statuses:
        if status not in STATUSES:
            raise _wrong("status", status, f"use any of: {', '.join(STATUSES)}, like status={{live,completed}}.")
    return statuses


def parse_time(name, value):
    """A date (YYYY-MM-DD) or an ISO-8601 time as naive UTC, or None."""
    text = unbrace(value)
    if text is None or text == "":
        return None
    try:
        if len(text) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
        return clock.parse_iso(text)
    except (ValueError, OverflowError):
        raise _wrong(name, value, f"give a date YYYY-MM-DD or an ISO-8601 time, like {name}=2026-01-31 or "
                                  f"{name}={{2026-01-31T12:00:00Z}}.") from None


def is_whole_day(value):
    """Whether a from/to value names a whole day (YYYY-MM-DD, braces or not)."""
    text = unbrace(value)
    return text is not None and len(text) == 10
