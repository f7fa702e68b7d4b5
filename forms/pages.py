"""The admin's form for the site pages (terms, privacy, accessibility, contact)."""
from wtforms import StringField, TextAreaField

from forms import BaseForm
from models.i18n import N_

MARKDOWN_HELP = N_("Write plain text. Leave a blank line between paragraphs; **bold**, *italics*, "
                   "lists starting with - and links as [text](https://…) are kept. No HTML needed.")


class SitePageForm(BaseForm):
    title = StringField(N_("Title"))
    body = TextAreaField(N_("Text"), description=N_("Markdown. {unconfirmed_days}, {retention_months} and "
                                                    "{mail_days} are replaced with the current periods. "
                                                    "Empty: the shipped default text is used again."))
