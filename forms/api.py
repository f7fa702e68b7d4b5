"""Forms of the API pages: creating a key, and a petition's API settings."""
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField, widgets

from forms import BaseForm
from models.apikey import SCOPES
from models.i18n import N_

SCOPE_LABELS = {"read": N_("read — read petitions, signature timestamps and organisations"),
                "create": N_("create — submit signatures from your website"),
                "update": N_("update — update your organisation's petitions (status, dates, reference)")}


class ApiKeyForm(BaseForm):
    name = StringField(N_("Name"), description=N_("So you recognise the key later, like 'campaign website'."))
    scopes = SelectMultipleField(N_("Permissions"), choices=[SelectChoice(s, SCOPE_LABELS[s]) for s in SCOPES],
                                 widget=widgets.ListWidget(prefix_label=False),
                                 option_widget=widgets.CheckboxInput(), validate_choice=False)
    organisation = SelectField(N_("Organisation"), choices=[SelectChoice("", N_("none"))], validate_choice=False,
                               description=N_("Needed for the update permission: a key updates the petitions of "
                                           "one organisation you work for."))
    is_test = BooleanField(N_("Test key (reads only, every count reads as 3; never writes)"))


class ApiSettingsForm(BaseForm):
    api_enabled = BooleanField(N_("Enable API submissions"),
                               description=N_("External websites may submit signatures through the API."))
    allowed_domains = TextAreaField(
        N_("Allowed domains"),
        description=N_("One hostname per line, port optional (e.g. forms.example.org or 127.0.0.1:8000); no "
                    "https://, no /path. Requests from other domains are rejected."))
    hidden = BooleanField(N_("Hide this petition from public pages"),
                          description=N_("Removed from lists, search and the sitemap; its page answers 404. API "
                                      "submissions and the signature count keep working when API is enabled."))
