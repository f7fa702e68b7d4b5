"""The pages a public service must have: terms of signing, privacy notice, accessibility statement,
contact. Each ships with a default text (Markdown); a site admin may replace it in the admin area
(stored in `site_page`). The privacy notice's periods are read from the settings the jobs use, so
what it promises is what the jobs delete."""

import peewee as pw

from models import audit, clock
from models.db import BaseModel
from models.errors import InvalidInput
from models.i18n import N_
from models.sanitize import from_markdown

TITLE_MAX = 200
BODY_MAX = 50_000


class SitePage(BaseModel):
    slug = pw.CharField(max_length=32, unique=True)
    title = pw.CharField(max_length=200)
    body = pw.TextField()  # Markdown
    updated_at = pw.DateTimeField()
    updated_by_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "site_page"


DEFAULTS = {
    "terms": (N_("Terms of signing"), N_("""When you sign a petition on this portal you confirm that:

- you are a real person and sign with your own name and your own email address;
- you sign each petition only once;
- you agree that we keep your signature as the privacy notice describes.

Your signature counts once you confirm it with the link we mail you. A petition is addressed to
the organisation named on it; that organisation decides how it answers. Petitions that break the
law, or that are not about something the organisation can act on, are rejected with a reason.

Read the [privacy notice](/pages/privacy) for what we keep and for how long.""")),
    "privacy": (N_("Privacy notice"), N_("""## What we store

When you sign: your name, your email address, your town if you give it, whether your name may be
shown, whether you want to hear when the petition is answered, and when you signed and confirmed.
When you have an account: your name, your email address and a hash of your password.

## Why

To count each person once, to confirm that the address is yours, to tell you when the petition is
answered if you asked for it, and to give the organisation the number of signatures (never your
address).

## For how long

- A signature that is never confirmed is deleted after {unconfirmed_days} days.
- Confirmed signatures are kept for {retention_months} months after the petition is closed, then
  the personal details are removed and only the count remains.
- Mails we sent are deleted {mail_days} days after they were sent.

Your name is shown on the petition page only if you ticked the box that allows it.

## Your rights

You may ask to see, correct or delete what we hold about you: see the [contact page](/pages/contact).""")),
    "accessibility": (N_("Accessibility statement"), N_("""We want everyone to be able to use this portal.
It aims to meet the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA.

- Every page can be used with a keyboard alone; a "Skip to main content" link starts each page.
- Forms say what went wrong at the top of the page, with a link to each field to correct.
- Pages fit a screen 320 pixels wide without scrolling sideways; wide tables scroll on their own.
- Charts have a table with the same figures.

Every page is checked automatically with axe-core in a real browser before each release.

If something does not work for you, tell us on the [contact page](/pages/contact): say which page
and what happened. We answer within 10 working days.""")),
    "contact": (N_("Contact"), N_("""For questions about this portal, about your signature or your
account, or to ask what we hold about you, write to the people who run this portal.

For questions about a petition's answer, contact the organisation it is addressed to: its page
lists its petitions and answers.""")),
}
SLUGS = tuple(DEFAULTS)


def facts():
    """The numbers the privacy notice states: the jobs' own settings (models/privacy.periods)."""
    from models import privacy

    periods = privacy.periods()
    return {"unconfirmed_days": periods["unconfirmed_signature_days"], "mail_days": periods["sent_mail_days"],
            "retention_months": periods["signature_retention_months"]}


def fill(text):
    """Put the current periods into {unconfirmed_days}, {retention_months} and {mail_days}."""
    for name, value in facts().items():
        text = text.replace("{" + name + "}", str(value))
    return text


def get_page(slug, translate=lambda text: text):
    """(title, Markdown source, sanitised HTML, edited row or None) of a page."""
    row = SitePage.get_or_none(SitePage.slug == slug)
    if row is not None:
        title, source = row.title, row.body
    else:
        title, source = (translate(part) for part in DEFAULTS[slug])
    return title, source, from_markdown(fill(source)), row


def save_page(slug, actor: audit.Actor, title, body):
    """A site admin's text for a page; an empty body returns to the shipped default."""
    if slug not in DEFAULTS:
        raise InvalidInput({"slug": N_("There is no such page.")})
    errors = {}
    title = (title or "").strip() if isinstance(title, str) or title is None else ""
    body = (body or "").strip() if isinstance(body, str) or body is None else ""
    if not title:
        errors["title"] = N_("Give the page a title.")
    elif len(title) > TITLE_MAX:
        errors["title"] = N_("Use at most %(max)s characters for the title.") % {"max": TITLE_MAX}
    if len(body) > BODY_MAX:
        errors["body"] = N_("Use at most %(max)s characters for the text.") % {"max": BODY_MAX}
    if errors:
        raise InvalidInput(errors)
    if not body:
        SitePage.delete().where(SitePage.slug == slug).execute()
        audit.record(None, actor, "site_page", field=slug, new="default")
        return None
    row = SitePage.get_or_none(SitePage.slug == slug)
    user_id = actor.id if actor.kind == "user" and isinstance(actor.id, int) else None
    if row is None:
        row = SitePage.create(slug=slug, title=title, body=body, updated_at=clock.now(), updated_by_id=user_id)
    else:
        SitePage.update(title=title, body=body, updated_at=clock.now(), updated_by_id=user_id).where(
            SitePage.id == row.id).execute()
    audit.record(None, actor, "site_page", field=slug, new="edited")
    return row
