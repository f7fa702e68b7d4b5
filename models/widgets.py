"""Embeddable widgets: which pages may frame a petition's widgets, and what the count widget shows.

The frame policy allows exactly the petition's allowed domains (the same list that decides which
origins may submit signatures, models/api.origin_allowed, through models/channels): an entry with a port allows that port,
an entry without one any port, over http or https. No allowed domains: no page may frame it.
"""
import re

from models import channels
from models.errors import NotFound

LANG_RE = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][a-zA-Z0-9]{2,8})?$")
COUNT_MAX_AGE = 30  # seconds a widget page (and the count it shows) may be cached


def frame_ancestors(petition):
    sources = []
    for entry in petition.domain_list:
        hostport = entry if ":" in entry else f"{entry}:*"
        sources += [f"https://{hostport}", f"http://{hostport}"]
    return sources or ["'none'"]


def widget_petition(key):
    """A petition whose count may be shown (public, or hidden with API submissions enabled)."""
    return channels.petition_to_count(key)


def progress(petition):
    """(threshold, percent 0-100) towards the organisation's signature threshold, as the petition
    page shows it (Petition.threshold / threshold_percent); no threshold: (0, 100)."""
    if petition.threshold is None:
        return 0, 100
    return petition.threshold, petition.threshold_percent


def language(requested, petition):
    requested = (requested or "").strip()
    return requested.replace("_", "-") if LANG_RE.match(requested) else (petition.language or "en")


__all__ = ["frame_ancestors", "widget_petition", "progress", "language", "NotFound"]
