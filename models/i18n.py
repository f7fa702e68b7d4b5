"""Languages: the N_() marker, message catalogues, the reader's language, and Babel formatting.

- Templates: `{{ _("Text") }}`; plurals `{{ _("%(count)s petition", "%(count)s petitions", n) % {"count": n} }}`.
- Handlers: `self.locale.translate("Text")`.
- Module-level text shown later (form labels, domain messages): `N_("Text")` marks it for
  extraction; the page or mail that shows it translates it (`word(locale, message)`, in templates
  `tr(message)`). `N_("Text %(name)s", name=value)` keeps the parameters with the message, so the
  domain names the rule and its parameters and the page words it in the reader's language; as a
  `str` it is the English text, so logs, JSON answers and tests see plain English.

Catalogues: locale/<lang>/LC_MESSAGES/messages.po (see models/catalogues.py and README
"Languages"); the compiled .mo files are built here when missing or older than their .po.
"""
import datetime as dt
import logging
import os
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import tornado.locale

log = logging.getLogger("portal.i18n")

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "locale"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The interface languages, in the switcher's order, each by its own name.
LANGUAGES = {"en": "English", "nl": "Nederlands", "de": "Deutsch", "nb": "Norsk bokmål", "fr": "Français"}
# A generated language for tests: every message wrapped in markers (see PseudoLocale).
PSEUDO = "x-pseudo"
PSEUDO_OPEN, PSEUDO_CLOSE = "\u27e6", "\u27e7"
# Region variants and old codes that mean one of ours.
ALIASES = {"no": "nb", "nn": "nb", "nb": "nb"}


class Msg(str):
    """A message to be worded where it is shown: as a str it is the English text; `msgid` and
    `params` let a page or mail translate it (params that are Msg themselves are translated too)."""

    def __new__(cls, msgid, params=None):
        params = dict(params or {})
        text = msgid % {k: str(v) for k, v in params.items()} if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self):
        return (Msg, (self.msgid, self.params))


def N_(message, **params):
    """Mark a message for extraction without translating it here (with its parameters, if any)."""
    return Msg(message, params)


def word(locale, message):
    """A message (Msg or plain text) in `locale`'s language; anything else unchanged."""
    if isinstance(message, Msg):
        text = locale.translate(message.msgid)
        if not message.params:
            return text
        params = {k: word(locale, v) if isinstance(v, Msg) else v for k, v in message.params.items()}
        try:
            return text % params
        except (KeyError, ValueError, TypeError):  # a faulty translation: the English text
            log.warning("translation of %r does not fit its parameters", message.msgid)
            return message.msgid % params
    if isinstance(message, str):
        return locale.translate(message) if message else message
    return message


# ---- catalogues ----------------------------------------------------------------------------------

def compile_catalogues(force=False):
    """Compile every locale/<lang>/LC_MESSAGES/messages.po whose .mo is missing or older."""
    from babel.messages import mofile, pofile

    compiled = []
    for po_path in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = pofile.read_po(handle, locale=po_path.parent.parent.name)
        # several processes may start at once: each writes its own file and renames it
        fd, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            mofile.write_mo(handle, catalog, use_fuzzy=False)
        os.replace(temporary, mo_path)
        compiled.append(po_path.parent.parent.name)
    return compiled


_loaded = None


def load(force=False):
    """Compile stale catalogues and load them into tornado.locale (once per process)."""
    global _loaded
    if _loaded is not None and not force:
        return _loaded
    try:
        compile_catalogues()
    except OSError as error:  # a read-only install: use the .mo files that are there
        log.warning("could not compile the message catalogues: %s", error)
    tornado.locale.load_gettext_translations(str(LOCALE_DIR), DOMAIN)
    tornado.locale.set_default_locale(SOURCE_LANGUAGE)
    tornado.locale.Locale._cache.clear()
    _loaded = set(tornado.locale.get_supported_locales()) | {SOURCE_LANGUAGE}
    return _loaded


# ---- the reader's language -------------------------------------------------------------------------

def available(settings=None):
    """The languages this site offers (PORTAL_LANGUAGES restricts them), in switcher order."""
    from models import config

    settings = settings or config.current()
    wanted = getattr(settings, "languages", ())
    codes = [normalise(code) for code in wanted] if wanted else list(LANGUAGES)
    offered = [code for code in LANGUAGES if code in codes]
    return offered or [default_language(settings)]


def default_language(settings=None):
    from models import config

    settings = settings or config.current()
    code = normalise(getattr(settings, "default_language", SOURCE_LANGUAGE))
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def normalise(code):
    """One of our language codes for a BCP 47 tag ('nl-BE' -> 'nl', 'no'/'nn' -> 'nb'), or None."""
    if not code or not isinstance(code, str):
        return None
    primary = code.strip().replace("_", "-").split("-")[0].lower()
    primary = ALIASES.get(primary, primary)
    return primary if primary in LANGUAGES else None


