"""Forms of the API pages: creating a key, and a petition's API settings."""
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, widgets

from forms import BaseForm
from models.apikey import SCOPES

SCOPE_LABELS = {"read": "read — read petitions, signature timestamps and organisations",
                "create": "create — submit signatures from your website",
                "update": "update — update your organisation's petitions (status, dates, reference)"}


class ApiKeyForm(BaseForm):
    name = StringField("Name", description="So you recognise the key later, like 'campaign website'.")
    scopes = SelectMultipleField("Permissions", choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput(), validate_choice=False)
    organisation = SelectField("Organisation", choices=[SelectChoice("", "none")], validate_choice=False,
                               description="Needed for the update permission: a key updates the petitions of "
                                           "one organisation you work for.")
    is_test = BooleanField("Test key (reads only, every count reads as 3; never writes)")


class ApiSettingsForm(BaseForm):
    api_enabled = BooleanField("Enable API submissions",
                               description="External websites may submit signatures through the API.")
    allowed_domains = TextAreaField(
        "Allowed domains",
        description="One hostname per line, port optional (e.g. forms.example.org or 127.0.0.1:8000); no "
                    "https://, no /path. Requests from other domains are rejected.")
    hidden = BooleanField("Hide this petition from public pages",
                          description="Removed from lists, search and the sitemap; its page answers 404. API "
                                      "submissions and the signature count keep working when API is enabled.")