def parse_accept_language(header):
    """Language tags from an Accept-Language header, best first (q-values; q=0 means 'not this')."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or len(tag) > 35:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def choose(accept_language=None, *preferences, settings=None):
    """The language to use: the first of `preferences` (switcher cookie, account) that is offered,
    then the best offered Accept-Language match, then PORTAL_DEFAULT_LANGUAGE."""
    offered = available(settings)
    for preference in preferences:
        code = normalise(preference)
        if code in offered:
            return code
    for tag in parse_accept_language(accept_language):
        code = normalise(tag)
        if code in offered:
            return code
    default = default_language(settings)
    return default if default in offered else offered[0]


class PseudoLocale(tornado.locale.Locale):
    """Every message wrapped in markers: a page rendered in it shows hard-coded text as text
    outside the markers (tests/test_i18n_pseudo.py)."""

    def __init__(self):
        self.code = PSEUDO
        self.name = "Pseudo"
        self.rtl = False
        self.translations = {}

    def translate(self, message, plural_message=None, count=None):
        text = plural_message if plural_message is not None and count != 1 else message
        return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}"

    def pgettext(self, context, message, plural_message=None, count=None):
        return self.translate(message, plural_message, count)


_pseudo = None


def get_locale(code):
    """The tornado Locale for one of our codes (or the pseudo-locale)."""
    global _pseudo
    if code == PSEUDO:
        if _pseudo is None:
            _pseudo = PseudoLocale()
        return _pseudo
    load()
    return tornado.locale.get(code if code in LANGUAGES else SOURCE_LANGUAGE)


def babel_code(locale):
    code = getattr(locale, "code", locale)
    return SOURCE_LANGUAGE if code not in LANGUAGES else code


def html_lang(locale):
    """The BCP 47 tag for <html lang> and Content-Language."""
    code = getattr(locale, "code", locale)
    return code if code in LANGUAGES else SOURCE_LANGUAGE


def language_name(code, in_locale=None):
    """A language's name in its own language ('Nederlands'), or in `in_locale`'s."""
    from babel import Locale, UnknownLocaleError

    code = ALIASES.get(code, code)
    if code in LANGUAGES and in_locale is None:
        return LANGUAGES[code]
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(babel_code(in_locale) if in_locale else None)
    except (ValueError, UnknownLocaleError, AttributeError):
        return code
    return name[:1].upper() + name[1:] if name else code


# ---- dates, times and numbers, in the reader's locale ----------------------------------------------

def timezone(settings=None):
    from models import config

    settings = settings or config.current()
    name = getattr(settings, "timezone", "UTC") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown PORTAL_TIMEZONE %r; using UTC", name)
        return ZoneInfo("UTC")


def _aware(value):
    if value.tzinfo is None:  # the database keeps naive UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(timezone())


def _pseudo_wrap(locale, text):
    return f"{PSEUDO_OPEN}{text}{PSEUDO_CLOSE}" if getattr(locale, "code", None) == PSEUDO else text


def format_date(locale, value, format="long"):
    """'3 december 2026' (nl), '3. Dezember 2026' (de); datetimes are converted to PORTAL_TIMEZONE."""
    import babel.dates

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = _aware(value).date()
    return _pseudo_wrap(locale, babel.dates.format_date(value, format=format, locale=babel_code(locale)))


def format_datetime(locale, value, format="medium", zone=False):
    """A time in PORTAL_TIMEZONE in the reader's locale; zone=True names the zone (closing times)."""
    import babel.dates

    if value is None:
        return ""
    code = babel_code(locale)
    aware = _aware(value)
    if format == "medium":
        text = "{}, {}".format(babel.dates.format_date(aware, "long", locale=code),
                               babel.dates.format_time(aware, "short", locale=code))
    else:
        text = babel.dates.format_datetime(aware, format=format, locale=code)
    if zone:
        text += f" ({zone_name(locale)})"
    return _pseudo_wrap(locale, text)


def zone_name(locale=None):
    tz = timezone()
    return "UTC" if tz.key in ("UTC", "Etc/UTC") else tz.key


def format_number(locale, value):
    """1,800 (en), 1.800 (nl, de), 1 800 (nb, fr)."""
    import babel.numbers

    if value is None:
        return ""
    return _pseudo_wrap(locale, babel.numbers.format_decimal(value, locale=babel_code(locale)))


def labels():
    """Lookups from stored codes (status, role, channel, field) to the words a page shows."""
    from models.audit import CHANNEL_LABELS, FIELD_LABELS
    from models.organisation import KIND_LABELS, ROLE_LABELS
    from models.petition import STATUS_LABELS

    return {"status_label": lambda code: STATUS_LABELS.get(code, code),
            "role_label": lambda code: ROLE_LABELS.get(code, code),
            "kind_label": lambda code: KIND_LABELS.get(code, code),
            "channel_label": lambda code: CHANNEL_LABELS.get(code, code),
            "field_label": lambda code: FIELD_LABELS.get(code, code)}


def template_helpers(locale):
    """What every page and mail template may call, bound to the reader's locale."""
    return {
        "format_date": lambda value, format="long": format_date(locale, value, format),
        "format_datetime": lambda value, format="medium", zone=False: format_datetime(locale, value, format, zone),
        "format_number": lambda value: format_number(locale, value),
        "tr": lambda message: word(locale, message),
        "N_": N_,
        "language_name": lambda code: language_name(code),
        "lang": html_lang(locale),
        "timezone_name": zone_name(locale),
    }
